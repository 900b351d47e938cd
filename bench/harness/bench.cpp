// The supervisor of `smx bench` (smx-bench without a subcommand): latency, throughput, writer
// cost and idle CPU of smx, with its baselines (plain DDS carrying the whole frame, the DDS floor
// of a tiny sample, the memcpy floor) measured in the same run and the same process layout, so
// that the ratios hold on a noisy machine. Every scenario runs one writer and N reader processes
// re-executed from this binary (`smx-bench writer`, `smx-bench reader`, roles.cpp); this process
// plans the scenarios, runs them one after the other, and prints the table (report.cpp).

#include "common.hpp"
#include "report.hpp"
#include "commands.hpp"
#include "demo_common.hpp"
#include "process.hpp"

#include <smx/smx.hpp>

#include <dds/version.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <poll.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using namespace bench;

// Set-up of one scenario (processes, DDS discovery, warm-up) takes about a second; past
// this much more than the planned duration, the scenario is stopped and reported as failed.
constexpr auto SCENARIO_SLACK = 60s;
constexpr auto WRITER_START_TIMEOUT = 30s;
// Plain-DDS frames up to this size (49 fragments) are interleaved with smx's lanes; larger ones
// run alone.
constexpr std::uint64_t PLAIN_DDS_INTERLEAVED_MAX = 64 * 1024;

struct BenchOptions {
    bool quick = false;
    bool json = false;       // JSON on stdout instead of the table
    std::string json_file;   // or: the table on stdout and JSON into this file
    std::string plot;
    std::vector<std::string> sizes{"64B", "64KiB", "rgbd", "16MiB"};
    std::vector<unsigned> readers{1, 4};
    std::vector<double> rates{30, 500};
    std::vector<std::string> only{"latency", "throughput", "cost", "idle"};
    std::vector<std::string> paths{"smx-zero-copy", "smx-copy", "plain-dds", "dds-floor"};
    std::uint32_t frames = 0;  // 0: 300 at camera rates (<= 100 Hz), 2000 above
    double throughput_seconds = 2;
    double cost_seconds = 1;
    double idle_seconds = 3;
};

bool wanted(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::uint32_t frames_for(const BenchOptions& o, double rate) {
    if (o.frames) return o.frames;
    return rate <= 100 ? 200 : 1000;
}

// ---- the plan ------------------------------------------------------------------------------

std::vector<Scenario> plan(const BenchOptions& o) {
    std::vector<Payload> payloads;
    for (const std::string& s : o.sizes) payloads.push_back(*parse_payload(s));
    const std::vector<Path> frame_paths{Path::smx_zero_copy, Path::smx_copy, Path::plain_dds};
    std::vector<Scenario> out;
    // Latency, per rate and reader count: the DDS floor, smx's paths at every payload and plain
    // DDS with frames that fit its socket buffers interleaved in one run (one frame each in
    // turn), so that the ratios between them hold on a noisy machine; then plain DDS with larger
    // frames in runs of their own (thousands of fragments per frame, lost and repaired over
    // hundreds of milliseconds: that traffic would disturb the other lanes).
    if (wanted(o.only, "latency"))
        for (double rate : o.rates)
            for (unsigned n : o.readers) {
                const std::uint32_t frames = frames_for(o, rate);
                std::vector<Lane> lanes;
                if (wanted(o.paths, "dds-floor")) lanes.push_back({Path::dds_floor, *parse_payload("64B")});
                for (const Payload& p : payloads)
                    for (Path path : frame_paths)
                        if (wanted(o.paths, to_string(path)) &&
                            (path != Path::plain_dds || p.frame_size() <= PLAIN_DDS_INTERLEAVED_MAX))
                            lanes.push_back({path, p});
                const auto bound = [&](std::size_t lane_count) {
                    return static_cast<double>(frames) * static_cast<double>(lane_count) / rate * 2 + 5;
                };
                if (!lanes.empty()) out.push_back({Mode::latency, lanes, n, rate, frames, bound(lanes.size())});
                if (wanted(o.paths, "plain-dds"))
                    for (const Payload& p : payloads)
                        if (p.frame_size() > PLAIN_DDS_INTERLEAVED_MAX)
                            out.push_back({Mode::latency, {{Path::plain_dds, p}}, n, rate, frames, bound(1)});
            }
    if (wanted(o.only, "throughput"))
        for (unsigned n : o.readers)
            for (const Payload& p : payloads)
                for (Path path : frame_paths)
                    if (wanted(o.paths, to_string(path)))
                        out.push_back({Mode::throughput, {{path, p}}, n, 0, 0, o.throughput_seconds});
    if (wanted(o.only, "cost"))
        for (const Payload& p : payloads) {
            for (Path path : frame_paths)
                if (wanted(o.paths, to_string(path)))
                    out.push_back({Mode::cost, {{path, p}}, 1, 0, 0, o.cost_seconds});
            // write() with no reader at all: the copy alone, without the notice's wake-ups.
            if (wanted(o.paths, "smx-copy")) out.push_back({Mode::cost, {{Path::smx_copy, p}}, 0, 0, 0, o.cost_seconds});
        }
    if (wanted(o.only, "idle"))
        out.push_back({Mode::idle, {{Path::smx_zero_copy, *parse_payload("rgbd")}}, 1, 0, 0, o.idle_seconds});
    return out;
}

// ---- the memcpy floor -----------------------------------------------------------------------

// The frame's bytes copied once from one caller buffer into one of `SLOTS` destinations in turn
// (as write() copies into the slots round-robin), timed per copy.
MemcpyFloor measure_memcpy(const Payload& payload) {
    MemcpyFloor m;
    m.payload = payload;
    m.bytes = payload.frame_size();
    std::vector<std::byte> src(m.bytes);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<std::byte>(i * 131 + 7);
    std::vector<std::unique_ptr<Prefaulted>> dst;
    for (std::uint32_t i = 0; i < SLOTS; ++i) dst.push_back(std::make_unique<Prefaulted>(m.bytes));
    const std::size_t reps = std::clamp<std::size_t>((512u << 20) / m.bytes, 30, 20000);
    std::vector<std::int64_t> ns;
    ns.reserve(reps);
    volatile std::byte sink{};
    for (std::size_t i = 0; i < reps + SLOTS; ++i) {
        std::byte* d = dst[i % SLOTS]->data();
        const auto t0 = Clock::now();
        std::memcpy(d, src.data(), m.bytes);
        const auto t1 = Clock::now();
        sink = d[m.bytes - 1];
        if (i >= SLOTS) ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }
    (void)sink;
    m.ns = percentiles(std::move(ns));
    return m;
}

// ---- one scenario --------------------------------------------------------------------------

struct Child {
    Child(std::string label_, const std::vector<std::string>& args) : label(std::move(label_)), process(label, args) {}
    std::string label;
    ChildProcess process;
    LineReader lines;
    bool open = true;
    bool ready = false;
    std::optional<Report> done;
    std::string error;
};

std::string fixed(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return text;
}

class Runner {
public:
    Runner(const GlobalOptions& global, SignalFd& signals) : m_global(global), m_signals(signals) {}

    bool interrupted() const noexcept { return m_interrupted; }

    /// Runs one scenario; one result per lane.
    std::vector<RunResult> run(const Scenario& s) {
        RunResult failed;
        failed.scenario = lane_view(s, 0);
        const unsigned k = ++m_count;
        const std::string pid = std::to_string(::getpid());
        const std::string control_name = "/smx-bench." + pid + "." + std::to_string(k);
        const std::string topic = "smx_bench_" + pid + "_" + std::to_string(k);
        const auto lanes = static_cast<unsigned>(s.lanes.size());
        Control control = Control::create(control_name, s.readers, lanes, s.mode == Mode::latency ? s.frames : 1);

        std::string lane_list;
        for (const Lane& l : s.lanes) lane_list += (lane_list.empty() ? "" : ",") + to_string(l);
        const auto args = [&](const char* role) {
            return std::vector<std::string>{"--domain", std::to_string(m_global.domain), role, "--mode",
                                            to_string(s.mode), "--lanes", lane_list, "--readers",
                                            std::to_string(s.readers), "--rate", fixed(s.rate_hz), "--frames",
                                            std::to_string(s.frames), "--seconds", fixed(s.seconds), "--control",
                                            control_name, "--topic", topic, "--report-fd",
                                            std::to_string(CHILD_REPORT_FD), "--parent", pid};
        };
        const auto fail_all = [&](const std::string& error) {
            std::vector<RunResult> out;
            for (unsigned l = 0; l < lanes; ++l) {
                RunResult r;
                r.scenario = lane_view(s, l);
                r.error = error;
                out.push_back(r);
            }
            return out;
        };
        std::vector<std::unique_ptr<Child>> children;
        children.push_back(std::make_unique<Child>("writer", args("writer")));
        Child& writer = *children.front();
        pump(children, Clock::now() + WRITER_START_TIMEOUT, [&] { return writer.ready || !writer.open; });
        if (!writer.ready)  // ~ChildProcess kills what is left
            return fail_all(writer.error.empty() ? "the writer did not start" : "writer: " + writer.error);
        for (unsigned i = 0; i < s.readers; ++i) {
            auto a = args("reader");
            a.insert(a.end(), {"--index", std::to_string(i)});
            children.push_back(std::make_unique<Child>("reader " + std::to_string(i + 1), a));
        }
        const auto allowed = SCENARIO_SLACK + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(s.seconds));
        // Until every process ended, or one failed (the others are then killed: waiting for a
        // writer that is gone would only take time).
        const bool all_closed = pump(children, Clock::now() + allowed, [&] {
            return std::none_of(children.begin(), children.end(), [](const auto& c) { return c->open; }) ||
                   std::any_of(children.begin(), children.end(), [](const auto& c) { return !c->error.empty(); });
        });
        std::string error;
        for (const auto& c : children)
            if (!c->error.empty() && error.empty()) error = c->label + ": " + c->error;
        if (!all_closed && error.empty())
            error = m_interrupted ? "interrupted"
                                  : "did not finish within " +
                                        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(allowed).count()) +
                                        " s; stopped";
        for (const auto& c : children)
            if (error.empty() && !c->done)
                error = c->label + " " + describe_wait_status(c->process.reap()) + " without a final report";
        if (!error.empty()) return fail_all(error);
        return collect(s, children, control);
    }

private:
    // Reads reports until `condition` holds, `deadline` passes or a stop signal arrives; true
    // if the condition held.
    template <class Condition>
    bool pump(std::vector<std::unique_ptr<Child>>& children, Clock::time_point deadline, Condition&& condition) {
        for (;;) {
            if (condition()) return true;
            const auto now = Clock::now();
            if (now >= deadline || m_interrupted) return false;
            std::vector<pollfd> fds{{m_signals.fd(), POLLIN, 0}};
            std::vector<Child*> owners{nullptr};
            for (auto& c : children)
                if (c->open) {
                    fds.push_back({c->process.report_fd(), POLLIN, 0});
                    owners.push_back(c.get());
                }
            const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
            if (::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<std::int64_t>(ms, 0, INT_MAX))) < 0) {
                if (errno == EINTR) continue;
                throw SystemError(errno, std::string("poll on the bench's report pipes: ") + std::strerror(errno));
            }
            if (fds[0].revents & POLLIN) {
                m_signals.take();
                m_interrupted = true;
                return false;
            }
            for (std::size_t i = 1; i < fds.size(); ++i)
                if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read(*owners[i]);
        }
    }

    static void read(Child& c) {
        std::vector<std::string> lines;
        const bool open = c.lines.read_lines(c.process.report_fd(), lines);
        for (const std::string& line : lines) {
            const Report r = Report::parse(line);
            if (r.kind() == "ready") c.ready = true;
            else if (r.kind() == "done") c.done = r;
            else if (r.kind() == "error") c.error = r.text();
        }
        if (!open) {
            c.open = false;
            const int status = c.process.reap();
            if (!c.done && c.error.empty()) c.error = describe_wait_status(status) + " without a final report";
        }
    }

    static LaneScenario lane_view(const Scenario& s, unsigned lane) {
        LaneScenario v;
        v.mode = s.mode;
        v.path = s.lanes[lane].path;
        v.payload = s.lanes[lane].payload;
        v.readers = s.readers;
        v.rate_hz = s.rate_hz;
        v.frames = s.frames;
        v.seconds = s.seconds;
        for (unsigned l = 0; l < s.lanes.size(); ++l)
            if (l != lane) v.interleaved_with.push_back(to_string(s.lanes[l]));
        return v;
    }

    static std::vector<RunResult> collect(const Scenario& s, const std::vector<std::unique_ptr<Child>>& children,
                                          const Control& control) {
        const Report& w = *children.front()->done;
        const auto read_percentiles = [&w](const std::string& prefix) {
            Percentiles p;
            p.count = static_cast<std::uint64_t>(std::max<std::int64_t>(0, w.number(prefix + "_count")));
            p.p50 = w.number(prefix + "_p50_ns", -1);
            p.p90 = w.number(prefix + "_p90_ns", -1);
            p.p99 = w.number(prefix + "_p99_ns", -1);
            p.max = w.number(prefix + "_max_ns", -1);
            p.mean = static_cast<double>(w.number(prefix + "_mean_ns", -1));
            return p;
        };
        std::int64_t all_lanes = 0;
        for (unsigned l = 0; l < s.lanes.size(); ++l) all_lanes += w.number("published" + std::to_string(l));
        std::vector<RunResult> out;
        for (unsigned l = 0; l < s.lanes.size(); ++l) {
            const std::string k = std::to_string(l);
            RunResult result;
            result.scenario = lane_view(s, l);
            result.published = w.number("published" + k);
            result.failed = w.number("failed" + k);
            result.ack_timeouts = w.number("ack_timeouts");
            result.writer_ns = w.number("seconds_ns");
            result.writer_cpu_ns = w.number("cpu_ns");
            result.frames_all_lanes = all_lanes;
            result.cost = read_percentiles("cost" + k);
            if (l == 0) result.floor = read_percentiles("floor0");
            std::vector<std::int64_t> pooled;
            for (std::size_t i = 1; i < children.size(); ++i) {
                const Report& r = *children[i]->done;
                ReaderOutcome o;
                o.frames = r.number("frames" + k);
                o.missed = r.number("missed" + k);
                o.broken = r.number("broken" + k);
                o.cpu_ns = r.number("cpu_ns");
                o.wall_ns = r.number("wall_ns");
                result.broken += o.broken;
                result.readers.push_back(o);
                if (s.mode != Mode::latency) continue;
                const auto samples = control.samples(static_cast<unsigned>(i - 1), l);
                const auto n = std::min<std::size_t>(samples.size(),
                                                     static_cast<std::size_t>(std::max<std::int64_t>(0, result.published)));
                for (std::size_t f = 0; f < n; ++f) {
                    if (samples[f] >= 0) pooled.push_back(samples[f]);
                    else ++result.lost;
                }
            }
            result.latency = percentiles(std::move(pooled));
            result.ok = true;
            out.push_back(std::move(result));
        }
        return out;
    }

    const GlobalOptions& m_global;
    SignalFd& m_signals;
    unsigned m_count = 0;
    bool m_interrupted = false;
};

// ---- the machine -----------------------------------------------------------------------------

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown CPU";
}

double load_average() {
    double load = 0;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &load) != 1) load = 0;
        std::fclose(f);
    }
    return load;
}

std::string machine_description() {
    utsname u{};
    ::uname(&u);
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    const double gib = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
                       (1024.0 * 1024 * 1024);
    char text[512];
    std::snprintf(text, sizeof text, "%s, %ld cores, %.0f GiB, Linux %s %s", cpu_model().c_str(), cores, gib, u.release,
                  u.machine);
    return text;
}

std::string software_description() {
    return std::string("smx ") + SMX_VERSION_STRING + ", Cyclone DDS " + DDS_VERSION + ", " +
#if defined(__clang__)
           "clang " + __clang_version__
#elif defined(__GNUC__)
           "g++ " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__)
#else
           "unknown compiler"
#endif
#ifdef NDEBUG
           + ", optimised build"
#else
           + ", assertions on (not a release build)"
#endif
        ;
}

std::string dds_config_description() {
    const char* uri = std::getenv("CYCLONEDDS_URI");
    if (uri && *uri) return std::string("CYCLONEDDS_URI=") + uri;
    return "smx's built-in loopback-only configuration (CYCLONEDDS_URI unset); Cyclone's defaults otherwise: "
           "max message 14,720 B, fragments of 1,344 B";
}

std::vector<std::string> dds_notes(const BenchOptions& o) {
    std::vector<std::string> notes;
    const char* uri = std::getenv("CYCLONEDDS_URI");
    if (uri && *uri) return notes;
    std::string frag = "plain DDS with Cyclone's default 1,344-byte fragments sends per reader:";
    for (const std::string& s : o.sizes) {
        const Payload p = *parse_payload(s);
        const std::uint64_t n = (p.frame_size() + 1343) / 1344;
        frag += " " + p.label() + " = " + with_commas(n) + (n == 1 ? " fragment;" : " fragments;");
    }
    frag.back() = '.';
    notes.push_back(frag);
    return notes;
}

// ---- the command ---------------------------------------------------------------------------

int run_bench(const GlobalOptions& global, const BenchOptions& o) {
    SignalFd signals;  // Ctrl-C ends the current scenario and prints what was measured so far
    const auto start = Clock::now();
    BenchReport report;
    report.quick = o.quick;
    report.machine = machine_description();
    report.software = software_description();
    report.config = dds_config_description();
    report.load_before = load_average();
    report.notes = dds_notes(o);

    const std::vector<Scenario> scenarios = plan(o);
    std::fprintf(stderr, "smx bench: %zu scenarios%s; load average %.2f\n", scenarios.size(),
                 o.quick ? " (--quick)" : "", report.load_before);

    if (wanted(o.only, "latency") || wanted(o.only, "throughput") || wanted(o.only, "cost"))
        for (const std::string& s : o.sizes) {
            report.memcpy.push_back(measure_memcpy(*parse_payload(s)));
            const MemcpyFloor& m = report.memcpy.back();
            std::fprintf(stderr, "  memcpy floor %-20s p50 %9.1f µs  %6.2f GB/s\n", m.payload.label().c_str(),
                         static_cast<double>(m.ns.p50) / 1e3, m.gbps());
        }

    Runner runner(global, signals);
    for (std::size_t i = 0; i < scenarios.size() && !runner.interrupted(); ++i) {
        const Scenario& s = scenarios[i];
        std::string what;
        if (s.lanes.size() == 1)
            what = std::string(describe(s.lanes[0].path)) + ", " +
                   (s.lanes[0].path == Path::dds_floor ? std::string("tiny sample") : s.lanes[0].payload.label());
        else
            what = std::to_string(s.lanes.size()) + " interleaved lanes";
        std::fprintf(stderr, "  [%zu/%zu] %-10s %s, %u reader%s%s ... ", i + 1, scenarios.size(), to_string(s.mode),
                     what.c_str(), s.readers, s.readers == 1 ? "" : "s",
                     s.mode == Mode::latency ? (" @ " + fixed(s.rate_hz) + " Hz").c_str() : "");
        std::fflush(stderr);
        const auto t0 = Clock::now();
        const std::vector<RunResult> results = runner.run(s);
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        const RunResult& r = results.front();
        if (!r.ok)
            std::fprintf(stderr, "FAILED (%.1f s): %s\n", secs, r.error.c_str());
        else if (s.mode == Mode::latency && results.size() == 1)
            std::fprintf(stderr, "p50 %.1f µs, p99 %.1f µs, lost %lld (%.1f s)\n", static_cast<double>(r.latency.p50) / 1e3,
                         static_cast<double>(r.latency.p99) / 1e3, static_cast<long long>(r.lost), secs);
        else if (s.mode == Mode::latency) {
            std::fprintf(stderr, "(%.1f s)\n", secs);
            for (const RunResult& x : results)
                std::fprintf(stderr, "        %-36s %-18s p50 %9.1f µs  p99 %9.1f µs  lost %lld\n",
                             describe(x.scenario.path),
                             x.scenario.path == Path::dds_floor ? "(tiny)" : x.scenario.payload.label().c_str(),
                             static_cast<double>(x.latency.p50) / 1e3, static_cast<double>(x.latency.p99) / 1e3,
                             static_cast<long long>(x.lost));
        } else if (s.mode == Mode::cost)
            std::fprintf(stderr, "p50 %.1f µs per call (%.1f s)\n", static_cast<double>(r.cost.p50) / 1e3, secs);
        else if (s.mode == Mode::throughput)
            std::fprintf(stderr, "%.0f frames/s per reader, missed %lld (%.1f s)\n", r.reader_fps_mean(),
                         static_cast<long long>(r.missed_total()), secs);
        else
            std::fprintf(stderr, "done (%.1f s)\n", secs);
        report.runs.insert(report.runs.end(), results.begin(), results.end());
    }
    if (runner.interrupted()) report.notes.push_back("interrupted: the run is incomplete");
    for (const RunResult& r : report.runs)
        if (r.ok && r.ack_timeouts > 0)
            report.notes.push_back(std::string(describe(r.scenario.path)) + ", " + r.scenario.payload.label() + ", " +
                                   std::to_string(r.scenario.readers) + " readers: " + std::to_string(r.ack_timeouts) +
                                   " frames not acknowledged by every reader within 5 s");
    report.load_after = load_average();
    if (report.load_before > 1.0 || report.load_after > 1.0)
        report.notes.push_back("the machine was busy (load average above 1 on a " +
                               std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) +
                               "-core machine): absolute figures are noisy; the ratios compare runs made side by side");
    report.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    evaluate_targets(report);

    if (o.json) std::fputs(to_json(report).c_str(), stdout);
    else print_table(stdout, report);
    std::fflush(stdout);
    if (!o.json_file.empty()) {
        std::FILE* f = std::fopen(o.json_file.c_str(), "w");
        if (!f) throw CommandError(STATUS_RUNTIME, "cannot write " + o.json_file + ": " + std::strerror(errno));
        const std::string text = to_json(report);
        const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
        if (std::fclose(f) != 0 || !ok)
            throw CommandError(STATUS_RUNTIME, "cannot write " + o.json_file + ": " + std::strerror(errno));
        std::fprintf(stderr, "smx bench: JSON written to %s\n", o.json_file.c_str());
    }
    if (!o.plot.empty()) {
        draw_plot(report, o.plot);
        std::fprintf(stderr, "smx bench: plot written to %s\n", o.plot.c_str());
    }

    bool smx_failed = false;
    for (const RunResult& r : report.runs) {
        const bool smx_path = r.scenario.path == Path::smx_zero_copy || r.scenario.path == Path::smx_copy;
        if ((smx_path && !r.ok) || r.broken > 0) smx_failed = true;
    }
    if (runner.interrupted()) return STATUS_RUNTIME;
    return smx_failed ? STATUS_FAILED : STATUS_OK;
}

std::string check_sizes(const std::string& text) {
    if (parse_payload(text)) return {};
    return "size '" + text + "' is neither 'rgbd' nor a size such as 64B, 64KiB or 16MiB (1 B .. 1 GiB)";
}

}  // namespace

Command add_bench_options(CLI::App& app, const GlobalOptions& global) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* sub = &app;
    sub->footer(R"(
Every scenario runs 1 writer and N reader processes. Latency is one-way, from the start of the
writer's call (write, or publish of a filled loan) to the reader holding a consistent frame
(pin) or having a consistent copy; the writer is paced and waits for every reader to finish a
frame before the next. Throughput runs the writer at full speed. Baselines in the same run:
plain DDS (the whole frame as one sample), the DDS floor (a notice-sized sample) and memcpy.

Examples:
  smx bench                          the full run (about 6 minutes): table and targets
  smx bench --quick                  a smoke run of a few seconds per scenario
  smx bench --json > bench.json      machine-readable results instead of the table
  smx bench --json bench.json        the table, and the same results as JSON in a file
  smx bench --plot docs/bench.png    also draw latency vs payload (gnuplot)
  smx bench --only latency --sizes rgbd --readers 1 --rates 30)");
    sub->add_flag("--quick", o->quick,
                  "fewer frames, sizes and rates (64 B and RGB-D, 1 reader, 500 Hz): well under a minute");
    CLI::Option* json = sub->add_option("--json", o->json_file,
                                        "print the results as JSON instead of the table; with a file name, "
                                        "print the table and write the JSON there")
                            ->expected(0, 1)
                            ->type_name("[FILE]");
    sub->add_option("--plot", o->plot, "draw latency vs payload into this PNG (needs gnuplot)")->type_name("FILE");
    CLI::Option* sizes = sub->add_option("--sizes", o->sizes, "payloads: rgbd, or sizes like 64B 64KiB 16MiB")
                             ->delimiter(',')
                             ->check(CLI::Validator(check_sizes, "SIZE|rgbd", "payload"));
    CLI::Option* readers = sub->add_option("--readers", o->readers, "reader process counts")
                               ->delimiter(',')
                               ->check(CLI::Range(1u, MAX_READERS));
    CLI::Option* rates =
        sub->add_option("--rates", o->rates, "writer rates in Hz for latency")->delimiter(',')->check(CLI::Range(0.1, 100000.0));
    sub->add_option("--only", o->only, "what to measure: latency, throughput, cost, idle")
        ->delimiter(',')
        ->check(CLI::IsMember({"latency", "throughput", "cost", "idle"}));
    sub->add_option("--paths", o->paths, "paths: smx-zero-copy, smx-copy, plain-dds, dds-floor")
        ->delimiter(',')
        ->check(CLI::IsMember({"smx-zero-copy", "smx-copy", "plain-dds", "dds-floor"}));
    CLI::Option* frames = sub->add_option("--frames", o->frames,
                                          "frames per path and payload in latency runs (default 200 at <= 100 Hz, 1000 above)")
                              ->check(CLI::Range(1u, 1000000u));
    CLI::Option* tput = sub->add_option("--throughput-seconds", o->throughput_seconds, "length of each throughput run")
                            ->check(CLI::Range(0.1, 600.0))
                            ->capture_default_str();
    CLI::Option* cost = sub->add_option("--cost-seconds", o->cost_seconds, "length of each writer-cost run")
                            ->check(CLI::Range(0.1, 600.0))
                            ->capture_default_str();
    CLI::Option* idle = sub->add_option("--idle-seconds", o->idle_seconds, "length of the idle-reader run")
                            ->check(CLI::Range(0.1, 600.0))
                            ->capture_default_str();
    return {sub, [&global, o, json, sizes, readers, rates, frames, tput, cost, idle] {
                o->json = json->count() > 0 && o->json_file.empty();
                if (o->quick) {
                    // Defaults of a smoke run; what the user gave explicitly still wins.
                    if (!sizes->count()) o->sizes = {"64B", "rgbd"};
                    if (!readers->count()) o->readers = {1};
                    if (!rates->count()) o->rates = {500};
                    if (!frames->count()) o->frames = 60;
                    if (!tput->count()) o->throughput_seconds = 0.3;
                    if (!cost->count()) o->cost_seconds = 0.3;
                    if (!idle->count()) o->idle_seconds = 0.5;
                }
                return run_bench(global, *o);
            }};
}

}  // namespace smx::cli::bench
