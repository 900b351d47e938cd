#pragma once
// Cyclone DDS implementation of the channel: per smx topic an "info" topic (the session) and a
// "notice" topic (frames), with the QoS of docs/design.md §5. Knows nothing of slots' bytes.

#include "channel.hpp"
#include "dds/domain.hpp"

#include <memory>
#include <string>

namespace smx::detail {

/// DDS topic names for an smx topic ("smx_info_<escaped>", "smx_notice_<escaped>").
std::string dds_topic_name(const char* kind, const std::string& topic);

std::unique_ptr<Announcer> make_dds_announcer(std::shared_ptr<ParticipantImpl> participant,
                                              const SessionInfo& info);
std::unique_ptr<NoticeSource> make_dds_notice_source(std::shared_ptr<ParticipantImpl> participant,
                                                     const std::string& topic);

}  // namespace smx::detail
