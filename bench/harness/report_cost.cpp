// The writer-cost section of the table: what each path's writer call costs per frame, back to
// back and paced, beside the memcpy floor of the same bytes.

#include "format.hpp"
#include "report.hpp"

#include <tuple>

namespace smx::cli::bench {

namespace {

// The unpaced run of `path` with `readers` readers (cost runs first, then throughput runs).
const RunResult* back_to_back(const BenchReport& r, Path path, const std::string& payload, unsigned readers) {
    const RunResult* best = nullptr;
    for (const RunResult& run : r.runs) {
        const LaneScenario& s = run.scenario;
        if (!run.ok || s.path != path || s.payload.name != payload || run.cost.count == 0 || s.readers != readers) continue;
        if (s.mode != Mode::cost && s.mode != Mode::throughput) continue;
        if (!best || (s.mode == Mode::cost && best->scenario.mode != Mode::cost)) best = &run;
    }
    return best;
}

// The paced call: the latency run with the fewest readers at the lowest rate (each call after an
// idle period, as a camera's).
std::int64_t paced(const BenchReport& r, Path path, const std::string& payload) {
    const RunResult* best = nullptr;
    for (const RunResult& run : r.runs) {
        const LaneScenario& s = run.scenario;
        if (!run.ok || s.mode != Mode::latency || s.path != path || run.cost.count == 0) continue;
        if (info(path).payload && s.payload.name != payload) continue;
        if (!best || std::make_tuple(s.readers, s.rate_hz, s.scenario) <
                         std::make_tuple(best->scenario.readers, best->scenario.rate_hz, best->scenario.scenario))
            best = &run;
    }
    return best ? best->cost.p50 : -1;
}

class CostTable {
public:
    CostTable(std::FILE* out, const MemcpyFloor& m, std::int64_t floor_ns) : m_out(out), m_m(m), m_floor(floor_ns) {}

    void row(const std::string& call, std::int64_t b2b, std::int64_t paced_ns, bool bandwidth, bool versus) const {
        const std::string x = versus && b2b > 0 && m_floor > 0
                                  ? fmt("%.2f", static_cast<double>(m_floor) / static_cast<double>(b2b))
                                  : "";
        std::fprintf(m_out, "  %s %s %s %s %s %s\n", pad(m_m.payload.label(), 19).c_str(), pad(call, 34).c_str(),
                     pad(us_unit(b2b), 13, true).c_str(), pad(us_unit(paced_ns), 13, true).c_str(),
                     pad(bandwidth ? gbps(b2b) : "", 11, true).c_str(), pad(x, 10, true).c_str());
    }

private:
    std::string gbps(std::int64_t ns) const {
        return ns > 0 ? fmt("%.2f GB/s", static_cast<double>(m_m.bytes) / static_cast<double>(ns)) : "-";
    }
    std::FILE* m_out;
    const MemcpyFloor& m_m;
    std::int64_t m_floor;
};

void print_payload(std::FILE* out, const BenchReport& r, const MemcpyFloor& m) {
    const std::string& p = m.payload.name;
    const auto b2b = [&](Path path, unsigned readers) {
        const RunResult* run = back_to_back(r, path, p, readers);
        return run ? run->cost.p50 : -1;
    };
    const RunResult* write = back_to_back(r, Path::smx_copy, p, 1);
    const std::int64_t beside = write ? write->floor.p50 : -1;
    const CostTable t(out, m, beside > 0 ? beside : m.ns.p50);
    t.row("memcpy floor, alone", m.ns.p50, -1, true, false);
    if (beside > 0) t.row("memcpy floor, beside the writes", beside, -1, true, false);
    t.row("memcpy floor, paced (interleaved)", -1, paced(r, Path::memcpy_floor, p), false, false);
    t.row("smx write (copy)", b2b(Path::smx_copy, 1), paced(r, Path::smx_copy, p), true, true);
    t.row("smx write, no reader at all", b2b(Path::smx_copy, 0), -1, true, true);
    t.row("smx loan+publish (zero copy)", b2b(Path::smx_zero_copy, 1), paced(r, Path::smx_zero_copy, p), false, false);
    t.row("smx loan+publish, no reader", b2b(Path::smx_zero_copy, 0), -1, false, false);
    t.row("iceoryx loan+publish", -1, paced(r, Path::iceoryx, p), false, false);
    t.row("plain DDS dds_write", b2b(Path::plain_dds, 1), paced(r, Path::plain_dds, p), true, true);
}

}  // namespace

void print_writer_cost(std::FILE* out, const BenchReport& r) {
    if (r.memcpy.empty()) return;
    std::fprintf(out, "WRITER COST per frame, p50. Back to back: the writer's calls unpaced, with one reader that\n"
                      "copies nothing (smx: pin; plain DDS must deserialise), or none. Paced: the same call in the\n"
                      "latency run with the fewest readers at the lowest rate (each call after an idle period).\n"
                      "Memcpy floor: the frame's bytes copied once into pre-faulted memory (3 buffers in turn, like\n"
                      "the slots): alone in this process, beside the writes in the writer's process, and paced.\n");
    std::fprintf(out, "  %s %s %s %s %s %s\n", pad("payload", 19).c_str(), pad("call", 34).c_str(),
                 pad("back to back", 13, true).c_str(), pad("paced", 13, true).c_str(),
                 pad("bandwidth", 11, true).c_str(), pad("vs memcpy", 10, true).c_str());
    for (const MemcpyFloor& m : r.memcpy) print_payload(out, r, m);
    const std::int64_t wake = paced(r, Path::futex_floor, "");
    const std::int64_t tiny = paced(r, Path::dds_floor, "");
    std::fprintf(out, "  %s %s %s %s\n", pad("(no payload)", 19).c_str(), pad("futex floor: store + FUTEX_WAKE", 34).c_str(),
                 pad("-", 13, true).c_str(), pad(us_unit(wake), 13, true).c_str());
    std::fprintf(out, "  %s %s %s %s\n\n", pad("(tiny sample)", 19).c_str(), pad("DDS floor: dds_write", 34).c_str(),
                 pad("-", 13, true).c_str(), pad(us_unit(tiny), 13, true).c_str());
}

}  // namespace smx::cli::bench
