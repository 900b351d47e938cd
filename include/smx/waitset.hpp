#pragma once
/// @file waitset.hpp
/// One blocking wait for many readers, timers and a user wake-up: no polling, no thread per
/// reader. See docs/design.md "Wait sets" for how it sleeps (epoll over one eventfd per
/// reader, timerfds and an eventfd; Linux 5.15 and later alike).

#include <smx/export.hpp>
#include <smx/reader.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

namespace smx {

namespace detail {
class WaitSetImpl;
}

/// Names a timer of a WaitSet.
struct TimerId {
    std::uint64_t value = 0;
    friend bool operator==(TimerId a, TimerId b) noexcept { return a.value == b.value; }
    friend bool operator!=(TimerId a, TimerId b) noexcept { return a.value != b.value; }
};

/// What a WaitSet::wait() found.
struct WaitResult {
    /// Attached readers whose next() returns at once: a frame not returned yet, or an error
    /// it throws (a schema mismatch, a corrupt segment). In the order they were attached.
    std::vector<Reader*> readers;
    /// Timers that expired since the last wait that reported them (each once; see `expirations`).
    std::vector<TimerId> timers;
    /// For each of `timers`: how many periods passed (more than 1: the loop fell behind).
    std::vector<std::uint64_t> expirations;
    /// wake() was called.
    bool woken = false;
    /// Nothing: the timeout passed.
    bool empty() const noexcept { return readers.empty() && timers.empty() && !woken; }
};

/// Waits for many readers at once. Not thread-safe, except wake(): use it from one thread, the
/// one that reads the attached readers.
///
/// Readiness is level-triggered: a reader is reported while next() would return at once, so a
/// loop that reads one frame per report never falls behind silently, and one that reads none
/// is woken again at once. Writers that crash, restart or appear later are picked up as by a
/// reader blocked in next() (within 100 ms), without disturbing the other readers.
class SMX_EXPORT WaitSet {
public:
    /// Throws SystemError if the kernel refuses the descriptors it needs.
    WaitSet();
    ~WaitSet();
    WaitSet(WaitSet&&) noexcept;
    WaitSet& operator=(WaitSet&&) noexcept;
    WaitSet(const WaitSet&) = delete;
    WaitSet& operator=(const WaitSet&) = delete;

    /// Adds `reader`. A reader may be in several wait sets; closing or destroying it removes it
    /// from each (close it in the wait set's thread, or while no wait() runs). Throws
    /// InvalidArgument if it is attached already, Closed if it is closed.
    void attach(Reader& reader);
    /// Removes `reader`; false if it was not attached.
    bool detach(Reader& reader) noexcept;
    /// Leaves `reader` out of the results for `duration` (then it is looked at again): for a
    /// reader whose next() keeps throwing, which level-triggered readiness would report at once
    /// again. False if it is not attached.
    bool mute(Reader& reader, std::chrono::nanoseconds duration);
    /// The readers attached, in order.
    std::vector<Reader*> readers() const;

    /// A periodic timer: expires every `period` from now, on the monotonic clock, whether or not
    /// wait() runs (missed periods are counted, not queued). Throws InvalidArgument for a period
    /// that is not positive.
    TimerId add_timer(std::chrono::nanoseconds period);
    /// A one-shot timer: expires once, `delay` from now (0: at the next wait).
    TimerId add_oneshot(std::chrono::nanoseconds delay);
    /// Removes a timer; false if there is none by that id.
    bool remove_timer(TimerId id) noexcept;

    /// Makes the wait() running in another thread return with `woken` set; if none runs, the
    /// next one does at once. Thread-safe and async-signal-safe.
    void wake() noexcept;

    /// Blocks up to `timeout` until an attached reader has a frame, a timer expires or wake() is
    /// called; an empty result means the timeout passed.
    WaitResult wait(std::chrono::nanoseconds timeout = std::chrono::nanoseconds::max());

    /// For another event loop (asyncio, libuv, Qt, ...): a descriptor that becomes readable when
    /// wait(0) may find something. Call prepare() each time before the loop sleeps on it.
    int fd() const noexcept;
    /// Arms the readers for sleeping on fd() elsewhere; true if something is ready already (do
    /// not sleep: call wait(0)).
    bool prepare();

private:
    std::unique_ptr<detail::WaitSetImpl> m_impl;
};

/// Runs callbacks from a WaitSet: `on_frame(frame)` for every frame of a reader, in order, the
/// frame pinned (unchanged, whatever the writer does) while the callback runs, and `on_timer()`
/// for timers. A reader whose next() throws (a schema mismatch) is reported too, then left out for
/// a second (WaitSet::mute), so it cannot flood. A callback that throws is reported to `on_error` (default: a warning in the library's log,
/// naming the topic) and the loop goes on. Not thread-safe, except stop().
///
///     smx::Executor ex;
///     ex.add(camera, [](const smx::Frame& f) { ... });
///     ex.add_timer(100ms, [&] { ... });
///     ex.spin();                                   // until ex.stop()
class SMX_EXPORT Executor {
public:
    using FrameCallback = std::function<void(const Frame&)>;
    using TimerCallback = std::function<void()>;
    /// Told of every exception a callback (or a reader's next()) threw, with the reader it came
    /// from (nullptr: a timer's).
    using ErrorCallback = std::function<void(std::exception_ptr, Reader*)>;

    Executor();
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    /// Calls `callback` for every frame of `reader` (replacing an earlier callback of it). The
    /// reader must not move while added; closing or destroying it removes it.
    void add(Reader& reader, FrameCallback callback);
    /// Stops calling back for `reader`; false if it was not added.
    bool remove(Reader& reader) noexcept;
    /// Calls `callback` every `period`.
    TimerId add_timer(std::chrono::nanoseconds period, TimerCallback callback);
    /// Calls `callback` once, `delay` from now.
    TimerId add_oneshot(std::chrono::nanoseconds delay, TimerCallback callback);
    bool remove_timer(TimerId id) noexcept;
    /// Replaces the default error report (the library log).
    void on_error(ErrorCallback callback) { m_on_error = std::move(callback); }

    /// Waits up to `timeout` for work and runs what is ready; returns the callbacks run.
    std::size_t spin_once(std::chrono::nanoseconds timeout);
    /// Runs callbacks until stop() (or `timeout`). A stop() before spin() ends it at once.
    void spin(std::chrono::nanoseconds timeout = std::chrono::nanoseconds::max());
    /// Makes spin() return after the callback running now. Thread-safe.
    void stop() noexcept;
    /// Callbacks that threw so far.
    std::uint64_t errors() const noexcept { return m_errors; }
    /// At most this many frames of one reader per round (default 8): a fast topic cannot
    /// starve the others.
    void set_max_frames(std::size_t n) noexcept { m_max_frames = n == 0 ? 1 : n; }
    WaitSet& wait_set() noexcept { return m_set; }

private:
    void report(std::exception_ptr error, Reader* reader);
    std::size_t deliver(Reader& reader);

    WaitSet m_set;
    std::vector<std::pair<Reader*, FrameCallback>> m_readers;
    std::vector<std::pair<TimerId, TimerCallback>> m_timers;
    std::vector<TimerId> m_oneshots;
    ErrorCallback m_on_error;
    std::atomic<bool> m_stop{false};
    std::uint64_t m_errors = 0;
    std::size_t m_max_frames = 8;
};

}  // namespace smx
