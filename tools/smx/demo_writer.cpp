// `smx demo-writer` (hidden): the demo's synthetic RGB-D camera. Fills every frame in place
// (Writer::loan + publish) with bytes derived from its frame number (pattern.hpp), at a fixed
// rate or as fast as it can, and reports to its parent once a second until a stop signal.

#include "cli.hpp"
#include "demo_common.hpp"
#include "pattern.hpp"
#include "process.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <optional>

namespace smx::cli {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto WRITER_REPORT_PERIOD = std::chrono::seconds(1);
// How long a loan may wait for a reader to release a pinned slot before the attempt counts as
// "all slots held"; short enough that a stop request is noticed promptly.
constexpr auto FULL_WAIT = std::chrono::milliseconds(100);

struct WriterRoleOptions {
    std::string topic;
    std::string size = "848x480";
    std::string rate = "30";
    std::uint32_t slots = 3;
    int report_fd = 1;
    pid_t parent = 0;
};

// When the next frame is due ("max": always now). A writer that fell behind starts over from
// now instead of bursting to catch up: a camera drops frames, it does not send them late.
class Pacer {
public:
    explicit Pacer(std::optional<double> hz) {
        if (hz) m_period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / *hz));
    }
    Clock::time_point due() const noexcept { return m_due; }
    void advance(Clock::time_point now) noexcept {
        m_due += m_period;
        if (m_due < now) m_due = now;
    }

private:
    Clock::duration m_period{0};
    Clock::time_point m_due = Clock::now();
};

struct WriterCounts {
    std::int64_t published = 0;
    std::int64_t held = 0;  // attempts that found every slot pinned by readers

    std::string line(const char* kind, Clock::duration elapsed) const {
        return ReportLine(kind)
            .add("ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count())
            .add("published", published)
            .add("held", held)
            .str();
    }
};

// One frame filled in place; false if every slot was held by readers.
bool publish_frame(Writer& writer) {
    std::optional<Loan> loan = writer.loan();
    if (!loan) return false;
    pattern::fill_all(*loan, loan->frame_number());
    return static_cast<bool>(writer.publish(std::move(*loan)));
}

Writer open_writer(const Participant& participant, const WriterRoleOptions& o) {
    const FrameSize size = *parse_frame_size(o.size);
    WriterOptions options;
    options.slots = o.slots;
    options.when_full = WhenFull::wait;
    options.full_wait = FULL_WAIT;
    return Writer(participant, o.topic, pattern::rgbd_schema(size.width, size.height), options);
}

void run_camera(Writer& writer, StopSignal& stop, const WriterRoleOptions& o) {
    Pacer pacer(*parse_rate(o.rate));
    WriterCounts tick, total;
    const Clock::time_point start = Clock::now();
    Clock::time_point tick_start = start;
    while (!stop.requested()) {
        const Clock::time_point now = Clock::now();
        if (now - tick_start >= WRITER_REPORT_PERIOD) {
            write_line(o.report_fd, tick.line("tick", now - tick_start));
            tick = {};
            tick_start = now;
        }
        if (now >= pacer.due()) {
            const bool published = publish_frame(writer);
            for (WriterCounts* c : {&tick, &total}) (published ? c->published : c->held) += 1;
            pacer.advance(now);
        } else {
            stop.wait_until(std::min(pacer.due(), tick_start + WRITER_REPORT_PERIOD));
        }
    }
    const Clock::duration elapsed = Clock::now() - start;  // the rate of writing, not of closing
    writer.close();
    write_line(o.report_fd, total.line("done", elapsed));
}

int run_writer_role(const GlobalOptions& global, const WriterRoleOptions& o) {
    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    stop_with_parent(o.parent);
    try {
        const Participant participant(global.domain);
        Writer writer = open_writer(participant, o);
        StopSignal stop;
        write_line(o.report_fd, ReportLine("ready").add("segment", writer.segment_name()).str());
        run_camera(writer, stop, o);
        return STATUS_OK;
    } catch (const std::exception& e) {
        write_line(o.report_fd, error_line(e));
        return exit_status_of(e);
    }
}

}  // namespace

Command add_demo_writer_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<WriterRoleOptions>();
    CLI::App* sub = app.add_subcommand("demo-writer", "internal: the writer process of 'smx demo'");
    sub->group("");  // hidden: started by 'smx demo', not by users
    sub->add_option("--topic", options->topic, "topic to write")->required();
    sub->add_option("--size", options->size, "frame size WxH")
        ->check(CLI::Validator(check_frame_size, "WxH", "frame size"));
    sub->add_option("--rate", options->rate, "frames per second, or max")
        ->check(CLI::Validator(check_rate, "HZ|max", "rate"));
    sub->add_option("--slots", options->slots, "frame slots")->check(CLI::Range(2, 1024));
    sub->add_option("--report-fd", options->report_fd, "descriptor for report lines");
    sub->add_option("--parent", options->parent, "pid whose death stops this process");
    sub->footer("\nThe writer process that 'smx demo' starts, with its report pipe; not meant to be run by hand.\n\n"
                "Example:\n  smx demo    starts it (see 'smx demo --help')");
    return {sub, [&global, options] { return run_writer_role(global, *options); }};
}

}  // namespace smx::cli
