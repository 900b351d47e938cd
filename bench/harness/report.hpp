#pragma once
// What `smx bench` found, and how it is shown: the results of every scenario, the memcpy
// floor, the targets evaluated on them, and the three outputs (a text table, JSON,
// and a gnuplot-drawn PNG).

#include "common.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace smx::cli::bench {

/// Percentiles of nanosecond samples (-1 when there are none).
struct Percentiles {
    std::uint64_t count = 0;
    std::int64_t p50 = -1, p90 = -1, p99 = -1, max = -1;
    double mean = -1;
};

/// Exact percentiles (nearest rank) of `samples`.
Percentiles percentiles(std::vector<std::int64_t> samples);

/// One reader's final report.
struct ReaderOutcome {
    std::int64_t frames = 0;   ///< measured frames it received
    std::int64_t missed = 0;   ///< smx: frames skipped because it fell behind (Reader::stats)
    std::int64_t broken = 0;   ///< frames whose stamps named another frame (must be 0)
    std::int64_t cpu_ns = 0;   ///< CPU it used while measuring
    std::int64_t wall_ns = 0;  ///< idle runs: the window the CPU was measured over
};

/// One lane of one scenario, as the tables see it.
struct LaneScenario {
    Mode mode = Mode::latency;
    Path path = Path::smx_zero_copy;
    Payload payload;
    unsigned readers = 1;
    double rate_hz = 0;       ///< latency: the writer's frame rate over all lanes of the scenario
    std::uint32_t frames = 0;
    double seconds = 0;
    std::vector<std::string> interleaved_with;  ///< the scenario's other lanes ("smx-copy:16MiB")
};

/// One lane of one scenario: what was run and what came back.
struct RunResult {
    LaneScenario scenario;
    bool ok = false;
    std::string error;  ///< why it failed, if it did

    // The writer.
    std::int64_t published = 0;     ///< measured frames published
    std::int64_t failed = 0;        ///< publish attempts refused (all slots held, DDS flow control)
    std::int64_t ack_timeouts = 0;  ///< paced runs: frames some reader never acknowledged
    std::int64_t writer_ns = 0;     ///< how long the measured part took (all lanes)
    std::int64_t frames_all_lanes = 0;  ///< frames published over all lanes while measuring
    std::int64_t writer_cpu_ns = 0;
    Percentiles cost;               ///< per call: write, loan+publish, or dds_write
    Percentiles floor;              ///< cost runs of write: memcpy of the same bytes, interleaved

    std::vector<ReaderOutcome> readers;
    Percentiles latency;  ///< latency runs: every reader's samples pooled
    std::int64_t lost = 0;    ///< latency runs: (frame, reader) pairs never received
    std::int64_t broken = 0;  ///< over all readers

    double achieved_hz() const;
    double reader_fps_mean() const;
    double reader_fps_min() const;
    std::int64_t missed_total() const;  ///< throughput runs: published frames readers did not get
};

/// Copying a frame's bytes once, in one process, into pre-faulted memory.
struct MemcpyFloor {
    Payload payload;
    std::uint64_t bytes = 0;
    Percentiles ns;
    double gbps() const { return ns.p50 > 0 ? static_cast<double>(bytes) / static_cast<double>(ns.p50) : 0; }
};

/// One of the targets, evaluated.
struct Target {
    std::string name;                ///< "zero-copy p50 16 MiB <= 1.2 x 64 B"
    std::string where;               ///< "30 Hz, 1 reader"
    std::optional<bool> met;         ///< nullopt: not measured in this run
    std::string figure;              ///< "1.04 x (61.2 vs 58.8 us)"
};

struct BenchReport {
    std::string machine;   ///< CPU, cores, memory, kernel
    std::string software;  ///< smx, Cyclone DDS, compiler
    std::string config;    ///< DDS configuration in use
    double load_before = 0, load_after = 0;
    bool quick = false;
    double total_seconds = 0;
    std::vector<RunResult> runs;
    std::vector<MemcpyFloor> memcpy;
    std::vector<Target> targets;
    std::vector<std::string> notes;

    const RunResult* find(Mode mode, Path path, const std::string& payload, unsigned readers, double rate) const;
};

/// Evaluates the targets on the runs (fills report.targets).
void evaluate_targets(BenchReport& report);
void print_table(std::FILE* out, const BenchReport& report);
std::string to_json(const BenchReport& report);
/// Draws latency p50 vs payload (log-log) for smx and the baselines with gnuplot into `png`.
/// Throws CommandError if gnuplot is missing or fails.
void draw_plot(const BenchReport& report, const std::string& png);

}  // namespace smx::cli::bench
