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
/// `user_data` goes into the DataReader's USER_DATA QoS as it is (bytes the DDS layer does not
/// read): how the reader tells the domain who it is (reader_identity.hpp).
std::unique_ptr<PayloadSubscriber> make_dds_payload_subscriber(std::shared_ptr<ParticipantImpl> participant,
                                                               const std::string& topic, const PayloadQos& qos,
                                                               const std::string& user_data);

}  // namespace smx::detail
