#pragma once
// What `smx bench` found: the results of every lane of every scenario, the memcpy floor, the
// targets evaluated on them (targets.cpp), and how the run was made.

#include "scenario.hpp"
#include "stats.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace smx::cli::bench {

/// One reader's final report.
struct ReaderOutcome {
    std::int64_t frames = 0;      ///< measured frames it received
    std::int64_t missed = 0;      ///< smx: frames skipped because it fell behind (Reader::stats)
    std::int64_t broken = 0;      ///< frames whose stamps named another frame (must be 0)
    std::int64_t cpu_ns = 0;      ///< CPU it used while measuring
    std::int64_t wall_ns = 0;     ///< idle runs: the window the CPU was measured over
    std::int64_t max_gap_ns = 0;  ///< the longest time between two measured frames it received
};

/// One lane of one scenario, as the tables see it.
struct LaneScenario {
    Mode mode = Mode::latency;
    Path path = Path::smx_zero_copy;
    Payload payload;
    unsigned readers = 1;
    double rate_hz = 0;  ///< latency: the writer's frame rate over all lanes of the scenario
    std::uint32_t frames = 0;
    double seconds = 0;
    double spin_us = 0;                         ///< the spinning lane's ReaderOptions::spin
    DdsSettings dds = DdsSettings::smx;
    bool network = false;                       ///< a run of the network comparison
    unsigned scenario = 0;                      ///< which scenario of the run (1 ..): lanes of one ran together
    std::vector<std::string> interleaved_with;  ///< the scenario's other lanes ("smx-copy:16MiB")
};

/// One lane of one scenario: what was run and what came back.
struct RunResult {
    LaneScenario scenario;
    bool ok = false;
    std::string error;    ///< why it failed, if it did
    std::string skipped;  ///< why it was not run at all (n/a), if it was not

    // The writer.
    std::int64_t published = 0;         ///< measured frames published
    std::int64_t failed = 0;            ///< publish attempts refused (all slots held, DDS flow control)
    std::int64_t ack_timeouts = 0;      ///< paced runs: frames some reader never acknowledged
    std::int64_t writer_ns = 0;         ///< how long the measured part took (all lanes)
    std::int64_t frames_all_lanes = 0;  ///< frames published over all lanes while measuring
    std::int64_t writer_cpu_ns = 0;
    Percentiles cost;   ///< per call: write, loan+publish, dds_write, FUTEX_WAKE, memcpy
    Percentiles floor;  ///< cost runs of write: memcpy of the same bytes, interleaved

    std::vector<ReaderOutcome> readers;
    Percentiles latency;      ///< latency runs: every reader's samples pooled
    std::int64_t lost = 0;    ///< latency runs: (frame, reader) pairs never received
    std::int64_t broken = 0;  ///< over all readers

    double achieved_hz() const;
    double reader_fps_mean() const;
    double reader_fps_min() const;
    std::int64_t missed_total() const;  ///< throughput runs: published frames readers did not get
    std::int64_t max_gap_ns() const;    ///< the longest gap any reader saw
    bool has_latency() const { return ok && latency.count > 0; }
};

/// Copying a frame's bytes once, in one process, into pre-faulted memory.
struct MemcpyFloor {
    Payload payload;
    std::uint64_t bytes = 0;
    Percentiles ns;
    double gbps() const { return ns.p50 > 0 ? static_cast<double>(bytes) / static_cast<double>(ns.p50) : 0; }
};

/// smx's codec (src/codec.cpp) on one image: what the network path's sender and a remote
/// reader spend per frame, and what it saves on the wire.
struct CompressionResult {
    std::string image;          ///< "depth 848x480 u16, stereo camera (real-looking)"
    std::uint64_t bytes = 0;    ///< before
    std::string codec;          ///< "lz4", "zstd -3"
    std::uint64_t encoded = 0;  ///< after; 0: it did not shrink (the sender then sends it raw)
    Percentiles encode, decode;
    double ratio() const { return encoded ? static_cast<double>(bytes) / static_cast<double>(encoded) : 1.0; }
};

/// One target evaluated at one point (rate, readers, payload).
struct TargetPoint {
    std::string where;        ///< "30 Hz, 4 readers, RGB-D (2.04 MB)"
    std::optional<bool> met;  ///< nullopt: n/a at this point
    double ratio = 0;         ///< measured / bound (how close: <= 1 is met for "at most")
    std::string figure;       ///< "1.12 x (45.1 µs vs 40.2 µs)", or why n/a
};

/// One target of the issue, evaluated on the whole run.
struct Target {
    std::string name;         ///< "smx zero-copy p50 <= 1.3 x futex-floor p50"
    std::string scope;        ///< "64 B, 64 KiB, RGB-D, 16 MiB; 30, 500 Hz; 1, 4 readers"
    std::optional<bool> met;  ///< nullopt: nowhere measured; false: not met somewhere
    std::string summary;      ///< "16 of 16 met; worst 1.12 x at 30 Hz, 4 readers, 64 B"
    std::vector<TargetPoint> points;
};

struct BenchReport {
    std::string machine;   ///< CPU, cores, memory, kernel
    std::string software;  ///< smx, Cyclone DDS, iceoryx, compiler
    std::string config;    ///< DDS configuration in use
    std::string iceoryx;   ///< the iceoryx lane: "RouDi pid 123 (private config)" or "n/a (why)"
    double load_before = 0, load_after = 0;
    bool quick = false;
    double total_seconds = 0;
    std::vector<RunResult> runs;
    std::vector<MemcpyFloor> memcpy;
    std::vector<CompressionResult> compression;
    std::vector<Target> targets;
    std::vector<std::string> notes;
    /// Paths this run left out on purpose, and why ("not in --paths", "--spin 0").
    std::vector<std::pair<Path, std::string>> left_out;
    /// What the run was asked to measure (--only, --sizes, --rates, --readers): a target's
    /// point outside it is n/a for that reason.
    struct Matrix {
        std::vector<std::string> only, sizes;
        std::vector<double> rates;
        std::vector<unsigned> readers;
    } matrix;

    /// The run of `path` in `mode` with `readers` readers carrying `payload` (ignored for a path
    /// without one) at `rate` (latency only); from scenario `prefer` if it has one. The network
    /// comparison's runs are not among them.
    const RunResult* find(Mode mode, Path path, const std::string& payload, unsigned readers, double rate,
                          unsigned prefer = 0) const;
};

}  // namespace smx::cli::bench
