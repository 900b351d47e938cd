// `smx-bench reader` (hidden): a reader process of one scenario. It takes the frames of every
// lane in the order the writer publishes them, stores one latency sample per measured frame in
// the control block and acknowledges each frame, so that a paced writer never runs ahead.

#include "commands.hpp"
#include "control.hpp"
#include "demo_common.hpp"
#include "lanes.hpp"
#include "os.hpp"
#include "process.hpp"
#include "role.hpp"

#include <algorithm>
#include <stdexcept>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

class ReaderRun {
public:
    ReaderRun(const RoleOptions& o, Control& control, std::vector<std::unique_ptr<Sink>>& sinks, const StopSignal& stop)
        : m_o(o), m_control(control), m_block(control.block()), m_sinks(sinks), m_stop(stop), m_lanes(sinks.size()),
          m_frames(sinks.size()), m_broken(sinks.size()) {}

    void run() {
        if (m_o.mode == Mode::idle) return idle();
        const std::int64_t cpu_ns = receive();
        report(cpu_ns, 0);
    }

private:
    // Takes frames until the writer's last one (or until it is clearly not coming); returns the
    // CPU this process used from the first measured frame on.
    std::int64_t receive() {
        Clock::time_point drained_since{};  // when the writer was done and nothing came; {} = not yet
        std::int64_t cpu0 = -1;
        std::uint64_t expected = next_delivered(1);  // the frame g we wait for, and so its lane
        while (!m_stop.requested()) {
            const std::size_t lane = lane_of(expected, m_lanes);
            if (const std::optional<Got> got = m_sinks[lane]->next(READER_POLL)) {
                drained_since = {};
                const std::uint64_t g = frame_g(lane, got->frame_number, m_lanes);
                if (take(g, lane, *got) && cpu0 < 0) cpu0 = process_cpu_ns();
                m_control.ack(m_o.index, g);
                expected = next_delivered(g + 1);
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
        return cpu0 < 0 ? 0 : process_cpu_ns() - cpu0;
    }

    // The first frame from g on that readers receive (the memcpy floor's are the writer's alone).
    std::uint64_t next_delivered(std::uint64_t g) const {
        for (std::size_t i = 0; i < m_lanes && !m_sinks[lane_of(g, m_lanes)]; ++i) ++g;
        return g;
    }

    std::uint64_t resync(std::uint64_t expected) {
        std::uint64_t newest = expected - 1;
        for (std::size_t lane = 0; lane < m_lanes; ++lane)
            while (const std::optional<Got> got = m_sinks[lane] ? m_sinks[lane]->next(0ns) : std::nullopt) {
                const std::uint64_t g = frame_g(lane, got->frame_number, m_lanes);
                take(g, lane, *got);
                m_control.ack(m_o.index, g);
                newest = std::max(newest, g);
            }
        return next_delivered(newest + 1);
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
        note_gap();
        const std::uint64_t i = (g - from) / m_lanes;
        const auto samples = m_control.samples(m_o.index, static_cast<unsigned>(lane));
        if (m_o.mode == Mode::latency && i < samples.size()) samples[i] = got.held_ns - got.timestamp_ns;
        return true;
    }

    // The longest time between two measured frames: a stall, if the writer runs at full speed.
    void note_gap() {
        const auto now = Clock::now();
        if (m_last_taken != Clock::time_point{}) m_max_gap_ns = std::max(m_max_gap_ns, ns_between(m_last_taken, now));
        m_last_taken = now;
    }

    // True once the writer is done and this reader has its last frame that readers receive.
    bool finished(std::uint64_t just_got) const {
        if (!m_block.done.load(std::memory_order_seq_cst)) return false;
        std::uint64_t last = m_block.last_frame.load(std::memory_order_seq_cst);
        if (last == 0) return true;
        for (std::size_t i = 0; i < m_lanes && last > 1 && !m_sinks[lane_of(last, m_lanes)]; ++i) --last;
        return std::max(just_got, m_highest) >= last;
    }

    // Waits for frames that do not come; what it costs is the point.
    void idle() {
        Sink& sink = *m_sinks[0];
        while (!m_stop.requested() && m_block.measure_from.load(std::memory_order_seq_cst) == 0)
            if (auto g = sink.next(10ms)) m_control.ack(m_o.index, g->frame_number);
        const std::int64_t cpu0 = process_cpu_ns();
        const auto start = Clock::now();
        const auto end = start + seconds_of(m_o.seconds);
        while (!m_stop.requested()) {
            const auto now = Clock::now();
            if (now >= end) break;
            if (auto g = sink.next(end - now)) {
                ++m_frames[0];  // nobody publishes now: a frame here would be a bug
                m_control.ack(m_o.index, g->frame_number);
            }
        }
        report(process_cpu_ns() - cpu0, ns_between(start, Clock::now()));
    }

    void report(std::int64_t cpu_ns, std::int64_t wall_ns) {
        ReportLine line("done");
        line.add("cpu_ns", cpu_ns).add("wall_ns", wall_ns).add("max_gap_ns", m_max_gap_ns);
        for (std::size_t l = 0; l < m_lanes; ++l) {
            const std::string k = std::to_string(l);
            line.add("frames" + k, static_cast<std::int64_t>(m_frames[l]))
                .add("missed" + k, static_cast<std::int64_t>(m_sinks[l] ? m_sinks[l]->missed() : 0))
                .add("broken" + k, static_cast<std::int64_t>(m_broken[l]));
        }
        write_line(m_o.report_fd, line.str());
        m_block.readers_done.fetch_add(1, std::memory_order_seq_cst);
        futex_wake_all(m_block.readers_done);
    }

    const RoleOptions& m_o;
    Control& m_control;
    ControlBlock& m_block;
    std::vector<std::unique_ptr<Sink>>& m_sinks;  // nullptr for lanes no reader receives
    const StopSignal& m_stop;
    std::size_t m_lanes;
    std::vector<std::uint64_t> m_frames, m_broken;
    std::uint64_t m_highest = 0;
    Clock::time_point m_last_taken{};
    std::int64_t m_max_gap_ns = 0;
};

void wait_until_ready(std::vector<std::unique_ptr<Sink>>& sinks, const RoleOptions& o) {
    for (std::size_t i = 0; i < sinks.size(); ++i)
        if (sinks[i] && !sinks[i]->wait_ready(READY_TIMEOUT))
            throw std::runtime_error("no writer of topic '" + o.lane_topic(i) + "' within " +
                                     std::to_string(READY_TIMEOUT.count()) + " s");
}

int run_reader(const GlobalOptions& global, const RoleOptions& o) {
    keep_stdout_clean();
    block_stop_signals();
    stop_with_parent(o.parent);
    try {
        Control control = Control::open(o.control);
        if (o.index >= control.block().readers) throw InvalidArgument("reader index out of range");
        if (control.block().lanes != o.lanes.size()) throw InvalidArgument("lane count differs from the control block's");
        apply(o.dds);
        const Participant participant(global.domain);
        const LaneContext context{participant, global.domain, o.mode,
                                  std::chrono::nanoseconds(static_cast<std::int64_t>(o.spin_us * 1e3))};
        std::vector<std::unique_ptr<Sink>> sinks;
        for (std::size_t i = 0; i < o.lanes.size(); ++i) sinks.push_back(make_sink(context, o.lanes[i], o.lane_topic(i)));
        StopSignal stop([&sinks] {
            for (auto& sink : sinks)
                if (sink) sink->interrupt();
        });  // destroyed before the sinks
        wait_until_ready(sinks, o);
        write_line(o.report_fd, "ready");
        control.block().ready.fetch_add(1, std::memory_order_seq_cst);
        futex_wake_all(control.block().ready);
        ReaderRun(o, control, sinks, stop).run();
        return STATUS_OK;
    } catch (const std::exception& e) {
        write_line(o.report_fd, error_line(e));
        return exit_status_of(e);
    }
}

}  // namespace

Command add_reader_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<RoleOptions>();
    CLI::App* sub = app.add_subcommand("reader", "internal: a reader process of one scenario");
    sub->group("");  // hidden: started by the supervisor, not by users
    add_role_options(sub, *options);
    sub->add_option("--index", options->index, "this reader's index (0 ..)");
    return {sub, [&global, options] { return run_reader(global, *options); }};
}

}  // namespace smx::cli::bench
