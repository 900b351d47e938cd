// The wait set: one epoll over each attached reader's wake-up eventfd (shm/wakeup.hpp), the
// user's timers (timerfd), the user wake-up (eventfd) and a tick (timerfd) that brings every
// reader's session up to date as often as a reader blocked in next() does (writer crashes,
// restarts, late writers) while another event loop sleeps on the epoll (prepare()); wait()
// itself sleeps at most that long. See docs/design.md "Wait sets".

#include <smx/log.hpp>
#include <smx/waitset.hpp>

#include "fork.hpp"
#include "reader_core.hpp"
#include "shm/wakeup.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace smx::detail {

// Owns a descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : m_fd(fd) {}
    Fd(Fd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        std::swap(m_fd, o.m_fd);
        return *this;
    }
    ~Fd() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const noexcept { return m_fd; }

private:
    int m_fd = -1;
};

namespace {

// As a reader blocked in next(): its source checks the writer's liveness, and an unattached
// reader looks for a writer, this often (reader_core.cpp's WAKE_SLICE).
constexpr auto TICK = std::chrono::milliseconds(100);

[[noreturn]] void fail(const char* what) {
    const int err = errno;
    throw SystemError(err, std::string("wait set: ") + what + ": " + std::strerror(err));
}

itimerspec timer_spec(std::chrono::nanoseconds first, std::chrono::nanoseconds period) {
    auto ts = [](std::chrono::nanoseconds ns) {
        timespec t{};
        t.tv_sec = static_cast<time_t>(ns.count() / 1'000'000'000);
        t.tv_nsec = static_cast<long>(ns.count() % 1'000'000'000);
        return t;
    };
    return itimerspec{ts(period), ts(first)};
}

// What an epoll event is about: data.u64 = kind << 56 | id.
enum Kind : std::uint64_t { WAKE = 1, TICKER = 2, TIMER = 3, READER = 4 };
constexpr std::uint64_t tag(Kind k, std::uint64_t id) { return (std::uint64_t{k} << 56) | id; }

}  // namespace

class WaitSetImpl {
public:
    WaitSetImpl()
        : m_epoll(::epoll_create1(EPOLL_CLOEXEC)), m_wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
          m_tick(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
        if (m_epoll.get() < 0) fail("epoll_create1");
        if (m_wake.get() < 0) fail("eventfd");
        if (m_tick.get() < 0) fail("timerfd_create");
        add(m_wake.get(), tag(WAKE, 0));
        add(m_tick.get(), tag(TICKER, 0));
    }

    // In a forked child the epoll instance, the marks and the readers are the parent's: nothing of
    // them is touched (EPOLL_CTL_DEL on the shared instance would remove the parent's entries).
    ~WaitSetImpl() {
        if (!m_process.is_current()) return;
        disarm_all();  // prepare() leaves the readers marked asleep
        for (auto& e : m_entries)
            if (!e.closed->load(std::memory_order_acquire)) e.core->remove_close_hook(this);
    }

    void check_owner() const {
        if (!m_process.is_current()) throw Closed(m_process.inherited_message("the wait set"));
    }

    void attach(Reader& reader) {
        check_owner();
        ReaderCore& core = reader.core();
        collect_closed();
        for (const auto& e : m_entries)
            if (e.core == &core)
                throw InvalidArgument("wait set: the reader of topic '" + core.topic() + "' is attached already");
        Entry e{&core, core.wakeup(), std::make_shared<std::atomic<bool>>(false), m_next_id++, {}};
        add(e.wakeup->fd(), tag(READER, e.id));
        // A reader closed (or destroyed) elsewhere is only flagged here; wait() forgets it.
        core.add_close_hook(this, [closed = e.closed, wakeup = e.wakeup] {
            closed->store(true, std::memory_order_release);
            wakeup->notify();
        });
        m_entries.push_back(std::move(e));
    }

    bool detach(Reader& reader) noexcept {
        if (!reader.m_impl || !m_process.is_current()) return false;
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
            if (it->closed->load(std::memory_order_acquire) || it->core != &reader.core()) continue;
            it->core->remove_close_hook(this);
            it->core->disarm();
            forget(it);
            return true;
        }
        return false;
    }

    bool mute(Reader& reader, std::chrono::nanoseconds duration) {
        check_owner();
        for (auto& e : m_entries)
            if (!e.closed->load(std::memory_order_acquire) && e.core == &reader.core()) {
                e.muted_until = std::chrono::steady_clock::now() + duration;
                return true;
            }
        return false;
    }

    std::vector<Reader*> readers() {
        check_owner();
        collect_closed();
        std::vector<Reader*> out;
        for (const auto& e : m_entries) out.push_back(e.core->owner());
        return out;
    }

    TimerId add_timer(std::chrono::nanoseconds first, std::chrono::nanoseconds period) {
        check_owner();
        Fd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
        if (fd.get() < 0) fail("timerfd_create");
        // 0 would disarm the timer: "at once" is the smallest delay there is.
        const itimerspec spec = timer_spec(std::max(first, std::chrono::nanoseconds(1)), period);
        if (::timerfd_settime(fd.get(), 0, &spec, nullptr) != 0) fail("timerfd_settime");
        const TimerId id{m_next_id++};
        add(fd.get(), tag(TIMER, id.value));
        m_timers.push_back(Timer{id, std::move(fd)});
        return id;
    }

    bool remove_timer(TimerId id) noexcept {
        if (!m_process.is_current()) return false;
        const auto it = std::find_if(m_timers.begin(), m_timers.end(), [id](const Timer& t) { return t.id == id; });
        if (it == m_timers.end()) return false;
        (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, it->fd.get(), nullptr);
        m_timers.erase(it);
        return true;
    }

    void wake() noexcept {
        if (!m_process.is_current()) return;  // the eventfd is the parent's too
        const std::uint64_t one = 1;
        (void)!::write(m_wake.get(), &one, sizeof one);
    }

    WaitResult wait(std::chrono::nanoseconds timeout) {
        check_owner();
        const auto start = std::chrono::steady_clock::now();
        const auto deadline = timeout >= std::chrono::steady_clock::time_point::max() - start
                                  ? std::chrono::steady_clock::time_point::max()
                                  : start + timeout;
        WaitResult r = std::exchange(m_pending, WaitResult{});
        struct Disarm {
            WaitSetImpl& ws;
            ~Disarm() { ws.disarm_all(); }
        } disarm{*this};
        bool unwoken = false;  // the last sleep ran to its end with nothing firing
        for (;;) {
            // Armed before looking (a frame published after the look wakes its eventfd), looked
            // at after every sleep: what the events say is only a hint.
            collect_ready(r, unwoken);
            if (!r.empty()) return r;
            const auto now = std::chrono::steady_clock::now();
            const bool last = now >= deadline;
            // Milliseconds, rounded up: a timeout never ends early. Timers have their own fds.
            auto left = last ? std::chrono::nanoseconds::zero() : std::min<std::chrono::nanoseconds>(deadline - now, TICK);
            for (const auto& e : m_entries)  // a muted reader is looked at again when its time is up
                if (e.muted_until > now) left = std::min<std::chrono::nanoseconds>(left, e.muted_until - now);
            const int ms = static_cast<int>((left.count() + 999'999) / 1'000'000);
            epoll_event events[64];
            const int n = ::epoll_wait(m_epoll.get(), events, 64, ms);
            if (n < 0 && errno != EINTR) fail("epoll_wait");
            disarm_all();
            for (int i = 0; i < n; ++i) consume(events[i].data.u64, r);
            unwoken = n == 0;
            if (last && r.empty()) {
                collect_ready(r, unwoken);
                return r;
            }
        }
    }

    int fd() const noexcept { return m_epoll.get(); }

    // Takes what already fired first (kept for the next wait()): a frame read since would
    // otherwise leave its eventfd readable, and wake the foreign loop once more for nothing.
    bool prepare() {
        check_owner();
        epoll_event events[64];
        const int n = ::epoll_wait(m_epoll.get(), events, 64, 0);
        for (int i = 0; i < n; ++i) consume(events[i].data.u64, m_pending);
        WaitResult r;
        collect_ready(r);
        arm_tick(std::chrono::steady_clock::now());
        if (r.empty() && m_pending.empty()) return false;
        disarm_all();
        return true;
    }

private:
    struct Entry {
        ReaderCore* core;
        std::shared_ptr<const Wakeup> wakeup;  // outlives the reader: its fd stays in the epoll until forgotten
        std::shared_ptr<std::atomic<bool>> closed;
        std::uint64_t id;
        std::chrono::steady_clock::time_point muted_until{};  // mute()
    };
    struct Timer {
        TimerId id;
        Fd fd;
    };

    void add(int fd, std::uint64_t data) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = data;
        if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) fail("epoll_ctl");
    }

    void forget(std::vector<Entry>::iterator it) noexcept {
        (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, it->wakeup->fd(), nullptr);
        m_entries.erase(it);
    }

    void collect_closed() noexcept {
        for (auto it = m_entries.begin(); it != m_entries.end();) {
            if (it->closed->load(std::memory_order_acquire)) {
                forget(it);
                it = m_entries.begin();
            } else {
                ++it;
            }
        }
    }

    // `unwoken`: the sleep before ran out with nothing firing, so a reader found ready now was
    // armed when its frame came and not woken (its writer lacks its eventfd: see wake_result).
    void collect_ready(WaitResult& r, bool unwoken = false) {
        collect_closed();
        const auto now = std::chrono::steady_clock::now();
        for (auto& e : m_entries) {
            if (e.closed->load(std::memory_order_acquire) || e.muted_until > now) continue;
            const bool ready = e.core->ready(true, unwoken);
            m_armed = true;
            if (ready) r.readers.push_back(e.core->owner());
        }
    }

    void disarm_all() noexcept {
        if (!std::exchange(m_armed, false)) return;
        for (auto& e : m_entries)
            if (!e.closed->load(std::memory_order_acquire)) e.core->disarm();
    }

    // For another loop sleeping on fd(): the tick fires TICK after the last look (re-armed at
    // most every TICK / 2, not per frame).
    void arm_tick(std::chrono::steady_clock::time_point now) {
        if (m_entries.empty() || now - m_tick_armed < TICK / 2) return;
        const itimerspec spec = timer_spec(TICK, std::chrono::nanoseconds::zero());
        if (::timerfd_settime(m_tick.get(), 0, &spec, nullptr) != 0) fail("timerfd_settime");
        m_tick_armed = now;
    }

    void consume(std::uint64_t data, WaitResult& r) {
        const auto kind = static_cast<Kind>(data >> 56);
        const std::uint64_t id = data & ((std::uint64_t{1} << 56) - 1);
        std::uint64_t count = 0;
        switch (kind) {
            case WAKE:
                if (::read(m_wake.get(), &count, sizeof count) == sizeof count) r.woken = true;
                break;
            case TICKER:
                (void)!::read(m_tick.get(), &count, sizeof count);
                m_tick_armed = {};
                break;
            case TIMER:
                for (auto& t : m_timers) {
                    if (t.id.value != id) continue;
                    if (::read(t.fd.get(), &count, sizeof count) == sizeof count && count > 0) {
                        r.timers.push_back(t.id);
                        r.expirations.push_back(count);
                    }
                }
                break;
            case READER:
                for (auto& e : m_entries)
                    if (e.id == id) {
                        e.wakeup->drain();
                        if (!e.closed->load(std::memory_order_acquire)) e.core->wake_result(true);
                    }
                break;
        }
    }

    OwnerProcess m_process;
    Fd m_epoll, m_wake, m_tick;
    std::vector<Entry> m_entries;
    std::vector<Timer> m_timers;
    WaitResult m_pending;  // what prepare() took: timers and wake-ups for the next wait()
    std::uint64_t m_next_id = 1;
    bool m_armed = false;
    std::chrono::steady_clock::time_point m_tick_armed{};
};

}  // namespace smx::detail

namespace smx {

WaitSet::WaitSet() : m_impl(std::make_unique<detail::WaitSetImpl>()) {}
WaitSet::~WaitSet() = default;
WaitSet::WaitSet(WaitSet&&) noexcept = default;
WaitSet& WaitSet::operator=(WaitSet&&) noexcept = default;

namespace {
detail::WaitSetImpl& impl_of(const std::unique_ptr<detail::WaitSetImpl>& impl) {
    if (!impl) throw Closed("wait set was moved from");
    return *impl;
}
}  // namespace

void WaitSet::attach(Reader& reader) { impl_of(m_impl).attach(reader); }
bool WaitSet::detach(Reader& reader) noexcept { return m_impl && m_impl->detach(reader); }
bool WaitSet::mute(Reader& reader, std::chrono::nanoseconds duration) { return impl_of(m_impl).mute(reader, duration); }
std::vector<Reader*> WaitSet::readers() const { return impl_of(m_impl).readers(); }

TimerId WaitSet::add_timer(std::chrono::nanoseconds period) {
    if (period.count() <= 0)
        throw InvalidArgument("wait set: a timer's period must be positive, not " + std::to_string(period.count()) + " ns");
    return impl_of(m_impl).add_timer(period, period);
}
TimerId WaitSet::add_oneshot(std::chrono::nanoseconds delay) {
    if (delay.count() < 0)
        throw InvalidArgument("wait set: a one-shot timer's delay must not be negative, not " + std::to_string(delay.count()) + " ns");
    return impl_of(m_impl).add_timer(delay, std::chrono::nanoseconds::zero());
}
bool WaitSet::remove_timer(TimerId id) noexcept { return m_impl && m_impl->remove_timer(id); }
void WaitSet::wake() noexcept {
    if (m_impl) m_impl->wake();
}
WaitResult WaitSet::wait(std::chrono::nanoseconds timeout) { return impl_of(m_impl).wait(timeout); }
int WaitSet::fd() const noexcept { return m_impl ? m_impl->fd() : -1; }
bool WaitSet::prepare() { return impl_of(m_impl).prepare(); }

// ---- Executor --------------------------------------------------------------------------------

namespace {
// A reader whose next() throws (a schema mismatch: the writer must change) is left out this long
// after each report: readiness is level-triggered, so it would be reported again at once.
constexpr auto READER_ERROR_PAUSE = std::chrono::seconds(1);
}  // namespace

Executor::Executor() = default;
Executor::~Executor() = default;

void Executor::add(Reader& reader, FrameCallback callback) {
    // Readers closed meanwhile left the wait set: their entries go (another reader may now live
    // at the same address).
    const std::vector<Reader*> live = m_set.readers();
    std::erase_if(m_readers, [&](const auto& e) { return std::find(live.begin(), live.end(), e.first) == live.end(); });
    for (auto& [r, cb] : m_readers)
        if (r == &reader) {
            cb = std::move(callback);
            return;
        }
    m_set.attach(reader);
    m_readers.emplace_back(&reader, std::move(callback));
}

bool Executor::remove(Reader& reader) noexcept {
    const auto it = std::find_if(m_readers.begin(), m_readers.end(), [&](const auto& e) { return e.first == &reader; });
    if (it == m_readers.end()) return false;
    m_readers.erase(it);
    (void)m_set.detach(reader);
    return true;
}

TimerId Executor::add_timer(std::chrono::nanoseconds period, TimerCallback callback) {
    const TimerId id = m_set.add_timer(period);
    m_timers.emplace_back(id, std::move(callback));
    return id;
}

TimerId Executor::add_oneshot(std::chrono::nanoseconds delay, TimerCallback callback) {
    const TimerId id = m_set.add_oneshot(delay);
    m_timers.emplace_back(id, std::move(callback));
    m_oneshots.push_back(id);
    return id;
}

bool Executor::remove_timer(TimerId id) noexcept {
    std::erase_if(m_timers, [id](const auto& t) { return t.first == id; });
    std::erase(m_oneshots, id);
    return m_set.remove_timer(id);
}

void Executor::stop() noexcept {
    m_stop.store(true, std::memory_order_release);
    m_set.wake();
}

void Executor::report(std::exception_ptr error, Reader* reader) {
    ++m_errors;
    if (m_on_error) {
        m_on_error(error, reader);
        return;
    }
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    log(LogLevel::warning, std::string("executor: a callback ") +
                             (reader ? "for topic '" + reader->topic() + "'" : std::string("of a timer")) +
                             " threw: " + what);
}

std::size_t Executor::deliver(Reader& reader) {
    std::size_t ran = 0;
    for (std::size_t i = 0; i < m_max_frames && !m_stop.load(std::memory_order_acquire); ++i) {
        std::optional<Frame> frame;
        try {
            frame = reader.next(std::chrono::nanoseconds::zero(), Hold::pin);
        } catch (...) {  // the reader's own error (a schema mismatch, ...): once a second, not a flood
            report(std::current_exception(), &reader);
            (void)m_set.mute(reader, READER_ERROR_PAUSE);
            return ran;
        }
        if (!frame) return ran;
        // Looked up per frame: a callback may have removed or replaced itself.
        const auto it = std::find_if(m_readers.begin(), m_readers.end(), [&](const auto& e) { return e.first == &reader; });
        if (it == m_readers.end()) return ran;
        const FrameCallback callback = it->second;
        ++ran;
        try {
            callback(*frame);
        } catch (...) {
            report(std::current_exception(), &reader);
        }
    }
    return ran;
}

std::size_t Executor::spin_once(std::chrono::nanoseconds timeout) {
    const WaitResult r = m_set.wait(timeout);
    std::size_t ran = 0;
    for (Reader* reader : r.readers) {
        if (m_stop.load(std::memory_order_acquire)) return ran;
        ran += deliver(*reader);
    }
    for (TimerId id : r.timers) {
        if (m_stop.load(std::memory_order_acquire)) return ran;
        const auto it = std::find_if(m_timers.begin(), m_timers.end(), [id](const auto& t) { return t.first == id; });
        if (it == m_timers.end()) continue;
        const TimerCallback callback = it->second;
        if (std::find(m_oneshots.begin(), m_oneshots.end(), id) != m_oneshots.end()) (void)remove_timer(id);
        ++ran;
        try {
            callback();
        } catch (...) {
            report(std::current_exception(), nullptr);
        }
    }
    return ran;
}

void Executor::spin(std::chrono::nanoseconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = timeout >= std::chrono::steady_clock::time_point::max() - start
                              ? std::chrono::steady_clock::time_point::max()
                              : start + timeout;
    while (!m_stop.load(std::memory_order_acquire)) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return;
        (void)spin_once(deadline == std::chrono::steady_clock::time_point::max()
                            ? std::chrono::nanoseconds::max()
                            : std::chrono::nanoseconds(deadline - now));
    }
    m_stop.store(false, std::memory_order_release);
}

}  // namespace smx
