// The public Reader: the reader core (reader_core.hpp) fed by DDS session info and the local
// path's frames (local_source.hpp).

#include <smx/reader.hpp>

#include "dds/dds_channel.hpp"
#include "local_source.hpp"
#include "names.hpp"
#include "reader_core.hpp"

namespace smx::detail {

class ReaderImpl {
public:
    ReaderImpl(const Participant& participant, std::string topic, std::optional<Schema> expected,
               ReaderOptions options)
        : m_participant(participant.impl()) {
        validate_topic(topic);
        auto counters = std::make_shared<FrameCounters>();
        auto sessions = make_dds_session_source(m_participant, topic);
        auto connector = make_local_connector(m_participant->domain_id(), topic, counters, options.trusted_uids);
        m_core.emplace(std::move(topic), std::move(expected), options, std::move(sessions), std::move(connector),
                       std::move(counters));
    }

    std::shared_ptr<ParticipantImpl> m_participant;  // outlives the core's DDS entities
    std::optional<ReaderCore> m_core;
};

}  // namespace smx::detail

namespace smx {

Reader::Reader(const Participant& participant, std::string topic, ReaderOptions options)
    : m_impl(std::make_unique<detail::ReaderImpl>(participant, std::move(topic), std::nullopt, options)) {}
Reader::Reader(const Participant& participant, std::string topic, Schema expected, ReaderOptions options)
    : m_impl(std::make_unique<detail::ReaderImpl>(participant, std::move(topic), std::move(expected), options)) {}
Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

detail::ReaderCore& Reader::core() const {
    if (!m_impl) throw Closed("reader was moved from");
    return *m_impl->m_core;
}

bool Reader::wait_for_writer(std::chrono::nanoseconds timeout) { return core().wait_for_writer(timeout); }
std::optional<Frame> Reader::latest(Hold hold) { return core().latest(hold); }
std::optional<Frame> Reader::next(std::chrono::nanoseconds timeout, Hold hold) { return core().next(timeout, hold); }
CopyResult Reader::copy_latest(std::span<std::byte> dst) {
    return core().copy_latest([dst](const std::shared_ptr<const Schema>&) { return dst; });
}
CopyResult Reader::copy_next(std::span<std::byte> dst, std::chrono::nanoseconds timeout) {
    return core().copy_next([dst](const std::shared_ptr<const Schema>&) { return dst; }, timeout);
}
CopyResult Reader::copy_latest(const CopyBuffer& buffer) { return core().copy_latest(buffer); }
CopyResult Reader::copy_next(const CopyBuffer& buffer, std::chrono::nanoseconds timeout) {
    return core().copy_next(buffer, timeout);
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
ReaderStats Reader::stats() const noexcept { return m_impl ? m_impl->m_core->stats() : ReaderStats{}; }
void Reader::interrupt() noexcept {
    if (m_impl) m_impl->m_core->interrupt();
}
void Reader::close() noexcept {
    if (m_impl) m_impl->m_core->close();
}

}  // namespace smx
