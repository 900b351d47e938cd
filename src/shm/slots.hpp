#pragma once
// The consistency protocol on a segment's slots: seqlock + pins held in reader registrations.
// See docs/design.md §4. Knows nothing of DDS.

#include "shm/doorbell.hpp"
#include "shm/segment.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace smx::detail {

/// A published frame as the slot table describes it, read seqlock-consistently.
struct SlotSnapshot {
    std::uint32_t slot = 0;
    std::uint64_t seq = 0;  // even, non-zero
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;
};

/// The readers' side of the slot table: consistent snapshots, and the check that a slot still
/// holds what was read from it. Every reader-side load of a slot record lives here.
class SlotReader {
public:
    explicit SlotReader(const Segment& segment) noexcept : m_segment(segment) {}

    /// Slot `slot`'s frame, if it holds a published one (not being written, not empty).
    std::optional<SlotSnapshot> snapshot(std::uint32_t slot) const noexcept;
    /// The published frame with the highest frame number.
    std::optional<SlotSnapshot> newest() const noexcept;
    /// The published frame with the lowest frame number above `frame_number`.
    std::optional<SlotSnapshot> oldest_after(std::uint64_t frame_number) const noexcept;
    /// True if the slot still holds the write whose stable sequence was `seq`. Call after
    /// reading the data: an acquire fence orders those reads before this check.
    bool unchanged(std::uint32_t slot, std::uint64_t seq) const noexcept;

private:
    const Segment& m_segment;
};

/// A pin the writer broke: held on a slot it needed for longer than its pin lease.
struct BrokenPin {
    std::uint32_t slot = 0;
    std::uint64_t pid = 0;  ///< the pinning reader's process
};

/// No pin lease: the writer never breaks a live reader's pin.
inline constexpr std::chrono::nanoseconds NO_PIN_LEASE = std::chrono::nanoseconds::max();

/// The writer's side: picks a slot that no live reader pins, marks it odd while writing,
/// publishes it even again and rings the doorbell.
///
/// The pin lease: a pin that has blocked the writer (every candidate slot pinned, each time it
/// looked) for longer than `pin_lease` is broken — the writer may then overwrite that slot, and
/// the pinning reader's frame reads as changed (its seq moves). The pin itself stays the
/// reader's: the writer ignores it while the reader's count on that slot stays as it was and the
/// reader released nothing (ReaderRecord::unpins), so the reader's own release (or any new pin)
/// behaves as always.
class SlotWriter {
public:
    /// The segment must be freshly created (every seq 0).
    explicit SlotWriter(Segment& segment, std::chrono::nanoseconds pin_lease = NO_PIN_LEASE)
        : m_segment(segment), m_doorbell(segment), m_seq(segment.slot_count(), 0), m_pin_lease(pin_lease) {
        m_doorbell.open_inbox();
    }

    /// Reserves a slot and marks it being-written (odd seq). When every candidate is pinned it
    /// reclaims dead readers' pins and breaks pins held past the lease; then, if `max_wait` > 0,
    /// waits for a release (or a lease's end) up to that long (futex, no polling). nullopt if
    /// still none: nothing was touched.
    std::optional<std::uint32_t> acquire(std::chrono::nanoseconds max_wait);
    /// The pins broken since the last call (at most a few dozen are kept), for the writer's log.
    std::vector<BrokenPin> take_broken();
    /// Pins broken so far.
    std::uint64_t pins_broken() const noexcept { return m_pins_broken; }
    /// The processes of the readers pinning slots the writer could write next (the newest frame's
    /// slot is never one), without repeats: who holds a blocked writer up.
    std::vector<std::uint64_t> pinning_pids() const;
    /// Stores frame number and timestamp, makes the slot stable and rings the doorbell;
    /// returns its new seq.
    std::uint64_t commit(std::uint32_t slot, std::uint64_t frame_number, std::int64_t timestamp_ns) noexcept;
    /// Tells readers the writer is gone (they stop waiting at once).
    void close() noexcept { m_doorbell.close(); }
    /// Gives back an acquired slot without publishing it: it then holds no frame (readers skip
    /// it; its bytes are half a frame that never was) until the writer uses it again.
    void abandon(std::uint32_t slot) noexcept;

    /// Registrations currently in use.
    std::uint32_t reader_count() const noexcept;

private:
    // A pin seen while every candidate slot was pinned: registration, slot, its count then and
    // the reader's pid (a registration re-claimed by another reader is another pin).
    struct PinSeen {
        std::uint32_t reader = 0, slot = 0, count = 0;
        std::uint32_t unpins = 0;  // the registration's releases so far, when seen
        std::uint64_t pid = 0;
        std::chrono::steady_clock::time_point since;
        bool broken = false;
    };

    std::optional<std::uint32_t> acquire_slot(std::chrono::nanoseconds max_wait);
    std::optional<std::uint32_t> try_acquire() noexcept;
    bool pinned(std::uint32_t slot) const noexcept;
    bool broken(std::uint32_t reader, std::uint32_t slot, std::uint32_t count) const noexcept;
    // Notes the pins on the candidate slots now; breaks those past the lease. True if it broke one.
    bool break_expired_pins(std::chrono::steady_clock::time_point now);

    void ring() noexcept;
    void sweep_sleepers() noexcept;

    Segment& m_segment;
    Doorbell m_doorbell;
    // Each slot's seq as the writer last stored it. Only the writer changes seq, so it never
    // reads it back from shared memory: a stray write there cannot turn its odd/even meaning
    // around for good (the next store overwrites it).
    std::vector<std::uint64_t> m_seq;
    std::uint32_t m_latest = UINT32_MAX;
    std::uint32_t m_next = 0;
    std::chrono::steady_clock::time_point m_last_sweep{};
    std::chrono::nanoseconds m_pin_lease;
    std::vector<PinSeen> m_pins_seen;  // empty unless the writer was blocked: off the usual path
    std::vector<BrokenPin> m_broken_log;
    std::uint64_t m_pins_broken = 0;
};

/// Frees registrations whose process died (pid gone or start time changed), dropping their
/// pins. Returns how many were freed. Safe to call from writer and readers concurrently.
std::uint32_t reclaim_dead_readers(Segment& segment) noexcept;

/// One reader registration as seen from outside (tools): read word by word, not atomically.
struct RegistrationSnapshot {
    std::uint64_t pid = 0;
    std::uint64_t start_time = 0;  // 0 while registering
    std::uint32_t pins = 0;        // over all slots
    bool sleeping = false;         // asleep on the doorbell
    bool alive = false;            // its reader holds the registration's liveness lock
};

/// The registrations in use.
std::vector<RegistrationSnapshot> registrations(const Segment& segment);

/// A reader's registration in the segment: where its pins live. Released on destruction.
class ReaderRegistration {
public:
    /// Claims a free registration (reclaiming dead ones if needed). Throws TooManyReaders.
    ReaderRegistration(Segment& segment, std::string_view topic);
    ~ReaderRegistration();
    ReaderRegistration(const ReaderRegistration&) = delete;
    ReaderRegistration& operator=(const ReaderRegistration&) = delete;

    /// Pins `slot` if it still holds `seq`; false (and no pin) otherwise. The registration is
    /// its maker's: in a forked child pin() fails and unpin() and destruction touch nothing
    /// (the pins are the parent's).
    bool pin(std::uint32_t slot, std::uint64_t seq) noexcept;
    void unpin(std::uint32_t slot) noexcept;
    /// False in a forked child (see fork.hpp).
    bool owned_here() const noexcept { return m_process.is_current(); }
    std::uint32_t index() const noexcept { return m_index; }
    /// Sleeps on the segment's doorbell as this registration (see Doorbell::wait): on the futex,
    /// or on the wake-up eventfd once set_wake() gave one.
    Doorbell::Wake wait(std::uint32_t seen, std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin) const noexcept;
    /// From now on the writer wakes this registration through `wakeup` (null: the futex again).
    /// It must outlive the registration or be unset first.
    void set_wake(const Wakeup* wakeup) noexcept;
    /// Marks this registration asleep / awake (a wait set around its sleep on the wake-up eventfd).
    void mark_asleep() const noexcept { Doorbell(m_segment).mark_sleeper(m_index); }
    void mark_awake() const noexcept { Doorbell(m_segment).clear_sleeper(m_index); }

private:
    Segment& m_segment;
    const Wakeup* m_wakeup = nullptr;
    std::uint32_t m_index = 0;
    OwnerProcess m_process;
};

}  // namespace smx::detail
