#include "reader_core.hpp"

#include "shm/seqlock_copy.hpp"
#include "shm/wakeup.hpp"

#include <cstring>
#include <utility>

namespace smx::detail {

namespace {
// The longest a blocked reader sleeps before it re-checks that the writer still exists: a
// crashed writer rings no bell. Sources check liveness at this period too, so a crash is seen
// within two slices.
constexpr auto WAKE_SLICE = std::chrono::milliseconds(100);
// A frame that is overwritten while being held is retried with the next one this many times
// before the reader waits again (each failure means the writer moved on).
constexpr int HOLD_ATTEMPTS = 8;

std::string format_ns(std::chrono::nanoseconds ns) { return std::to_string(ns.count()) + " ns"; }

// now + timeout, saturated: nanoseconds::max() means "wait forever", not an overflow.
std::chrono::steady_clock::time_point deadline_after(std::chrono::nanoseconds timeout) {
    const auto now = std::chrono::steady_clock::now();
    if (timeout >= std::chrono::steady_clock::time_point::max() - now) return std::chrono::steady_clock::time_point::max();
    return now + timeout;
}
}  // namespace

ReaderCore::ReaderCore(std::string topic, std::optional<Schema> expected, ReaderOptions options,
                       std::unique_ptr<SessionSource> sessions, std::unique_ptr<Connector> connector,
                       std::shared_ptr<FrameCounters> counters)
    : m_topic(std::move(topic)), m_expected(std::move(expected)), m_options(options),
      m_sessions(std::move(sessions)), m_connector(std::move(connector)), m_counters(std::move(counters)) {
    if (options.spin.count() < 0 || options.spin > ReaderOptions::MAX_SPIN)
        throw InvalidArgument("reader of topic '" + m_topic + "': spin of " + format_ns(options.spin) +
                              " is out of range 0.." + format_ns(ReaderOptions::MAX_SPIN));
}

ReaderCore::~ReaderCore() { close(); }

// ---- session tracking -----------------------------------------------------------------------

void ReaderCore::check_open() const {
    if (!m_process.is_current()) throw Closed(m_process.inherited_message("the reader of topic '" + m_topic + "'"));
    if (m_closed.load(std::memory_order_acquire)) throw Closed("reader of topic '" + m_topic + "' is closed");
}

// Brings the session up to date without blocking. While attached to a live writer no other
// session can be valid (a second live writer is refused), so session info is only taken when
// not attached: an attached reader pays nothing for it per frame, and a forged info cannot
// make it let go of a live writer. When not attached, the connector is also asked to look by
// itself every WAKE_SLICE: announced info may be late, lost, or shadowed by a forgery.
//
// On the network path there is no segment to ask, so both go on while attached: a new session
// in info (the writer restarted, perhaps in the same process, whose participant still matches)
// replaces the one read, and a writer this process can map beats whatever DDS said, so info
// forged to name another machine cannot keep a reader off its local writer.
void ReaderCore::pump(bool drain) {
    check_open();
    if (m_source && !m_source->writer_alive()) {
        // For next(): frames published before the writer went are still in the mapping, and are
        // handed out first (a writer that publishes and closes at once loses nothing). Only while
        // that makes progress: a frame that cannot be taken does not keep the reader on a gone writer.
        const auto pending = drain ? m_source->oldest_after(m_last_returned) : std::nullopt;
        if (pending && pending->frame_number != m_draining_from) {
            m_draining_from = pending->frame_number;
        } else {
            m_draining_from = 0;
            detach(ReaderState::writer_gone);
        }
    }
    if (m_source && m_transport == Transport::shm) return;
    const auto now = std::chrono::steady_clock::now();
    if (auto info = m_sessions->take_info(); info && !(m_source && info->session == m_source->session())) {
        m_last_probe = now;  // connecting looks at the segment name too
        try_connect(*info);
    }
    if (!m_mismatch.empty()) throw SchemaMismatch(m_mismatch);
    if (now - m_last_probe >= WAKE_SLICE) {
        m_last_probe = now;
        Connection c = m_connector->probe();
        if (!m_source) m_waiting_reason = c.why;
        if (c.source) {
            if (m_source) detach(ReaderState::waiting_for_writer);
            connected(std::move(c));
        }
    }
}

// Each info is tried once: an info that makes connecting throw is reported once, not on every
// later call (the probe finds a writer that is there all the same). An info the connector
// ignores (not this topic, no schema, a segment that is not its writer's) changes nothing: the
// source read so far stays.
void ReaderCore::try_connect(const SessionInfo& info) {
    Connection c = m_connector->connect(info);
    if (c.ignored) {
        ++m_stats.notices_ignored;
        return;
    }
    if (m_source) detach(ReaderState::waiting_for_writer);
    m_mismatch.clear();  // a new writer: its schema is checked afresh
    connected(std::move(c));
}

void ReaderCore::connected(Connection c) {
    if (!c.source) {
        m_state = c.state;
        return;
    }
    check_template(*c.source);
    attach(std::move(c.source));
}

void ReaderCore::check_template(const FrameSource& source) {
    if (!m_expected) return;
    const auto diffs = m_expected->differences(*source.schema());
    if (diffs.empty()) return;
    std::string msg = "topic '" + m_topic + "': the reader's template differs from the writer's schema "
                      "(template vs writer, writer pid " + std::to_string(source.writer_pid()) + "): ";
    for (std::size_t i = 0; i < diffs.size(); ++i) msg += (i ? "; " : "") + diffs[i];
    m_mismatch = msg;
    throw SchemaMismatch(m_mismatch);
}

void ReaderCore::attach(std::unique_ptr<FrameSource> source) {
    m_schema = source->schema();
    m_transport = source->store()->transport();
    // Frames already there when we arrive are history, not "missed"; the newest of them is
    // still new to us (a late joiner gets it at once).
    // Back to a session already read (it looked gone for a moment): go on where we were.
    if (source->session() != m_last_session) {
        const auto newest = source->newest();
        m_last_returned = newest ? newest->frame_number - 1 : 0;
        // Nothing there yet (a remote source's history is still on its way): the first frame
        // decides what is history.
        m_history_unknown = !newest && m_transport == Transport::dds;
        m_last_session = source->session();
    }
    m_state = ReaderState::attached;
    ++m_stats.attachments;
    if (m_wake) source->set_wake(m_wake);
    std::lock_guard<std::mutex> lock(m_source_mutex);
    m_source = std::move(source);
}

void ReaderCore::detach(ReaderState state) {
    std::shared_ptr<FrameSource> doomed;  // destroyed outside the lock
    {
        std::lock_guard<std::mutex> lock(m_source_mutex);
        doomed = std::move(m_source);
    }
    m_state = state;
}

// ---- which frame, how held ------------------------------------------------------------------

std::optional<Frame> ReaderCore::hold(const FrameRef& ref, Hold how) {
    std::shared_ptr<FrameStore> store = m_source->store();
    const bool holds = how == Hold::pin || store->views_hold();
    if (holds) {
        if (!store->pin(ref.slot, ref.seq)) return std::nullopt;
    } else if (!store->unchanged(ref.slot, ref.seq)) {
        return std::nullopt;
    }
    return Frame(std::move(store), FrameInfo{m_source->session(), ref.frame_number, ref.timestamp_ns, ref.slot, ref.seq},
                 how == Hold::pin, holds);
}

CopyResult ReaderCore::copy(const FrameRef& ref, const CopyBuffer& buffer) {
    const std::shared_ptr<FrameStore> store = m_source->store();
    const std::uint64_t need = m_schema->frame_size();
    const std::span<std::byte> dst = buffer(m_schema);
    if (dst.size() < need)
        throw InvalidArgument("topic '" + m_topic + "': copy buffer of " + std::to_string(dst.size()) +
                              " bytes is smaller than a frame (" + std::to_string(need) + " bytes)");
    seqlock_copy(dst.data(), store->data(ref.slot), need);
    if (!store->unchanged(ref.slot, ref.seq)) {
        ++m_stats.torn_copies;
        return {ReadStatus::torn, {}};
    }
    return {ReadStatus::ok, FrameInfo{m_source->session(), ref.frame_number, ref.timestamp_ns, ref.slot, ref.seq}};
}

void ReaderCore::record_returned(std::uint64_t frame_number, bool count_missed) {
    if (frame_number <= m_last_returned) return;
    if (std::exchange(m_history_unknown, false)) count_missed = false;
    if (count_missed) m_stats.missed += frame_number - m_last_returned - 1;
    m_last_returned = frame_number;
    ++m_stats.delivered;
    m_spin_spent = false;
}

// The oldest frame after the last one returned. A genuine writer's frame numbers only grow, so
// a newest frame below the last one returned means that one was forged or corrupt: resume from
// what the slot table holds rather than wait for a number that may never come. But the slots are
// read one at a time, so a scan that raced the writer can see only older frames too (found by
// the protocol model, tests/model): it is believed only if the bell did not ring during it; else
// the caller's wait returns at once and the next scan decides.
std::optional<FrameRef> ReaderCore::next_ref() {
    const std::uint32_t bell = m_source->generation();
    if (auto ref = m_source->oldest_after(m_last_returned)) return ref;
    const auto newest = m_source->newest();
    if (!newest || newest->frame_number >= m_last_returned) return std::nullopt;
    if (m_source->generation() != bell) return std::nullopt;
    m_last_returned = newest->frame_number - 1;
    return newest;
}

std::optional<Frame> ReaderCore::latest(Hold how) {
    std::lock_guard<std::mutex> call(m_call_mutex);
    pump();
    for (int attempt = 0; m_source && attempt < HOLD_ATTEMPTS; ++attempt) {
        const auto newest = m_source->newest();
        if (!newest) return std::nullopt;
        if (auto f = hold(*newest, how)) {
            record_returned(newest->frame_number, false);
            return f;
        }
    }
    return std::nullopt;
}

// The oldest frame not returned yet that is still there; frames overwritten before we got to
// them are counted as missed when a later one is returned.
std::optional<Frame> ReaderCore::take_next(Hold how) {
    for (int attempt = 0; m_source && attempt < HOLD_ATTEMPTS; ++attempt) {
        const auto ref = next_ref();
        if (!ref) return std::nullopt;
        if (auto f = hold(*ref, how)) {
            record_returned(ref->frame_number, true);
            return f;
        }
    }
    return std::nullopt;
}

CopyResult ReaderCore::copy_latest(const CopyBuffer& buffer) {
    std::lock_guard<std::mutex> call(m_call_mutex);
    pump();
    for (int attempt = 0; attempt < HOLD_ATTEMPTS; ++attempt) {
        if (!m_source) return {};
        const auto newest = m_source->newest();
        if (!newest) return {};
        if (CopyResult r = copy(*newest, buffer)) {
            record_returned(newest->frame_number, false);
            return r;
        }
    }
    return {ReadStatus::torn, {}};
}

CopyResult ReaderCore::copy_next_now(const CopyBuffer& buffer) {
    for (int attempt = 0; m_source && attempt < HOLD_ATTEMPTS; ++attempt) {
        const auto ref = next_ref();
        if (!ref) return {};
        if (CopyResult r = copy(*ref, buffer)) {
            record_returned(ref->frame_number, true);
            return r;
        }
    }
    return {};
}

// ---- waiting --------------------------------------------------------------------------------

bool ReaderCore::take_interrupt() noexcept { return m_interrupted.exchange(false, std::memory_order_acq_rel); }

// Sleeps up to `slice`: on the frame source's doorbell when attached (having read `generation`
// before the attempt that found nothing, so a frame published since wakes it at once), on
// session info otherwise. False if interrupted.
bool ReaderCore::block(std::chrono::nanoseconds slice, std::optional<std::uint32_t> generation) {
    if (m_source && generation) {
        ++m_stats.sleeps;
        // One spin per frame, not per sleep: a reader whose spin ran out sleeps at once until a
        // frame comes (else a spin longer than a slice would never let it sleep).
        const auto spin = m_spin_spent ? std::chrono::nanoseconds::zero() : m_options.spin;
        if (spin.count() > 0) m_spin_spent = true;
        if (m_source->wait(*generation, slice, spin) == WaitEnd::unnoticed) ++m_stats.unnoticed_frames;
    } else {
        (void)m_sessions->wait(slice);  // an `interrupted` here may be stale: the flag decides
    }
    return !take_interrupt();
}

template <class Attempt>
auto ReaderCore::wait_loop(std::chrono::nanoseconds timeout, bool drain, Attempt&& attempt) -> decltype(attempt()) {
    using Result = decltype(attempt());
    std::lock_guard<std::mutex> call(m_call_mutex);
    const auto deadline = deadline_after(timeout);
    for (;;) {
        pump(drain);
        std::optional<std::uint32_t> generation;
        if (m_source) generation = m_source->generation();
        if (auto r = attempt()) return r;
        if (take_interrupt()) return Result();
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return Result();
        if (!block(std::min<std::chrono::nanoseconds>(deadline - now, WAKE_SLICE), generation)) return Result();
    }
}

std::optional<Frame> ReaderCore::next(std::chrono::nanoseconds timeout, Hold how) {
    return wait_loop(timeout, true, [&] { return take_next(how); });
}

CopyResult ReaderCore::copy_next(const CopyBuffer& buffer, std::chrono::nanoseconds timeout) {
    return wait_loop(timeout, true, [&] { return copy_next_now(buffer); });
}

bool ReaderCore::wait_for_writer(std::chrono::nanoseconds timeout) {
    return wait_loop(timeout, false, [&] { return m_state == ReaderState::attached; });
}

// ---- wait sets ------------------------------------------------------------------------------

std::shared_ptr<const Wakeup> ReaderCore::wakeup() {
    std::lock_guard<std::mutex> call(m_call_mutex);
    check_open();
    if (m_wake) return m_wake;
    m_wake = std::make_shared<const Wakeup>();
    m_sessions->set_notify([wakeup = m_wake] { wakeup->notify(); });
    if (m_source) m_source->set_wake(m_wake);
    return m_wake;
}

void ReaderCore::add_close_hook(const void* key, std::function<void()> fn) {
    check_open();
    std::lock_guard<std::mutex> lock(m_hooks_mutex);
    m_close_hooks.emplace_back(key, std::move(fn));
}

void ReaderCore::remove_close_hook(const void* key) {
    std::lock_guard<std::mutex> lock(m_hooks_mutex);
    std::erase_if(m_close_hooks, [key](const auto& h) { return h.first == key; });
}

bool ReaderCore::ready(bool arm, bool unwoken) {
    if (!m_process.is_current()) return false;  // a forked child's copy: nothing of it is ours
    std::lock_guard<std::mutex> call(m_call_mutex);
    const FrameSource* slept = std::exchange(m_armed, nullptr);
    try {
        pump(true);
    } catch (const Error&) {
        return true;  // next() throws it, where the user handles this reader
    }
    if (!m_source) return false;
    if (arm) m_source->mark_asleep(true);
    // What next_ref() would find, without its side effect.
    const auto newest = m_source->newest();
    const bool ready = m_source->oldest_after(m_last_returned) || (newest && newest->frame_number < m_last_returned);
    if (ready && unwoken && slept == m_source.get()) m_source->wake_result(false);
    if (arm && !ready) m_armed = m_source.get();
    return ready;
}

void ReaderCore::disarm() noexcept {
    if (!m_process.is_current()) return;  // a forked child: the marks are the parent's
    std::lock_guard<std::mutex> call(m_call_mutex);
    if (m_source) m_source->mark_asleep(false);
}

void ReaderCore::wake_result(bool woken) noexcept {
    if (!m_process.is_current()) return;
    std::lock_guard<std::mutex> call(m_call_mutex);
    if (m_source) m_source->wake_result(woken);
}

// ---- the rest -------------------------------------------------------------------------------

ReaderStats ReaderCore::stats() const noexcept {
    ReaderStats s = m_stats;
    s.torn_views = m_counters->torn_views.load(std::memory_order_relaxed);
    s.dropped_samples = m_counters->dropped_samples.load(std::memory_order_relaxed);
    return s;
}

void ReaderCore::interrupt() noexcept {
    if (!m_process.is_current()) return;  // the blocked thread, if any, is the parent's
    // The flag first: a waiter that has not gone to sleep yet finds it before sleeping, one
    // that has is woken below (the nudge changes the bell it sleeps on, so no wake is lost).
    m_interrupted.store(true, std::memory_order_release);
    std::lock_guard<std::mutex> lock(m_source_mutex);
    if (m_sessions) m_sessions->interrupt();
    if (m_source) m_source->nudge();
}

void ReaderCore::close() noexcept {
    if (m_closed.exchange(true, std::memory_order_acq_rel)) return;
    decltype(m_close_hooks) hooks;
    {
        std::lock_guard<std::mutex> lock(m_hooks_mutex);
        hooks = std::exchange(m_close_hooks, {});
    }
    for (auto& [key, fn] : hooks) fn();
    std::shared_ptr<FrameSource> source;
    std::unique_ptr<SessionSource> sessions;
    if (!m_process.is_current()) {
        // A forked child: no other thread of this process reads, and the mutexes may have been
        // held by a parent's thread at the fork. The sources touch nothing shared here.
        source = std::move(m_source);
        sessions = std::move(m_sessions);
        m_state = ReaderState::closed;
        return;
    }
    interrupt();  // a read blocked in another thread returns ...
    std::lock_guard<std::mutex> call(m_call_mutex);  // ... and is waited for
    {
        std::lock_guard<std::mutex> lock(m_source_mutex);
        source = std::move(m_source);
        sessions = std::move(m_sessions);
    }
    if (sessions) sessions->set_notify({});  // before the eventfd can go
    m_state = ReaderState::closed;
}

}  // namespace smx::detail
