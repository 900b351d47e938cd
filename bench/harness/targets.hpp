#pragma once
// The targets of issue 8 ("same-host frames at the machine's wake floor"): one table of data —
// what is measured, what it is compared with, the threshold, where — and one function that
// evaluates every row on a run.

#include "results.hpp"

#include <limits>
#include <string>
#include <vector>

namespace smx::cli::bench {

/// A figure a run yields.
enum class Stat {
    p50,              ///< latency p50 (ns)
    p99,              ///< latency p99 (ns)
    cost_p50,         ///< the writer's call, p50 (ns)
    bandwidth,        ///< frame bytes / cost p50 (GB/s)
    floor_bandwidth,  ///< frame bytes / the memcpy floor beside the writes, p50 (GB/s)
    reader_fps,       ///< frames per second the slowest reader received
    writer_fps,       ///< frames per second the writer published
    max_gap,          ///< the longest time between two frames a reader received (ns)
    idle_cpu,         ///< CPU of the busiest idle reader, as a fraction of a core
    lost,             ///< (frame, reader) pairs never received in a latency run
};

/// A figure of one lane: of `path` in a `mode` run, with `readers` readers (-1: the point's).
struct Operand {
    Mode mode;
    Path path;
    Stat stat;
    int readers = -1;
};

/// factor x operand, one term of a bound.
struct Term {
    double factor;
    Operand operand;
};

enum class Relation { at_most, below, at_least };

/// Where a target applies; an empty list is not an axis (a cost run has no rate).
struct Scope {
    std::vector<std::string> payloads;
    std::vector<double> rates;
    std::vector<unsigned> readers;
};

/// One row of the table: measured RELATION min(sum of terms + constant, cap).
struct TargetSpec {
    std::string name;
    Operand measured;
    Relation relation;
    std::vector<Term> terms;
    double constant = 0;
    double cap = std::numeric_limits<double>::infinity();
    Scope scope;
};

/// The table of issue 8.
const std::vector<TargetSpec>& issue_targets();

/// Evaluates every row of issue_targets() on the runs (fills report.targets).
void evaluate_targets(BenchReport& report);

}  // namespace smx::cli::bench
