#include "stats.hpp"

#include <algorithm>
#include <cmath>

namespace smx::cli::bench {

Percentiles percentiles(std::vector<std::int64_t> samples) {
    Percentiles p;
    if (samples.empty()) return p;
    std::sort(samples.begin(), samples.end());
    const auto at = [&samples](double q) {
        const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(samples.size()))));
        return samples[std::min(rank, samples.size()) - 1];
    };
    double sum = 0;
    for (std::int64_t s : samples) sum += static_cast<double>(s);
    p.count = samples.size();
    p.p50 = at(0.50);
    p.p90 = at(0.90);
    p.p99 = at(0.99);
    p.max = samples.back();
    p.mean = sum / static_cast<double>(samples.size());
    return p;
}

void add_percentiles(ReportLine& line, const std::string& prefix, const Percentiles& p) {
    if (p.count == 0) return;
    line.add(prefix + "_count", static_cast<std::int64_t>(p.count))
        .add(prefix + "_p50_ns", p.p50)
        .add(prefix + "_p90_ns", p.p90)
        .add(prefix + "_p99_ns", p.p99)
        .add(prefix + "_max_ns", p.max)
        .add(prefix + "_mean_ns", static_cast<std::int64_t>(p.mean));
}

Percentiles read_percentiles(const Report& report, const std::string& prefix) {
    Percentiles p;
    p.count = static_cast<std::uint64_t>(std::max<std::int64_t>(0, report.number(prefix + "_count")));
    p.p50 = report.number(prefix + "_p50_ns", -1);
    p.p90 = report.number(prefix + "_p90_ns", -1);
    p.p99 = report.number(prefix + "_p99_ns", -1);
    p.max = report.number(prefix + "_max_ns", -1);
    p.mean = static_cast<double>(report.number(prefix + "_mean_ns", -1));
    return p;
}

}  // namespace smx::cli::bench
