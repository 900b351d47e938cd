#pragma once
// The doorbell of a segment: how a local reader sleeps until the writer publishes, without DDS.
// A futex word (`bell`) that changes on every publish, and one bit per reader registration that
// is set while that reader sleeps, so a writer makes a system call only when someone sleeps.
// A sleeping registration with a wake token (a reader in a wait set) is woken through the
// eventfd it handed in instead (shm/wakeup.hpp). See docs/design.md "Doorbell". Knows
// nothing of DDS.

#include "shm/segment.hpp"
#include "shm/wakeup.hpp"

#include <chrono>
#include <cstdint>

namespace smx::detail {

class Doorbell {
public:
    /// How a wait ended.
    enum class Wake {
        rung,      ///< the bell changed (or a spurious/early return: re-check)
        timeout,   ///< the timeout passed with the bell unchanged
        unnoticed  ///< the timeout passed although the bell changed meanwhile: a lost wake-up
    };

    explicit Doorbell(const Segment& segment) noexcept : m_segment(segment) {}

    // ---- writer ----
    /// Opens the writer's inbox, where readers in wait sets hand in their eventfds (a Doorbell
    /// without one, as in a signal handler, wakes only futex sleepers).
    void open_inbox() noexcept { (void)m_sender.open_inbox(m_segment.session()); }
    /// Rings after a frame's seq is stable: one atomic add, plus a wake-up system call only if
    /// some registration is marked asleep (one futex wake for those without a wake token, one
    /// eventfd write for each that has one). Returns false if marked sleepers existed
    /// but nobody was woken (a reader about to sleep, or one that died asleep: see SlotWriter).
    bool ring() noexcept;
    /// Marks the writer closed and rings, so sleeping readers learn it at once.
    void close() noexcept;

    // ---- readers ----
    /// The bell's value; read it *before* looking at the slots, then wait on it.
    std::uint32_t value() const noexcept;
    /// True once the writer closed.
    bool closed() const noexcept;
    /// Sleeps as registration `index` until the bell differs from `seen` or `timeout` passes;
    /// first busy-polls the bell for up to `spin` (never longer than `timeout`). May return
    /// early (spurious wake-up, nudge()): callers re-check.
    Wake wait(std::uint32_t index, std::uint32_t seen, std::chrono::nanoseconds timeout,
              std::chrono::nanoseconds spin) const noexcept;
    /// As wait(), for a registration with a wake token: sleeps in poll() on `wakeup` instead of
    /// the futex (the writer wakes such a registration through its eventfd only).
    Wake wait(std::uint32_t index, std::uint32_t seen, std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin,
              const Wakeup& wakeup) const noexcept;
    /// Marks registration `index` asleep (a wait set about to sleep on its wake-up eventfd). Read the
    /// bell or the slots *after* this: a publish after the mark wakes its eventfd.
    void mark_sleeper(std::uint32_t index) const noexcept;
    /// Changes the bell and wakes every sleeper (interrupting one of them; the others rescan
    /// and sleep again).
    void nudge() const noexcept;
    /// True while registration `index` is marked asleep.
    bool asleep(std::uint32_t index) const noexcept;
    /// Clears registration `index`'s sleeping mark (its process died asleep).
    void clear_sleeper(std::uint32_t index) const noexcept;

private:
    /// Spins up to `spin` (bounded by `timeout`, which it reduces); true if the bell moved.
    bool spin_on(std::uint32_t seen, std::chrono::nanoseconds& timeout, std::chrono::nanoseconds spin) const noexcept;

    /// Closes the eventfds of readers that left (keeps the writer's table bounded).
    void prune_wakes() noexcept;

    const Segment& m_segment;
    WakeSender m_sender;  // the writer's (open_inbox())
    std::size_t m_prune_at = 16;
};

}  // namespace smx::detail
