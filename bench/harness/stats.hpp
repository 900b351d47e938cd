#pragma once
// Percentiles of nanosecond samples, and their spelling in the report lines children send.

#include "demo_common.hpp"

#include <cstdint>
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

/// Adds "<prefix>_count=.. <prefix>_p50_ns=.. .." to `line` (nothing if there are no samples).
void add_percentiles(ReportLine& line, const std::string& prefix, const Percentiles& p);
/// Reads what add_percentiles wrote.
Percentiles read_percentiles(const Report& report, const std::string& prefix);

}  // namespace smx::cli::bench
