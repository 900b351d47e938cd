// `smx-bench writer` and `smx-bench reader` (hidden): the processes of one `smx bench`
// scenario. The writer publishes frames over one path (smx zero-copy, smx copy, plain DDS or
// the DDS floor) and times its own calls; each reader takes the frames, stores one latency
// sample per measured frame in the scenario's control block, and acknowledges it so that a
// paced writer never runs ahead of its readers. See bench_common.hpp for the protocol.

#include "common.hpp"
#include "commands.hpp"
#include "demo_common.hpp"
#include "plain_dds.hpp"
#include "process.hpp"

#include <smx/smx.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <sys/mman.h>
#include <vector>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using bench::Control;
using bench::Mode;
using bench::Path;
using bench::Prefaulted;

// Bounds on the set-up, never on the measured work: a process, a DDS participant and a
// matched endpoint take well under a second; these only turn a hang into a clear error.
constexpr auto READY_TIMEOUT = 30s;
constexpr auto WARMUP_TIMEOUT = 30s;
// How long the writer waits for every reader to acknowledge one frame before moving on (the
// frame then counts as lost for the readers that did not get it).
constexpr auto ACK_TIMEOUT = 5s;
constexpr int WARMUP_FRAMES = 5;  // consecutive frames every reader acknowledged
constexpr auto READER_POLL = 100ms;
// After the writer's last frame, a reader that has not received it gives up after this long.
constexpr auto DRAIN_TIMEOUT = 1s;

struct RoleOptions {
    std::string mode = "latency";
    std::vector<std::string> lanes{"smx-zero-copy:64B"};
    unsigned readers = 1;
    unsigned index = 0;
    double rate = 0;
    std::uint32_t frames = 0;
    double seconds = 0;
    std::string control;
    std::string topic;
    int report_fd = 1;
    pid_t parent = 0;

    Mode parsed_mode() const { return *bench::parse_mode(mode); }
    bench::Lane lane(std::size_t i) const { return *bench::parse_lane(lanes.at(i)); }
    // Each lane has its own topic (and so its own segment or DDS topic).
    std::string lane_topic(std::size_t i) const { return lanes.size() == 1 ? topic : topic + "_" + std::to_string(i); }
};

std::string check_lane(const std::string& text) {
    if (bench::parse_lane(text)) return {};
    return "lane '" + text + "' is not PATH:PAYLOAD (for example smx-zero-copy:16MiB or dds-floor:64B)";
}

void add_role_options(CLI::App* sub, RoleOptions& o) {
    sub->add_option("--mode", o.mode, "latency, throughput, idle or cost")
        ->check(CLI::IsMember({"latency", "throughput", "idle", "cost"}));
    sub->add_option("--lanes", o.lanes, "PATH:PAYLOAD, one per interleaved stream")
        ->delimiter(',')
        ->check(CLI::Validator(check_lane, "PATH:PAYLOAD", "lane"));
    sub->add_option("--readers", o.readers, "reader processes (0: a writer-cost run with none)")
        ->check(CLI::Range(0u, bench::MAX_READERS));
    sub->add_option("--rate", o.rate, "writer pace in Hz over all lanes (latency)")->check(CLI::Range(0.0, 100000.0));
    sub->add_option("--frames", o.frames, "frames to measure per lane (latency)");
    sub->add_option("--seconds", o.seconds, "duration (throughput, idle) or bound (latency)")
        ->check(CLI::Range(0.0, 3600.0));
    sub->add_option("--control", o.control, "name of the scenario's control block")->required();
    sub->add_option("--topic", o.topic, "topic")->required();
    sub->add_option("--report-fd", o.report_fd, "descriptor for report lines");
    sub->add_option("--parent", o.parent, "pid whose death stops this process");
}

std::int64_t ns_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

void stamp_fields(const Schema& schema, std::byte* frame, std::uint64_t n) {
    for (std::size_t i = 0; i < schema.size(); ++i)
        baseline::stamp({frame + schema.offset(i), static_cast<std::size_t>(schema[i].nbytes())}, n);
}

bool fields_stamped(const Schema& schema, const std::byte* frame, std::uint64_t n) {
    for (std::size_t i = 0; i < schema.size(); ++i)
        if (!baseline::stamped({frame + schema.offset(i), static_cast<std::size_t>(schema[i].nbytes())}, n)) return false;
    return true;
}

// Exact percentiles of a set of nanosecond samples (sorted in place).
std::string cost_fields(std::vector<std::int64_t>& costs, const std::string& prefix) {
    std::sort(costs.begin(), costs.end());
    const auto at = [&costs](double q) -> std::int64_t {
        if (costs.empty()) return -1;
        const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(costs.size()))));
        return costs[std::min(rank, costs.size()) - 1];
    };
    double mean = 0;
    for (std::int64_t c : costs) mean += static_cast<double>(c);
    if (!costs.empty()) mean /= static_cast<double>(costs.size());
    if (costs.empty()) return {};
    return ReportLine("")
        .add(prefix + "_count", static_cast<std::int64_t>(costs.size()))
        .add(prefix + "_p50_ns", at(0.50))
        .add(prefix + "_p90_ns", at(0.90))
        .add(prefix + "_p99_ns", at(0.99))
        .add(prefix + "_max_ns", costs.back())
        .add(prefix + "_mean_ns", static_cast<std::int64_t>(mean))
        .str();
}

// ---- writer side ---------------------------------------------------------------------------

struct Published {
    std::uint64_t frame_number = 0;  // 0: nothing was published (every slot held, DDS refused)
    std::int64_t cost_ns = 0;        // the writer's own calls, filling excluded
};

class Source {
public:
    virtual ~Source() = default;
    virtual Published publish() = 0;
    /// The memcpy floor beside the writer's own calls: the same bytes copied once into this
    /// process's pre-faulted memory; its time in ns, or -1 if this source has no such copy.
    virtual std::int64_t floor_copy() { return -1; }
};

WriterOptions smx_writer_options() {
    WriterOptions o;
    o.slots = bench::SLOTS;
    // Throughput runs with pinning readers: wait for a release rather than fail at once.
    o.when_full = WhenFull::wait;
    o.full_wait = 100ms;
    return o;
}

// loan + publish: the producer fills the slot in place (here: the stamps only; filling is the
// producer's own work, excluded from the cost). The timestamp is taken as publish starts.
class SmxLoanSource final : public Source {
public:
    SmxLoanSource(const Participant& p, const std::string& topic, const Schema& schema)
        : m_writer(p, topic, schema, smx_writer_options()) {}

    Published publish() override {
        const auto t0 = Clock::now();
        std::optional<Loan> loan = m_writer.loan();
        const auto t1 = Clock::now();
        if (!loan) return {};
        const std::uint64_t n = loan->frame_number();
        for (std::size_t i = 0; i < m_writer.schema().size(); ++i) baseline::stamp(loan->bytes(i), n);
        loan->set_timestamp_ns(baseline::realtime_ns());
        const auto t2 = Clock::now();
        const PublishResult r = m_writer.publish(std::move(*loan));
        const auto t3 = Clock::now();
        return {r ? r.frame_number : 0, ns_between(t0, t1) + ns_between(t2, t3)};
    }

private:
    Writer m_writer;
};

// write: copies the caller's arrays (one pre-faulted buffer in the slot layout) into a slot.
class SmxWriteSource final : public Source {
public:
    SmxWriteSource(const Participant& p, const std::string& topic, const Schema& schema)
        : m_writer(p, topic, schema, smx_writer_options()), m_frame(schema.frame_size()) {
        for (std::size_t i = 0; i < m_frame.size(); ++i) m_frame[i] = static_cast<std::byte>(i * 131 + 7);
        for (std::size_t i = 0; i < schema.size(); ++i)
            m_fields.emplace_back(m_frame.data() + schema.offset(i), schema[i].dtype, schema[i].shape,
                                  m_writer.schema()[i].name);  // the writer's schema outlives these views
    }

    std::int64_t floor_copy() override {
        if (m_floor.empty())
            for (std::uint32_t i = 0; i < bench::SLOTS; ++i) m_floor.push_back(std::make_unique<Prefaulted>(m_frame.size()));
        std::byte* dst = m_floor[m_next_floor++ % m_floor.size()]->data();
        const auto t0 = Clock::now();
        std::memcpy(dst, m_frame.data(), m_frame.size());
        const auto t1 = Clock::now();
        m_sink = dst[m_frame.size() - 1];
        return ns_between(t0, t1);
    }

    Published publish() override {
        const std::uint64_t n = m_writer.frames_published() + 1;
        stamp_fields(m_writer.schema(), m_frame.data(), n);
        const std::int64_t ts = baseline::realtime_ns();
        const auto t0 = Clock::now();
        const PublishResult r = m_writer.write(std::span<const ArrayRef>(m_fields), ts);
        const auto t1 = Clock::now();
        return {r ? r.frame_number : 0, ns_between(t0, t1)};
    }

private:
    Writer m_writer;
    std::vector<std::byte> m_frame;
    std::vector<ArrayRef> m_fields;
    std::vector<std::unique_ptr<Prefaulted>> m_floor;
    std::size_t m_next_floor = 0;
    volatile std::byte m_sink{};
};

// dds_write of the whole frame (serialised: one copy) or of a tiny sample.
class DdsSource final : public Source {
public:
    DdsSource(int domain, const std::string& topic, baseline::SampleKind kind, std::size_t bytes)
        : m_writer(domain, topic, kind, bytes, static_cast<std::int32_t>(bench::SLOTS)) {}

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

std::unique_ptr<Source> make_source(const Participant& participant, int domain, const RoleOptions& o, std::size_t i) {
    const bench::Lane lane = o.lane(i);
    const std::string topic = o.lane_topic(i);
    switch (lane.path) {
        case Path::smx_zero_copy: return std::make_unique<SmxLoanSource>(participant, topic, lane.payload.schema());
        case Path::smx_copy: return std::make_unique<SmxWriteSource>(participant, topic, lane.payload.schema());
        case Path::plain_dds:
            return std::make_unique<DdsSource>(domain, topic, baseline::SampleKind::frame, lane.payload.frame_size());
        case Path::dds_floor: return std::make_unique<DdsSource>(domain, topic, baseline::SampleKind::tiny, 0);
    }
    return nullptr;
}

Clock::duration period_of(double hz) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / hz));
}

class WriterRun {
public:
    WriterRun(const RoleOptions& o, Control& control, std::vector<std::unique_ptr<Source>>& sources,
              const StopSignal& stop)
        : m_o(o), m_control(control), m_block(control.block()), m_sources(sources), m_stop(stop),
          m_lanes(sources.size()), m_costs(sources.size()), m_measured(sources.size()), m_failed(sources.size()) {}

    void run() {
        wait_for_readers();
        warm_up();
        const std::int64_t cpu0 = bench::process_cpu_ns();
        const auto start = Clock::now();
        m_block.measure_from.store(m_g + 1, std::memory_order_seq_cst);
        switch (m_o.parsed_mode()) {
            case Mode::latency: paced(); break;
            case Mode::throughput:
            case Mode::cost: unpaced(); break;
            case Mode::idle: break;
        }
        const auto end = Clock::now();
        const bool measured = std::any_of(m_measured.begin(), m_measured.end(), [](auto n) { return n > 0; });
        m_block.last_frame.store(measured ? m_g : 0, std::memory_order_seq_cst);
        m_block.done.store(1, std::memory_order_seq_cst);
        // Stay (and keep serving DDS retransmissions) until every reader has finished.
        auto limit = Clock::now() + DRAIN_TIMEOUT + READER_POLL * 5;
        if (m_o.parsed_mode() == Mode::idle)
            limit += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_o.seconds));
        for (;;) {
            const std::uint32_t finished = m_block.readers_done.load(std::memory_order_seq_cst);
            if (finished >= m_block.readers || Clock::now() >= limit || m_stop.requested()) break;
            Control::wait_while(m_block.readers_done, finished, std::min<Clock::duration>(limit - Clock::now(), 100ms));
        }
        const std::int64_t cpu1 = bench::process_cpu_ns();
        const auto idle_end = Clock::now();
        ReportLine line("done");
        line.add("lanes", static_cast<std::int64_t>(m_lanes))
            .add("ack_timeouts", static_cast<std::int64_t>(m_ack_timeouts))
            .add("seconds_ns", ns_between(start, m_o.parsed_mode() == Mode::idle ? idle_end : end))
            .add("cpu_ns", cpu1 - cpu0);
        std::string text = line.str();
        for (std::size_t l = 0; l < m_lanes; ++l) {
            const std::string k = std::to_string(l);
            text += ReportLine("")
                        .add("published" + k, static_cast<std::int64_t>(m_measured[l]))
                        .add("failed" + k, static_cast<std::int64_t>(m_failed[l]))
                        .str() +
                    cost_fields(m_costs[l], "cost" + k);
        }
        text += cost_fields(m_floor_costs, "floor0");
        write_line(m_o.report_fd, text);
    }

private:
    void wait_for_readers() {
        const auto deadline = Clock::now() + READY_TIMEOUT;
        for (;;) {
            const std::uint32_t ready = m_block.ready.load(std::memory_order_seq_cst);
            if (ready >= m_block.readers) return;
            if (Clock::now() >= deadline || m_stop.requested())
                throw std::runtime_error(std::to_string(ready) + " of " + std::to_string(m_block.readers) +
                                         " readers became ready within " + std::to_string(READY_TIMEOUT.count()) + " s");
            Control::wait_while(m_block.ready, ready, 100ms);
        }
    }

    // Publishes frame g = m_g + 1 over its lane, retrying that lane until it is published, so
    // that lane-local frame numbers stay in step with g (a reader derives g from them: frame_g).
    // Returns the cost of the call that published, or -1 if stopped or out of time.
    std::int64_t publish_next(Clock::time_point start, bool count) {
        const std::size_t lane = bench::lane_of(m_g + 1, m_lanes);
        for (;;) {
            if (m_stop.requested() || (count && out_of_time(start))) return -1;
            const Published p = m_sources[lane]->publish();
            if (p.frame_number) {
                ++m_g;
                m_block.published.store(m_g, std::memory_order_seq_cst);
                if (count) {
                    ++m_measured[lane];
                    m_costs[lane].push_back(p.cost_ns);
                }
                return p.cost_ns;
            }
            if (count) ++m_failed[lane];
        }
    }

    // Frames until every reader acknowledged enough of them in a row: all of them receive
    // on every lane, every DDS endpoint is matched, caches and pages are warm. Ends at a round
    // boundary so that measuring starts with lane 0.
    void warm_up() {
        const Clock::duration period = m_o.rate > 0 ? std::min<Clock::duration>(period_of(m_o.rate), 50ms) : 10ms;
        const auto deadline = Clock::now() + WARMUP_TIMEOUT;
        const std::size_t needed = std::max<std::size_t>(WARMUP_FRAMES, 2 * m_lanes);
        auto due = Clock::now();
        for (std::size_t consecutive = 0; consecutive < needed || m_g % m_lanes != 0;) {
            if (m_stop.requested()) throw std::runtime_error("stopped while warming up");
            if (Clock::now() >= deadline)
                throw std::runtime_error("the readers did not acknowledge " + std::to_string(needed) +
                                         " warm-up frames in a row within " + std::to_string(WARMUP_TIMEOUT.count()) +
                                         " s");
            bench::sleep_until(due);
            due = std::max(due + period, Clock::now());
            if (publish_next(Clock::now(), false) < 0) throw std::runtime_error("stopped while warming up");
            consecutive = m_control.wait_acks(m_g, ACK_TIMEOUT) ? consecutive + 1 : 0;
        }
    }

    bool out_of_time(Clock::time_point start) const {
        return m_o.seconds > 0 && Clock::now() - start >= std::chrono::duration<double>(m_o.seconds);
    }

    // One frame per period, and never before every reader finished with the previous one: the
    // readers keep up, so latency is one frame's trip and not a queue's.
    void paced() {
        const Clock::duration period = period_of(m_o.rate);
        const auto start = Clock::now();
        auto due = start;
        for (auto& c : m_costs) c.reserve(m_o.frames);
        const std::uint64_t total = static_cast<std::uint64_t>(m_o.frames) * m_lanes;
        for (std::uint64_t i = 0; i < total; ++i) {
            bench::sleep_until(due);
            if (publish_next(start, true) < 0) break;
            if (!m_control.wait_acks(m_g, ACK_TIMEOUT)) ++m_ack_timeouts;
            // A writer that fell behind starts over from now instead of bursting to catch up.
            due = std::max(due + period, Clock::now());
        }
    }

    // As fast as the writer can (one lane). Measuring the writer's cost, each call is preceded
    // by the memcpy floor of the same bytes, so both see the same machine at the same moment.
    void unpaced() {
        const bool with_floor = m_o.parsed_mode() == Mode::cost;
        const auto start = Clock::now();
        m_costs[0].reserve(1 << 16);
        while (!m_stop.requested() && !out_of_time(start)) {
            if (with_floor) {
                const std::int64_t f = m_sources[0]->floor_copy();
                if (f >= 0) m_floor_costs.push_back(f);
            }
            const Published p = m_sources[0]->publish();
            if (!p.frame_number) {
                ++m_failed[0];
                continue;
            }
            ++m_g;
            ++m_measured[0];
            m_costs[0].push_back(p.cost_ns);
        }
        m_block.published.store(m_g, std::memory_order_seq_cst);
    }

    const RoleOptions& m_o;
    Control& m_control;
    bench::ControlBlock& m_block;
    std::vector<std::unique_ptr<Source>>& m_sources;
    const StopSignal& m_stop;
    std::size_t m_lanes;
    std::uint64_t m_g = 0;  // frames published so far, over all lanes
    std::uint64_t m_ack_timeouts = 0;
    std::vector<std::vector<std::int64_t>> m_costs;
    std::vector<std::uint64_t> m_measured, m_failed;
    std::vector<std::int64_t> m_floor_costs;
};

int run_writer_role(const GlobalOptions& global, const RoleOptions& o) {
    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    stop_with_parent(o.parent);
    try {
        Control control = Control::open(o.control);
        if (control.block().lanes != o.lanes.size()) throw InvalidArgument("lane count differs from the control block's");
        // Created first, it also makes the plain-DDS baseline join smx's domain configuration.
        const Participant participant(global.domain);
        std::vector<std::unique_ptr<Source>> sources;
        for (std::size_t i = 0; i < o.lanes.size(); ++i) sources.push_back(make_source(participant, global.domain, o, i));
        StopSignal stop;
        write_line(o.report_fd, "ready");
        WriterRun(o, control, sources, stop).run();
        return STATUS_OK;
    } catch (const std::exception& e) {
        write_line(o.report_fd, error_line(e));
        return exit_status_of(e);
    }
}

// ---- reader side ---------------------------------------------------------------------------

struct Got {
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;  // the writer's, at the start of its call
    std::int64_t held_ns = 0;       // ours, when we held the consistent frame (or copy)
    bool intact = true;             // the stamps name the frame
};

class Sink {
public:
    virtual ~Sink() = default;
    virtual bool wait_ready(std::chrono::nanoseconds timeout) = 0;
    virtual std::optional<Got> next(std::chrono::nanoseconds timeout) = 0;
    virtual std::uint64_t missed() const { return 0; }
    virtual void interrupt() noexcept {}
};

// next(Hold::pin): the frame is ours, unchanged, the moment next() returns.
class SmxPinSink final : public Sink {
public:
    SmxPinSink(const Participant& p, const std::string& topic, const Schema& schema) : m_reader(p, topic, schema) {}
    bool wait_ready(std::chrono::nanoseconds timeout) override { return m_reader.wait_for_writer(timeout); }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        std::optional<Frame> f = m_reader.next(timeout, Hold::pin);
        if (!f) return std::nullopt;
        const std::int64_t held = baseline::realtime_ns();
        bool intact = true;
        for (std::size_t i = 0; i < f->schema().size() && intact; ++i)
            intact = baseline::stamped(f->bytes(i), f->frame_number());
        return Got{f->frame_number(), f->timestamp_ns(), held, intact};  // the pin is released here
    }
    std::uint64_t missed() const override { return m_reader.stats().missed; }
    void interrupt() noexcept override { m_reader.interrupt(); }

private:
    Reader m_reader;
};

// copy_next: a consistent copy in our own (pre-faulted) memory.
class SmxCopySink final : public Sink {
public:
    SmxCopySink(const Participant& p, const std::string& topic, const Schema& schema)
        : m_reader(p, topic, schema), m_schema(schema), m_copy(schema.frame_size(), std::byte{1}) {}
    bool wait_ready(std::chrono::nanoseconds timeout) override { return m_reader.wait_for_writer(timeout); }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        const CopyResult r = m_reader.copy_next(m_copy, timeout);
        if (!r) return std::nullopt;
        const std::int64_t held = baseline::realtime_ns();
        return Got{r.info.frame_number, r.info.timestamp_ns, held,
                   fields_stamped(m_schema, m_copy.data(), r.info.frame_number)};
    }
    std::uint64_t missed() const override { return m_reader.stats().missed; }
    void interrupt() noexcept override { m_reader.interrupt(); }

private:
    Reader m_reader;
    Schema m_schema;
    std::vector<std::byte> m_copy;
};

class DdsSink final : public Sink {
public:
    DdsSink(int domain, const std::string& topic, baseline::SampleKind kind)
        : m_reader(domain, topic, kind, static_cast<std::int32_t>(bench::SLOTS)) {}
    bool wait_ready(std::chrono::nanoseconds timeout) override { return m_reader.wait_matched(timeout); }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        const auto r = m_reader.take(timeout);
        if (!r) return std::nullopt;
        return Got{r->frame_number, r->timestamp_ns, r->received_ns, r->intact};
    }

private:
    baseline::PlainDdsReader m_reader;
};

std::unique_ptr<Sink> make_sink(const Participant& participant, int domain, const RoleOptions& o, std::size_t i) {
    const bench::Lane lane = o.lane(i);
    const std::string topic = o.lane_topic(i);
    switch (lane.path) {
        case Path::smx_zero_copy: return std::make_unique<SmxPinSink>(participant, topic, lane.payload.schema());
        case Path::smx_copy:
            // Measuring the writer's cost, a reader that copies would compete for memory bandwidth.
            if (o.parsed_mode() == Mode::cost) return std::make_unique<SmxPinSink>(participant, topic, lane.payload.schema());
            return std::make_unique<SmxCopySink>(participant, topic, lane.payload.schema());
        case Path::plain_dds: return std::make_unique<DdsSink>(domain, topic, baseline::SampleKind::frame);
        case Path::dds_floor: return std::make_unique<DdsSink>(domain, topic, baseline::SampleKind::tiny);
    }
    return nullptr;
}

class ReaderRun {
public:
    ReaderRun(const RoleOptions& o, Control& control, std::vector<std::unique_ptr<Sink>>& sinks, const StopSignal& stop)
        : m_o(o), m_control(control), m_block(control.block()), m_sinks(sinks), m_stop(stop), m_lanes(sinks.size()),
          m_frames(sinks.size()), m_broken(sinks.size()) {}

    void run() {
        if (m_o.parsed_mode() == Mode::idle) {
            idle();
            return;
        }
        Clock::time_point drained_since{};  // when the writer was done and nothing came; {} = not yet
        std::int64_t cpu0 = -1;
        std::uint64_t expected = 1;  // the frame g we wait for, and so the lane it comes over
        while (!m_stop.requested()) {
            const std::size_t lane = bench::lane_of(expected, m_lanes);
            if (const std::optional<Got> got = m_sinks[lane]->next(READER_POLL)) {
                drained_since = {};
                const std::uint64_t g = bench::frame_g(lane, got->frame_number, m_lanes);
                if (take(g, lane, *got) && cpu0 < 0) cpu0 = bench::process_cpu_ns();
                m_control.ack(m_o.index, g);
                expected = g + 1;
                if (finished(g)) break;
                continue;
            }
            // Nothing on the lane we expected: if the writer moved on without us (a frame lost),
            // pick up whatever the other lanes hold and carry on from the newest.
            if (m_block.published.load(std::memory_order_seq_cst) >= expected) expected = resync(expected);
            if (!m_block.done.load(std::memory_order_seq_cst)) continue;
            if (finished(expected - 1)) break;
            if (drained_since == Clock::time_point{}) drained_since = Clock::now();
            if (Clock::now() - drained_since >= DRAIN_TIMEOUT) break;
        }
        report(cpu0 < 0 ? 0 : bench::process_cpu_ns() - cpu0, 0);
    }

private:
    std::uint64_t resync(std::uint64_t expected) {
        std::uint64_t newest = expected - 1;
        for (std::size_t lane = 0; lane < m_lanes; ++lane)
            while (const std::optional<Got> got = m_sinks[lane]->next(std::chrono::nanoseconds(0))) {
                const std::uint64_t g = bench::frame_g(lane, got->frame_number, m_lanes);
                take(g, lane, *got);
                m_control.ack(m_o.index, g);
                newest = std::max(newest, g);
            }
        return newest + 1;
    }

    // Records frame g (lane `lane`); true if it is one of the measured frames.
    bool take(std::uint64_t g, std::size_t lane, const Got& got) {
        if (!got.intact) ++m_broken[lane];
        const std::uint64_t from = m_block.measure_from.load(std::memory_order_seq_cst);
        if (from == 0 || g < from) return false;
        const std::uint64_t last = m_block.last_frame.load(std::memory_order_seq_cst);
        if (m_block.done.load(std::memory_order_seq_cst) && last && g > last) return false;
        ++m_frames[lane];
        m_highest = std::max(m_highest, g);
        const std::uint64_t i = (g - from) / m_lanes;
        const auto samples = m_control.samples(m_o.index, static_cast<unsigned>(lane));
        if (m_o.parsed_mode() == Mode::latency && i < samples.size()) samples[i] = got.held_ns - got.timestamp_ns;
        return true;
    }

    bool finished(std::uint64_t just_got) const {
        if (!m_block.done.load(std::memory_order_seq_cst)) return false;
        const std::uint64_t last = m_block.last_frame.load(std::memory_order_seq_cst);
        return last == 0 || std::max(just_got, m_highest) >= last;
    }

    // Waits for frames that do not come; what it costs is the point.
    void idle() {
        Sink& sink = *m_sinks[0];
        while (!m_stop.requested() && m_block.measure_from.load(std::memory_order_seq_cst) == 0)
            if (auto g = sink.next(10ms)) m_control.ack(m_o.index, g->frame_number);
        const auto window = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_o.seconds));
        const std::int64_t cpu0 = bench::process_cpu_ns();
        const auto start = Clock::now();
        const auto end = start + window;
        while (!m_stop.requested()) {
            const auto now = Clock::now();
            if (now >= end) break;
            if (auto g = sink.next(end - now)) {
                ++m_frames[0];  // nobody publishes now: a frame here would be a bug
                m_control.ack(m_o.index, g->frame_number);
            }
        }
        report(bench::process_cpu_ns() - cpu0, ns_between(start, Clock::now()));
    }

    void report(std::int64_t cpu_ns, std::int64_t wall_ns) {
        ReportLine line("done");
        line.add("cpu_ns", cpu_ns).add("wall_ns", wall_ns);
        for (std::size_t l = 0; l < m_lanes; ++l) {
            const std::string k = std::to_string(l);
            line.add("frames" + k, static_cast<std::int64_t>(m_frames[l]))
                .add("missed" + k, static_cast<std::int64_t>(m_sinks[l]->missed()))
                .add("broken" + k, static_cast<std::int64_t>(m_broken[l]));
        }
        write_line(m_o.report_fd, line.str());
        m_block.readers_done.fetch_add(1, std::memory_order_seq_cst);
        Control::wake_all(m_block.readers_done);
    }

    const RoleOptions& m_o;
    Control& m_control;
    bench::ControlBlock& m_block;
    std::vector<std::unique_ptr<Sink>>& m_sinks;
    const StopSignal& m_stop;
    std::size_t m_lanes;
    std::vector<std::uint64_t> m_frames, m_broken;
    std::uint64_t m_highest = 0;
};

int run_reader_role(const GlobalOptions& global, const RoleOptions& o) {
    block_stop_signals();
    stop_with_parent(o.parent);
    try {
        Control control = Control::open(o.control);
        if (o.index >= control.block().readers) throw InvalidArgument("reader index out of range");
        if (control.block().lanes != o.lanes.size()) throw InvalidArgument("lane count differs from the control block's");
        const Participant participant(global.domain);
        std::vector<std::unique_ptr<Sink>> sinks;
        for (std::size_t i = 0; i < o.lanes.size(); ++i) sinks.push_back(make_sink(participant, global.domain, o, i));
        StopSignal stop([&sinks] {
            for (auto& sink : sinks) sink->interrupt();
        });  // destroyed before the sinks
        for (std::size_t i = 0; i < sinks.size(); ++i)
            if (!sinks[i]->wait_ready(READY_TIMEOUT))
                throw std::runtime_error("no writer of topic '" + o.lane_topic(i) + "' within " +
                                         std::to_string(READY_TIMEOUT.count()) + " s");
        write_line(o.report_fd, "ready");
        control.block().ready.fetch_add(1, std::memory_order_seq_cst);
        Control::wake_all(control.block().ready);
        ReaderRun(o, control, sinks, stop).run();
        return STATUS_OK;
    } catch (const std::exception& e) {
        write_line(o.report_fd, error_line(e));
        return exit_status_of(e);
    }
}

}  // namespace

Command add_writer_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<RoleOptions>();
    CLI::App* sub = app.add_subcommand("writer", "internal: the writer process of one scenario");
    sub->group("");  // hidden: started by the supervisor, not by users
    add_role_options(sub, *options);
    return {sub, [&global, options] { return run_writer_role(global, *options); }};
}

Command add_reader_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<RoleOptions>();
    CLI::App* sub = app.add_subcommand("reader", "internal: a reader process of one scenario");
    sub->group("");
    add_role_options(sub, *options);
    sub->add_option("--index", options->index, "this reader's index (0 ..)");
    return {sub, [&global, options] { return run_reader_role(global, *options); }};
}

}  // namespace smx::cli::bench
