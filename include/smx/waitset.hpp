#pragma once
/// @file waitset.hpp
/// One blocking wait for many readers, timers and a user wake-up: no polling, no thread per
/// reader. See docs/design.md "Wait sets" for how it sleeps (epoll over one eventfd per
/// reader, timerfds and an eventfd; Linux 5.15 and later alike).

#include <smx/export.hpp>
#include <smx/reader.hpp>

#include <chrono>
#include <cstdint>
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

}  // namespace smx
