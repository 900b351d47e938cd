#pragma once
// Which scenarios a run is made of, in the order they run.

#include "options.hpp"
#include "scenario.hpp"

#include <vector>

namespace smx::cli::bench {

/// Latency (interleaved lanes per rate and reader count, then plain DDS with large frames
/// alone), throughput, writer cost and idle scenarios for the options.
std::vector<Scenario> plan(const BenchOptions& o);

}  // namespace smx::cli::bench
