#include "report.hpp"

#include "cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <tuple>
#include <sys/wait.h>

namespace smx::cli::bench {

namespace {

constexpr double TARGET_SIZE_INDEPENDENT = 1.2;  // zero-copy p50 at 16 MiB vs 64 B
constexpr double TARGET_VS_FLOOR = 1.3;          // zero-copy p50 vs DDS floor p50
constexpr double TARGET_ZC_P50 = 10;             // plain DDS / zero-copy, RGB-D, p50
constexpr double TARGET_ZC_P99 = 20;             // plain DDS / zero-copy, RGB-D, p99
constexpr double TARGET_COPY_P50 = 4;            // plain DDS / copy path, RGB-D, p50
constexpr double TARGET_WRITE_BW = 0.8;          // write bandwidth vs memcpy floor
constexpr double TARGET_LOAN_FLAT = 1.2;         // loan+publish 16 MiB vs 64 B
constexpr double TARGET_IDLE_CPU = 0.01;         // fraction of a core

std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* format, ...) {
    char text[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    return text;
}

// Microseconds for tables: "52.3", "1,234", "-" when absent.
std::string us(std::int64_t ns) {
    if (ns < 0) return "-";
    const double v = static_cast<double>(ns) / 1e3;
    if (v < 1) return fmt("%.2f", v);
    if (v < 100) return fmt("%.1f", v);
    return with_commas(static_cast<std::uint64_t>(std::llround(v)));
}

std::string us_unit(std::int64_t ns) { return ns < 0 ? "-" : us(ns) + " µs"; }

std::string rate_label(double hz) {
    if (hz <= 0) return "max";
    if (std::fabs(hz - std::round(hz)) < 1e-9) return fmt("%.0f Hz", hz);
    return fmt("%g Hz", hz);
}

std::string readers_label(unsigned n) { return std::to_string(n) + (n == 1 ? " reader" : " readers"); }

// Pads to `width` display columns (µ is two bytes, one column).
std::string pad(const std::string& text, std::size_t width, bool right = false) {
    std::size_t columns = 0;
    for (unsigned char c : text) columns += (c & 0xC0) != 0x80 ? 1 : 0;
    const std::string fill(width > columns ? width - columns : 0, ' ');
    return right ? fill + text : text + fill;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            out += fmt("\\u%04x", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    return fmt("%.6g", v);
}

std::string json_ns(std::int64_t ns) { return ns < 0 ? "null" : std::to_string(ns); }

std::string json_percentiles(const Percentiles& p) {
    return "{\"count\": " + std::to_string(p.count) + ", \"p50_ns\": " + json_ns(p.p50) +
           ", \"p90_ns\": " + json_ns(p.p90) + ", \"p99_ns\": " + json_ns(p.p99) + ", \"max_ns\": " + json_ns(p.max) +
           ", \"mean_ns\": " + (p.mean < 0 ? std::string("null") : json_number(p.mean)) + "}";
}

double ratio(std::int64_t a, std::int64_t b) {
    return a > 0 && b > 0 ? static_cast<double>(a) / static_cast<double>(b) : NAN;
}

// The ordered distinct values of a field over the runs.
template <class F>
auto distinct(const BenchReport& r, Mode mode, F&& field) {
    std::vector<decltype(field(r.runs.front()))> values;
    for (const RunResult& run : r.runs)
        if (run.scenario.mode == mode && std::find(values.begin(), values.end(), field(run)) == values.end())
            values.push_back(field(run));
    return values;
}

std::vector<std::string> payload_order(const BenchReport& r) {
    std::vector<std::pair<std::uint64_t, std::string>> sizes;
    for (const RunResult& run : r.runs) {
        if (run.scenario.path == Path::dds_floor) continue;
        const std::pair<std::uint64_t, std::string> p{run.scenario.payload.frame_size(), run.scenario.payload.name};
        if (std::find(sizes.begin(), sizes.end(), p) == sizes.end()) sizes.push_back(p);
    }
    std::sort(sizes.begin(), sizes.end());
    std::vector<std::string> names;
    for (const auto& s : sizes) names.push_back(s.second);
    return names;
}

std::string payload_label(const BenchReport& r, const std::string& name) {
    for (const RunResult& run : r.runs)
        if (run.scenario.payload.name == name) return run.scenario.payload.label();
    const auto p = parse_payload(name);
    return p ? p->label() : name;
}

const RunResult* usable(const RunResult* r) { return r && r->ok && r->latency.count > 0 ? r : nullptr; }

// Writer cost per call: from the writer-cost run (unpaced, one reader that copies nothing),
// else the throughput run with the fewest readers, else the fastest paced latency run.
const RunResult* cost_run(const BenchReport& r, Path path, const std::string& payload) {
    const RunResult* best = nullptr;
    for (const RunResult& run : r.runs) {
        if (!run.ok || run.scenario.path != path || run.scenario.payload.name != payload || run.cost.count == 0)
            continue;
        // Without a reader nothing is announced to anyone: not the cost a user pays.
        if (run.scenario.mode == Mode::idle || run.scenario.readers == 0) continue;
        const auto rank = [](const RunResult& x) {
            const int mode = x.scenario.mode == Mode::cost ? 0 : x.scenario.mode == Mode::throughput ? 1 : 2;
            return std::make_tuple(mode, x.scenario.readers, -x.scenario.rate_hz);
        };
        if (!best || rank(run) < rank(*best)) best = &run;
    }
    return best;
}

const MemcpyFloor* find_memcpy(const BenchReport& r, const std::string& payload) {
    for (const MemcpyFloor& m : r.memcpy)
        if (m.payload.name == payload) return &m;
    return nullptr;
}

void add_target(BenchReport& r, std::string name, std::string where, std::optional<bool> met, std::string figure) {
    r.targets.push_back(Target{std::move(name), std::move(where), met, std::move(figure)});
}

}  // namespace

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

const RunResult* BenchReport::find(Mode mode, Path path, const std::string& payload, unsigned readers, double rate) const {
    for (const RunResult& r : runs) {
        const LaneScenario& s = r.scenario;
        if (s.mode != mode || s.path != path || s.readers != readers) continue;
        if (path != Path::dds_floor && s.payload.name != payload) continue;
        if (mode == Mode::latency && std::fabs(s.rate_hz - rate) > 1e-9) continue;
        return &r;
    }
    return nullptr;
}

// ---- targets -------------------------------------------------------------------------------

void evaluate_targets(BenchReport& r) {
    r.targets.clear();
    const auto rates = distinct(r, Mode::latency, [](const RunResult& x) { return x.scenario.rate_hz; });
    const auto reader_counts = distinct(r, Mode::latency, [](const RunResult& x) { return x.scenario.readers; });
    const std::vector<std::string> payloads = payload_order(r);

    const auto where = [](double rate, unsigned readers) { return rate_label(rate) + ", " + readers_label(readers); };
    const auto not_measured = [](const char* what) { return std::string("not measured: ") + what; };

    // 1. zero-copy latency does not grow with the payload.
    for (double rate : rates)
        for (unsigned n : reader_counts) {
            const RunResult* small = usable(r.find(Mode::latency, Path::smx_zero_copy, "64B", n, rate));
            const RunResult* large = usable(r.find(Mode::latency, Path::smx_zero_copy, "16MiB", n, rate));
            const std::string name = fmt("zero-copy p50 at 16 MiB <= %.1f x p50 at 64 B", TARGET_SIZE_INDEPENDENT);
            if (!small || !large) {
                add_target(r, name, where(rate, n), std::nullopt, not_measured("64 B and 16 MiB zero-copy runs"));
                continue;
            }
            const double x = ratio(large->latency.p50, small->latency.p50);
            add_target(r, name, where(rate, n), x <= TARGET_SIZE_INDEPENDENT,
                       fmt("%.2f x (%s vs %s)", x, us_unit(large->latency.p50).c_str(),
                           us_unit(small->latency.p50).c_str()));
        }

    // 2. zero-copy latency close to the notice alone.
    for (double rate : rates)
        for (unsigned n : reader_counts) {
            const RunResult* floor = usable(r.find(Mode::latency, Path::dds_floor, "", n, rate));
            for (const std::string& p : payloads) {
                const RunResult* zc = usable(r.find(Mode::latency, Path::smx_zero_copy, p, n, rate));
                const std::string name = fmt("zero-copy p50 <= %.1f x DDS-floor p50", TARGET_VS_FLOOR);
                const std::string at = where(rate, n) + ", " + payload_label(r, p);
                if (!floor || !zc) {
                    add_target(r, name, at, std::nullopt, not_measured("zero-copy and DDS-floor runs"));
                    continue;
                }
                const double x = ratio(zc->latency.p50, floor->latency.p50);
                add_target(r, name, at, x <= TARGET_VS_FLOOR,
                           fmt("%.2f x (%s vs %s)", x, us_unit(zc->latency.p50).c_str(),
                               us_unit(floor->latency.p50).c_str()));
            }
        }

    // 3. the RGB-D frame against plain DDS.
    for (double rate : rates)
        for (unsigned n : reader_counts) {
            const RunResult* zc = usable(r.find(Mode::latency, Path::smx_zero_copy, "rgbd", n, rate));
            const RunResult* cp = usable(r.find(Mode::latency, Path::smx_copy, "rgbd", n, rate));
            const RunResult* dds_any = r.find(Mode::latency, Path::plain_dds, "rgbd", n, rate);
            const RunResult* dds = usable(dds_any);
            const std::string at = where(rate, n) + ", RGB-D";
            const std::string dds_missing =
                dds_any && !dds_any->ok ? "plain DDS failed: " + dds_any->error : not_measured("plain-DDS RGB-D run");
            if (zc && dds) {
                const double x50 = ratio(dds->latency.p50, zc->latency.p50);
                add_target(r, fmt("zero-copy p50 >= %.0f x better than plain DDS", TARGET_ZC_P50), at,
                           x50 >= TARGET_ZC_P50,
                           fmt("%.1f x (%s vs %s)", x50, us_unit(zc->latency.p50).c_str(),
                               us_unit(dds->latency.p50).c_str()));
                const double x99 = ratio(dds->latency.p99, zc->latency.p99);
                add_target(r, fmt("zero-copy p99 >= %.0f x better than plain DDS", TARGET_ZC_P99), at,
                           x99 >= TARGET_ZC_P99,
                           fmt("%.1f x (%s vs %s)", x99, us_unit(zc->latency.p99).c_str(),
                               us_unit(dds->latency.p99).c_str()));
            } else {
                add_target(r, fmt("zero-copy p50 >= %.0f x better than plain DDS", TARGET_ZC_P50), at, std::nullopt,
                           zc ? dds_missing : not_measured("zero-copy RGB-D run"));
                add_target(r, fmt("zero-copy p99 >= %.0f x better than plain DDS", TARGET_ZC_P99), at, std::nullopt,
                           zc ? dds_missing : not_measured("zero-copy RGB-D run"));
            }
            if (cp && dds) {
                const double x = ratio(dds->latency.p50, cp->latency.p50);
                add_target(r, fmt("copy path (write) p50 >= %.0f x better than plain DDS", TARGET_COPY_P50), at,
                           x >= TARGET_COPY_P50,
                           fmt("%.1f x (%s vs %s)", x, us_unit(cp->latency.p50).c_str(),
                               us_unit(dds->latency.p50).c_str()));
            } else {
                add_target(r, fmt("copy path (write) p50 >= %.0f x better than plain DDS", TARGET_COPY_P50), at,
                           std::nullopt, cp ? dds_missing : not_measured("copy-path RGB-D run"));
            }
            if (zc || cp) {
                const std::int64_t smx_lost = (zc ? zc->lost : 0) + (cp ? cp->lost : 0);
                const std::string dds_lost =
                    dds ? std::to_string(dds->lost) + " of " + std::to_string(dds->published * n)
                        : (dds_any && !dds_any->ok ? "run failed" : "not measured");
                add_target(r, "frames lost by readers that keep up: smx 0", at, smx_lost == 0,
                           fmt("smx %lld (zero-copy %lld, copy %lld); plain DDS %s", static_cast<long long>(smx_lost),
                               static_cast<long long>(zc ? zc->lost : 0), static_cast<long long>(cp ? cp->lost : 0),
                               dds_lost.c_str()));
            }
        }

    // 4. writer cost. The floor is the memcpy of the same bytes interleaved with the writes in
    // the writer's process (same machine state); without it, the floor measured alone.
    for (const char* p : {"rgbd", "16MiB"}) {
        const RunResult* w = cost_run(r, Path::smx_copy, p);
        const MemcpyFloor* m = find_memcpy(r, p);
        const std::string name = fmt("write bandwidth >= %.1f x memcpy floor", TARGET_WRITE_BW);
        const std::string at = payload_label(r, p);
        const bool beside = w && w->floor.p50 > 0;
        const std::int64_t floor_ns = beside ? w->floor.p50 : m ? m->ns.p50 : -1;
        if (!w || w->cost.p50 <= 0 || floor_ns <= 0) {
            add_target(r, name, at, std::nullopt, not_measured("write cost and memcpy floor"));
            continue;
        }
        const double bytes = static_cast<double>(w->scenario.payload.frame_size());
        const double write_gbps = bytes / static_cast<double>(w->cost.p50);
        const double floor_gbps = bytes / static_cast<double>(floor_ns);
        const double x = write_gbps / floor_gbps;
        std::string figure = fmt("%.2f x (write %.2f GB/s = %s per frame; memcpy %s %.2f GB/s = %s)", x, write_gbps,
                                 us_unit(w->cost.p50).c_str(), beside ? "beside it" : "alone", floor_gbps,
                                 us_unit(floor_ns).c_str());
        if (beside && m && m->ns.p50 > 0)
            figure += fmt("; vs memcpy alone %.2f x", write_gbps / m->gbps());
        add_target(r, name, at, x >= TARGET_WRITE_BW, figure);
    }
    {
        const RunResult* small = cost_run(r, Path::smx_zero_copy, "64B");
        const RunResult* large = cost_run(r, Path::smx_zero_copy, "16MiB");
        const std::string name = fmt("loan+publish cost at 16 MiB <= %.1f x at 64 B", TARGET_LOAN_FLAT);
        if (!small || !large) {
            add_target(r, name, "", std::nullopt, not_measured("64 B and 16 MiB zero-copy runs"));
        } else {
            const double x = ratio(large->cost.p50, small->cost.p50);
            add_target(r, name, "", x <= TARGET_LOAN_FLAT,
                       fmt("%.2f x (%s vs %s)", x, us_unit(large->cost.p50).c_str(), us_unit(small->cost.p50).c_str()));
        }
    }

    // 5. an idle reader does not poll.
    bool idle_seen = false;
    for (const RunResult& run : r.runs) {
        if (run.scenario.mode != Mode::idle) continue;
        idle_seen = true;
        const std::string name = fmt("idle waiting reader < %.0f %% of a core", TARGET_IDLE_CPU * 100);
        if (!run.ok || run.readers.empty()) {
            add_target(r, name, "", std::nullopt, "idle run failed: " + run.error);
            continue;
        }
        double worst = 0;
        for (const ReaderOutcome& o : run.readers)
            if (o.wall_ns > 0) worst = std::max(worst, static_cast<double>(o.cpu_ns) / static_cast<double>(o.wall_ns));
        add_target(r, name, readers_label(run.scenario.readers), worst < TARGET_IDLE_CPU,
                   fmt("%.3f %% of a core over %.1f s", worst * 100,
                       static_cast<double>(run.readers.front().wall_ns) / 1e9));
    }
    if (!idle_seen) add_target(r, "idle waiting reader < 1 % of a core", "", std::nullopt, not_measured("idle run"));
    add_target(r, "Python SMReader() overhead <= 10 µs above C++ latest()", "", std::nullopt,
               "measured by bench/python_bench.py");
}

// ---- text ----------------------------------------------------------------------------------

void print_table(std::FILE* out, const BenchReport& r) {
    std::fprintf(out, "smx bench%s\n", r.quick ? " --quick (fewer frames, sizes, rates: a smoke run, not figures to quote)" : "");
    std::fprintf(out, "  machine:  %s\n  software: %s\n  DDS:      %s\n", r.machine.c_str(), r.software.c_str(),
                 r.config.c_str());
    std::fprintf(out, "  load average %.2f before, %.2f after; %.0f s in all\n\n", r.load_before, r.load_after,
                 r.total_seconds);

    // Latency.
    bool any = false;
    for (const RunResult& run : r.runs) any = any || run.scenario.mode == Mode::latency;
    if (any) {
        std::fprintf(out, "LATENCY one-way: start of the writer's call -> reader holds a consistent frame (pin) or copy.\n"
                          "Writer paced at the rate, and waits for every reader to finish a frame before the next; 1\n"
                          "writer and the readers in separate processes; percentiles over every reader's frames (µs).\n"
                          "Rows marked * ran interleaved in one run (one frame each in turn, same rate and readers).\n");
        std::fprintf(out, "  %s %s %s %s %s %s %s %s %s %s %s\n", pad("rate", 7).c_str(), pad("readers", 7).c_str(),
                     pad("payload", 19).c_str(), pad("path", 38).c_str(), pad("frames", 6, true).c_str(),
                     pad("lost", 5, true).c_str(), pad("p50", 8, true).c_str(), pad("p90", 8, true).c_str(),
                     pad("p99", 8, true).c_str(), pad("max", 8, true).c_str(), pad("Hz", 6, true).c_str());
        for (const RunResult& run : r.runs) {
            if (run.scenario.mode != Mode::latency) continue;
            const LaneScenario& s = run.scenario;
            const std::string payload = s.path == Path::dds_floor ? "(tiny sample)" : s.payload.label();
            const std::string path = std::string(describe(s.path)) + (s.interleaved_with.empty() ? "" : " *");
            std::string line = "  " + pad(rate_label(s.rate_hz), 7) + " " + pad(std::to_string(s.readers), 7) + " " +
                               pad(payload, 19) + " " + pad(path, 38) + " ";
            if (!run.ok) {
                line += "FAILED: " + run.error;
            } else {
                line += pad(std::to_string(run.published), 6, true) + " " + pad(std::to_string(run.lost), 5, true) +
                        " " + pad(us(run.latency.p50), 8, true) + " " + pad(us(run.latency.p90), 8, true) + " " +
                        pad(us(run.latency.p99), 8, true) + " " + pad(us(run.latency.max), 8, true) + " " +
                        pad(fmt("%.0f", run.achieved_hz()), 6, true);
                if (run.broken) line += fmt("  BROKEN FRAMES: %lld", static_cast<long long>(run.broken));
            }
            std::fprintf(out, "%s\n", line.c_str());
        }
        std::fprintf(out, "\n");
    }

    // Throughput.
    any = false;
    for (const RunResult& run : r.runs) any = any || run.scenario.mode == Mode::throughput;
    if (any) {
        std::fprintf(out, "THROUGHPUT: writer at full speed; per reader: frames/s and GB/s delivered (zero-copy: made\n"
                          "available in place; copy and plain DDS: in the reader's own memory), frames missed.\n");
        std::fprintf(out, "  %s %s %s %s %s %s %s %s\n", pad("readers", 7).c_str(), pad("payload", 19).c_str(),
                     pad("path", 36).c_str(), pad("writer/s", 9, true).c_str(), pad("reader/s", 9, true).c_str(),
                     pad("min/s", 9, true).c_str(), pad("GB/s", 7, true).c_str(), pad("missed", 13, true).c_str());
        for (const RunResult& run : r.runs) {
            if (run.scenario.mode != Mode::throughput) continue;
            const LaneScenario& s = run.scenario;
            std::string line = "  " + pad(std::to_string(s.readers), 7) + " " + pad(s.payload.label(), 19) + " " +
                               pad(describe(s.path), 36) + " ";
            if (!run.ok) {
                line += "FAILED: " + run.error;
            } else {
                const double gbps = run.reader_fps_mean() * static_cast<double>(s.payload.frame_size()) / 1e9;
                const std::int64_t offered = run.published * static_cast<std::int64_t>(s.readers);
                line += pad(fmt("%.0f", run.achieved_hz()), 9, true) + " " + pad(fmt("%.0f", run.reader_fps_mean()), 9, true) +
                        " " + pad(fmt("%.0f", run.reader_fps_min()), 9, true) + " " + pad(fmt("%.2f", gbps), 7, true) +
                        " " + pad(fmt("%.1f %%", offered ? 100.0 * static_cast<double>(run.missed_total()) /
                                                             static_cast<double>(offered)
                                                         : 0.0),
                                  13, true);
                if (run.broken) line += fmt("  BROKEN FRAMES: %lld", static_cast<long long>(run.broken));
            }
            std::fprintf(out, "%s\n", line.c_str());
        }
        std::fprintf(out, "\n");
    }

    // Writer cost.
    if (!r.memcpy.empty()) {
        std::fprintf(out, "WRITER COST per frame, p50. Back to back: the writer's calls unpaced, with one reader that\n"
                          "copies nothing (smx: pin; plain DDS must deserialise). Paced: the same call in the latency\n"
                          "run at the lowest rate with the fewest readers (each call after an idle period). Memcpy\n"
                          "floor: the frame's bytes copied once into pre-faulted memory (3 buffers in turn, like the\n"
                          "slots), alone in this process and interleaved with the writes in the writer's process.\n");
        std::fprintf(out, "  %s %s %s %s %s %s\n", pad("payload", 19).c_str(), pad("call", 30).c_str(),
                     pad("back to back", 13, true).c_str(), pad("paced", 13, true).c_str(),
                     pad("bandwidth", 11, true).c_str(), pad("vs memcpy", 10, true).c_str());
        for (const MemcpyFloor& m : r.memcpy) {
            const RunResult* w = cost_run(r, Path::smx_copy, m.payload.name);
            const std::int64_t beside = w ? w->floor.p50 : -1;
            const std::int64_t floor_ns = beside > 0 ? beside : m.ns.p50;
            const auto gbps = [&m](std::int64_t ns) {
                return ns > 0 ? fmt("%.2f GB/s", static_cast<double>(m.bytes) / static_cast<double>(ns)) : std::string("-");
            };
            const auto row = [&](const std::string& call, std::int64_t b2b, std::int64_t paced, bool bandwidth,
                                 bool versus) {
                const std::string x = versus && b2b > 0 && floor_ns > 0
                                          ? fmt("%.2f", static_cast<double>(floor_ns) / static_cast<double>(b2b))
                                          : "";
                std::fprintf(out, "  %s %s %s %s %s %s\n", pad(m.payload.label(), 19).c_str(), pad(call, 30).c_str(),
                             pad(us_unit(b2b), 13, true).c_str(), pad(us_unit(paced), 13, true).c_str(),
                             pad(bandwidth ? gbps(b2b) : "", 11, true).c_str(), pad(x, 10, true).c_str());
            };
            const auto paced = [&](Path path) {
                const RunResult* best = nullptr;
                for (const RunResult& run : r.runs)
                    if (run.ok && run.scenario.mode == Mode::latency && run.scenario.path == path &&
                        run.scenario.payload.name == m.payload.name && run.cost.count > 0 &&
                        (!best || std::make_pair(run.scenario.readers, run.scenario.rate_hz) <
                                      std::make_pair(best->scenario.readers, best->scenario.rate_hz)))
                        best = &run;
                return best ? best->cost.p50 : -1;
            };
            const auto b2b = [&](Path path) {
                const RunResult* run = cost_run(r, path, m.payload.name);
                return run && run->scenario.mode != Mode::latency ? run->cost.p50 : -1;
            };
            row("memcpy floor, alone", m.ns.p50, -1, true, false);
            if (beside > 0) row("memcpy floor, beside the writes", beside, -1, true, false);
            row("smx write (copy)", b2b(Path::smx_copy), paced(Path::smx_copy), true, true);
            for (const RunResult& run : r.runs)
                if (run.ok && run.scenario.mode == Mode::cost && run.scenario.readers == 0 &&
                    run.scenario.path == Path::smx_copy && run.scenario.payload.name == m.payload.name)
                    row("smx write, no reader at all", run.cost.p50, -1, true, true);
            row("smx loan+publish (zero copy)", b2b(Path::smx_zero_copy), paced(Path::smx_zero_copy), false, false);
            row("plain DDS dds_write", b2b(Path::plain_dds), paced(Path::plain_dds), true, true);
        }
        std::fprintf(out, "\n");
    }

    // Idle.
    for (const RunResult& run : r.runs) {
        if (run.scenario.mode != Mode::idle) continue;
        if (!run.ok) {
            std::fprintf(out, "IDLE READER: FAILED: %s\n\n", run.error.c_str());
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

    // Targets.
    std::fprintf(out, "TARGETS (issue 5), each from this run:\n");
    for (const Target& t : r.targets) {
        const char* mark = !t.met ? "[n/a    ]" : *t.met ? "[met    ]" : "[NOT MET]";
        std::fprintf(out, "  %s %s%s%s: %s\n", mark, t.name.c_str(), t.where.empty() ? "" : " — ", t.where.c_str(),
                     t.figure.c_str());
    }
    if (!r.notes.empty()) {
        std::fprintf(out, "\nNOTES\n");
        for (const std::string& n : r.notes) std::fprintf(out, "  - %s\n", n.c_str());
    }
}

// ---- JSON ----------------------------------------------------------------------------------

std::string to_json(const BenchReport& r) {
    std::string j = "{\n";
    j += "  \"tool\": \"smx bench\",\n  \"quick\": " + std::string(r.quick ? "true" : "false") + ",\n";
    j += "  \"machine\": " + json_string(r.machine) + ",\n  \"software\": " + json_string(r.software) +
         ",\n  \"dds_config\": " + json_string(r.config) + ",\n";
    j += "  \"load_before\": " + json_number(r.load_before) + ", \"load_after\": " + json_number(r.load_after) +
         ", \"total_seconds\": " + json_number(r.total_seconds) + ",\n";
    j += "  \"memcpy_floor\": [";
    for (std::size_t i = 0; i < r.memcpy.size(); ++i) {
        const MemcpyFloor& m = r.memcpy[i];
        j += std::string(i ? ",\n    " : "\n    ") + "{\"payload\": " + json_string(m.payload.name) +
             ", \"bytes\": " + std::to_string(m.bytes) + ", \"ns\": " + json_percentiles(m.ns) +
             ", \"gb_per_s\": " + json_number(m.gbps()) + "}";
    }
    j += "\n  ],\n  \"runs\": [";
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
        const RunResult& run = r.runs[i];
        const LaneScenario& s = run.scenario;
        j += std::string(i ? ",\n    " : "\n    ") + "{\"mode\": " + json_string(to_string(s.mode)) +
             ", \"path\": " + json_string(to_string(s.path)) + ", \"payload\": " + json_string(s.payload.name) +
             ", \"frame_bytes\": " + std::to_string(s.payload.frame_size()) + ", \"readers\": " + std::to_string(s.readers) +
             ", \"rate_hz\": " + json_number(s.rate_hz) + ", \"ok\": " + (run.ok ? "true" : "false");
        j += ", \"interleaved_with\": [";
        for (std::size_t k = 0; k < s.interleaved_with.size(); ++k)
            j += std::string(k ? ", " : "") + json_string(s.interleaved_with[k]);
        j += "]";
        if (!run.ok) j += ", \"error\": " + json_string(run.error);
        j += ", \"published\": " + std::to_string(run.published) + ", \"failed\": " + std::to_string(run.failed) +
             ", \"ack_timeouts\": " + std::to_string(run.ack_timeouts) + ", \"writer_ns\": " + std::to_string(run.writer_ns) +
             ", \"writer_cpu_ns\": " + std::to_string(run.writer_cpu_ns) + ", \"achieved_hz\": " + json_number(run.achieved_hz()) +
             ", \"writer_cost\": " + json_percentiles(run.cost);
        if (run.floor.count > 0) j += ", \"memcpy_beside_writer\": " + json_percentiles(run.floor);
        if (s.mode == Mode::latency)
            j += ", \"latency\": " + json_percentiles(run.latency) + ", \"lost\": " + std::to_string(run.lost);
        if (s.mode == Mode::throughput)
            j += ", \"reader_fps_mean\": " + json_number(run.reader_fps_mean()) +
                 ", \"reader_fps_min\": " + json_number(run.reader_fps_min()) +
                 ", \"reader_gb_per_s\": " +
                 json_number(run.reader_fps_mean() * static_cast<double>(s.payload.frame_size()) / 1e9) +
                 ", \"missed\": " + std::to_string(run.missed_total());
        j += ", \"broken\": " + std::to_string(run.broken) + ", \"reader_reports\": [";
        for (std::size_t k = 0; k < run.readers.size(); ++k) {
            const ReaderOutcome& o = run.readers[k];
            j += std::string(k ? ", " : "") + "{\"frames\": " + std::to_string(o.frames) +
                 ", \"missed\": " + std::to_string(o.missed) + ", \"broken\": " + std::to_string(o.broken) +
                 ", \"cpu_ns\": " + std::to_string(o.cpu_ns) + ", \"wall_ns\": " + std::to_string(o.wall_ns) + "}";
        }
        j += "]}";
    }
    j += "\n  ],\n  \"targets\": [";
    for (std::size_t i = 0; i < r.targets.size(); ++i) {
        const Target& t = r.targets[i];
        j += std::string(i ? ",\n    " : "\n    ") + "{\"target\": " + json_string(t.name) +
             ", \"where\": " + json_string(t.where) + ", \"met\": " + (!t.met ? "null" : *t.met ? "true" : "false") +
             ", \"figure\": " + json_string(t.figure) + "}";
    }
    j += "\n  ],\n  \"notes\": [";
    for (std::size_t i = 0; i < r.notes.size(); ++i) j += std::string(i ? ", " : "") + json_string(r.notes[i]);
    j += "]\n}\n";
    return j;
}

// ---- plot ----------------------------------------------------------------------------------

void draw_plot(const BenchReport& r, const std::string& png) {
    const auto rates = distinct(r, Mode::latency, [](const RunResult& x) { return x.scenario.rate_hz; });
    const auto reader_counts = distinct(r, Mode::latency, [](const RunResult& x) { return x.scenario.readers; });
    if (rates.empty() || reader_counts.empty())
        throw CommandError(STATUS_USAGE, "--plot needs latency runs (leave out '--only' or include 'latency')");
    const unsigned readers = *std::min_element(reader_counts.begin(), reader_counts.end());
    const std::vector<std::string> payloads = payload_order(r);

    std::string script;
    script += "set terminal pngcairo size 1000,760 font 'DejaVu Sans,10'\n";
    script += "set output " + json_string(png) + "\n";
    script += "set logscale xy\nset format y '%g'\nset grid xtics ytics mytics\n"
              "set key outside below center horizontal maxrows 4 box\nset bmargin 10\n";
    script += "set title " +
              json_string("smx: one-way latency p50 vs payload (" + readers_label(readers) +
                          ", separate processes); error bars to p99") +
              "\n";
    script += "set xlabel 'payload (bytes, log)'\nset ylabel 'writer call -> reader holds the frame (µs, log)'\n";
    script += "set xtics (";
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        const RunResult* any = nullptr;
        for (const RunResult& run : r.runs)
            if (run.scenario.payload.name == payloads[i] && run.scenario.path != Path::dds_floor) any = &run;
        script += (i ? ", " : "") + json_string(payload_label(r, payloads[i])) + " " +
                  std::to_string(any ? any->scenario.payload.frame_size() : 1);
    }
    script += ")\nset xrange [*:*] noextend\nset offsets graph 0.05, graph 0.05, 0, 0\n";

    struct Series {
        std::string block, title, style;
    };
    std::vector<Series> series;
    const Path paths[] = {Path::smx_zero_copy, Path::smx_copy, Path::plain_dds, Path::dds_floor};
    const char* colours[] = {"#1a7f37", "#0969da", "#cf222e", "#8250df"};
    int block = 0;
    for (std::size_t ri = 0; ri < rates.size(); ++ri) {
        for (std::size_t pi = 0; pi < 4; ++pi) {
            std::string data;
            for (const std::string& p : payloads) {
                const RunResult* run = usable(r.find(Mode::latency, paths[pi], p, readers, rates[ri]));
                if (!run) continue;
                std::uint64_t x = 0;
                for (const RunResult& any : r.runs)
                    if (any.scenario.payload.name == p && any.scenario.path != Path::dds_floor)
                        x = any.scenario.payload.frame_size();
                data += fmt("%llu %.3f %.3f %.3f\n", static_cast<unsigned long long>(x),
                            static_cast<double>(run->latency.p50) / 1e3, static_cast<double>(run->latency.p50) / 1e3,
                            static_cast<double>(run->latency.p99) / 1e3);
            }
            if (data.empty()) continue;
            const std::string name = fmt("$d%d", block++);
            script += name + " << EOD\n" + data + "EOD\n";
            const std::string dash = ri == 0 ? "dt 1" : "dt 2";
            const std::string point = ri == 0 ? "pt 7" : "pt 6";
            series.push_back({name, std::string(describe(paths[pi])) + ", " + rate_label(rates[ri]),
                              fmt("lc rgb '%s' lw 2 %s %s ps 1.2", colours[pi], dash.c_str(), point.c_str())});
        }
    }
    if (series.empty()) throw CommandError(STATUS_RUNTIME, "--plot: no successful latency run to draw");
    script += "plot ";
    for (std::size_t i = 0; i < series.size(); ++i) {
        const Series& s = series[i];
        script += std::string(i ? ", \\\n     " : "") + s.block + " using 1:2:3:4 with yerrorlines " + s.style +
                  " title " + json_string(s.title);
    }
    script += "\n";

    std::FILE* gp = ::popen("gnuplot 1>&2", "w");
    if (!gp)
        throw CommandError(STATUS_RUNTIME, std::string("--plot: cannot start gnuplot: ") + std::strerror(errno));
    std::fwrite(script.data(), 1, script.size(), gp);
    const int status = ::pclose(gp);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw CommandError(STATUS_RUNTIME,
                           "--plot: gnuplot failed (" +
                               (WIFEXITED(status) && WEXITSTATUS(status) == 127
                                    ? std::string("not installed: apt-get install gnuplot-nox")
                                    : "exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1)) +
                               ") drawing " + png);
}

}  // namespace smx::cli::bench
