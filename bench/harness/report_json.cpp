// The JSON output of `smx bench`: every run (one object per lane of every scenario), the memcpy
// floor, every target with its points, and the notes.

#include "format.hpp"
#include "report.hpp"

namespace smx::cli::bench {

namespace {

std::string json_percentiles(const Percentiles& p) {
    return "{\"count\": " + std::to_string(p.count) + ", \"p50_ns\": " + json_ns(p.p50) + ", \"p90_ns\": " +
           json_ns(p.p90) + ", \"p99_ns\": " + json_ns(p.p99) + ", \"max_ns\": " + json_ns(p.max) +
           ", \"mean_ns\": " + (p.mean < 0 ? std::string("null") : json_number(p.mean)) + "}";
}

template <class T, class F>
std::string json_list(const std::vector<T>& items, const char* separator, F&& item) {
    std::string j;
    for (std::size_t i = 0; i < items.size(); ++i) j += (i ? separator : "") + item(items[i]);
    return j;
}

std::string json_reader(const ReaderOutcome& o) {
    return "{\"frames\": " + std::to_string(o.frames) + ", \"missed\": " + std::to_string(o.missed) +
           ", \"broken\": " + std::to_string(o.broken) + ", \"cpu_ns\": " + std::to_string(o.cpu_ns) +
           ", \"wall_ns\": " + std::to_string(o.wall_ns) + ", \"max_gap_ns\": " + std::to_string(o.max_gap_ns) + "}";
}

std::string json_scenario(const RunResult& run) {
    const LaneScenario& s = run.scenario;
    std::string j = "{\"mode\": " + json_string(to_string(s.mode)) + ", \"path\": " + json_string(to_string(s.path)) +
                    ", \"payload\": " + json_string(s.payload.name) + ", \"frame_bytes\": " +
                    std::to_string(s.payload.frame_size()) + ", \"readers\": " + std::to_string(s.readers) +
                    ", \"rate_hz\": " + json_number(s.rate_hz) + ", \"scenario\": " + std::to_string(s.scenario) +
                    (s.spin_us > 0 ? ", \"spin_us\": " + json_number(s.spin_us) : std::string()) +
                    ", \"dds_settings\": " + json_string(to_string(s.dds)) +
                    ", \"network\": " + (s.network ? "true" : "false") +
                    ", \"ok\": " + (run.ok ? "true" : "false");
    j += ", \"interleaved_with\": [" + json_list(s.interleaved_with, ", ", json_string) + "]";
    if (!run.error.empty()) j += ", \"error\": " + json_string(run.error);
    if (!run.skipped.empty()) j += ", \"skipped\": " + json_string(run.skipped);
    return j;
}

std::string json_run(const RunResult& run) {
    const LaneScenario& s = run.scenario;
    std::string j = json_scenario(run);
    j += ", \"published\": " + std::to_string(run.published) + ", \"failed\": " + std::to_string(run.failed) +
         ", \"ack_timeouts\": " + std::to_string(run.ack_timeouts) + ", \"writer_ns\": " + std::to_string(run.writer_ns) +
         ", \"writer_cpu_ns\": " + std::to_string(run.writer_cpu_ns) + ", \"achieved_hz\": " +
         json_number(run.achieved_hz()) + ", \"writer_cost\": " + json_percentiles(run.cost);
    if (run.floor.count > 0) j += ", \"memcpy_beside_writer\": " + json_percentiles(run.floor);
    if (s.mode == Mode::latency)
        j += ", \"latency\": " + json_percentiles(run.latency) + ", \"lost\": " + std::to_string(run.lost);
    if (s.mode == Mode::throughput)
        j += ", \"reader_fps_mean\": " + json_number(run.reader_fps_mean()) + ", \"reader_fps_min\": " +
             json_number(run.reader_fps_min()) + ", \"reader_gb_per_s\": " +
             json_number(run.reader_fps_mean() * static_cast<double>(s.payload.frame_size()) / 1e9) +
             ", \"missed\": " + std::to_string(run.missed_total()) + ", \"max_gap_ns\": " + std::to_string(run.max_gap_ns());
    j += ", \"broken\": " + std::to_string(run.broken) + ", \"reader_reports\": [" +
         json_list(run.readers, ", ", json_reader) + "]}";
    return j;
}

std::string json_met(const std::optional<bool>& met) { return !met ? "null" : *met ? "true" : "false"; }

std::string json_target(const Target& t) {
    const auto point = [](const TargetPoint& p) {
        return "{\"where\": " + json_string(p.where) + ", \"met\": " + json_met(p.met) +
               ", \"ratio\": " + json_number(p.met ? p.ratio : NAN) + ", \"figure\": " + json_string(p.figure) + "}";
    };
    return "{\"target\": " + json_string(t.name) + ", \"scope\": " + json_string(t.scope) + ", \"met\": " +
           json_met(t.met) + ", \"summary\": " + json_string(t.summary) + ",\n      \"points\": [" +
           json_list(t.points, ", ", point) + "]}";
}

std::string json_memcpy(const MemcpyFloor& m) {
    return "{\"payload\": " + json_string(m.payload.name) + ", \"bytes\": " + std::to_string(m.bytes) +
           ", \"ns\": " + json_percentiles(m.ns) + ", \"gb_per_s\": " + json_number(m.gbps()) + "}";
}

std::string json_compression(const CompressionResult& c) {
    return "{\"image\": " + json_string(c.image) + ", \"codec\": " + json_string(c.codec) + ", \"bytes\": " +
           std::to_string(c.bytes) + ", \"encoded\": " + std::to_string(c.encoded) + ", \"ratio\": " +
           json_number(c.ratio()) + ", \"encode\": " + json_percentiles(c.encode) + ", \"decode\": " +
           json_percentiles(c.decode) + "}";
}

}  // namespace

std::string to_json(const BenchReport& r) {
    std::string j = "{\n";
    j += "  \"tool\": \"smx bench\",\n  \"quick\": " + std::string(r.quick ? "true" : "false") + ",\n";
    j += "  \"machine\": " + json_string(r.machine) + ",\n  \"software\": " + json_string(r.software) +
         ",\n  \"dds_config\": " + json_string(r.config) + ",\n  \"iceoryx\": " + json_string(r.iceoryx) + ",\n";
    j += "  \"load_before\": " + json_number(r.load_before) + ", \"load_after\": " + json_number(r.load_after) +
         ", \"total_seconds\": " + json_number(r.total_seconds) + ",\n";
    j += "  \"memcpy_floor\": [\n    " + json_list(r.memcpy, ",\n    ", json_memcpy) + "\n  ],\n";
    j += "  \"compression\": [\n    " + json_list(r.compression, ",\n    ", json_compression) + "\n  ],\n";
    j += "  \"runs\": [\n    " + json_list(r.runs, ",\n    ", json_run) + "\n  ],\n";
    j += "  \"targets\": [\n    " + json_list(r.targets, ",\n    ", json_target) + "\n  ],\n";
    j += "  \"notes\": [" + json_list(r.notes, ", ", json_string) + "]\n}\n";
    return j;
}

}  // namespace smx::cli::bench
