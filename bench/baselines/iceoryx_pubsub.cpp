#include "iceoryx_pubsub.hpp"

#include <iceoryx_hoofs/log/logmanager.hpp>
#include <iceoryx_posh/mepoo/chunk_header.hpp>
#include <iceoryx_posh/popo/untyped_publisher.hpp>
#include <iceoryx_posh/popo/untyped_subscriber.hpp>
#include <iceoryx_posh/popo/wait_set.hpp>
#include <iceoryx_posh/runtime/posh_runtime.hpp>

#include <stdexcept>

namespace smx::baseline {

namespace {

// As smx lays fields out in a slot: the payload starts on a cache line.
constexpr std::uint32_t PAYLOAD_ALIGNMENT = 64;

iox::capro::ServiceDescription service(const std::string& topic) {
    if (topic.size() > iox::capro::IdString_t::capacity())
        throw std::runtime_error("iceoryx: topic '" + topic + "' is longer than an iceoryx id string");
    return {"smx-bench", iox::capro::IdString_t(iox::cxx::TruncateToCapacity, topic), "frame"};
}

}  // namespace

void iceoryx_join(const std::string& name) {
    if (name.size() > iox::MAX_RUNTIME_NAME_LENGTH) throw std::runtime_error("iceoryx: runtime name too long: " + name);
    // iceoryx's debug chatter (segments registered, resources cleaned up) is not the bench's
    // report; its warnings and errors still are.
    iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox::log::LogLevel::kWarn,
                                                             iox::log::LogLevelOutput::kHideLogLevel);
    iox::runtime::PoshRuntime::initRuntime(iox::RuntimeName_t(iox::cxx::TruncateToCapacity, name));
}

// ---- writer ----------------------------------------------------------------------------------

struct IceoryxWriter::Impl {
    Impl(const std::string& topic, std::size_t bytes_)
        : publisher(service(topic), options()), bytes(static_cast<std::uint32_t>(bytes_)) {}
    static iox::popo::PublisherOptions options() {
        iox::popo::PublisherOptions o;
        o.historyCapacity = 1;  // the newest chunk, for a subscriber that connects late
        return o;
    }
    iox::popo::UntypedPublisher publisher;
    std::uint32_t bytes;
};

IceoryxWriter::IceoryxWriter(const std::string& topic, std::size_t bytes) {
    if (bytes > UINT32_MAX) throw std::runtime_error("iceoryx: a chunk holds at most 4 GiB");
    m_impl = std::make_unique<Impl>(topic, bytes);
}

IceoryxWriter::~IceoryxWriter() = default;

std::span<std::byte> IceoryxWriter::loan() {
    auto chunk = m_impl->publisher.loan(m_impl->bytes, PAYLOAD_ALIGNMENT, sizeof(IceoryxStamp), alignof(IceoryxStamp));
    if (chunk.has_error())
        throw std::runtime_error("iceoryx: no chunk of " + std::to_string(m_impl->bytes) + " bytes to loan (error " +
                                 std::to_string(static_cast<int>(chunk.get_error())) +
                                 "): RouDi's mempool for this size is exhausted");
    return {static_cast<std::byte*>(chunk.value()), m_impl->bytes};
}

void IceoryxWriter::stamp(std::span<std::byte> chunk, const IceoryxStamp& stamp) noexcept {
    *static_cast<IceoryxStamp*>(iox::mepoo::ChunkHeader::fromUserPayload(chunk.data())->userHeader()) = stamp;
}

void IceoryxWriter::publish(std::span<std::byte> chunk) noexcept { m_impl->publisher.publish(chunk.data()); }

// ---- reader ----------------------------------------------------------------------------------

struct IceoryxReader::Impl {
    Impl(const std::string& topic, std::size_t bytes_, std::uint64_t queue)
        : subscriber(service(topic), options(queue)), bytes(bytes_) {}
    static iox::popo::SubscriberOptions options(std::uint64_t queue) {
        iox::popo::SubscriberOptions o;
        o.queueCapacity = queue;
        o.historyRequest = 1;  // the publisher's newest chunk, if it published before we connected
        return o;
    }
    iox::popo::UntypedSubscriber subscriber;
    iox::popo::WaitSet<1> waitset;
    std::size_t bytes;
};

IceoryxReader::IceoryxReader(const std::string& topic, std::size_t bytes, std::uint64_t queue)
    : m_impl(std::make_unique<Impl>(topic, bytes, queue)) {
    if (m_impl->waitset.attachState(m_impl->subscriber, iox::popo::SubscriberState::HAS_DATA).has_error())
        throw std::runtime_error("iceoryx: cannot attach a subscriber of '" + topic + "' to a WaitSet");
}

IceoryxReader::~IceoryxReader() {
    if (m_impl) m_impl->waitset.detachState(m_impl->subscriber, iox::popo::SubscriberState::HAS_DATA);
}

std::optional<IceoryxReader::Chunk> IceoryxReader::take(std::chrono::nanoseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto taken = m_impl->subscriber.take();
        if (!taken.has_error()) return Chunk(taken.value(), m_impl->bytes, &m_impl->subscriber);
        if (taken.get_error() != iox::popo::ChunkReceiveResult::NO_CHUNK_AVAILABLE)
            throw std::runtime_error("iceoryx: take failed (error " + std::to_string(static_cast<int>(taken.get_error())) + ")");
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        // HAS_DATA is a state: the wait returns at once while a chunk is queued, so none is missed.
        m_impl->waitset.timedWait(iox::units::Duration::fromNanoseconds(static_cast<std::uint64_t>(left.count())));
    }
}

IceoryxReader::Chunk::Chunk(const void* payload, std::size_t bytes, void* subscriber) noexcept
    : m_payload(payload), m_bytes(bytes), m_subscriber(subscriber) {}

IceoryxReader::Chunk::Chunk(Chunk&& o) noexcept : m_payload(o.m_payload), m_bytes(o.m_bytes), m_subscriber(o.m_subscriber) {
    o.m_payload = nullptr;
}

IceoryxReader::Chunk::~Chunk() {
    if (m_payload) static_cast<iox::popo::UntypedSubscriber*>(m_subscriber)->release(m_payload);
}

const IceoryxStamp& IceoryxReader::Chunk::stamp() const noexcept {
    return *static_cast<const IceoryxStamp*>(iox::mepoo::ChunkHeader::fromUserPayload(m_payload)->userHeader());
}

}  // namespace smx::baseline
