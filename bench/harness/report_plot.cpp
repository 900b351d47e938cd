// The plot of `smx bench --plot`: latency p50 (error bars to p99) vs payload, log-log, one series
// per delivered path and rate, for the fewest readers; drawn by gnuplot in a child process.

#include "cli_status.hpp"
#include "format.hpp"
#include "report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/wait.h>

namespace smx::cli::bench {

namespace {

struct Series {
    std::string block, title, style;
};

std::uint64_t frame_bytes(const std::string& payload) {
    const auto p = parse_payload(payload);
    return p ? p->frame_size() : 1;
}

std::string script_header(const std::string& png, unsigned readers, const std::vector<std::string>& payloads) {
    std::string s = "set terminal pngcairo noenhanced size 1000,760 font 'DejaVu Sans,10'\nset output " + json_string(png) + "\n";
    s += "set logscale xy\nset format y '%g'\nset grid xtics ytics mytics\n"
         "set key outside below center horizontal maxrows 5 box\nset bmargin 11\n";
    s += "set title " +
         json_string("smx: one-way latency p50 vs payload (" + readers_label(readers) +
                     ", separate processes); error bars to p99") +
         "\n";
    s += "set xlabel 'payload (bytes, log)'\nset ylabel 'writer call -> reader holds the frame (µs, log)'\n";
    s += "set xtics (";
    for (std::size_t i = 0; i < payloads.size(); ++i)
        s += (i ? ", " : "") + json_string(parse_payload(payloads[i])->label()) + " " +
             std::to_string(frame_bytes(payloads[i]));
    return s + ")\nset xrange [*:*] noextend\nset offsets graph 0.05, graph 0.05, 0, 0\n";
}

// "x p50 p50 p99" per payload (µs), for a path without a payload the same at every payload.
std::string series_data(const BenchReport& r, Path path, double rate, unsigned readers,
                        const std::vector<std::string>& payloads) {
    std::string data;
    for (const std::string& p : payloads) {
        const RunResult* run = r.find(Mode::latency, path, p, readers, rate);
        if (!run || !run->has_latency()) continue;
        data += fmt("%llu %.3f %.3f %.3f\n", static_cast<unsigned long long>(frame_bytes(p)),
                    static_cast<double>(run->latency.p50) / 1e3, static_cast<double>(run->latency.p50) / 1e3,
                    static_cast<double>(run->latency.p99) / 1e3);
    }
    return data;
}

void run_gnuplot(const std::string& script, const std::string& png) {
    std::FILE* gp = ::popen("gnuplot 1>&2", "w");
    if (!gp) throw CommandError(STATUS_RUNTIME, std::string("--plot: cannot start gnuplot: ") + std::strerror(errno));
    std::fwrite(script.data(), 1, script.size(), gp);
    const int status = ::pclose(gp);
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    const bool missing = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127;
    throw CommandError(STATUS_RUNTIME,
                       "--plot: gnuplot failed (" +
                           (missing ? std::string("not installed: apt-get install gnuplot-nox")
                                    : "exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1)) +
                           ") drawing " + png);
}

}  // namespace

void draw_plot(const BenchReport& r, const std::string& png) {
    std::vector<double> rates;
    unsigned readers = MAX_READERS + 1;
    for (const RunResult& run : r.runs)
        if (run.scenario.mode == Mode::latency && !run.scenario.network) {
            if (std::find(rates.begin(), rates.end(), run.scenario.rate_hz) == rates.end()) rates.push_back(run.scenario.rate_hz);
            readers = std::min(readers, run.scenario.readers);
        }
    if (rates.empty()) throw CommandError(STATUS_USAGE, "--plot needs latency runs (leave out '--only' or include 'latency')");
    const std::vector<std::string> payloads = payload_order(r);
    std::string script = script_header(png, readers, payloads);
    std::vector<Series> series;
    for (std::size_t ri = 0; ri < rates.size(); ++ri)
        for (const PathInfo& path : paths()) {
            if (!path.delivered) continue;  // the memcpy floor is a copy time, not a latency
            const std::string data = series_data(r, path.path, rates[ri], readers, payloads);
            if (data.empty()) continue;
            const std::string name = fmt("$d%zu", series.size());
            script += name + " << EOD\n" + data + "EOD\n";
            series.push_back({name, std::string(path.label) + ", " + rate_label(rates[ri]),
                              fmt("lc rgb '%s' lw 2 %s %s ps 1.2", path.colour, ri == 0 ? "dt 1" : "dt 2",
                                  ri == 0 ? "pt 7" : "pt 6")});
        }
    if (series.empty()) throw CommandError(STATUS_RUNTIME, "--plot: no successful latency run to draw");
    script += "plot ";
    for (std::size_t i = 0; i < series.size(); ++i)
        script += std::string(i ? ", \\\n     " : "") + series[i].block + " using 1:2:3:4 with yerrorlines " +
                  series[i].style + " title " + json_string(series[i].title);
    run_gnuplot(script + "\n", png);
}

}  // namespace smx::cli::bench
