// `smx bw TOPIC...`: the bandwidth of topics, like `ros2 topic bw`: once per --window seconds,
// the bytes per second the writer publishes, its frames per second and the frame size. The
// frames counted are those the writer wrote (from frame numbers, so frames this reader skipped
// count too); the times are those at which this reader received them.

#include "cli.hpp"
#include "meter.hpp"
#include "topic_common.hpp"

#include <smx/schema.hpp>

#include <cstdio>
#include <optional>

namespace smx::cli {

namespace {

constexpr const char* BW_FOOTER = R"TEXT(
Once per --window seconds (default 1), for each topic:
  bw 73.2 MB/s  30.00 frames/s  frame size 2.4 MB  (30 written, 30 received in 1.001 s)
bw        = frames written x frame size / time: the bandwidth the writer publishes;
frames    = frames the writer published between the last frame received before the window
            and the newest frame received in it (difference of their frame numbers, so frames
            this reader skipped count too), divided by the time between receiving the two;
frame size = the bytes of the schema's fields (the data, without the alignment padding of a
            slot in shared memory).
"received" counts the frames this reader took in the window; fewer than written means it
skipped some (it was slower than the writer, which never waits for readers). Times are taken
when this process receives each frame, as in `smx hz`; the first frame after attaching is not
timed. With several topics each line starts with "TOPIC: ". At the end (Ctrl-C, --duration,
--count windows) a line "final bw ..." covers the whole run. When frames stop coming, a line
  no new frames for 2.004 s (the writer is idle)      (or: writer gone, waiting for a writer)
replaces the bandwidth until they come again.

Examples:
  smx bw camera                      until Ctrl-C
  smx bw camera lidar                two topics, one line each per window
  smx bw camera --window 5           one line per 5 s
  smx bw camera --count 3            three windows, the final line, and exit
  smx bw camera --duration 10        measure for 10 s
)TEXT";

struct BwOptions {
    DomainOption domain;
    std::vector<std::string> topics;
    double window = 1;
    std::uint64_t count = 0;
    double duration = 0;
    double timeout = DEFAULT_TIMEOUT_S;
};

// Bytes of a frame's data: its fields, without padding.
std::uint64_t data_bytes(const Schema& schema) {
    std::uint64_t bytes = 0;
    for (const Field& f : schema.fields()) bytes += f.nbytes();
    return bytes;
}

// "bw 73.2 MB/s  30.00 frames/s  frame size 2.4 MB": `frames` frames of `bytes` bytes in all.
std::string bandwidth_text(std::uint64_t frames, double bytes, double seconds, std::uint64_t frame_bytes) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.2f", static_cast<double>(frames) / seconds);
    return "bw " + format_bytes(static_cast<std::uint64_t>(bytes / seconds)) + "/s  " + rate +
           " frames/s  frame size " + format_bytes(frame_bytes);
}

// Frames written x frame size over consecutive windows. Each window runs from the last frame
// received before it (the anchor) to the newest received in it, so the windows tile the time.
class BwMeter : public FrameMeter {
public:
    void restart() override {
        m_anchor.reset();
        m_newest.reset();
        m_received = 0;
    }
    void add(const Frame& frame, MeterClock::time_point at) override {
        m_frame_bytes = data_bytes(frame.schema());
        const Point p{frame.frame_number(), at};
        // A frame number that does not grow is a new writer session the reader took without a
        // restart() (frame numbers start again at 1): a window never spans two sessions, or its
        // frames written would be the difference of unrelated numbers.
        const Point* last = m_newest ? &*m_newest : m_anchor ? &*m_anchor : nullptr;
        if (!last || p.frame <= last->frame) {
            restart();
            m_anchor = p;
            return;
        }
        m_newest = p;
        ++m_received;
    }
    std::optional<std::string> line() override {
        if (!m_anchor || !m_newest) return std::nullopt;
        const double seconds = std::chrono::duration<double>(m_newest->at - m_anchor->at).count();
        if (seconds <= 0) return std::nullopt;
        const std::uint64_t written = m_newest->frame - m_anchor->frame;
        m_total_frames += written;
        m_total_received += m_received;
        m_total_seconds += seconds;
        m_total_bytes += static_cast<double>(written) * static_cast<double>(m_frame_bytes);
        std::string text = bandwidth_text(written, static_cast<double>(written) * static_cast<double>(m_frame_bytes),
                                          seconds, m_frame_bytes) +
                           "  (" + std::to_string(written) + " written, " + std::to_string(m_received) +
                           " received in " + format_duration(seconds) + ")";
        m_anchor = m_newest;
        m_newest.reset();
        m_received = 0;
        return text;
    }
    std::string final_line(std::uint64_t received, std::uint64_t skipped) override {
        (void)line();  // the frames of the last, unfinished window count too
        if (m_total_seconds <= 0) return "final: fewer than two frames received (" + std::to_string(received) + ")";
        return "final " + bandwidth_text(m_total_frames, m_total_bytes, m_total_seconds, m_frame_bytes) + "  (" +
               std::to_string(m_total_frames) + " written in " + format_duration(m_total_seconds) + "; received " +
               std::to_string(m_total_received) + ", skipped " + std::to_string(skipped) + ")";
    }

private:
    struct Point {
        std::uint64_t frame;
        MeterClock::time_point at;
    };
    std::optional<Point> m_anchor, m_newest;
    std::uint64_t m_received = 0;      // frames taken since the anchor
    std::uint64_t m_frame_bytes = 0;   // of the session measured now
    std::uint64_t m_total_frames = 0;  // over the run, every session
    std::uint64_t m_total_received = 0;  // of them, taken by this reader (a window's anchor starts it, not counted)
    double m_total_bytes = 0, m_total_seconds = 0;
};

int run_bw(const GlobalOptions& global, const BwOptions& o) {
    MeterRun run;
    run.topics = o.topics;
    run.period = to_ns(o.window);
    run.seconds = o.duration;
    run.count = o.count;
    run.timeout = o.timeout;
    return run_meters(o.domain.resolve(global), run, [] { return std::make_unique<BwMeter>(); });
}

}  // namespace

Command add_bw_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<BwOptions>();
    CLI::App* sub = app.add_subcommand("bw", "the bandwidth of topics: bytes and frames per second, frame size");
    sub->add_option("topic", options->topics, "the topics (one or more)")->required();
    sub->add_option("--window", options->window, "seconds per line: the bandwidth over each window of this length")
        ->check(finite_range(0.01, 3600.0))
        ->capture_default_str();
    sub->add_option("--count", options->count, "exit after this many windows (0: until Ctrl-C)")
        ->check(count_check())
        ->capture_default_str();
    sub->add_option("--duration,--seconds", options->duration,
                    "measure this long, print the final line and exit (0: until Ctrl-C)")
        ->check(seconds_check(86400))
        ->capture_default_str();
    add_timeout_option(sub, options->timeout, "seconds to wait for the writers and for their first frame (0: forever)");
    add_domain_option(sub, options->domain);
    sub->footer(std::string(BW_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_bw(global, *options); }};
}

}  // namespace smx::cli
