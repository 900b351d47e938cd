// `smx hz TOPIC`: the rate at which a topic's frames arrive, like `ros2 topic hz`: once a second
// the rate, the shortest and longest period, their mean and standard deviation (jitter), over
// the last --window frames, measured when this reader receives each frame.

#include "cli.hpp"
#include "process.hpp"
#include "topic_common.hpp"

#include <smx/smx.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <deque>
#include <optional>

namespace smx::cli {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto PRINT_PERIOD = 1s;

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
replaces the rate until they come again.

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
    Clock::time_point at;
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

int run_hz(const GlobalOptions& global, const HzOptions& o) {
    const int domain = o.domain.resolve(global);
    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    std::signal(SIGPIPE, SIG_IGN);  // a closed stdout ends the loop (EPIPE), not the process
    TopicReader topic(domain, o.topic);
    StopSignal stop([&topic] { topic.reader.interrupt(); });
    if (!wait_for_writer_or_fail(topic, domain, o.topic, o.timeout, stop)) return STATUS_OK;

    const Clock::time_point start = Clock::now();
    const std::optional<Clock::time_point> end =
        o.seconds > 0 ? std::optional(start + std::chrono::duration_cast<Clock::duration>(to_ns(o.seconds))) : std::nullopt;
    std::deque<Arrival> window;
    std::uint64_t attachments = topic.reader.stats().attachments, received = 0, missed_at_start = topic.reader.stats().missed;
    Clock::time_point next_print = start + PRINT_PERIOD;
    bool got_any = false;
    bool skip_next = true;
    Clock::time_point last_arrival = start;
    while (!stop.requested()) {
        const Clock::time_point now = Clock::now();
        if (end && now >= *end) break;
        const Clock::time_point wake = end ? std::min(next_print, *end) : next_print;
        if (std::optional<Frame> frame = topic.reader.next(std::max(Clock::duration::zero(), wake - now))) {
            const Arrival a{frame->frame_number(), Clock::now()};
            const ReaderStats s = topic.reader.stats();
            // A new session numbers its frames from 1 again.
            if (s.attachments != attachments || (!window.empty() && a.frame <= window.back().frame)) {
                window.clear();
                attachments = s.attachments;
                skip_next = true;
            }
            // The first frame after attaching was published before this reader came: when it
            // arrived says nothing about the writer's period.
            if (!skip_next) window.push_back(a);
            skip_next = false;
            got_any = true;
            last_arrival = a.at;
            while (window.size() > o.window) window.pop_front();
            ++received;
        }
        if (Clock::now() >= next_print) {
            next_print += PRINT_PERIOD;
            const auto quiet = Clock::now() - last_arrival;
            // Frames stopped: say so, rather than repeat the rate of a window that no longer moves.
            if (got_any && quiet >= PRINT_PERIOD)
                std::printf("no new frames for %s (%s)\n",
                            format_duration(std::chrono::duration<double>(quiet).count()).c_str(),
                            topic.reader.state() == ReaderState::writer_gone ? "writer gone"
                            : topic.reader.state() == ReaderState::attached  ? "the writer is idle"
                                                                              : "waiting for a writer");
            else if (const auto text = statistics(window))
                std::printf("%s\n", text->c_str());
            else if (!got_any && o.timeout > 0 && Clock::now() - start >= to_ns(o.timeout))
                throw CommandError(STATUS_RUNTIME, "topic '" + o.topic + "' in domain " + std::to_string(domain) +
                                                       " has a writer, but it published no frame within " +
                                                       format_seconds(o.timeout));
            else
                std::printf("no new frames yet (%s)\n",
                            topic.reader.state() == ReaderState::attached ? "the writer is idle" : "waiting for a writer");
            if (std::fflush(stdout) != 0) break;  // the reading end closed
        }
    }
    const std::uint64_t missed = topic.reader.stats().missed - missed_at_start;
    if (const auto text = statistics(window))
        std::printf("final %s  received %llu  skipped %llu\n", text->c_str(), static_cast<unsigned long long>(received),
                    static_cast<unsigned long long>(missed));
    else
        std::printf("final: fewer than two frames received (%llu)\n", static_cast<unsigned long long>(received));
    std::fflush(stdout);
    return STATUS_OK;
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
