#pragma once
// A reader's hold on one writer session's segment: the mapping plus its registration (pins).
// Shared by the Reader and every Frame it handed out, so views never outlive their mapping.

#include "shm/segment.hpp"
#include "shm/slots.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace smx::detail {

/// Counters a Frame updates after the Reader handed it out.
struct FrameCounters {
    std::atomic<std::uint64_t> torn_views{0};
};

class Attachment {
public:
    Attachment(std::unique_ptr<Segment> segment, const std::string& topic,
               std::shared_ptr<FrameCounters> counters)
        : m_segment(std::move(segment)), m_registration(*m_segment, topic), m_counters(std::move(counters)) {}

    Segment& segment() const noexcept { return *m_segment; }
    ReaderRegistration& registration() noexcept { return m_registration; }
    const Schema& schema() const noexcept { return *m_segment->schema(); }
    FrameCounters& counters() const noexcept { return *m_counters; }

private:
    std::unique_ptr<Segment> m_segment;  // declared first: outlives the registration
    ReaderRegistration m_registration;
    std::shared_ptr<FrameCounters> m_counters;
};

}  // namespace smx::detail
