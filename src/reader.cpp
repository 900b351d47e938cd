// The public Reader: the reader core (reader_core.hpp) fed by DDS session info and the local
// path's frames (local_source.hpp).

#include <smx/reader.hpp>

#include "dds/dds_channel.hpp"
#include "dds/dds_payload.hpp"
#include "local_source.hpp"
#include "names.hpp"
#include "reader_core.hpp"
#include "reader_identity.hpp"
#include "remote_source.hpp"
#include "shm/process.hpp"

#include <cstdlib>
#include <cstring>

namespace smx::detail {

namespace {

// ReaderOptions::transport, or SMX_TRANSPORT's default.
std::optional<Transport> chosen_transport(const ReaderOptions& options, const std::string& topic) {
    if (options.transport) return options.transport;
    const char* env = std::getenv("SMX_TRANSPORT");
    if (env == nullptr || *env == '\0' || std::strcmp(env, "auto") == 0) return std::nullopt;
    if (std::strcmp(env, "dds") == 0) return Transport::dds;
    if (std::strcmp(env, "shm") == 0) return Transport::shm;
    throw InvalidArgument("reader of topic '" + topic + "': SMX_TRANSPORT='" + env +
                          "' is none of auto, shm, dds");
}

// Shared memory for a writer of this process's machine (the machine id: boot id and /dev/shm
// device, not the host name), the network path otherwise (or as forced). A segment of this
// machine that cannot be opened is an error to fix, not a reason to go round it: another user's
// 0600 segment is refused with PermissionDenied, not read over DDS (its mode says who may read
// it), and an absent one means the writer left.
class RoutingConnector final : public Connector {
public:
    RoutingConnector(std::unique_ptr<Connector> local, std::unique_ptr<Connector> remote, std::optional<Transport> forced)
        : m_local(std::move(local)), m_remote(std::move(remote)), m_forced(forced) {}

    Connection connect(const SessionInfo& info) override {
        const Transport t = m_forced.value_or(info.machine == machine_id() ? Transport::shm : Transport::dds);
        return t == Transport::dds ? m_remote->connect(info) : m_local->connect(info);
    }
    Connection probe() override { return m_forced == Transport::dds ? m_remote->probe() : m_local->probe(); }

private:
    std::unique_ptr<Connector> m_local, m_remote;
    std::optional<Transport> m_forced;
};

}  // namespace

class ReaderImpl {
public:
    ReaderImpl(const Participant& participant, std::string topic, std::optional<Schema> expected,
               ReaderOptions options)
        : m_participant(participant.impl()) {
        validate_topic(topic);
        auto counters = std::make_shared<FrameCounters>();
        auto sessions = make_dds_session_source(m_participant, topic);
        const std::optional<Transport> forced = chosen_transport(options, topic);
        auto local = make_local_connector(m_participant->domain_id(), topic, counters, options.trusted_uids);
        auto remote = make_remote_connector(
            topic,
            [participant = m_participant, topic,
             identity = format_reader_identity(this_reader_identity())](const PayloadQos& qos) {
                return make_dds_payload_subscriber(participant, topic, qos, identity);
            },
            counters);
        auto connector = std::make_unique<RoutingConnector>(std::move(local), std::move(remote), forced);
        m_core.emplace(std::move(topic), std::move(expected), options, std::move(sessions), std::move(connector),
                       std::move(counters));
    }

    std::shared_ptr<ParticipantImpl> m_participant;  // outlives the core's DDS entities
    std::optional<ReaderCore> m_core;
};

}  // namespace smx::detail

namespace smx {

Reader::Reader(const Participant& participant, std::string topic, ReaderOptions options)
    : m_impl(std::make_unique<detail::ReaderImpl>(participant, std::move(topic), std::nullopt, options)) {
    m_impl->m_core->set_owner(this);
}
Reader::Reader(const Participant& participant, std::string topic, Schema expected, ReaderOptions options)
    : m_impl(std::make_unique<detail::ReaderImpl>(participant, std::move(topic), std::move(expected), options)) {
    m_impl->m_core->set_owner(this);
}
Reader::~Reader() = default;
// The core learns its new owner: a wait set reports the Reader object, wherever it moved.
Reader::Reader(Reader&& other) noexcept : m_impl(std::move(other.m_impl)) {
    if (m_impl) m_impl->m_core->set_owner(this);
}
Reader& Reader::operator=(Reader&& other) noexcept {
    m_impl = std::move(other.m_impl);
    if (m_impl) m_impl->m_core->set_owner(this);
    return *this;
}

detail::ReaderCore& Reader::core() const {
    if (!m_impl) throw Closed("reader was moved from");
    return *m_impl->m_core;
}

bool Reader::wait_for_writer(std::chrono::nanoseconds timeout) { return core().wait_for_writer(timeout); }
std::optional<Frame> Reader::latest(Hold hold) { return core().latest(hold); }
std::optional<Frame> Reader::next(std::chrono::nanoseconds timeout, Hold hold) { return core().next(timeout, hold); }
CopyResult Reader::copy_latest(std::byte* dst, std::size_t size) {
    return core().copy_latest([dst, size](const std::shared_ptr<const Schema>&) { return std::span<std::byte>(dst, size); });
}
CopyResult Reader::copy_next(std::byte* dst, std::size_t size, std::chrono::nanoseconds timeout) {
    return core().copy_next([dst, size](const std::shared_ptr<const Schema>&) { return std::span<std::byte>(dst, size); },
                            timeout);
}
namespace {
// The core's buffer callback over the header's pointer-and-size one.
CopyBuffer core_buffer(const detail::BufferSource& source) {
    return [&source](const std::shared_ptr<const Schema>& schema) {
        const auto [data, size] = source(schema);
        return std::span<std::byte>(data, size);
    };
}
}  // namespace

CopyResult Reader::copy_latest_to(const detail::BufferSource& source) { return core().copy_latest(core_buffer(source)); }
CopyResult Reader::copy_next_to(const detail::BufferSource& source, std::chrono::nanoseconds timeout) {
    return core().copy_next(core_buffer(source), timeout);
}
ReaderState Reader::state() const noexcept { return m_impl ? m_impl->m_core->state() : ReaderState::closed; }

std::shared_ptr<const Schema> Reader::schema_if_known() const noexcept {
    return m_impl ? m_impl->m_core->schema() : nullptr;
}

Schema Reader::schema() const {
    auto s = core().schema();
    if (!s)
        throw NoWriter("topic '" + topic() + "': no writer attached yet, so its schema is unknown; call wait_for_writer() first");
    return *s;
}

const std::string& Reader::topic() const { return core().topic(); }
std::string Reader::waiting_reason() const { return core().waiting_reason(); }
std::optional<Transport> Reader::transport() const { return core().transport(); }
ReaderStats Reader::stats() const noexcept { return m_impl ? m_impl->m_core->stats() : ReaderStats{}; }
void Reader::interrupt() noexcept {
    if (m_impl) m_impl->m_core->interrupt();
}
void Reader::close() noexcept {
    if (m_impl) m_impl->m_core->close();
}

}  // namespace smx
