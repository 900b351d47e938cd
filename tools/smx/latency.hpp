#pragma once
// Latency percentiles in constant memory: a log-linear histogram (64 buckets per power of
// two, so any percentile is within 1.6 % of the true sample) that a run of any length or rate
// can feed, and the human spelling of a duration.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace smx::cli {

class LatencyHistogram {
public:
    /// Records one sample in nanoseconds; negative ones (clock steps) count as 0.
    void add(std::int64_t ns) noexcept {
        ++m_counts[bucket(static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0)))];
        ++m_count;
    }
    std::uint64_t count() const noexcept { return m_count; }
    /// The sample at fraction `q` (0..1) of the sorted samples, or -1 if there are none.
    std::int64_t quantile(double q) const noexcept {
        if (m_count == 0) return -1;
        const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(m_count))));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < BUCKETS; ++i) {
            seen += m_counts[i];
            if (seen >= rank) return static_cast<std::int64_t>(middle(i));
        }
        return static_cast<std::int64_t>(middle(BUCKETS - 1));
    }
    void clear() noexcept {
        m_counts.fill(0);
        m_count = 0;
    }

private:
    static constexpr unsigned SUB_BITS = 6;
    static constexpr std::uint64_t SUB = 1u << SUB_BITS;
    // Samples are non-negative int64, so the highest set bit is at most 62.
    static constexpr std::size_t BUCKETS = (63 - SUB_BITS + 1) * SUB;

    static std::size_t bucket(std::uint64_t v) noexcept {
        if (v < SUB) return static_cast<std::size_t>(v);
        const unsigned shift = static_cast<unsigned>(std::bit_width(v)) - 1 - SUB_BITS;
        return static_cast<std::size_t>((shift + 1) * SUB + (v >> shift) - SUB);
    }
    static std::uint64_t middle(std::size_t index) noexcept {
        if (index < SUB) return index;
        const std::uint64_t shift = index / SUB - 1;
        const std::uint64_t lower = (index % SUB + SUB) << shift;
        return lower + ((std::uint64_t{1} << shift) >> 1);
    }

    std::array<std::uint64_t, BUCKETS> m_counts{};
    std::uint64_t m_count = 0;
};

/// "850 ns", "412 µs", "1.21 ms", "2.50 s"; "-" for a negative (absent) value.
inline std::string format_duration(std::int64_t ns) {
    if (ns < 0) return "-";
    char text[32];
    const double v = static_cast<double>(ns);
    if (ns < 1'000)
        std::snprintf(text, sizeof text, "%lld ns", static_cast<long long>(ns));
    else if (ns < 1'000'000)
        std::snprintf(text, sizeof text, "%.0f µs", v / 1e3);
    else if (ns < 1'000'000'000)
        std::snprintf(text, sizeof text, "%.2f ms", v / 1e6);
    else
        std::snprintf(text, sizeof text, "%.2f s", v / 1e9);
    return text;
}

}  // namespace smx::cli
