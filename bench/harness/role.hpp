#pragma once
// What the writer and reader processes of a scenario share: their command line (written by the
// supervisor, runner.cpp), the timeouts that turn a hang into an error, and how lanes are named.

#include "scenario.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace smx::cli::bench {

using namespace std::chrono_literals;

// Bounds on the set-up, never on the measured work: a process, a DDS participant and a
// matched endpoint take well under a second; these only turn a hang into a clear error.
inline constexpr auto READY_TIMEOUT = 30s;
inline constexpr auto WARMUP_TIMEOUT = 30s;
/// How long the writer waits for every reader to acknowledge one frame before moving on (the
/// frame then counts as lost for the readers that did not get it).
inline constexpr auto ACK_TIMEOUT = 5s;
/// Consecutive frames every reader acknowledged before measuring starts (at least).
inline constexpr int WARMUP_FRAMES = 5;
/// A reader's longest wait on one lane before it looks at the control block again.
inline constexpr auto READER_POLL = 100ms;
/// After the writer's last frame, a reader that has not received it gives up after this long.
inline constexpr auto DRAIN_TIMEOUT = 1s;

/// The command line of `smx-bench writer` and `smx-bench reader`.
struct RoleOptions {
    Mode mode = Mode::latency;
    std::vector<Lane> lanes;
    unsigned readers = 1;
    unsigned index = 0;  ///< readers: which one (0 ..)
    double rate = 0;
    std::uint32_t frames = 0;
    double seconds = 0;
    double spin_us = 0;
    DdsSettings dds = DdsSettings::smx;
    std::string control;
    std::string topic;
    int report_fd = 1;
    pid_t parent = 0;

    /// Each lane has its own topic (and so its own segment, DDS topic or shared block).
    std::string lane_topic(std::size_t i) const;
};

/// The topic of lane `i` of `lanes` in a scenario whose topic is `topic`.
std::string lane_topic(const std::string& topic, std::size_t i, std::size_t lanes);

/// Registers the options of RoleOptions on `sub`.
void add_role_options(CLI::App* sub, RoleOptions& o);

/// The arguments that make a child run `role` ("writer" or "reader") of `s`.
std::vector<std::string> role_arguments(const char* role, const Scenario& s, int domain, const std::string& control,
                                        const std::string& topic, pid_t parent);

}  // namespace smx::cli::bench
