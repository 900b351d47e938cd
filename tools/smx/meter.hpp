#pragma once
// What `smx hz` and `smx bw` share: readers that take every frame of one or more topics as it
// arrives (one thread per topic, blocked in Reader::next), and a loop that prints one line per
// topic and period — the measurement, or why there is none ("no new frames for 2.004 s (writer
// gone)") — until Ctrl-C, --seconds or --count, then one "final" line per topic. What is
// measured is the FrameMeter's business.

#include "cli.hpp"

#include <smx/frame.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace smx::cli {

using MeterClock = std::chrono::steady_clock;

/// The statistics of one topic. Called with a lock held: by the topic's receiving thread
/// (restart, add) and by the printing loop (line, final_line).
class FrameMeter {
public:
    virtual ~FrameMeter() = default;
    /// A new writer session: frame numbers start again; forget what was measured of the last.
    virtual void restart() = 0;
    /// A frame this reader received at `at`. The first frame after attaching is not passed: it
    /// was published before the reader came, so when it arrived says nothing.
    virtual void add(const Frame& frame, MeterClock::time_point at) = 0;
    /// The measurement line of the period that just ended; nullopt if there is too little yet.
    virtual std::optional<std::string> line() = 0;
    /// The last line, over the whole run: "final ..." (`received`: frames taken, the untimed
    /// first ones included; `skipped`: frames the reader fell behind on).
    virtual std::string final_line(std::uint64_t received, std::uint64_t skipped) = 0;
};

/// How a meter runs.
struct MeterRun {
    std::vector<std::string> topics;  ///< one or more; with more, every line starts with "topic: "
    std::chrono::nanoseconds period{std::chrono::seconds(1)};  ///< one line per topic per period
    double seconds = 0;                                        ///< stop after this long (0: until Ctrl-C)
    std::uint64_t count = 0;                                   ///< stop after this many periods (0: no limit)
    double timeout = 0;                                        ///< for the writer, and for its first frame (0: forever)
};

/// Runs the meters (one made by `make` per topic) and returns the exit status. Throws
/// CommandError (no writer, no frame within the timeout) and what the readers throw.
int run_meters(int domain, const MeterRun& run, const std::function<std::unique_ptr<FrameMeter>()>& make);

}  // namespace smx::cli
