#pragma once
// The consistency protocol on a segment's slots: seqlock + pins held in reader registrations.
// See docs/design.md §4. Knows nothing of DDS.

#include "shm/segment.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace smx::detail {

/// The writer's side: picks a slot that no live reader pins, marks it odd while writing,
/// and publishes it even again.
class SlotWriter {
public:
    explicit SlotWriter(Segment& segment) noexcept : m_segment(segment) {}

    /// Reserves a slot and marks it being-written (odd seq). When every candidate is pinned it
    /// reclaims dead readers' pins; then, if `max_wait` > 0, waits for a release up to that
    /// long (futex, no polling). nullopt if still none: nothing was touched.
    std::optional<std::uint32_t> acquire(std::chrono::nanoseconds max_wait);
    /// Stores frame number and timestamp and makes the slot stable; returns its new seq.
    std::uint64_t commit(std::uint32_t slot, std::uint64_t frame_number, std::int64_t timestamp_ns) noexcept;
    /// Gives back an acquired slot without publishing it (contents are no longer trusted).
    void abandon(std::uint32_t slot) noexcept;

    /// Registrations currently in use.
    std::uint32_t reader_count() const noexcept;

private:
    std::optional<std::uint32_t> try_acquire() noexcept;
    bool pinned(std::uint32_t slot) const noexcept;

    Segment& m_segment;
    std::uint32_t m_latest = UINT32_MAX;
    std::uint32_t m_next = 0;
};

/// Frees registrations whose process died (pid gone or start time changed), dropping their
/// pins. Returns how many were freed. Safe to call from writer and readers concurrently.
std::uint32_t reclaim_dead_readers(Segment& segment) noexcept;

/// True if `slot` still holds the write whose stable sequence was `seq`. Call after reading
/// the data: the acquire fence orders those reads before this check.
bool slot_unchanged(const SlotRecord& slot, std::uint64_t seq) noexcept;

/// A reader's registration in the segment: where its pins live. Released on destruction.
class ReaderRegistration {
public:
    /// Claims a free registration (reclaiming dead ones if needed). Throws TooManyReaders.
    ReaderRegistration(Segment& segment, std::string_view topic);
    ~ReaderRegistration();
    ReaderRegistration(const ReaderRegistration&) = delete;
    ReaderRegistration& operator=(const ReaderRegistration&) = delete;

    /// Pins `slot` if it still holds `seq`; false (and no pin) otherwise.
    bool pin(std::uint32_t slot, std::uint64_t seq) noexcept;
    void unpin(std::uint32_t slot) noexcept;
    std::uint32_t index() const noexcept { return m_index; }

private:
    Segment& m_segment;
    std::uint32_t m_index = 0;
};

}  // namespace smx::detail
