#pragma once
// The local path: frames straight from the writer's shared segment, a reader woken by the
// segment's doorbell. The only part of the reader that joins the reader core to src/shm.

#include "frame_source.hpp"

#include <memory>
#include <string>
#include <vector>

namespace smx::detail {

/// Connects to sessions of `topic` in `domain_id` whose segment this process can map and whose
/// owner it trusts: its own user, root, or one of `trusted_uids`.
std::unique_ptr<Connector> make_local_connector(int domain_id, std::string topic,
                                                std::shared_ptr<FrameCounters> counters,
                                                std::vector<std::uint32_t> trusted_uids = {});

}  // namespace smx::detail
