// The text table of `smx bench`.

#include "cli_status.hpp"
#include "format.hpp"
#include "report.hpp"

#include <algorithm>
#include <cmath>

namespace smx::cli::bench {

namespace {

bool any_run(const BenchReport& r, Mode mode, bool network = false) {
    return std::any_of(r.runs.begin(), r.runs.end(),
                       [&](const RunResult& x) { return x.scenario.mode == mode && x.scenario.network == network; });
}

std::string outcome(const RunResult& run) {
    if (!run.skipped.empty()) return "n/a (" + run.skipped + ")";
    return "FAILED: " + run.error;
}

void print_header(std::FILE* out, const BenchReport& r) {
    std::fprintf(out, "smx bench%s\n", r.quick ? " --quick (fewer frames, sizes, rates: a smoke run, not figures to quote)" : "");
    std::fprintf(out, "  machine:  %s\n  software: %s\n  DDS:      %s\n  iceoryx:  %s\n", r.machine.c_str(),
                 r.software.c_str(), r.config.c_str(), r.iceoryx.c_str());
    std::fprintf(out, "  load average %.2f before, %.2f after; %.0f s in all\n\n", r.load_before, r.load_after,
                 r.total_seconds);
}

std::string latency_row(const RunResult& run) {
    const LaneScenario& s = run.scenario;
    const std::string payload = info(s.path).payload ? s.payload.label() : "(no payload)";
    const std::string path = std::string(describe(s.path)) + (s.interleaved_with.empty() ? "" : " *");
    std::string line = "  " + pad(rate_label(s.rate_hz), 7) + " " + pad(std::to_string(s.readers), 7) + " " +
                       pad(payload, 19) + " " + pad(path, 38) + " ";
    if (!run.ok) return line + outcome(run);
    if (!info(s.path).delivered)  // the memcpy floor: the writer's copy, no reader
        return line + pad(std::to_string(run.published), 6, true) + "     - " + pad(us(run.cost.p50), 8, true) + " " +
               pad(us(run.cost.p90), 8, true) + " " + pad(us(run.cost.p99), 8, true) + " " +
               pad(us(run.cost.max), 8, true) + "  (copy time)";
    line += pad(std::to_string(run.published), 6, true) + " " + pad(std::to_string(run.lost), 5, true) + " " +
            pad(us(run.latency.p50), 8, true) + " " + pad(us(run.latency.p90), 8, true) + " " +
            pad(us(run.latency.p99), 8, true) + " " + pad(us(run.latency.max), 8, true) + " " +
            pad(fmt("%.0f", run.achieved_hz()), 6, true);
    if (run.broken) line += fmt("  BROKEN FRAMES: %lld", static_cast<long long>(run.broken));
    return line;
}

void print_latency(std::FILE* out, const BenchReport& r) {
    if (!any_run(r, Mode::latency)) return;
    std::fprintf(out, "LATENCY one-way: start of the writer's call -> reader holds a consistent frame (pin, take),\n"
                      "a copy, or returns from FUTEX_WAIT. Writer paced at the rate, and waits for every reader to\n"
                      "finish a frame before the next; 1 writer and the readers in separate processes; percentiles\n"
                      "over every reader's frames (µs). Rows marked * ran interleaved in one run (one frame each in\n"
                      "turn, same rate and readers); the paced memcpy floor shows the writer's copy time.\n");
    std::fprintf(out, "  %s %s %s %s %s %s %s %s %s %s %s\n", pad("rate", 7).c_str(), pad("readers", 7).c_str(),
                 pad("payload", 19).c_str(), pad("path", 38).c_str(), pad("frames", 6, true).c_str(),
                 pad("lost", 5, true).c_str(), pad("p50", 8, true).c_str(), pad("p90", 8, true).c_str(),
                 pad("p99", 8, true).c_str(), pad("max", 8, true).c_str(), pad("Hz", 6, true).c_str());
    for (const RunResult& run : r.runs)
        if (run.scenario.mode == Mode::latency && !run.scenario.network)
            std::fprintf(out, "%s\n", latency_row(run).c_str());
    std::fprintf(out, "\n");
}

// The plain-DDS lane that ran beside `run` (same scenario), if it has a latency.
const RunResult* plain_dds_beside(const BenchReport& r, const RunResult& run) {
    for (const RunResult& x : r.runs)
        if (x.scenario.network && x.scenario.scenario == run.scenario.scenario && x.scenario.path == Path::plain_dds &&
            x.has_latency())
            return &x;
    return nullptr;
}

std::string network_row(const BenchReport& r, const RunResult& run) {
    const LaneScenario& s = run.scenario;
    std::string line = "  " + pad(to_string(s.dds), 16) + " " + pad(s.payload.label(), 19) + " " + pad(describe(s.path), 38) + " ";
    if (!run.ok) return line + outcome(run);
    line += pad(std::to_string(run.published), 6, true) + " " + pad(std::to_string(run.lost), 5, true) + " " +
            pad(us(run.latency.p50), 9, true) + " " + pad(us(run.latency.p99), 9, true) + " " +
            pad(us(run.latency.max), 9, true);
    const RunResult* dds = plain_dds_beside(r, run);
    if (dds && dds != &run && run.has_latency())
        line += pad(fmt("%.2f x", static_cast<double>(run.latency.p50) / static_cast<double>(dds->latency.p50)), 10, true);
    if (run.broken) line += fmt("  BROKEN FRAMES: %lld", static_cast<long long>(run.broken));
    return line;
}

void print_network(std::FILE* out, const BenchReport& r) {
    if (!any_run(r, Mode::latency, true)) return;
    std::fprintf(out, "NETWORK PATH over loopback: a reader forced onto the network path (as on another host) and\n"
                      "plain DDS carrying the same frame as one sample, one reader, interleaved per payload and DDS\n"
                      "settings; latency from the writer's call to the reader holding the whole frame (µs). smx's\n"
                      "settings: 64 kB datagrams, 16 MB socket receive buffer; cyclone-defaults: 1,344-byte fragments,\n"
                      "14,720-byte messages, the kernel's default buffer. The remote lanes carry camera-like content.\n");
    std::fprintf(out, "  %s %s %s %s %s %s %s %s %s\n", pad("DDS settings", 16).c_str(), pad("payload", 19).c_str(),
                 pad("path", 38).c_str(), pad("frames", 6, true).c_str(), pad("lost", 5, true).c_str(),
                 pad("p50", 9, true).c_str(), pad("p99", 9, true).c_str(), pad("max", 9, true).c_str(),
                 pad("p50/DDS", 10, true).c_str());
    for (const RunResult& run : r.runs)
        if (run.scenario.network) std::fprintf(out, "%s\n", network_row(r, run).c_str());
    std::fprintf(out, "\n");
}

void print_compression(std::FILE* out, const BenchReport& r) {
    if (r.compression.empty()) return;
    std::fprintf(out, "COMPRESSION on the network path (WriterOptions::network.compression): smx's codec in one\n"
                      "process, per image: size after, ratio, the sender's encode and a remote reader's decode (p50).\n");
    std::fprintf(out, "  %s %s %s %s %s %s %s\n", pad("image", 48).c_str(), pad("codec", 8).c_str(),
                 pad("bytes", 11, true).c_str(), pad("after", 11, true).c_str(), pad("ratio", 7, true).c_str(),
                 pad("encode", 10, true).c_str(), pad("decode", 10, true).c_str());
    for (const CompressionResult& c : r.compression) {
        const std::string after = c.encoded ? with_commas(c.encoded) : "(raw)";
        std::fprintf(out, "  %s %s %s %s %s %s %s\n", pad(c.image, 48).c_str(), pad(c.codec, 8).c_str(),
                     pad(with_commas(c.bytes), 11, true).c_str(), pad(after, 11, true).c_str(),
                     pad(fmt("%.2f", c.ratio()), 7, true).c_str(), pad(us_unit(c.encode.p50), 10, true).c_str(),
                     pad(c.encoded ? us_unit(c.decode.p50) : "-", 10, true).c_str());
    }
    std::fprintf(out, "\n");
}

std::string throughput_row(const RunResult& run) {
    const LaneScenario& s = run.scenario;
    std::string line = "  " + pad(std::to_string(s.readers), 7) + " " + pad(s.payload.label(), 19) + " " +
                       pad(describe(s.path), 36) + " ";
    if (!run.ok) return line + outcome(run);
    const double gbps = run.reader_fps_mean() * static_cast<double>(s.payload.frame_size()) / 1e9;
    const std::int64_t offered = run.published * static_cast<std::int64_t>(s.readers);
    const double missed = offered ? 100.0 * static_cast<double>(run.missed_total()) / static_cast<double>(offered) : 0.0;
    line += pad(fmt("%.0f", run.achieved_hz()), 9, true) + " " + pad(fmt("%.0f", run.reader_fps_mean()), 9, true) +
            " " + pad(fmt("%.0f", run.reader_fps_min()), 9, true) + " " + pad(fmt("%.2f", gbps), 7, true) + " " +
            pad(fmt("%.1f %%", missed), 8, true) + " " + pad(us_unit(run.max_gap_ns()), 12, true);
    if (run.broken) line += fmt("  BROKEN FRAMES: %lld", static_cast<long long>(run.broken));
    return line;
}

void print_throughput(std::FILE* out, const BenchReport& r) {
    if (!any_run(r, Mode::throughput)) return;
    std::fprintf(out, "THROUGHPUT: writer at full speed; per reader: frames/s and GB/s delivered (zero-copy: made\n"
                      "available in place; copy and plain DDS: in the reader's own memory), frames missed, and the\n"
                      "longest gap between two frames a reader received.\n");
    std::fprintf(out, "  %s %s %s %s %s %s %s %s %s\n", pad("readers", 7).c_str(), pad("payload", 19).c_str(),
                 pad("path", 36).c_str(), pad("writer/s", 9, true).c_str(), pad("reader/s", 9, true).c_str(),
                 pad("min/s", 9, true).c_str(), pad("GB/s", 7, true).c_str(), pad("missed", 8, true).c_str(),
                 pad("longest gap", 12, true).c_str());
    for (const RunResult& run : r.runs)
        if (run.scenario.mode == Mode::throughput) std::fprintf(out, "%s\n", throughput_row(run).c_str());
    std::fprintf(out, "\n");
}

void print_idle(std::FILE* out, const BenchReport& r) {
    for (const RunResult& run : r.runs) {
        if (run.scenario.mode != Mode::idle) continue;
        if (!run.ok) {
            std::fprintf(out, "IDLE READER: %s\n\n", outcome(run).c_str());
            continue;
        }
        std::fprintf(out, "IDLE: a reader blocked in next() while the writer publishes nothing (getrusage, all threads)\n");
        for (std::size_t i = 0; i < run.readers.size(); ++i) {
            const ReaderOutcome& o = run.readers[i];
            std::fprintf(out, "  reader %zu: %.3f ms CPU over %.2f s = %.3f %% of a core\n", i + 1,
                         static_cast<double>(o.cpu_ns) / 1e6, static_cast<double>(o.wall_ns) / 1e9,
                         o.wall_ns > 0 ? 100.0 * static_cast<double>(o.cpu_ns) / static_cast<double>(o.wall_ns) : 0.0);
        }
        if (run.writer_ns > 0)
            std::fprintf(out, "  writer (idle, same window): %.3f %% of a core\n",
                         100.0 * static_cast<double>(run.writer_cpu_ns) / static_cast<double>(run.writer_ns));
        std::fprintf(out, "\n");
    }
}

void print_targets(std::FILE* out, const BenchReport& r) {
    // Issue 8's targets are about the local paths: not shown for a run of the network
    // comparison or the codecs alone.
    const auto& only = r.matrix.only;
    if (std::none_of(only.begin(), only.end(), [](const std::string& m) {
            return m == "latency" || m == "throughput" || m == "cost" || m == "idle";
        }))
        return;
    std::fprintf(out, "TARGETS (issue 8), each from this run (ratios between lanes of one interleaved run):\n");
    for (const Target& t : r.targets) {
        const char* mark = !t.met ? "[n/a    ]" : *t.met ? "[met    ]" : "[NOT MET]";
        std::fprintf(out, "  %s %s\n            %s%s%s\n", mark, t.name.c_str(), t.scope.c_str(),
                     t.scope.empty() ? "" : ": ", t.summary.c_str());
        int shown = 0;
        for (const TargetPoint& p : t.points)
            if (p.met && !*p.met && shown++ < 3)
                std::fprintf(out, "              not met at %s: %s\n", p.where.c_str(), p.figure.c_str());
    }
}

void print_notes(std::FILE* out, const BenchReport& r) {
    if (r.notes.empty()) return;
    std::fprintf(out, "\nNOTES\n");
    for (const std::string& n : r.notes) std::fprintf(out, "  - %s\n", n.c_str());
}

}  // namespace

void print_table(std::FILE* out, const BenchReport& r) {
    print_header(out, r);
    print_latency(out, r);
    print_network(out, r);
    print_compression(out, r);
    print_throughput(out, r);
    print_writer_cost(out, r);
    print_idle(out, r);
    print_targets(out, r);
    print_notes(out, r);
}

std::vector<std::string> payload_order(const BenchReport& r) {
    std::vector<std::pair<std::uint64_t, std::string>> sizes;
    for (const RunResult& run : r.runs) {
        if (!info(run.scenario.path).payload) continue;
        const std::pair<std::uint64_t, std::string> p{run.scenario.payload.frame_size(), run.scenario.payload.name};
        if (std::find(sizes.begin(), sizes.end(), p) == sizes.end()) sizes.push_back(p);
    }
    std::sort(sizes.begin(), sizes.end());
    std::vector<std::string> names;
    for (const auto& s : sizes) names.push_back(s.second);
    return names;
}

}  // namespace smx::cli::bench
