// The baselines' lanes: plain DDS (the whole frame as a sample), the DDS floor (a notice-sized
// sample), the futex floor (a bare cross-process wake) and the paced memcpy floor (the writer
// copying the frame once per period, delivered to nobody).

#include "futex_bell.hpp"
#include "lanes.hpp"
#include "os.hpp"
#include "plain_dds.hpp"

#include <cstring>
#include <vector>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

// dds_write of the whole frame (serialised: one copy) or of a tiny sample.
class DdsSource final : public Source {
public:
    DdsSource(int domain, const std::string& topic, baseline::SampleKind kind, std::size_t bytes)
        : m_writer(domain, topic, kind, bytes, static_cast<std::int32_t>(SLOTS)) {}

    Published publish() override {
        baseline::stamp(m_writer.payload(), m_next);
        const std::int64_t ts = baseline::realtime_ns();
        const auto t0 = Clock::now();
        const bool ok = m_writer.write(m_next, ts);
        const auto t1 = Clock::now();
        if (!ok) return {0, ns_between(t0, t1)};
        return {m_next++, ns_between(t0, t1)};
    }

private:
    baseline::PlainDdsWriter m_writer;
    std::uint64_t m_next = 1;
};

class DdsSink final : public Sink {
public:
    DdsSink(int domain, const std::string& topic, baseline::SampleKind kind)
        : m_reader(domain, topic, kind, static_cast<std::int32_t>(SLOTS)) {}
    bool wait_ready(std::chrono::nanoseconds timeout) override { return m_reader.wait_matched(timeout); }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        const auto r = m_reader.take(timeout);
        if (!r) return std::nullopt;
        return Got{r->frame_number, r->timestamp_ns, r->received_ns, r->intact};
    }

private:
    baseline::PlainDdsReader m_reader;
};

// store + FUTEX_WAKE: the cost is the whole call (what a doorbell costs its writer).
class FutexSource final : public Source {
public:
    explicit FutexSource(const std::string& topic) : m_bell(futex_block_name(topic)) {}

    Published publish() override {
        const std::int64_t ts = baseline::realtime_ns();
        const auto t0 = Clock::now();
        m_bell.ring(m_next, ts);
        const auto t1 = Clock::now();
        return {m_next++, ns_between(t0, t1)};
    }

private:
    baseline::FutexBellWriter m_bell;
    std::uint64_t m_next = 1;
};

class FutexSink final : public Sink {
public:
    // The writer created the block before it reported ready, and readers start after that.
    explicit FutexSink(const std::string& topic) : m_bell(futex_block_name(topic)) {}
    // Every ring after the constructor mapped the block reaches this reader.
    bool wait_ready(std::chrono::nanoseconds) override { return true; }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        const auto r = m_bell.wait(timeout);
        if (!r) return std::nullopt;
        return Got{r->frame_number, r->timestamp_ns, r->received_ns, true};
    }

private:
    baseline::FutexBellReader m_bell;
};

// One memcpy of the frame per turn, timed: the copy a copying transport cannot avoid, paced like
// the frames beside it. The source is read once per round of lanes and the destinations rotate
// (like slots), so the caches hold whatever the other lanes left there: cold for large frames.
class MemcpySource final : public Source {
public:
    explicit MemcpySource(std::size_t bytes) : m_source(bytes) {
        for (std::size_t i = 0; i < bytes; ++i) m_source.data()[i] = static_cast<std::byte>(i * 131 + 7);
        for (std::uint32_t i = 0; i < SLOTS; ++i) m_targets.push_back(std::make_unique<Prefaulted>(bytes));
    }

    Published publish() override {
        std::byte* target = m_targets[m_next % m_targets.size()]->data();
        const auto t0 = Clock::now();
        std::memcpy(target, m_source.data(), m_source.size());
        const auto t1 = Clock::now();
        m_sink = target[m_source.size() - 1];  // the copy is used: it cannot be optimised away
        return {m_next++, ns_between(t0, t1)};
    }

private:
    Prefaulted m_source;
    std::vector<std::unique_ptr<Prefaulted>> m_targets;
    std::uint64_t m_next = 1;
    volatile std::byte m_sink{};
};

}  // namespace

std::unique_ptr<Source> make_baseline_source(const LaneContext& c, const Lane& lane, const std::string& topic) {
    const std::size_t bytes = lane.payload.frame_size();
    switch (lane.path) {
        case Path::plain_dds: return std::make_unique<DdsSource>(c.domain, topic, baseline::SampleKind::frame, bytes);
        case Path::dds_floor: return std::make_unique<DdsSource>(c.domain, topic, baseline::SampleKind::tiny, 0);
        case Path::futex_floor: return std::make_unique<FutexSource>(topic);
        case Path::memcpy_floor: return std::make_unique<MemcpySource>(bytes);
        default: throw std::logic_error(std::string("not a baseline path: ") + to_string(lane.path));
    }
}

std::unique_ptr<Sink> make_baseline_sink(const LaneContext& c, const Lane& lane, const std::string& topic) {
    switch (lane.path) {
        case Path::plain_dds: return std::make_unique<DdsSink>(c.domain, topic, baseline::SampleKind::frame);
        case Path::dds_floor: return std::make_unique<DdsSink>(c.domain, topic, baseline::SampleKind::tiny);
        case Path::futex_floor: return std::make_unique<FutexSink>(topic);
        default: throw std::logic_error(std::string("no reader for path ") + to_string(lane.path));
    }
}

}  // namespace smx::cli::bench
