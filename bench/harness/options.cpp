#include "options.hpp"

#include "cli.hpp"
#include "scenario.hpp"

#include <smx/reader.hpp>

#include <algorithm>

namespace smx::cli::bench {

namespace {

std::string check_size(const std::string& text) {
    if (parse_payload(text)) return {};
    return "size '" + text + "' is neither 'rgbd' nor a size such as 64B, 64KiB or 16MiB (1 B .. 1 GiB)";
}

std::vector<std::string> path_names() {
    std::vector<std::string> names;
    for (const PathInfo& p : paths()) names.push_back(p.name);
    return names;
}

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
    return text;
}

}  // namespace

double max_spin_us() { return std::chrono::duration<double, std::micro>(ReaderOptions::MAX_SPIN).count(); }

namespace {

CLI::Option* add_seconds(CLI::App& app, const char* name, double& value, const char* what) {
    return app.add_option(name, value, what)->check(finite_range(0.1, 600.0))->capture_default_str();
}

}  // namespace

bool BenchOptions::wants(const std::string& what) const { return std::find(only.begin(), only.end(), what) != only.end(); }

bool BenchOptions::wants_path(const std::string& path) const {
    return paths.empty() || std::find(paths.begin(), paths.end(), path) != paths.end();
}

std::uint32_t BenchOptions::frames_at(double rate) const {
    if (frames) return frames;
    return rate <= 100 ? 200 : 1000;
}

BenchCommandLine::BenchCommandLine(CLI::App& app, BenchOptions& o) : m_o(o) {
    app.add_flag("--quick", o.quick, "fewer frames, sizes and rates (64 B and RGB-D, 1 reader, 500 Hz): well under a minute");
    m_json = app.add_option("--json", o.json_file,
                            "print the results as JSON instead of the table; with a file name, print the table and "
                            "write the JSON there")
                 ->expected(0, 1)
                 ->type_name("[FILE]");
    app.add_option("--plot", o.plot, "draw latency vs payload into this PNG (needs gnuplot)")->type_name("FILE");
    m_sizes = app.add_option("--sizes", o.sizes, "payloads: rgbd, or sizes like 64B 64KiB 16MiB")
                  ->delimiter(',')
                  ->check(CLI::Validator(check_size, "SIZE|rgbd", "payload"));
    m_readers = app.add_option("--readers", o.readers, "reader process counts")->delimiter(',')->check(CLI::Range(1u, MAX_READERS));
    m_rates = app.add_option("--rates", o.rates, "writer rates in Hz for latency")->delimiter(',')->check(finite_range(0.1, 100000.0));
    app.add_option("--only", o.only, "what to measure: latency, throughput, cost, idle, network, compression")
        ->delimiter(',')
        ->check(CLI::IsMember({"latency", "throughput", "cost", "idle", "network", "compression"}));
    app.add_option("--paths", o.paths, "paths (default: all): " + joined(path_names()))
        ->delimiter(',')
        ->check(CLI::IsMember(path_names()));
    m_frames = app.add_option("--frames", o.frames, "frames per lane in latency runs (default 200 at <= 100 Hz, 1000 above)")
                   ->check(CLI::Range(1u, 1000000u));
    m_throughput = add_seconds(app, "--throughput-seconds", o.throughput_seconds, "length of each throughput run");
    m_cost = add_seconds(app, "--cost-seconds", o.cost_seconds, "length of each writer-cost run");
    m_idle = add_seconds(app, "--idle-seconds", o.idle_seconds, "length of the idle-reader run");
    app.add_option("--spin", o.spin_us,
                   "µs the readers of the smx-zero-copy-spin lane (500 Hz, 1 reader) busy-poll before they block; "
                   "the default spans the 2 ms period, so frames arrive while they spin; 0 leaves the lane out")
        ->check(finite_range(0.0, max_spin_us()))
        ->capture_default_str();
}

void BenchCommandLine::finish() {
    m_o.json = m_json->count() > 0 && m_o.json_file.empty();
    if (!m_o.quick) return;
    // Defaults of a smoke run; what the user gave explicitly still wins.
    if (!m_sizes->count()) m_o.sizes = {"64B", "rgbd"};
    if (!m_readers->count()) m_o.readers = {1};
    if (!m_rates->count()) m_o.rates = {500};
    if (!m_frames->count()) m_o.frames = 60;
    if (!m_throughput->count()) m_o.throughput_seconds = 0.3;
    if (!m_cost->count()) m_o.cost_seconds = 0.3;
    if (!m_idle->count()) m_o.idle_seconds = 0.5;
}

}  // namespace smx::cli::bench
