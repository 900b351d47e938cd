// The supervisor of `smx bench` (smx-bench without a subcommand): latency, throughput, writer
// cost and idle CPU of smx, with its baselines (the futex floor of a bare wake, iceoryx, plain
// DDS carrying the whole frame, the DDS floor of a tiny sample, the memcpy floor) measured in the
// same run and the same process layout, so that the ratios hold on a noisy machine. Every
// scenario runs one writer and N reader processes re-executed from this binary (writer.cpp,
// reader.cpp); this process plans the scenarios (plan.cpp), runs them one after the other
// (runner.cpp), evaluates the targets (targets.cpp) and prints the report (report_*.cpp).

#include "commands.hpp"
#include "compression.hpp"
#include "format.hpp"
#include "machine.hpp"
#include "options.hpp"
#include "os.hpp"
#include "plan.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "roudi.hpp"
#include "targets.hpp"

#if SMX_BENCH_ICEORYX
#include <iceoryx_versions.hpp>
#endif

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unistd.h>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

// The frame's bytes copied once from one caller buffer into one of `SLOTS` destinations in turn
// (as write() copies into the slots round-robin), timed per copy, alone in this process.
MemcpyFloor measure_memcpy(const Payload& payload) {
    MemcpyFloor m{payload, payload.frame_size(), {}};
    Prefaulted src(m.bytes);
    for (std::size_t i = 0; i < m.bytes; ++i) src.data()[i] = static_cast<std::byte>(i * 131 + 7);
    std::vector<std::unique_ptr<Prefaulted>> dst;
    for (std::uint32_t i = 0; i < SLOTS; ++i) dst.push_back(std::make_unique<Prefaulted>(m.bytes));
    const std::size_t reps = std::clamp<std::size_t>((512u << 20) / m.bytes, 30, 20000);
    std::vector<std::int64_t> ns;
    volatile std::byte sink{};
    for (std::size_t i = 0; i < reps + SLOTS; ++i) {
        std::byte* d = dst[i % SLOTS]->data();
        const auto t0 = Clock::now();
        std::memcpy(d, src.data(), m.bytes);
        const auto t1 = Clock::now();
        sink = d[m.bytes - 1];
        if (i >= SLOTS) ns.push_back(ns_between(t0, t1));
    }
    (void)sink;
    m.ns = percentiles(std::move(ns));
    return m;
}

std::vector<std::string> dds_notes(const BenchOptions& o) {
    const char* uri = std::getenv("CYCLONEDDS_URI");
    if (uri && *uri) return {};
    std::string frag = "plain DDS and the network path send per reader, in smx's 65,000-byte fragments:";
    for (const std::string& s : o.sizes) {
        const Payload p = *parse_payload(s);
        const std::uint64_t n = (p.frame_size() + 64999) / 65000;
        frag += " " + p.label() + " = " + with_commas(n) + (n == 1 ? " datagram;" : " datagrams;");
    }
    frag.back() = '.';
    return {frag};
}

std::string scenario_title(const Scenario& s) {
    std::string what = std::to_string(s.lanes.size()) + " interleaved lanes";
    if (s.lanes.size() == 1)
        what = std::string(describe(s.lanes[0].path)) + ", " +
               (info(s.lanes[0].path).payload ? s.lanes[0].payload.label() : std::string("no payload"));
    return fmt("%-10s %s, %s", s.network ? "network" : to_string(s.mode), what.c_str(), readers_label(s.readers).c_str()) +
           (s.network ? std::string(", DDS settings ") + to_string(s.dds) : "") +
           (s.mode == Mode::latency ? " @ " + rate_label(s.rate_hz) : "") +
           (s.spin_us > 0 ? fmt(", spinning %g µs", s.spin_us) : "");
}

// One progress line per scenario on stderr (and one per lane of an interleaved latency run).
void print_progress(const Scenario& s, const std::vector<RunResult>& results, double secs) {
    const RunResult& r = results.front();
    if (!r.ok) return (void)std::fprintf(stderr, "FAILED (%.1f s): %s\n", secs, r.error.c_str());
    if (s.mode == Mode::latency) {
        std::fprintf(stderr, "(%.1f s)\n", secs);
        for (const RunResult& x : results) {
            const bool copy_time = !info(x.scenario.path).delivered;
            const Percentiles& p = copy_time ? x.cost : x.latency;
            std::fprintf(stderr, "        %-38s %-18s p50 %9.1f µs  p99 %9.1f µs  %s\n", describe(x.scenario.path),
                         info(x.scenario.path).payload ? x.scenario.payload.label().c_str() : "-",
                         static_cast<double>(p.p50) / 1e3, static_cast<double>(p.p99) / 1e3,
                         copy_time ? "(copy time)" : fmt("lost %lld", static_cast<long long>(x.lost)).c_str());
        }
    } else if (s.mode == Mode::cost) {
        std::fprintf(stderr, "p50 %.2f µs per call (%.1f s)\n", static_cast<double>(r.cost.p50) / 1e3, secs);
    } else if (s.mode == Mode::throughput) {
        std::fprintf(stderr, "%.0f frames/s per reader, missed %lld, longest gap %s (%.1f s)\n", r.reader_fps_mean(),
                     static_cast<long long>(r.missed_total()), us_unit(r.max_gap_ns()).c_str(), secs);
    } else {
        std::fprintf(stderr, "done (%.1f s)\n", secs);
    }
}

// A scenario as planned, and its lanes that cannot run here (reported n/a, not run).
struct Planned {
    Scenario scenario;
    std::vector<RunResult> skipped;
};

std::vector<Planned> planned(const std::vector<Scenario>& scenarios) {
    std::vector<Planned> out;
    for (const Scenario& s : scenarios) out.push_back({s, {}});
    return out;
}

// Takes the lanes of `path` out of every scenario; each becomes an n/a result saying `reason`.
void skip_path(std::vector<Planned>& plan, Path path, const std::string& reason) {
    for (std::size_t i = 0; i < plan.size(); ++i) {
        Scenario& s = plan[i].scenario;
        for (unsigned l = 0; l < s.lanes.size(); ++l)
            if (s.lanes[l].path == path) {
                RunResult r;
                r.scenario = lane_view(s, static_cast<unsigned>(i + 1), l);
                r.skipped = reason;
                plan[i].skipped.push_back(r);
            }
        std::erase_if(s.lanes, [path](const Lane& l) { return l.path == path; });
    }
}

void run_scenarios(ScenarioRunner& runner, const std::vector<Planned>& plan, BenchReport& report) {
    for (std::size_t i = 0; i < plan.size() && !runner.interrupted(); ++i) {
        const Scenario& s = plan[i].scenario;
        if (!s.lanes.empty()) {
            std::fprintf(stderr, "  [%zu/%zu] %s ... ", i + 1, plan.size(), scenario_title(s).c_str());
            std::fflush(stderr);
            const auto t0 = Clock::now();
            const std::vector<RunResult> results = runner.run(s, static_cast<unsigned>(i + 1));
            print_progress(s, results, std::chrono::duration<double>(Clock::now() - t0).count());
            report.runs.insert(report.runs.end(), results.begin(), results.end());
        }
        report.runs.insert(report.runs.end(), plan[i].skipped.begin(), plan[i].skipped.end());
    }
}

bool has_path(const std::vector<Planned>& plan, Path path) {
    for (const Planned& p : plan)
        for (const Lane& l : p.scenario.lanes)
            if (l.path == path) return true;
    return false;
}

#if SMX_BENCH_ICEORYX
// One mempool per frame size of the iceoryx lanes, with room for every chunk that can be in use
// at once: the publisher's history and loan, and per reader its queue and the chunk it holds.
std::vector<baseline::RouDi::Pool> iceoryx_pools(const std::vector<Planned>& plan) {
    std::vector<baseline::RouDi::Pool> pools;
    unsigned readers = 1;
    for (const Planned& p : plan)
        for (const Lane& l : p.scenario.lanes)
            if (l.path == Path::iceoryx) {
                readers = std::max(readers, p.scenario.readers);
                const std::uint64_t bytes = l.payload.frame_size();
                if (std::none_of(pools.begin(), pools.end(), [bytes](const auto& x) { return x.payload_bytes == bytes; }))
                    pools.push_back({bytes, 0});
            }
    for (auto& pool : pools) pool.count = 2 + readers * (SLOTS + 1) + 1;
    std::sort(pools.begin(), pools.end(), [](const auto& a, const auto& b) { return a.payload_bytes < b.payload_bytes; });
    return pools;
}
#endif

// The iceoryx lanes need a RouDi of their own for the run (returned: it runs until destroyed);
// without one they are n/a, and the rest of the bench runs.
std::unique_ptr<baseline::RouDi> prepare_iceoryx(std::vector<Planned>& plan, BenchReport& report) {
    if (!has_path(plan, Path::iceoryx)) return nullptr;
    std::string reason = "smx-bench was built without iceoryx (install libiceoryx-posh-dev and rebuild)";
#if SMX_BENCH_ICEORYX
    try {
        auto roudi = std::make_unique<baseline::RouDi>(iceoryx_pools(plan), std::chrono::seconds(20));
        report.iceoryx = "iceoryx " ICEORYX_LATEST_RELEASE_VERSION ", a private RouDi started for this run (pid " +
                         std::to_string(roudi->pid()) + "; " + roudi->describe() + ")";
        return roudi;
    } catch (const baseline::RouDiUnavailable& e) {
        reason = e.what();
    }
#endif
    report.iceoryx = "n/a (" + reason + ")";
    std::fprintf(stderr, "  iceoryx: n/a (%s)\n", reason.c_str());
    skip_path(plan, Path::iceoryx, reason);
    return nullptr;
}

void add_run_notes(BenchReport& report, bool interrupted) {
    if (interrupted) report.notes.push_back("interrupted: the run is incomplete");
    for (const RunResult& r : report.runs)
        if (r.scenario.spin_us > 0) {
            report.notes.push_back(fmt("the smx-zero-copy-spin lane's reader busy-polls %g µs before it blocks "
                                       "(ReaderOptions::spin, --spin); no other lane spins",
                                       r.scenario.spin_us));
            break;
        }
    for (const RunResult& r : report.runs)
        if (r.ok && r.ack_timeouts > 0)
            report.notes.push_back(std::string(describe(r.scenario.path)) + ", " + r.scenario.payload.label() + ", " +
                                   readers_label(r.scenario.readers) + ": " + std::to_string(r.ack_timeouts) +
                                   " frames not acknowledged by every reader within 5 s");
    if (report.load_before > 1.0 || report.load_after > 1.0)
        report.notes.push_back("the machine was busy (load average above 1 on a " +
                               std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) +
                               "-core machine): absolute figures are noisy; the ratios compare lanes run side by side");
}

void write_outputs(const BenchOptions& o, const BenchReport& report) {
    if (o.json) std::fputs(to_json(report).c_str(), stdout);
    else print_table(stdout, report);
    std::fflush(stdout);
    if (!o.json_file.empty()) {
        std::FILE* f = std::fopen(o.json_file.c_str(), "w");
        if (!f) throw CommandError(STATUS_RUNTIME, "cannot write " + o.json_file + ": " + std::strerror(errno));
        const std::string text = to_json(report);
        const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
        if (std::fclose(f) != 0 || !ok) throw CommandError(STATUS_RUNTIME, "cannot write " + o.json_file + ": " + std::strerror(errno));
        std::fprintf(stderr, "smx bench: JSON written to %s\n", o.json_file.c_str());
    }
    if (!o.plot.empty()) {
        draw_plot(report, o.plot);
        std::fprintf(stderr, "smx bench: plot written to %s\n", o.plot.c_str());
    }
}

// Failed: an smx lane failed, or any frame was broken. Baselines may fail (plain DDS with
// large frames on a busy machine) without failing the bench.
int exit_status(const BenchReport& report, bool interrupted) {
    if (interrupted) return STATUS_RUNTIME;
    for (const RunResult& r : report.runs)
        if ((info(r.scenario.path).smx && !r.ok) || r.broken > 0) return STATUS_FAILED;
    return STATUS_OK;
}

BenchReport start_report(const BenchOptions& o) {
    BenchReport report;
    for (const PathInfo& p : paths())
        if (!o.wants_path(p.name)) report.left_out.push_back({p.path, "not in --paths"});
    if (o.spin_us <= 0) report.left_out.push_back({Path::smx_zero_copy_spin, "--spin 0"});
    report.matrix = {o.only, {}, o.rates, o.readers};
    for (const std::string& s : o.sizes) report.matrix.sizes.push_back(parse_payload(s)->name);
    report.quick = o.quick;
    report.machine = machine_description();
    report.software = software_description();
    report.config = dds_config_description();
    report.iceoryx = "not run";
    report.load_before = load_average();
    report.notes = dds_notes(o);
    return report;
}

int run_bench(const GlobalOptions& global, const BenchOptions& o) {
    SignalFd signals;  // Ctrl-C ends the current scenario and prints what was measured so far
    // A reader of our output that went away (| head) must not kill us before we stopped the
    // processes we started and removed what they left.
    std::signal(SIGPIPE, SIG_IGN);
    const auto start = Clock::now();
    BenchReport report = start_report(o);
    std::vector<Planned> scenarios = planned(plan(o));
    std::fprintf(stderr, "smx bench: %zu scenarios%s; load average %.2f\n", scenarios.size(), o.quick ? " (--quick)" : "",
                 report.load_before);
    const std::unique_ptr<baseline::RouDi> roudi = prepare_iceoryx(scenarios, report);  // stopped when run_bench ends
    if (o.wants("latency") || o.wants("throughput") || o.wants("cost"))
        for (const std::string& s : o.sizes) {
            report.memcpy.push_back(measure_memcpy(*parse_payload(s)));
            const MemcpyFloor& m = report.memcpy.back();
            std::fprintf(stderr, "  memcpy floor %-20s p50 %9.1f µs  %6.2f GB/s\n", m.payload.label().c_str(),
                         static_cast<double>(m.ns.p50) / 1e3, m.gbps());
        }
    if (o.wants("compression")) {
        std::fprintf(stderr, "  compression: smx's codec on the demo's depth field and camera-like images ... ");
        std::fflush(stderr);
        const auto t0 = Clock::now();
        report.compression = measure_compression(o.quick);
        std::fprintf(stderr, "(%.1f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    }
    ScenarioRunner runner(global.domain, signals);
    run_scenarios(runner, scenarios, report);
    if (roudi) roudi->stop();
    report.load_after = load_average();
    add_run_notes(report, runner.interrupted());
    report.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    evaluate_targets(report);
    write_outputs(o, report);
    return exit_status(report, runner.interrupted());
}

constexpr const char* FOOTER = R"(
Every scenario runs 1 writer and N reader processes. Latency is one-way, from the start of the
writer's call (write, publish of a filled loan, FUTEX_WAKE) to the reader holding a consistent
frame (pin, take), a consistent copy, or returning from FUTEX_WAIT; the writer is paced and waits
for every reader to finish a frame before the next. Baselines in the same interleaved run: the
futex floor (a bare cross-process wake), iceoryx 2.0 (its own RouDi, started and stopped by the
bench), plain DDS (the whole frame as one sample), the DDS floor (a notice-sized sample) and a
paced memcpy of the frame. Throughput runs the writer at full speed. The network comparison runs
smx's network path (a reader forced onto it, as on another host) beside plain DDS over loopback,
with smx's DDS settings and with Cyclone's defaults; the compression table times smx's codec.

Examples:
  smx bench                          the full run: table and the targets of issue 8
  smx bench --quick                  a smoke run (well under a minute)
  smx bench --json > bench.json      machine-readable results instead of the table
  smx bench --json bench.json        the table, and the same results as JSON in a file
  smx bench --plot docs/bench.png    also draw latency vs payload (gnuplot)
  smx bench --only latency --sizes 64B,rgbd --readers 1 --rates 500
  smx bench --only network,compression --sizes 64KiB,rgbd,16MiB)";

}  // namespace

Command add_bench_options(CLI::App& app, const GlobalOptions& global) {
    auto o = std::make_shared<BenchOptions>();
    auto line = std::make_shared<BenchCommandLine>(app, *o);
    app.footer(FOOTER);
    return {&app, [&global, o, line] {
                line->finish();
                return run_bench(global, *o);
            }};
}

}  // namespace smx::cli::bench
