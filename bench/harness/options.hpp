#pragma once
// The options of `smx bench` (smx-bench without a subcommand), and what a quick run changes.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace smx::cli::bench {

struct BenchOptions {
    bool quick = false;
    bool json = false;      ///< JSON on stdout instead of the table
    std::string json_file;  ///< or: the table on stdout and JSON into this file
    std::string plot;
    std::vector<std::string> sizes{"64B", "64KiB", "rgbd", "16MiB"};
    std::vector<unsigned> readers{1, 4};
    std::vector<double> rates{30, 500};
    std::vector<std::string> only{"latency", "throughput", "cost", "idle", "network", "compression"};
    std::vector<std::string> paths;  ///< empty: every path
    std::uint32_t frames = 0;        ///< 0: 200 at camera rates (<= 100 Hz), 1000 above
    double throughput_seconds = 2;
    double cost_seconds = 1;
    double idle_seconds = 3;
    double spin_us = 2500;  ///< the spinning lane's spin; 0 leaves it out

    bool wants(const std::string& what) const;      ///< in --only
    bool wants_path(const std::string& path) const;  ///< in --paths (or no --paths given)
    std::uint32_t frames_at(double rate) const;
};

/// The longest spin smx accepts (ReaderOptions::MAX_SPIN), in µs.
double max_spin_us();

/// Registers every option on `app`; call `finish` after parsing (it applies --quick's defaults
/// to what the user did not give, and tells --json from --json FILE).
class BenchCommandLine {
public:
    BenchCommandLine(CLI::App& app, BenchOptions& o);
    void finish();

private:
    BenchOptions& m_o;
    CLI::Option *m_json, *m_sizes, *m_readers, *m_rates, *m_frames, *m_throughput, *m_cost, *m_idle;
};

}  // namespace smx::cli::bench
