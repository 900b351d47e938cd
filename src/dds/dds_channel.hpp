#pragma once
// Cyclone DDS implementation of the channel: per smx topic an "info" topic (the session) and a
// "notice" topic (frames, sent only while someone reads it), with the QoS of docs/design.md.
// Knows nothing of slots' bytes.

#include "channel.hpp"
#include "dds/domain.hpp"

#include <memory>
#include <string>

namespace smx::detail {

/// DDS topic names for an smx topic ("smx_info_<escaped>", "smx_notice_<escaped>").
std::string dds_topic_name(const char* kind, const std::string& topic);

std::unique_ptr<Announcer> make_dds_announcer(std::shared_ptr<ParticipantImpl> participant,
                                              const SessionInfo& info);
/// Session info of `topic` (its notices are for other consumers: local readers use the doorbell).
std::unique_ptr<SessionSource> make_dds_session_source(std::shared_ptr<ParticipantImpl> participant,
                                                      const std::string& topic);

}  // namespace smx::detail
