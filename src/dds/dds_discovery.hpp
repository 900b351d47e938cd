#pragma once
// The readers of a domain as DDS discovery announces them (Cyclone's built-in topic
// DCPSSubscription): which DDS topic each reads and the bytes of its USER_DATA QoS. Knows
// nothing of what those bytes say (reader_identity.hpp does).

#include "dds/domain.hpp"
#include "dds/entity.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace smx::detail {

/// One DataReader of the domain, alive when last seen.
struct DiscoveredReader {
    std::array<std::uint8_t, 16> guid{};  ///< the endpoint's GUID
    std::string dds_topic;
    std::vector<std::byte> user_data;  ///< at most the watch's max_user_data bytes of it
    std::size_t user_data_size = 0;    ///< its whole size
    bool has_user_data = false;        ///< the QoS had USER_DATA at all
};

/// Watches DCPSSubscription from `participant` for readers of DDS topics starting with
/// `topic_prefix` (others are never stored). Discovery runs in Cyclone's threads from
/// construction on; readers() says what it has found so far.
class SubscriptionWatch {
public:
    SubscriptionWatch(std::shared_ptr<ParticipantImpl> participant, std::string topic_prefix,
                      std::size_t max_user_data);
    SubscriptionWatch(const SubscriptionWatch&) = delete;
    SubscriptionWatch& operator=(const SubscriptionWatch&) = delete;

    /// The matching readers alive now, in the order of their GUIDs.
    std::vector<DiscoveredReader> readers();

private:
    void take_all();

    std::shared_ptr<ParticipantImpl> m_participant;
    std::string m_prefix;
    std::size_t m_max_user_data;
    std::mutex m_mutex;
    std::map<dds_instance_handle_t, DiscoveredReader> m_alive;
    Entity m_reader;
};

}  // namespace smx::detail
