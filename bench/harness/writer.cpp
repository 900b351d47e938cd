// `smx-bench writer` (hidden): the writer process of one scenario. It publishes frames over its
// lanes (one frame each in turn), times its own calls, and never publishes a frame before every
// reader finished the previous one (latency), or publishes as fast as it can (throughput, cost).

#include "commands.hpp"
#include "control.hpp"
#include "demo_common.hpp"
#include "lanes.hpp"
#include "os.hpp"
#include "process.hpp"
#include "role.hpp"
#include "stats.hpp"

#include <algorithm>
#include <stdexcept>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration period_of(double hz) { return seconds_of(1.0 / hz); }

class WriterRun {
public:
    WriterRun(const RoleOptions& o, Control& control, std::vector<std::unique_ptr<Source>>& sources,
              const StopSignal& stop)
        : m_o(o), m_control(control), m_block(control.block()), m_sources(sources), m_stop(stop),
          m_lanes(sources.size()), m_costs(sources.size()), m_measured(sources.size()), m_failed(sources.size()) {}

    void run() {
        wait_for_readers();
        warm_up();
        const std::int64_t cpu0 = process_cpu_ns();
        const auto start = Clock::now();
        m_block.measure_from.store(m_g + 1, std::memory_order_seq_cst);
        if (m_o.mode == Mode::latency) paced();
        if (m_o.mode == Mode::throughput || m_o.mode == Mode::cost) unpaced();
        const auto end = Clock::now();
        const bool measured = std::any_of(m_measured.begin(), m_measured.end(), [](auto n) { return n > 0; });
        m_block.last_frame.store(measured ? m_g : 0, std::memory_order_seq_cst);
        m_block.done.store(1, std::memory_order_seq_cst);
        wait_for_readers_done();
        // An idle run measures the window the readers waited in, which ends now.
        report(ns_between(start, m_o.mode == Mode::idle ? Clock::now() : end), process_cpu_ns() - cpu0);
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
            futex_wait(m_block.ready, ready, 100ms);  // slices: a stop request is seen within 100 ms
        }
    }

    // Stays (and keeps serving DDS retransmissions) until every reader has finished.
    void wait_for_readers_done() {
        auto limit = Clock::now() + DRAIN_TIMEOUT + READER_POLL * 5;
        if (m_o.mode == Mode::idle) limit += seconds_of(m_o.seconds);
        for (;;) {
            const std::uint32_t finished = m_block.readers_done.load(std::memory_order_seq_cst);
            if (finished >= m_block.readers || Clock::now() >= limit || m_stop.requested()) return;
            futex_wait(m_block.readers_done, finished, std::min<Clock::duration>(limit - Clock::now(), 100ms));
        }
    }

    bool delivered(std::uint64_t g) const { return info(m_o.lanes[lane_of(g, m_lanes)].path).delivered; }

    // Publishes frame g = m_g + 1 over its lane, retrying that lane until it is published, so
    // that lane-local frame numbers stay in step with g (a reader derives g from them: frame_g).
    // Returns false if stopped or out of time.
    bool publish_next(Clock::time_point start, bool count) {
        const std::size_t lane = lane_of(m_g + 1, m_lanes);
        for (;;) {
            if (m_stop.requested() || (count && out_of_time(start))) return false;
            const Published p = m_sources[lane]->publish();
            if (p.frame_number) {
                ++m_g;
                m_block.published.store(m_g, std::memory_order_seq_cst);
                if (count) {
                    ++m_measured[lane];
                    m_costs[lane].push_back(p.cost_ns);
                }
                return true;
            }
            if (count) ++m_failed[lane];
        }
    }

    // True once every reader acknowledged frame m_g (at once for a lane no reader receives);
    // false after ACK_TIMEOUT, or when asked to stop (seen within 100 ms).
    bool acknowledged() {
        if (!delivered(m_g)) return true;
        const auto deadline = Clock::now() + ACK_TIMEOUT;
        while (!m_stop.requested()) {
            const auto left = deadline - Clock::now();
            if (left <= Clock::duration::zero()) return false;
            if (m_control.wait_acks(m_g, std::min<Clock::duration>(left, 100ms))) return true;
        }
        return false;
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
            sleep_until(due);
            due = std::max(due + period, Clock::now());
            if (!publish_next(Clock::now(), false)) throw std::runtime_error("stopped while warming up");
            consecutive = acknowledged() ? consecutive + 1 : 0;
        }
    }

    bool out_of_time(Clock::time_point start) const {
        return m_o.seconds > 0 && Clock::now() - start >= seconds_of(m_o.seconds);
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
            sleep_until(due);
            if (!publish_next(start, true)) break;
            if (!acknowledged()) ++m_ack_timeouts;
            // A writer that fell behind starts over from now instead of bursting to catch up.
            due = std::max(due + period, Clock::now());
        }
    }

    // As fast as the writer can (one lane). Measuring the writer's cost, each call is preceded
    // by the memcpy floor of the same bytes, so both see the same machine at the same moment.
    void unpaced() {
        const bool with_floor = m_o.mode == Mode::cost;
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

    void report(std::int64_t seconds_ns, std::int64_t cpu_ns) {
        ReportLine line("done");
        line.add("ack_timeouts", static_cast<std::int64_t>(m_ack_timeouts))
            .add("seconds_ns", seconds_ns)
            .add("cpu_ns", cpu_ns);
        for (std::size_t l = 0; l < m_lanes; ++l) {
            const std::string k = std::to_string(l);
            line.add("published" + k, static_cast<std::int64_t>(m_measured[l]))
                .add("failed" + k, static_cast<std::int64_t>(m_failed[l]));
            add_percentiles(line, "cost" + k, percentiles(std::move(m_costs[l])));
        }
        add_percentiles(line, "floor0", percentiles(std::move(m_floor_costs)));
        write_line(m_o.report_fd, line.str());
    }

    const RoleOptions& m_o;
    Control& m_control;
    ControlBlock& m_block;
    std::vector<std::unique_ptr<Source>>& m_sources;
    const StopSignal& m_stop;
    std::size_t m_lanes;
    std::uint64_t m_g = 0;  // frames published so far, over all lanes
    std::uint64_t m_ack_timeouts = 0;
    std::vector<std::vector<std::int64_t>> m_costs;
    std::vector<std::uint64_t> m_measured, m_failed;
    std::vector<std::int64_t> m_floor_costs;
};

int run_writer(const GlobalOptions& global, const RoleOptions& o) {
    keep_stdout_clean();
    block_stop_signals();  // before Cyclone or iceoryx start their threads: they inherit the mask
    stop_with_parent(o.parent);
    try {
        Control control = Control::open(o.control);
        if (control.block().lanes != o.lanes.size()) throw InvalidArgument("lane count differs from the control block's");
        // Created first, it also makes the plain-DDS baseline join smx's domain configuration.
        apply(o.dds);
        const Participant participant(global.domain);
        const LaneContext context{participant, global.domain, o.mode};
        std::vector<std::unique_ptr<Source>> sources;
        for (std::size_t i = 0; i < o.lanes.size(); ++i) sources.push_back(make_source(context, o.lanes[i], o.lane_topic(i)));
        StopSignal stop;
        write_line(o.report_fd, "ready");
        WriterRun(o, control, sources, stop).run();
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
    return {sub, [&global, options] { return run_writer(global, *options); }};
}

}  // namespace smx::cli::bench
