#pragma once
// A reader's hold on one writer session's segment: the mapping plus its registration (pins).
// Shared by the local frame source and every Frame it handed out, so views never outlive
// their mapping.

#include "frame_store.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"

#include <memory>
#include <string>

namespace smx::detail {

class Attachment final : public FrameStore {
public:
    Attachment(std::unique_ptr<Segment> segment, const std::string& topic,
               std::shared_ptr<FrameCounters> counters)
        : m_segment(std::move(segment)), m_registration(*m_segment, topic), m_slots(*m_segment),
          m_counters(std::move(counters)) {}

    Segment& segment() const noexcept { return *m_segment; }
    const ReaderRegistration& registration() const noexcept { return m_registration; }
    ReaderRegistration& registration() noexcept { return m_registration; }
    const SlotReader& slots() const noexcept { return m_slots; }

    const Schema& schema() const noexcept override { return *m_segment->schema(); }
    const std::byte* data(std::uint32_t slot) const noexcept override { return m_segment->payload(slot); }
    // A truncation that cut only the payload leaves seq intact while the data reads as the bus
    // guard's zeros (bus_guard.hpp): the fault happens during the read, so it is known here.
    bool unchanged(std::uint32_t slot, std::uint64_t seq) const noexcept override {
        return m_slots.unchanged(slot, seq) && !m_segment->truncated();
    }
    bool pin(std::uint32_t slot, std::uint64_t seq) noexcept override { return m_registration.pin(slot, seq); }
    void unpin(std::uint32_t slot) noexcept override { m_registration.unpin(slot); }
    FrameCounters& counters() const noexcept override { return *m_counters; }

private:
    std::unique_ptr<Segment> m_segment;  // declared first: outlives the registration
    ReaderRegistration m_registration;
    SlotReader m_slots;
    std::shared_ptr<FrameCounters> m_counters;
};

}  // namespace smx::detail
