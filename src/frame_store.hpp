#pragma once
// What a Frame's views point into: one writer session's frames as a reader holds them. The
// local path's store is the shared segment (attachment.hpp); tests and other transports bring
// their own. Frames share their store, so views never outlive the memory behind them.

#include "fork.hpp"

#include <smx/frame.hpp>
#include <smx/schema.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace smx::detail {

/// Counters a Frame updates after the Reader handed it out.
struct FrameCounters {
    std::atomic<std::uint64_t> torn_views{0};
    std::atomic<std::uint64_t> dropped_samples{0};  // network path: samples that were no frame of the session
};

class FrameStore {
public:
    virtual ~FrameStore() = default;
    virtual const Schema& schema() const noexcept = 0;
    /// Start of slot `slot`'s frame (the slot layout of Schema::offset).
    virtual const std::byte* data(std::uint32_t slot) const noexcept = 0;
    /// True if the slot still holds the frame written with stable sequence `seq`; call after
    /// reading the data.
    virtual bool unchanged(std::uint32_t slot, std::uint64_t seq) const noexcept = 0;
    /// Pins the slot if it still holds `seq` (the frame then stays unchanged until unpin).
    virtual bool pin(std::uint32_t slot, std::uint64_t seq) noexcept = 0;
    virtual void unpin(std::uint32_t slot) noexcept = 0;
    virtual FrameCounters& counters() const noexcept = 0;
    /// False in a child made by fork(): pins taken through this store are the parent's, and
    /// the parent may let them go (fork.hpp).
    bool owned_here() const noexcept { return m_process.is_current(); }
    /// True if views hold their slot as pins do (the network path's own buffers: a view there
    /// costs nobody anything, so it never tears).
    virtual bool views_hold() const noexcept { return false; }
    virtual Transport transport() const noexcept { return Transport::shm; }

private:
    OwnerProcess m_process;
};

}  // namespace smx::detail
