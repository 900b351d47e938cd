#include "runner.hpp"

#include "control.hpp"
#include "lanes.hpp"
#include "os.hpp"
#include "role.hpp"
#include "roudi.hpp"

#include <smx/error.hpp>
#include <smx/inspect.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <optional>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Set-up of one scenario (processes, DDS discovery, warm-up) takes about a second; past
// this much more than the planned duration, the scenario is stopped and reported as failed.
constexpr auto SCENARIO_SLACK = 60s;
constexpr auto WRITER_START_TIMEOUT = 30s;
// How long processes asked to stop get to close their writers, segments and DDS and iceoryx
// endpoints before they are killed (they notice a stop within 100 ms).
constexpr auto STOP_GRACE = 5s;

// Every reader's samples of one lane, pooled; (frame, reader) pairs without one count as lost.
void pool_latency(RunResult& result, const Control& control, unsigned lane) {
    std::vector<std::int64_t> pooled;
    for (unsigned reader = 0; reader < result.readers.size(); ++reader) {
        const auto samples = control.samples(reader, lane);
        const auto n = std::min<std::size_t>(samples.size(), static_cast<std::size_t>(std::max<std::int64_t>(0, result.published)));
        for (std::size_t f = 0; f < n; ++f) {
            if (samples[f] >= 0) pooled.push_back(samples[f]);
            else ++result.lost;
        }
    }
    result.latency = percentiles(std::move(pooled));
}

ReaderOutcome reader_outcome(const Report& r, const std::string& k) {
    ReaderOutcome o;
    o.frames = r.number("frames" + k);
    o.missed = r.number("missed" + k);
    o.broken = r.number("broken" + k);
    o.cpu_ns = r.number("cpu_ns");
    o.wall_ns = r.number("wall_ns");
    o.max_gap_ns = r.number("max_gap_ns");
    return o;
}

// One result per lane from the writer's and the readers' final reports and the samples.
std::vector<RunResult> collect(const Scenario& s, unsigned id, const Report& w, const std::vector<const Report*>& readers,
                               const Control& control) {
    std::int64_t all_lanes = 0;
    for (unsigned l = 0; l < s.lanes.size(); ++l) all_lanes += w.number("published" + std::to_string(l));
    std::vector<RunResult> out;
    for (unsigned l = 0; l < s.lanes.size(); ++l) {
        const std::string k = std::to_string(l);
        RunResult r;
        r.scenario = lane_view(s, id, l);
        r.ok = true;
        r.published = w.number("published" + k);
        r.failed = w.number("failed" + k);
        r.ack_timeouts = w.number("ack_timeouts");
        r.writer_ns = w.number("seconds_ns");
        r.writer_cpu_ns = w.number("cpu_ns");
        r.frames_all_lanes = all_lanes;
        r.cost = read_percentiles(w, "cost" + k);
        if (l == 0) r.floor = read_percentiles(w, "floor0");
        if (info(s.lanes[l].path).delivered)
            for (const Report* reader : readers) {
                r.readers.push_back(reader_outcome(*reader, k));
                r.broken += r.readers.back().broken;
            }
        if (s.mode == Mode::latency && info(s.lanes[l].path).delivered) pool_latency(r, control, l);
        out.push_back(std::move(r));
    }
    return out;
}

// The segment of `topic` if its writer is dead (smx's own next writer of the topic would remove
// it, but no writer of a bench topic comes again).
void remove_stale_segment(int domain, const std::string& topic) noexcept {
    try {
        if (const auto segment = inspect_topic(domain, topic); segment && !segment->writer.alive)
            ::shm_unlink(segment->segment_name.c_str());
    } catch (const std::exception&) {  // nothing to clean, or /dev/shm unreadable: nothing to do
    }
}

std::vector<RunResult> failed_lanes(const Scenario& s, unsigned id, const std::string& error) {
    std::vector<RunResult> out;
    for (unsigned l = 0; l < s.lanes.size(); ++l) {
        RunResult r;
        r.scenario = lane_view(s, id, l);
        r.error = error;
        out.push_back(r);
    }
    return out;
}

}  // namespace

struct ScenarioRunner::Child {
    Child(std::string label_, const std::vector<std::string>& args) : label(std::move(label_)), process(label, args) {}
    std::string label;
    ChildProcess process;
    LineReader lines;
    bool open = true;
    bool ready = false;
    std::optional<Report> done;
    std::string error;
};

LaneScenario lane_view(const Scenario& s, unsigned id, unsigned lane) {
    LaneScenario v;
    v.mode = s.mode;
    v.path = s.lanes[lane].path;
    v.payload = s.lanes[lane].payload;
    v.readers = s.readers;
    v.rate_hz = s.rate_hz;
    v.frames = s.frames;
    v.seconds = s.seconds;
    v.spin_us = s.lanes[lane].path == Path::smx_zero_copy_spin ? s.spin_us : 0;
    v.dds = s.dds;
    v.network = s.network;
    v.scenario = id;
    for (unsigned l = 0; l < s.lanes.size(); ++l)
        if (l != lane) v.interleaved_with.push_back(to_string(s.lanes[l]));
    return v;
}

// Reads reports until `condition` holds, `deadline` passes or a stop signal arrives; true if the
// condition held.
template <class Condition>
bool ScenarioRunner::pump(std::vector<std::unique_ptr<Child>>& children, Clock::time_point deadline,
                          Condition&& condition) {
    for (;;) {
        if (condition()) return true;
        const auto now = Clock::now();
        if (now >= deadline || (m_interrupted && !m_stopping)) return false;
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
            throw_errno("poll on the bench's report pipes");
        }
        if (fds[0].revents & POLLIN) {
            m_signals.take();
            if (m_stopping) return false;  // a second stop signal: no more waiting
            m_interrupted = true;
            return false;
        }
        for (std::size_t i = 1; i < fds.size(); ++i)
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read(*owners[i]);
    }
}

void ScenarioRunner::read(Child& c) {
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

// Asks the processes still running to stop (SIGTERM: they end their waits, close their writers
// and segments, leave DDS and iceoryx) and gives them STOP_GRACE; ~ChildProcess kills the rest.
void ScenarioRunner::stop_children(std::vector<std::unique_ptr<Child>>& children) {
    for (auto& c : children)
        if (c->open) c->process.signal(SIGTERM);
    m_stopping = true;
    pump(children, Clock::now() + STOP_GRACE,
         [&] { return std::none_of(children.begin(), children.end(), [](const auto& c) { return c->open; }); });
    m_stopping = false;
}

// Starts the writer, then (once it is ready) the readers, and waits for all of them; returns
// the first error ("" if every process finished with its final report).
std::string ScenarioRunner::run_children(const Scenario& s, std::vector<std::unique_ptr<Child>>& children,
                                         const std::vector<std::string>& writer_args,
                                         const std::vector<std::string>& reader_args) {
    children.push_back(std::make_unique<Child>("writer", writer_args));
    Child& writer = *children.front();
    pump(children, Clock::now() + WRITER_START_TIMEOUT, [&] { return writer.ready || !writer.open; });
    if (!writer.ready) return writer.error.empty() ? "the writer did not start" : "writer: " + writer.error;
    for (unsigned i = 0; i < s.readers; ++i) {
        auto a = reader_args;
        a.insert(a.end(), {"--index", std::to_string(i)});
        children.push_back(std::make_unique<Child>("reader " + std::to_string(i + 1), a));
    }
    const auto allowed = SCENARIO_SLACK + seconds_of(s.seconds);
    // Until every process ended, or one failed (the others are then killed: waiting for a
    // writer that is gone would only take time).
    const bool all_closed = pump(children, Clock::now() + allowed, [&] {
        return std::none_of(children.begin(), children.end(), [](const auto& c) { return c->open; }) ||
               std::any_of(children.begin(), children.end(), [](const auto& c) { return !c->error.empty(); });
    });
    for (const auto& c : children)
        if (!c->error.empty()) return c->label + ": " + c->error;
    if (!all_closed)
        return m_interrupted ? "interrupted"
                             : "did not finish within " +
                                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(allowed).count()) +
                                   " s; stopped";
    for (const auto& c : children)
        if (!c->done) return c->label + " " + describe_wait_status(c->process.reap()) + " without a final report";
    return "";
}

std::vector<RunResult> ScenarioRunner::run(const Scenario& s, unsigned id) {
    const std::string pid = std::to_string(::getpid());
    const std::string control_name = "/smx-bench." + pid + "." + std::to_string(id);
    const std::string topic = "smx_bench_" + pid + "_" + std::to_string(id);
    const auto lanes = static_cast<unsigned>(s.lanes.size());
    const Control control = Control::create(control_name, s.readers, lanes, s.mode == Mode::latency ? s.frames : 1);
    std::vector<RunResult> results;
    std::vector<pid_t> pids;
    {
        std::vector<std::unique_ptr<Child>> children;  // ~ChildProcess kills whatever is left, by pid
        const std::string error =
            run_children(s, children, role_arguments("writer", s, m_domain, control_name, topic, ::getpid()),
                         role_arguments("reader", s, m_domain, control_name, topic, ::getpid()));
        if (!error.empty()) stop_children(children);
        std::vector<const Report*> readers;
        for (std::size_t i = 1; i < children.size() && error.empty(); ++i) readers.push_back(&*children[i]->done);
        results = error.empty() ? collect(s, id, *children.front()->done, readers, control) : failed_lanes(s, id, error);
        for (const auto& c : children) pids.push_back(c->process.pid());
    }  // every child is reaped here
    remove_leftovers(s, topic, pids);
    return results;
}

// What processes killed mid-run (after STOP_GRACE) could not remove, by the names they used: a
// writer's futex block and smx segment (if its writer is dead), a process's iceoryx files.
void ScenarioRunner::remove_leftovers(const Scenario& s, const std::string& topic, const std::vector<pid_t>& pids) const {
    const std::size_t lanes = s.lanes.size();
    for (std::size_t l = 0; l < lanes; ++l) {
        const std::string lane = lane_topic(topic, l, lanes);
        if (s.lanes[l].path == Path::futex_floor) ::shm_unlink(futex_block_name(lane).c_str());
        if (info(s.lanes[l].path).smx) remove_stale_segment(m_domain, lane);
        if (s.lanes[l].path == Path::smx_waitset_8)
            for (unsigned i = 0; i < WAITSET_IDLE_TOPICS; ++i) remove_stale_segment(m_domain, waitset_idle_topic(lane, i));
    }
    if (std::any_of(s.lanes.begin(), s.lanes.end(), [](const Lane& l) { return l.path == Path::iceoryx; }))
        for (pid_t pid : pids) baseline::RouDi::remove_application_files(iceoryx_runtime_name(pid));
}

}  // namespace smx::cli::bench
