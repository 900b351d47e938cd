// `smx demo-reader` (hidden): one reader process of the demo. Blocks in Reader::next for each
// new frame, checks every byte against the frame number (pattern.hpp), asks the frame whether
// it stayed consistent, and reports to its parent once a second until a stop signal.

#include "cli.hpp"
#include "demo_common.hpp"
#include "latency.hpp"
#include "pattern.hpp"
#include "process.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <ctime>
#include <optional>

namespace smx::cli {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto READER_REPORT_PERIOD = std::chrono::seconds(1);

struct ReaderRoleOptions {
    std::string topic;
    std::string size = "848x480";
    std::string hold = "view";
    int report_fd = 1;
    pid_t parent = 0;
};

/// What checking one frame found.
enum class Verdict {
    consistent,     ///< every byte right, and the frame says it stayed unchanged
    torn_detected,  ///< the frame says the writer reused its slot meanwhile: not trusted
    torn_accepted,  ///< the frame says unchanged, yet its bytes are wrong: the bug we must never see
};

Verdict verify(const Frame& frame) {
    const bool bytes_right = pattern::check_all(frame, frame.frame_number());
    // Asked after reading: a true answer covers every byte read before it (seqlock).
    if (!frame.valid()) return Verdict::torn_detected;
    return bytes_right ? Verdict::consistent : Verdict::torn_accepted;
}

std::int64_t realtime_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// What one reader saw over an interval (a report period, or the whole run).
struct Tally {
    std::int64_t frames = 0;
    std::int64_t torn_detected = 0;
    std::int64_t torn_accepted = 0;
    LatencyHistogram latency;

    void count(Verdict v, std::optional<std::int64_t> latency_ns) {
        switch (v) {
            case Verdict::consistent:
                ++frames;
                if (latency_ns) latency.add(*latency_ns);
                break;
            case Verdict::torn_detected: ++torn_detected; break;
            case Verdict::torn_accepted: ++torn_accepted; break;
        }
    }

    void reset() {
        frames = torn_detected = torn_accepted = 0;
        latency.clear();
    }

    std::string line(const char* kind, Clock::duration elapsed, std::uint64_t missed) const {
        return ReportLine(kind)
            .add("ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count())
            .add("frames", frames)
            .add("p50_ns", latency.quantile(0.50))
            .add("p99_ns", latency.quantile(0.99))
            .add("missed", static_cast<std::int64_t>(missed))
            .add("torn_detected", torn_detected)
            .add("torn_accepted", torn_accepted)
            .str();
    }
};

void run_checks(Reader& reader, const StopSignal& stop, Hold hold, int report_fd) {
    Tally tick, total;
    const Clock::time_point start = Clock::now();
    Clock::time_point tick_start = start;
    std::uint64_t missed_before_tick = 0;
    // The first frame a late joiner gets was published before it subscribed: its age is not a
    // notice latency, so frames older than this are checked but not timed.
    const std::int64_t joined_ns = realtime_ns();
    while (!stop.requested()) {
        const auto wait = std::max(Clock::duration::zero(), tick_start + READER_REPORT_PERIOD - Clock::now());
        if (std::optional<Frame> frame = reader.next(wait, hold)) {
            const Verdict v = verify(*frame);
            // Notice-to-consistent-view latency: now we hold a frame checked consistent.
            const std::int64_t now_ns = realtime_ns();
            std::optional<std::int64_t> latency_ns;
            if (frame->timestamp_ns() >= joined_ns) latency_ns = now_ns - frame->timestamp_ns();
            for (Tally* t : {&tick, &total}) t->count(v, latency_ns);
        }
        const Clock::time_point now = Clock::now();
        if (now - tick_start >= READER_REPORT_PERIOD) {
            const std::uint64_t missed = reader.stats().missed;
            write_line(report_fd, tick.line("tick", now - tick_start, missed - missed_before_tick));
            missed_before_tick = missed;
            tick.reset();
            tick_start = now;
        }
    }
    write_line(report_fd, total.line("done", Clock::now() - start, reader.stats().missed));
}

int run_reader_role(const GlobalOptions& global, const ReaderRoleOptions& o) {
    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    stop_with_parent(o.parent);
    try {
        const FrameSize size = *parse_frame_size(o.size);
        const Participant participant(global.domain);
        Reader reader(participant, o.topic, pattern::rgbd_schema(size.width, size.height));
        StopSignal stop([&reader] { reader.interrupt(); });  // destroyed before the reader
        run_checks(reader, stop, o.hold == "pin" ? Hold::pin : Hold::view, o.report_fd);
        return STATUS_OK;
    } catch (const std::exception& e) {
        write_line(o.report_fd, error_line(e));
        return exit_status_of(e);
    }
}

}  // namespace

Command add_demo_reader_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<ReaderRoleOptions>();
    CLI::App* sub = app.add_subcommand("demo-reader", "internal: a reader process of 'smx demo'");
    sub->group("");  // hidden: started by 'smx demo', not by users
    sub->add_option("--topic", options->topic, "topic to read")->required();
    sub->add_option("--size", options->size, "frame size WxH")
        ->check(CLI::Validator(check_frame_size, "WxH", "frame size"));
    sub->add_option("--hold", options->hold, "view (check valid() after use) or pin")
        ->check(CLI::IsMember({"view", "pin"}));
    sub->add_option("--report-fd", options->report_fd, "descriptor for report lines");
    sub->add_option("--parent", options->parent, "pid whose death stops this process");
    sub->footer("\nThe reader process that 'smx demo' starts, with its report pipe; not meant to be run by hand.\n\n"
                "Example:\n  smx demo    starts it (see 'smx demo --help')");
    return {sub, [&global, options] { return run_reader_role(global, *options); }};
}

}  // namespace smx::cli
