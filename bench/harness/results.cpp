#include "results.hpp"

#include <algorithm>
#include <cmath>

namespace smx::cli::bench {

double RunResult::achieved_hz() const {
    const std::int64_t frames = std::max(frames_all_lanes, published);
    return writer_ns > 0 ? static_cast<double>(frames) * 1e9 / static_cast<double>(writer_ns) : 0;
}

double RunResult::reader_fps_mean() const {
    if (readers.empty() || writer_ns <= 0) return 0;
    double sum = 0;
    for (const ReaderOutcome& o : readers) sum += static_cast<double>(o.frames);
    return sum / static_cast<double>(readers.size()) * 1e9 / static_cast<double>(writer_ns);
}

double RunResult::reader_fps_min() const {
    if (readers.empty() || writer_ns <= 0) return 0;
    std::int64_t least = readers.front().frames;
    for (const ReaderOutcome& o : readers) least = std::min(least, o.frames);
    return static_cast<double>(least) * 1e9 / static_cast<double>(writer_ns);
}

std::int64_t RunResult::missed_total() const {
    std::int64_t missed = 0;
    for (const ReaderOutcome& o : readers) missed += std::max<std::int64_t>(0, published - o.frames);
    return missed;
}

std::int64_t RunResult::max_gap_ns() const {
    std::int64_t gap = 0;
    for (const ReaderOutcome& o : readers) gap = std::max(gap, o.max_gap_ns);
    return gap;
}

const RunResult* BenchReport::find(Mode mode, Path path, const std::string& payload, unsigned readers, double rate,
                                   unsigned prefer) const {
    const RunResult* found = nullptr;
    for (const RunResult& r : runs) {
        const LaneScenario& s = r.scenario;
        if (s.mode != mode || s.path != path || s.readers != readers || s.network) continue;
        if (info(path).payload && s.payload.name != payload) continue;
        if (mode == Mode::latency && std::fabs(s.rate_hz - rate) > 1e-9) continue;
        if (prefer == 0 || s.scenario == prefer) return &r;
        if (!found) found = &r;
    }
    return found;
}

}  // namespace smx::cli::bench
