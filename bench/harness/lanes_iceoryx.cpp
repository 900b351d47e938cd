// The iceoryx lane: loan a chunk of the frame's size, stamp it, publish -> take on a WaitSet.
// Built only when iceoryx's CMake package is found (else lanes_no_iceoryx.cpp).

#include "iceoryx_pubsub.hpp"
#include "lanes.hpp"
#include "os.hpp"
#include "stamp.hpp"

#include <mutex>
#include <unistd.h>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

// iceoryx has one runtime per process, registered with RouDi under a name unique on the host.
void join_once() {
    static std::once_flag joined;
    std::call_once(joined, [] { baseline::iceoryx_join(iceoryx_runtime_name(::getpid())); });
}

// loan + publish, timed as smx's loan + publish: filling (the stamps) is the producer's own work.
class IceoryxSource final : public Source {
public:
    IceoryxSource(const std::string& topic, const Schema& schema)
        : m_writer((join_once(), topic), schema.frame_size()), m_schema(schema) {}

    Published publish() override {
        const auto t0 = Clock::now();
        const std::span<std::byte> chunk = m_writer.loan();
        const auto t1 = Clock::now();
        stamp_fields(m_schema, chunk.data(), m_next);
        baseline::IceoryxWriter::stamp(chunk, {m_next, baseline::realtime_ns()});
        const auto t2 = Clock::now();
        m_writer.publish(chunk);
        const auto t3 = Clock::now();
        return {m_next++, ns_between(t0, t1) + ns_between(t2, t3)};
    }

private:
    baseline::IceoryxWriter m_writer;
    Schema m_schema;
    std::uint64_t m_next = 1;
};

// take: the chunk is ours, in place, until it is released (after the stamps are checked).
class IceoryxSink final : public Sink {
public:
    IceoryxSink(const std::string& topic, const Schema& schema)
        : m_reader((join_once(), topic), schema.frame_size(), SLOTS), m_schema(schema) {}
    // The publisher's history hands a late subscriber the frame it missed: ready at once.
    bool wait_ready(std::chrono::nanoseconds) override { return true; }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        const auto chunk = m_reader.take(timeout);
        if (!chunk) return std::nullopt;
        const std::int64_t held = baseline::realtime_ns();
        const baseline::IceoryxStamp& s = chunk->stamp();
        return Got{s.frame_number, s.timestamp_ns, held, fields_stamped(m_schema, chunk->payload().data(), s.frame_number)};
    }

private:
    baseline::IceoryxReader m_reader;
    Schema m_schema;
};

}  // namespace

std::unique_ptr<Source> make_iceoryx_source(const LaneContext&, const Lane& lane, const std::string& topic) {
    return std::make_unique<IceoryxSource>(topic, lane.payload.schema());
}

std::unique_ptr<Sink> make_iceoryx_sink(const LaneContext&, const Lane& lane, const std::string& topic) {
    return std::make_unique<IceoryxSink>(topic, lane.payload.schema());
}

}  // namespace smx::cli::bench
