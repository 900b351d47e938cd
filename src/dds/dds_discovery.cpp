#include "dds/dds_discovery.hpp"

#include <algorithm>
#include <cstring>

namespace smx::detail {

namespace {

DiscoveredReader describe(const dds_builtintopic_endpoint_t& ep, std::size_t max_user_data) {
    DiscoveredReader r;
    static_assert(sizeof ep.key.v == 16);
    std::memcpy(r.guid.data(), ep.key.v, r.guid.size());
    r.dds_topic = ep.topic_name;
    void* data = nullptr;
    std::size_t size = 0;
    if (ep.qos != nullptr && dds_qget_userdata(ep.qos, &data, &size)) {
        r.has_user_data = true;
        r.user_data_size = size;
        const auto* bytes = static_cast<const std::byte*>(data);
        if (bytes != nullptr) r.user_data.assign(bytes, bytes + std::min(size, max_user_data));
    }
    dds_free(data);
    return r;
}

}  // namespace

SubscriptionWatch::SubscriptionWatch(std::shared_ptr<ParticipantImpl> participant, std::string topic_prefix,
                                     std::size_t max_user_data)
    : m_participant(std::move(participant)), m_prefix(std::move(topic_prefix)), m_max_user_data(max_user_data) {
    m_reader = Entity(
        dds_check(dds_create_reader(m_participant->entity(), DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION, nullptr, nullptr),
                  "creating a reader of DDS discovery (DCPSSubscription)"));
}

// Takes every sample, so the reader's cache never holds more than discovery sent since the
// last call; what is alive is kept here, per instance (one per endpoint GUID).
void SubscriptionWatch::take_all() {
    constexpr std::size_t BATCH = 64;
    for (;;) {
        void* samples[BATCH] = {};
        dds_sample_info_t infos[BATCH];
        const dds_return_t n = dds_take(m_reader.get(), samples, infos, BATCH, BATCH);  // loaned
        if (n <= 0) return;
        for (dds_return_t i = 0; i < n; ++i) {
            const dds_sample_info_t& info = infos[i];
            if (info.instance_state != DDS_ALIVE_INSTANCE_STATE) {
                m_alive.erase(info.instance_handle);
                continue;
            }
            if (!info.valid_data) continue;
            const auto* ep = static_cast<const dds_builtintopic_endpoint_t*>(samples[i]);
            if (ep->topic_name == nullptr || std::strncmp(ep->topic_name, m_prefix.c_str(), m_prefix.size()) != 0)
                continue;
            m_alive[info.instance_handle] = describe(*ep, m_max_user_data);
        }
        dds_return_loan(m_reader.get(), samples, n);
        if (static_cast<std::size_t>(n) < BATCH) return;
    }
}

std::vector<DiscoveredReader> SubscriptionWatch::readers() {
    std::lock_guard lock(m_mutex);
    take_all();
    std::vector<DiscoveredReader> out;
    out.reserve(m_alive.size());
    for (const auto& [handle, reader] : m_alive) out.push_back(reader);
    std::sort(out.begin(), out.end(),
              [](const DiscoveredReader& a, const DiscoveredReader& b) { return a.guid < b.guid; });
    return out;
}

}  // namespace smx::detail
