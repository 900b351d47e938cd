#include "targets.hpp"

#include "format.hpp"

#include <algorithm>
#include <cmath>

namespace smx::cli::bench {

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

// The matrix of the issue: every size, both rates, 1 and 4 readers.
const Scope EVERY_LATENCY{{"64B", "64KiB", "rgbd", "16MiB"}, {30, 500}, {1, 4}};
const Scope SMALL_AND_RGBD{{"64B", "rgbd"}, {30, 500}, {1, 4}};
const Scope EVERY_SIZE{{"64B", "64KiB", "rgbd", "16MiB"}, {}, {}};

Operand latency(Path path, Stat stat) { return {Mode::latency, path, stat}; }

// ---- one point of a target ------------------------------------------------------------------

struct Point {
    std::string payload;  // "" when payload is not an axis
    double rate = 0;
    unsigned readers = 0;
};

std::vector<Point> points_of(const Scope& s) {
    const std::vector<std::string> payloads = s.payloads.empty() ? std::vector<std::string>{""} : s.payloads;
    const std::vector<double> rates = s.rates.empty() ? std::vector<double>{0} : s.rates;
    const std::vector<unsigned> readers = s.readers.empty() ? std::vector<unsigned>{0} : s.readers;
    std::vector<Point> out;
    for (double rate : rates)
        for (unsigned n : readers)
            for (const std::string& p : payloads) out.push_back({p, rate, n});
    return out;
}

// "64 B", "RGB-D": the payload in a target's lines, short.
std::string payload_label(const std::string& name) {
    const auto p = parse_payload(name);
    if (!p) return name;
    return p->is_rgbd() ? "RGB-D" : p->label();
}

std::string where(const Point& p) {
    std::string text;
    const auto add = [&text](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
    if (p.rate > 0) add(rate_label(p.rate));
    if (p.readers > 0) add(readers_label(p.readers));
    if (!p.payload.empty()) add(payload_label(p.payload));
    return text;
}

double stat_value(const RunResult& run, Stat stat) {
    const double bytes = static_cast<double>(run.scenario.payload.frame_size());
    const auto per_ns = [bytes](std::int64_t ns) { return ns > 0 ? bytes / static_cast<double>(ns) : NAN; };
    switch (stat) {
        case Stat::p50: return run.has_latency() ? static_cast<double>(run.latency.p50) : NAN;
        case Stat::p99: return run.has_latency() ? static_cast<double>(run.latency.p99) : NAN;
        case Stat::cost_p50: return run.cost.count ? static_cast<double>(run.cost.p50) : NAN;
        case Stat::bandwidth: return per_ns(run.cost.p50);
        case Stat::floor_bandwidth: return per_ns(run.floor.p50);
        case Stat::reader_fps: return run.readers.empty() ? NAN : run.reader_fps_min();
        case Stat::writer_fps: return run.writer_ns > 0 ? run.achieved_hz() : NAN;
        case Stat::max_gap: return run.readers.empty() ? NAN : static_cast<double>(run.max_gap_ns());
        case Stat::lost: return run.has_latency() ? static_cast<double>(run.lost) : NAN;
        case Stat::idle_cpu: {
            double worst = NAN;
            for (const ReaderOutcome& o : run.readers)
                if (o.wall_ns > 0) worst = std::fmax(worst, static_cast<double>(o.cpu_ns) / static_cast<double>(o.wall_ns));
            return worst;
        }
    }
    return NAN;
}

std::string value_text(Stat stat, double v) {
    switch (stat) {
        case Stat::bandwidth:
        case Stat::floor_bandwidth: return fmt("%.2f GB/s", v);
        case Stat::reader_fps:
        case Stat::writer_fps: return with_commas(static_cast<std::uint64_t>(std::llround(v))) + "/s";
        case Stat::idle_cpu: return fmt("%.3f %% of a core", v * 100);
        case Stat::lost: return fmt("%.0f", v);
        default: return us_unit(std::llround(v));
    }
}

// A figure of one lane at one point, or why there is none.
struct Value {
    double v = NAN;
    const RunResult* run = nullptr;
    std::string na;  // non-empty: not available, and why
};

// Why a point has no run: what the command line left out.
std::string not_run(const BenchReport& r, const Operand& op, const Point& pt) {
    const auto in = [](const auto& list, const auto& v) { return std::find(list.begin(), list.end(), v) != list.end(); };
    for (const auto& [path, why] : r.left_out)
        if (path == op.path) return std::string("n/a (") + to_string(op.path) + ": " + why + ")";
    if (r.quick) return "n/a (quick)";
    if (!in(r.matrix.only, std::string(to_string(op.mode)))) return "n/a (not in --only)";
    if (!pt.payload.empty() && info(op.path).payload && !in(r.matrix.sizes, pt.payload)) return "n/a (not in --sizes)";
    if (op.mode == Mode::latency && !in(r.matrix.rates, pt.rate)) return "n/a (not in --rates)";
    if (op.mode == Mode::latency && op.readers < 0 && !in(r.matrix.readers, pt.readers)) return "n/a (not in --readers)";
    return std::string("n/a (") + to_string(op.path) + " not measured in this run)";
}

Value resolve(const BenchReport& r, const Operand& op, const Point& pt, unsigned prefer) {
    const unsigned readers = op.readers >= 0 ? static_cast<unsigned>(op.readers) : pt.readers;
    const RunResult* run = r.find(op.mode, op.path, pt.payload, readers, pt.rate, prefer);
    const std::string lane = to_string(op.path);
    if (!run) return {NAN, nullptr, not_run(r, op, pt)};
    if (!run->skipped.empty()) return {NAN, run, "n/a (" + lane + ": " + run->skipped + ")"};
    if (!run->ok) return {NAN, run, lane + " failed: " + run->error};
    const double v = stat_value(*run, op.stat);
    if (!std::isfinite(v)) return {NAN, run, "n/a (" + lane + ": no samples)"};
    return {v, run, ""};
}

bool holds(Relation relation, double measured, double bound) {
    switch (relation) {
        case Relation::at_most: return measured <= bound;
        case Relation::below: return measured < bound;
        case Relation::at_least: return measured >= bound;
    }
    return false;
}

// How far from met: above 1 is not met (for "at most", measured / bound).
double badness(Relation relation, double measured, double bound) {
    const double a = relation == Relation::at_least ? bound : measured;
    const double b = relation == Relation::at_least ? measured : bound;
    if (b > 0) return a / b;
    return a > 0 ? INF : 0;
}

std::string figure(const TargetSpec& t, const Value& m, const std::vector<Value>& refs, double bound) {
    const Stat stat = t.measured.stat;
    if (stat == Stat::lost)
        return fmt("%.0f of %lld (frame, reader) pairs lost", m.v,
                   static_cast<long long>(m.run->published) * static_cast<long long>(m.run->readers.size()));
    if (t.terms.size() == 1 && t.constant == 0 && !std::isfinite(t.cap) && refs[0].v > 0)
        return fmt("%.3g x (%s vs %s)", m.v / refs[0].v, value_text(stat, m.v).c_str(),
                   value_text(t.terms[0].operand.stat, refs[0].v).c_str());
    std::string terms;
    for (std::size_t i = 0; i < t.terms.size(); ++i) {
        const Term& term = t.terms[i];
        terms += (i ? " + " : "") + (term.factor == 1 ? std::string() : fmt("%g x ", term.factor)) +
                 to_string(term.operand.path) + " " + value_text(term.operand.stat, refs[i].v);
    }
    if (std::isfinite(t.cap)) terms = "min(" + (terms.empty() ? "" : terms + ", ") + value_text(stat, t.cap) + ")";
    return value_text(stat, m.v) + " vs " + value_text(stat, bound) + (terms.empty() ? "" : " = " + terms);
}

TargetPoint evaluate_point(const BenchReport& r, const TargetSpec& t, const Point& pt) {
    TargetPoint out;
    out.where = where(pt);
    const Value m = resolve(r, t.measured, pt, 0);
    if (!m.na.empty()) {
        // An smx run that failed misses the target; a run not made (or a baseline's) is n/a.
        if (m.run && m.run->skipped.empty() && !m.run->ok && info(t.measured.path).smx) {
            out.met = false;
            out.ratio = INF;  // the worst there is
        }
        out.figure = m.na;
        return out;
    }
    std::vector<Value> refs;
    double bound = t.constant;
    for (const Term& term : t.terms) {
        refs.push_back(resolve(r, term.operand, pt, m.run->scenario.scenario));
        if (!refs.back().na.empty()) {
            out.figure = refs.back().na;
            return out;
        }
        bound += term.factor * refs.back().v;
    }
    bound = std::min(bound, t.cap);
    out.met = holds(t.relation, m.v, bound);
    out.ratio = badness(t.relation, m.v, bound);
    out.figure = figure(t, m, refs, bound);
    return out;
}

// ---- a whole target ---------------------------------------------------------------------------

std::string scope_text(const Scope& s) {
    std::string text;
    const auto part = [&text](const std::string& p) { text += (text.empty() ? "" : "; ") + p; };
    std::string list;
    for (const std::string& p : s.payloads) list += (list.empty() ? "" : ", ") + payload_label(p);
    if (!list.empty()) part(list);
    list.clear();
    for (double rate : s.rates) list += (list.empty() ? "" : ", ") + fmt("%g", rate);
    if (!list.empty()) part(list + " Hz");
    list.clear();
    for (unsigned n : s.readers) list += (list.empty() ? "" : ", ") + std::to_string(n);
    if (!list.empty()) part(list + (s.readers.size() == 1 && s.readers[0] == 1 ? " reader" : " readers"));
    return text;
}

// "2 n/a (iceoryx: ...), 14 n/a (quick)": the points that were not measured, by reason.
std::string not_measured(const std::vector<TargetPoint>& points) {
    std::vector<std::pair<std::string, std::size_t>> reasons;
    for (const TargetPoint& p : points) {
        if (p.met) continue;
        auto it = std::find_if(reasons.begin(), reasons.end(), [&p](const auto& r) { return r.first == p.figure; });
        if (it == reasons.end()) reasons.push_back({p.figure, 1});
        else ++it->second;
    }
    std::string text;
    for (const auto& [reason, n] : reasons) text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
    return text;
}

void summarise(Target& t) {
    std::size_t met = 0, missed = 0;
    const TargetPoint* worst = nullptr;
    for (const TargetPoint& p : t.points) {
        if (!p.met) continue;
        (*p.met ? met : missed) += 1;
        if (!worst || p.ratio > worst->ratio) worst = &p;
    }
    const std::string na = not_measured(t.points);
    if (met + missed == 0) {
        t.summary = na.empty() ? "n/a" : na;
        return;
    }
    t.met = missed == 0;
    t.summary = missed ? fmt("%zu of %zu not met", missed, met + missed) : fmt("%zu of %zu met", met, met);
    if (worst) t.summary += "; worst " + worst->figure + (worst->where.empty() ? "" : " at " + worst->where);
    if (!na.empty()) t.summary += "; " + na;
}

}  // namespace

const std::vector<TargetSpec>& issue_targets() {
    using P = Path;
    using S = Stat;
    static const std::vector<TargetSpec> table{
        {"smx zero-copy p50 <= 1.3 x futex-floor p50", latency(P::smx_zero_copy, S::p50), Relation::at_most,
         {{1.3, latency(P::futex_floor, S::p50)}}, 0, INF, EVERY_LATENCY},
        {"smx zero-copy p99 <= 1.5 x futex-floor p99", latency(P::smx_zero_copy, S::p99), Relation::at_most,
         {{1.5, latency(P::futex_floor, S::p99)}}, 0, INF, EVERY_LATENCY},
        {"smx zero-copy p50 <= 1.0 x iceoryx p50", latency(P::smx_zero_copy, S::p50), Relation::at_most,
         {{1.0, latency(P::iceoryx, S::p50)}}, 0, INF, SMALL_AND_RGBD},
        {"smx zero-copy p99 <= 1.0 x iceoryx p99", latency(P::smx_zero_copy, S::p99), Relation::at_most,
         {{1.0, latency(P::iceoryx, S::p99)}}, 0, INF, SMALL_AND_RGBD},
        {"paced loan+publish <= 2 x futex-floor wake call (store + FUTEX_WAKE)",
         latency(P::smx_zero_copy, S::cost_p50), Relation::at_most, {{2.0, latency(P::futex_floor, S::cost_p50)}}, 0,
         INF, EVERY_LATENCY},
        {"back-to-back loan+publish <= 1 µs, no reader waiting", {Mode::cost, P::smx_zero_copy, S::cost_p50, 0},
         Relation::at_most, {}, 1000, INF, EVERY_SIZE},
        {"write of the RGB-D frame >= 0.9 x memcpy-floor bandwidth, 1 reader", {Mode::cost, P::smx_copy, S::bandwidth, 1},
         Relation::at_least, {{0.9, {Mode::cost, P::smx_copy, S::floor_bandwidth, 1}}}, 0, INF, {{"rgbd"}, {}, {}}},
        {"wait set, 1 topic: p50 <= 1.2 x a single reader's next() p50", latency(P::smx_waitset_1, S::p50),
         Relation::at_most, {{1.2, latency(P::smx_zero_copy, S::p50)}}, 0, INF, EVERY_LATENCY},
        {"wait set, 8 topics: p50 <= 1.5 x a single reader's next() p50", latency(P::smx_waitset_8, S::p50),
         Relation::at_most, {{1.5, latency(P::smx_zero_copy, S::p50)}}, 0, INF, EVERY_LATENCY},
        {"copy path p50 <= futex-floor p50 + 2.2 x paced memcpy", latency(P::smx_copy, S::p50), Relation::at_most,
         {{1.0, latency(P::futex_floor, S::p50)}, {2.2, latency(P::memcpy_floor, S::cost_p50)}}, 0, INF, EVERY_LATENCY},
        {"full-speed writer, zero-copy reader, 64 B: reader >= min(50 % of the writer's frames, 100,000/s)",
         {Mode::throughput, P::smx_zero_copy, S::reader_fps, 1}, Relation::at_least,
         {{0.5, {Mode::throughput, P::smx_zero_copy, S::writer_fps, 1}}}, 0, 100000, {{"64B"}, {}, {}}},
        {"full-speed writer, zero-copy reader, 64 B: no stall over 2 ms (longest gap)",
         {Mode::throughput, P::smx_zero_copy, S::max_gap, 1}, Relation::at_most, {}, 2e6, INF, {{"64B"}, {}, {}}},
        {"spin policy (--spin): zero-copy p50 <= 5 µs", latency(P::smx_zero_copy_spin, S::p50), Relation::at_most, {},
         5000, INF, {EVERY_LATENCY.payloads, {500}, {1}}},
        {"idle reader blocked in next() < 0.5 % of a core", {Mode::idle, P::smx_zero_copy, S::idle_cpu, 1},
         Relation::below, {}, 0.005, INF, {{"rgbd"}, {}, {}}},
        {"0 frames lost by zero-copy readers that keep up", latency(P::smx_zero_copy, S::lost), Relation::at_most, {},
         0, INF, EVERY_LATENCY},
        {"0 frames lost by copying readers that keep up", latency(P::smx_copy, S::lost), Relation::at_most, {}, 0, INF,
         EVERY_LATENCY},
    };
    return table;
}

void evaluate_targets(BenchReport& report) {
    report.targets.clear();
    for (const TargetSpec& spec : issue_targets()) {
        Target t;
        t.name = spec.name;
        t.scope = scope_text(spec.scope);
        for (const Point& p : points_of(spec.scope)) t.points.push_back(evaluate_point(report, spec, p));
        summarise(t);
        report.targets.push_back(std::move(t));
    }
}

}  // namespace smx::cli::bench
