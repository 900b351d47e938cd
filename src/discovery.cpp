// Remote readers (discovery.hpp): the DDS layer's list of payload DataReaders (dds_discovery.hpp)
// joined with what their user data says (reader_identity.hpp) and the topic their DDS name tells.

#include <smx/discovery.hpp>
#include <smx/error.hpp>

#include "dds/dds_channel.hpp"
#include "dds/dds_discovery.hpp"
#include "names.hpp"
#include "reader_identity.hpp"
#include "shm/process.hpp"

#include <algorithm>
#include <thread>
#include <tuple>

namespace smx::detail {

class RemoteReaderWatchImpl {
public:
    explicit RemoteReaderWatchImpl(const Participant& participant)
        : m_prefix(dds_topic_name("payload", "")), m_machine(machine_id()),
          m_watch(participant.impl(), m_prefix, MAX_READER_IDENTITY_BYTES + 1) {}

    std::vector<RemoteReader> readers(const std::string* dds_topic) {
        std::vector<RemoteReader> out;
        for (const DiscoveredReader& d : m_watch.readers())
            if (dds_topic == nullptr || d.dds_topic == *dds_topic) out.push_back(describe(d));
        std::sort(out.begin(), out.end(), [](const RemoteReader& a, const RemoteReader& b) {
            return std::tie(a.topic, a.dds_topic, a.host, a.pid, a.guid) <
                   std::tie(b.topic, b.dds_topic, b.host, b.pid, b.guid);
        });
        return out;
    }

private:
    RemoteReader describe(const DiscoveredReader& d) const {
        RemoteReader r;
        // Names from the network are shown, so bounded and printable like the user data.
        const std::string_view name = d.dds_topic;
        r.dds_topic = display_bytes(std::as_bytes(std::span(name.data(), name.size())), 256);
        if (auto topic = dds_unescape_topic(name.substr(m_prefix.size()))) r.topic = std::move(*topic);
        for (std::uint8_t b : d.guid) append_hex_escape(r.guid, "", b);
        // The watch kept one byte more than an identity may have: a longer one is cut, not taken.
        const std::span<const std::byte> data(d.user_data);
        if (d.user_data_size == d.user_data.size()) {
            if (auto id = parse_reader_identity(data)) {
                r.identified = true;
                r.host = std::move(id->host);
                r.pid = id->pid;
                r.machine = std::move(id->machine);
                r.this_machine = r.machine == m_machine;
                return r;
            }
        }
        r.user_data = display_bytes(data, RemoteReader::MAX_SHOWN_USER_DATA);
        return r;
    }

    std::string m_prefix;
    std::string m_machine;
    SubscriptionWatch m_watch;
};

}  // namespace smx::detail

namespace smx {

RemoteReaderWatch::RemoteReaderWatch(const Participant& participant)
    : m_impl(std::make_unique<detail::RemoteReaderWatchImpl>(participant)) {}
RemoteReaderWatch::~RemoteReaderWatch() = default;
RemoteReaderWatch::RemoteReaderWatch(RemoteReaderWatch&&) noexcept = default;
RemoteReaderWatch& RemoteReaderWatch::operator=(RemoteReaderWatch&&) noexcept = default;

std::vector<RemoteReader> RemoteReaderWatch::readers() const {
    if (!m_impl) throw Closed("remote reader watch was moved from");
    return m_impl->readers(nullptr);
}

std::vector<RemoteReader> RemoteReaderWatch::readers_of(std::string_view topic) const {
    detail::validate_topic(topic);
    if (!m_impl) throw Closed("remote reader watch was moved from");
    const std::string name = detail::dds_topic_name("payload", std::string(topic));
    return m_impl->readers(&name);
}

std::vector<RemoteReader> find_remote_readers(const Participant& participant, std::string_view topic,
                                              std::chrono::nanoseconds wait) {
    detail::validate_topic(topic);
    RemoteReaderWatch watch(participant);
    std::this_thread::sleep_for(wait);
    return watch.readers_of(topic);
}

std::vector<RemoteReader> find_remote_readers(const Participant& participant, std::chrono::nanoseconds wait) {
    RemoteReaderWatch watch(participant);
    std::this_thread::sleep_for(wait);
    return watch.readers();
}

}  // namespace smx
