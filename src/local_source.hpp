#pragma once
// The local path: frames straight from the writer's shared segment, a reader woken by the
// segment's doorbell. The only part of the reader that joins the reader core to src/shm.

#include "frame_source.hpp"

#include <smx/error.hpp>

#include <memory>
#include <string>
#include <vector>

namespace smx::detail {

/// Thrown by a local connector when this process may not open the writer's segment (another
/// user's, not shared with this one), as opposed to a segment it refuses (an untrusted owner):
/// a reader that may choose its path then takes the network path instead.
class SegmentInaccessible : public PermissionDenied {
public:
    using PermissionDenied::PermissionDenied;
};

/// Connects to sessions of `topic` in `domain_id` whose segment this process can map and whose
/// owner it trusts: its own user, root, or one of `trusted_uids`.
std::unique_ptr<Connector> make_local_connector(int domain_id, std::string topic,
                                                std::shared_ptr<FrameCounters> counters,
                                                std::vector<std::uint32_t> trusted_uids = {});

}  // namespace smx::detail
