// `smx hz TOPIC`: the rate at which a topic's frames arrive, like `ros2 topic hz`: once a second
// the rate, the shortest and longest period, their mean and standard deviation (jitter), over
// the last --window frames, measured when this reader receives each frame.

#include "cli.hpp"
#include "meter.hpp"
#include "topic_common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <optional>

namespace smx::cli {

namespace {

constexpr const char* HZ_FOOTER = R"TEXT(
Once a second, over the last --window frames received:
  rate 30.00 Hz  period min 32.10 ms  max 34.52 ms  mean 33.33 ms  std dev 0.41 ms  window 30
rate    = frames the writer published between the oldest and newest frame of the window
          (newest minus oldest frame number, so frames this reader skipped count too),
          divided by the time between receiving those two frames;
period  = time between receiving consecutive frames (divided by the frame-number gap when
          this reader skipped frames); std dev is the jitter.
Times are taken when this process receives each frame — what a consumer sees, including
wake-up and scheduling delays. A final line "final ..." is printed at the end (Ctrl-C or
--seconds). A writer that restarts starts a new window. When frames stop coming, a line
  no new frames for 2.004 s (the writer is idle)      (or: writer gone, waiting for a writer)
replaces the rate until they come again. `smx bw` measures bytes per second the same way.

Examples:
  smx hz camera                      until Ctrl-C
  smx hz camera --window 50          statistics over the last 50 frames
  smx hz camera --seconds 5          measure for 5 s, print the final line and exit
)TEXT";

struct HzOptions {
    DomainOption domain;
    std::string topic;
    std::size_t window = 1000;
    double seconds = 0;
    double timeout = DEFAULT_TIMEOUT_S;
};

struct Arrival {
    std::uint64_t frame;
    MeterClock::time_point at;
};

// The statistics over a window of arrivals; empty when it has fewer than two.
std::optional<std::string> statistics(const std::deque<Arrival>& window) {
    if (window.size() < 2) return std::nullopt;
    const double span = std::chrono::duration<double>(window.back().at - window.front().at).count();
    if (span <= 0) return std::nullopt;
    const double rate = static_cast<double>(window.back().frame - window.front().frame) / span;
    double lo = INFINITY, hi = 0, sum = 0, sum_sq = 0;
    for (std::size_t i = 1; i < window.size(); ++i) {
        const double gap = static_cast<double>(window[i].frame - window[i - 1].frame);
        const double period = std::chrono::duration<double>(window[i].at - window[i - 1].at).count() / gap;
        lo = std::min(lo, period);
        hi = std::max(hi, period);
        sum += period;
        sum_sq += period * period;
    }
    const double n = static_cast<double>(window.size() - 1);
    const double mean = sum / n;
    const double stddev = std::sqrt(std::max(0.0, sum_sq / n - mean * mean));
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%.2f Hz", rate);
    return "rate " + std::string(rate_text) + "  period min " + format_duration(lo) + "  max " + format_duration(hi) +
           "  mean " + format_duration(mean) + "  std dev " + format_duration(stddev) + "  window " +
           std::to_string(window.size());
}

// Rate, period and jitter over the last `size` frames received.
class HzMeter : public FrameMeter {
public:
    explicit HzMeter(std::size_t size) : m_size(size) {}
    void restart() override { m_window.clear(); }
    void add(const Frame& frame, MeterClock::time_point at) override {
        m_window.push_back({frame.frame_number(), at});
        while (m_window.size() > m_size) m_window.pop_front();
    }
    std::optional<std::string> line() override { return statistics(m_window); }
    std::string final_line(std::uint64_t received, std::uint64_t skipped) override {
        if (const auto text = statistics(m_window))
            return "final " + *text + "  received " + std::to_string(received) + "  skipped " + std::to_string(skipped);
        return "final: fewer than two frames received (" + std::to_string(received) + ")";
    }

private:
    std::size_t m_size;
    std::deque<Arrival> m_window;
};

int run_hz(const GlobalOptions& global, const HzOptions& o) {
    MeterRun run;
    run.topics = {o.topic};
    run.seconds = o.seconds;
    run.timeout = o.timeout;
    return run_meters(o.domain.resolve(global), run, [&o] { return std::make_unique<HzMeter>(o.window); });
}

}  // namespace

Command add_hz_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<HzOptions>();
    CLI::App* sub = app.add_subcommand("hz", "the rate of a topic: frames per second, min/max period, jitter");
    sub->add_option("topic", options->topic, "the topic")->required();
    sub->add_option("--window", options->window, "statistics over the last N frames (at least 2)")
        ->check(CLI::Range(std::size_t{2}, std::size_t{1000000}))
        ->capture_default_str();
    sub->add_option("--seconds", options->seconds, "measure this long, print the final line and exit (0: until Ctrl-C)")
        ->check(seconds_check(86400))
        ->capture_default_str();
    add_timeout_option(sub, options->timeout, "seconds to wait for the writer and for its first frame (0: forever)");
    add_domain_option(sub, options->domain);
    sub->footer(std::string(HZ_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_hz(global, *options); }};
}

}  // namespace smx::cli
