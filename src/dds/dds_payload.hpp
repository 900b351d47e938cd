#pragma once
// Cyclone DDS implementation of the network path (channel.hpp: PayloadPublisher and
// PayloadSubscriber): the topic "smx_payload_<escaped topic>" carries whole frames, reliable,
// keep-last (docs/design.md, "The network path"). Knows nothing of slots or schemas.

#include "channel.hpp"
#include "dds/domain.hpp"

#include <memory>
#include <string>

namespace smx::detail {

std::unique_ptr<PayloadPublisher> make_dds_payload_publisher(std::shared_ptr<ParticipantImpl> participant,
                                                             const std::string& topic, const PayloadQos& qos);
std::unique_ptr<PayloadSubscriber> make_dds_payload_subscriber(std::shared_ptr<ParticipantImpl> participant,
                                                               const std::string& topic, const PayloadQos& qos);

}  // namespace smx::detail
