// smx_chaos: the chaos test (docs/reliability.md, "Chaos"). One writer and three readers (view +
// valid(), copy, pin) of one topic stream self-verifying frames in separate processes
// (smx_chaos_peer) while this driver, cycle after cycle,
//
//   * restarts the writer with another frame size (small, 1 MiB, 8 MiB), 2 or 3 slots, a rate,
//     write()/loans/a mix with abandoned loans, and forks (the writer's child drops what it
//     inherited, a loan that is still out included);
//   * ends it: SIGKILL at a random moment, or the writer kills itself during a write(), while a
//     loan is half filled, just after a publish or just after abandoning a loan; or truncates its
//     segment in /dev/shm (to 0 or to half its size: the writer must throw SegmentCorrupt); or
//     closes it cleanly;
//   * meanwhile SIGKILLs readers (pinning ones above all, stopped ones too), SIGSTOPs and later
//     SIGCONTs them, and restarts killed readers at once; pin readers fork while holding a pin;
//   * has a process of another user (uid 65534 when run as root) publish forged session infos
//     and notices on the topic's DDS topics.
//
// It asserts: no reader accepts a frame whose content is not that frame's (every byte checked);
// every process not killed on purpose keeps running and exits 0 when told to (forked children
// too); readers report "writer gone" within 1 s (p99) of a kill and the first frame of a
// restarted writer within 2 s of its being ready (every sample); nothing of the run is left in
// /dev/shm, no process and no descriptor. It prints a summary and, with --json, writes it as JSON.
//
//   smx_chaos [--quick | --long] [--cycles N] [--writer-kills N] [--reader-kills N]
//             [--max-seconds S] [--big-every K] [--seed X] [--domain D] [--json PATH]
//             [--peer PATH] [--injector PATH] [--verbose]
//
// --quick (default): until 150 writer kills and 150 reader kills, within 120 s.
// --long: 2,000 writer cycles (every other one with 1 MiB or 8 MiB frames), no time limit.

#include "shm/layout.hpp"  // LAYOUT_VERSION, for forged infos that look right
#include "support.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <poll.h>
#include <random>
#include <set>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

volatile std::sig_atomic_t g_interrupted = 0;

// ---- child processes -------------------------------------------------------------------------

enum class Expect { running, killed, self_kill, quit, corrupt };

// A peer process: stdout read without blocking, line by line; stdin for commands. Killed by pid
// and reaped when destroyed, so no path out of the driver leaves it running.
class Proc {
public:
    Proc(const std::vector<std::string>& argv, std::string role_, std::string mode_, int slot_)
        : role(std::move(role_)), mode(std::move(mode_)), slot(slot_), started_ns(now_ns()) {
        int out[2] = {-1, -1}, in[2] = {-1, -1};
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(in[0]);
        ::close(out[1]);
        m_in = in[1];
        m_out = out[0];
        ::fcntl(m_out, F_SETFL, ::fcntl(m_out, F_GETFL) | O_NONBLOCK);
        if (rc != 0) {
            pid = -1;
            reaped = true;
            throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
        }
    }
    ~Proc() {
        if (!reaped && pid > 0) {
            ::kill(pid, SIGCONT);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        close_fds();
    }
    Proc(const Proc&) = delete;
    Proc& operator=(const Proc&) = delete;

    int out_fd() const noexcept { return m_out; }
    // Whatever complete lines are available now.
    std::vector<std::string> read_lines() {
        std::vector<std::string> lines;
        while (m_out >= 0) {
            char buf[8192];
            const ssize_t n = ::read(m_out, buf, sizeof buf);
            if (n > 0) {
                m_buffer.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) break;
            ::close(m_out);  // EOF
            m_out = -1;
            if (!m_buffer.empty()) m_buffer += '\n';
        }
        for (auto nl = m_buffer.find('\n'); nl != std::string::npos; nl = m_buffer.find('\n')) {
            lines.push_back(m_buffer.substr(0, nl));
            m_buffer.erase(0, nl + 1);
        }
        for (const auto& l : lines) {
            tail.push_back(l);
            if (tail.size() > 12) tail.pop_front();
        }
        return lines;
    }
    void send(const std::string& line) {
        if (m_in < 0) return;
        const std::string data = line + "\n";
        if (::write(m_in, data.data(), data.size()) < 0) { /* gone: its exit is noticed */ }
    }
    void signal(int sig) {
        if (!reaped && pid > 0) ::kill(pid, sig);
    }
    // Reaps it if it has exited; true once reaped.
    bool poll_exit() {
        if (reaped) return true;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
            ended_ns = now_ns();
            if (m_in >= 0) ::close(m_in);
            m_in = -1;
        }
        return reaped;
    }
    void close_fds() {
        if (m_out >= 0) ::close(m_out);
        if (m_in >= 0) ::close(m_in);
        m_out = m_in = -1;
    }
    std::string describe_status() const {
        if (!reaped) return "running";
        if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
        if (WIFSIGNALED(status)) return std::string("signal ") + ::strsignal(WTERMSIG(status));
        return "status " + std::to_string(status);
    }
    std::string transcript_tail() const {
        std::string s;
        for (const auto& l : tail) s += "    | " + l + "\n";
        return s;
    }

    // Identity.
    std::string role, mode;
    int slot = 0;
    pid_t pid = -1;
    std::int64_t started_ns = 0, ended_ns = 0;
    bool reaped = false;
    int status = 0;
    bool checked = false;  // its end was judged
    Expect expect = Expect::running;
    bool stopped = false;
    std::int64_t stopped_until_ns = 0;
    bool kill_when_due = false;  // killed instead of continued when its stop ends
    std::deque<std::string> tail;

    // What it said.
    std::uint64_t session = 0;    // writer: its session; reader: of the last SESSION line
    std::int64_t session_ns = 0;  // reader: when that frame came
    std::int64_t ready_ns = 0;
    std::string segment;
    std::int64_t gone_ns = 0;  // reader: last GONE line
    std::int64_t dying_ns = 0;
    std::string dying_point;
    bool corrupt = false, result = false;
    std::map<std::string, std::uint64_t> counts;  // last COUNT/RESULT line

private:
    int m_in = -1, m_out = -1;
    std::string m_buffer;
};

std::map<std::string, std::uint64_t> values(const std::string& line) {
    std::map<std::string, std::uint64_t> out;
    std::istringstream in(line);
    std::string w;
    while (in >> w) {
        const auto eq = w.find('=');
        if (eq == std::string::npos) continue;
        try {
            out[w.substr(0, eq)] = std::stoull(w.substr(eq + 1), nullptr, 0);
        } catch (const std::exception&) {
        }
    }
    return out;
}

std::string word(const std::string& line, std::size_t i) {
    std::istringstream in(line);
    std::string w;
    for (std::size_t k = 0; k <= i; ++k)
        if (!(in >> w)) return "";
    return w;
}

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
    return buf;
}

// ---- statistics ----------------------------------------------------------------------------

struct Latencies {
    std::vector<double> ms;
    void add(std::int64_t ns) { ms.push_back(static_cast<double>(ns) / 1e6); }
    double pct(double p) const {
        if (ms.empty()) return 0;
        std::vector<double> s = ms;
        std::sort(s.begin(), s.end());
        const auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(s.size()))) - 1;
        return s[std::min(i, s.size() - 1)];
    }
    double max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
    std::string text() const {
        char buf[128];
        std::snprintf(buf, sizeof buf, "n=%zu p50=%.1f p99=%.1f max=%.1f ms", ms.size(), pct(50), pct(99), max());
        return buf;
    }
    std::string json() const {
        char buf[160];
        std::snprintf(buf, sizeof buf, "{\"n\": %zu, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}", ms.size(),
                      pct(50), pct(99), max());
        return buf;
    }
};

// ---- the run ---------------------------------------------------------------------------------

struct Settings {
    std::string name = "quick";
    std::uint64_t cycles = 0;         // writer cycles at least
    std::uint64_t writer_kills = 150; // at least
    std::uint64_t reader_kills = 150; // at least
    double max_seconds = 120;         // 0: no limit
    std::uint64_t big_every = 4;      // every K-th cycle has 1 MiB or 8 MiB frames (alternately)
    double reader_events = 1.4;       // reader kills/stops per cycle, on average
    std::uint64_t seed = 0;
    int domain = -1;
    std::string json, peer, injector;
    bool verbose = false;
};

class Chaos {
public:
    explicit Chaos(Settings s) : m_s(std::move(s)), m_rng(m_s.seed) {
        m_topic = smx::test::unique_topic("chaos");
        m_other_domain = (m_s.domain + 1) % 231;
    }
    ~Chaos() { cleanup(); }

    int run();

private:
    // Processes.
    Proc& spawn_writer(std::uint64_t cycle);
    void spawn_reader(int slot);
    void spawn_injector();
    void pump(std::chrono::milliseconds max_wait);
    bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
    void on_line(Proc& p, const std::string& line);
    void judge_end(Proc& p);
    void kill_reader(int slot, bool while_stopped);
    void stop_reader(int slot, std::chrono::milliseconds how_long, bool then_kill);
    void continue_readers(bool all);
    void forge();
    void cycle(std::uint64_t n);
    void finish();
    void cleanup();

    void fail(const std::string& what) {
        ++m_failure_count;
        if (m_failures.size() < 100) m_failures.push_back(what);  // the first ones; all are counted
        std::fprintf(stderr, "chaos: FAILURE: %s\n", what.c_str());
    }
    void note(const std::string& what) {
        if (m_s.verbose) std::fprintf(stderr, "chaos: %s\n", what.c_str());
    }
    std::uint64_t pick(std::uint64_t n) { return n == 0 ? 0 : m_rng() % n; }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(m_rng) < p; }
    std::chrono::milliseconds ms_between(int lo, int hi) {
        return std::chrono::milliseconds(lo + static_cast<int>(pick(static_cast<std::uint64_t>(hi - lo + 1))));
    }
    std::vector<Proc*> live();
    std::string summary_text(double seconds) const;
    std::string summary_json(double seconds) const;
    std::vector<std::string> leftovers_shm() const { return smx::test::shm_entries_containing(m_topic); }
    std::vector<std::string> leftover_processes() const;
    static int open_fds();

    Settings m_s;
    std::mt19937_64 m_rng;
    std::string m_topic;
    int m_other_domain;
    const std::vector<std::string> m_modes = {"view", "copy", "pin"};

    std::vector<std::unique_ptr<Proc>> m_procs;  // every process of the run, in start order
    Proc* m_writer = nullptr;
    Proc* m_readers[3] = {nullptr, nullptr, nullptr};
    Proc* m_injector = nullptr;
    std::string m_segment;  // the topic's segment name, from the first writer

    // Figures.
    std::uint64_t m_cycles = 0;
    std::map<std::string, std::uint64_t> m_writer_ends;   // by kind: kill, self:<point>, truncate-0, ...
    std::map<std::string, std::uint64_t> m_reader_events; // kill:<mode>, kill-stopped:<mode>, stop:<mode>
    std::map<std::string, std::uint64_t> m_frame_sizes;   // cycles by schema
    std::uint64_t m_writer_kills = 0, m_reader_kills = 0, m_forgeries = 0;
    Latencies m_gone_kill, m_gone_truncate, m_gone_close;
    Latencies m_resume;       // writer ready (segment created, info announced) -> a reader's first frame
    Latencies m_start;        // writer process spawned -> ready
    Latencies m_resume_total; // spawned -> a reader's first frame
    std::uint64_t m_gone_missing = 0, m_resume_missing = 0, m_spurious_gone = 0;
    std::map<std::string, std::uint64_t> m_errors;  // reader ERROR lines by kind
    std::uint64_t m_bad = 0;
    std::map<std::string, std::uint64_t> m_bad_by_end;  // torn accepted, by how the cycle's writer ended
    std::vector<std::string> m_bad_lines;
    // The cycle under way: its number, how its writer ended ("" while it runs) and when.
    std::uint64_t m_cycle_now = 0;
    std::string m_end_now;
    std::int64_t m_ended_now_ns = 0;
    std::int64_t m_truncation_window_end_ns = 0;  // until then, readers may find a truncated segment
    std::vector<std::string> m_failures;
    std::uint64_t m_failure_count = 0;
    std::vector<std::string> m_leftover_shm, m_leftover_procs;
    int m_leftover_fds = 0;
    bool m_cleaned = false;
};

std::vector<Proc*> Chaos::live() {
    std::vector<Proc*> out;
    for (auto& p : m_procs)
        if (!p->checked) out.push_back(p.get());
    return out;
}

Proc& Chaos::spawn_writer(std::uint64_t cycle) {
    // Frame size: small most of the time; every big_every-th cycle 1 MiB or 8 MiB, alternately.
    std::string schema;
    bool big = false;
    if (m_s.big_every > 0 && cycle % m_s.big_every == m_s.big_every - 1) {
        big = true;
        schema = (cycle / m_s.big_every) % 2 == 0 ? "blob:1048576" : "blob:8388608";
    } else {
        schema = chance(0.5) ? "small" : "rgbd:64x48";
    }
    ++m_frame_sizes[schema];
    const std::string slots = chance(0.5) ? "2" : "3";
    static const char* small_rates[] = {"0", "5000", "1000"};
    static const char* big_rates[] = {"0", "200"};
    const std::string rate = big ? big_rates[pick(2)] : small_rates[pick(3)];
    static const char* modes[] = {"write", "loan", "mixed"};
    const std::string mode = modes[pick(3)];
    const std::string abandon = mode == "write" ? "0" : std::to_string(pick(3) * 10);
    static const char* forks[] = {"0", "0", "20", "100"};
    const std::string fork = forks[pick(4)];
    m_procs.push_back(std::make_unique<Proc>(
        std::vector<std::string>{m_s.peer, "writer", "--topic", m_topic, "--domain", std::to_string(m_s.domain),
                                 "--schema", schema, "--slots", slots, "--rate", rate, "--mode", mode, "--abandon-pct",
                                 abandon, "--fork-ms", fork, "--seed", std::to_string(m_rng())},
        "writer", mode, 0));
    note("cycle " + std::to_string(cycle) + ": writer " + std::to_string(m_procs.back()->pid) + " " + schema +
         " slots=" + slots + " rate=" + rate + " mode=" + mode + " abandon=" + abandon + "% fork=" + fork + "ms");
    m_writer = m_procs.back().get();
    return *m_writer;
}

void Chaos::spawn_reader(int slot) {
    const std::string& mode = m_modes[static_cast<std::size_t>(slot)];
    static const char* forks[] = {"0", "50", "200"};
    m_procs.push_back(std::make_unique<Proc>(
        std::vector<std::string>{m_s.peer, "reader", "--topic", m_topic, "--domain", std::to_string(m_s.domain),
                                 "--mode", mode, "--hold-us", mode == "pin" ? "2000" : "0", "--fork-ms",
                                 forks[pick(3)], "--seed", std::to_string(m_rng())},
        "reader", mode, slot));
    m_readers[slot] = m_procs.back().get();
}

// A process of another user on the topic's DDS topics (uid 65534 when we may switch to it).
void Chaos::spawn_injector() {
    std::vector<std::string> argv;
    if (::geteuid() == 0 && ::access("/usr/bin/setpriv", X_OK) == 0)
        argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
    for (const auto& a : std::vector<std::string>{m_s.injector, "--topic", m_topic, "--domain",
                                                  std::to_string(m_s.domain), "--matches", "0", "--timeout-ms", "10000"})
        argv.push_back(a);
    m_procs.push_back(std::make_unique<Proc>(argv, "injector", "", 0));
    m_injector = m_procs.back().get();
    if (!pump_until([&] { return m_injector->ready_ns != 0 || m_injector->reaped; }, 15s))
        fail("the forging process (uid 65534) did not start:\n" + m_injector->transcript_tail());
}

void Chaos::pump(std::chrono::milliseconds max_wait) {
    if (g_interrupted) throw std::runtime_error("interrupted");
    std::vector<Proc*> procs = live();
    std::vector<pollfd> fds;
    for (Proc* p : procs)
        if (p->out_fd() >= 0) fds.push_back({p->out_fd(), POLLIN, 0});
    const int wait = static_cast<int>(std::min<std::chrono::milliseconds>(max_wait, 10ms).count());
    if (!fds.empty()) {
        if (::poll(fds.data(), fds.size(), std::max(wait, 0)) < 0 && errno != EINTR)
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    } else if (wait > 0) {
        ::poll(nullptr, 0, wait);
    }
    for (Proc* p : procs) {
        for (const auto& line : p->read_lines()) on_line(*p, line);
        if (p->poll_exit()) {
            for (const auto& line : p->read_lines()) on_line(*p, line);  // what it said last
            judge_end(*p);
        }
    }
    continue_readers(false);
}

bool Chaos::pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pump(left);
    }
    return true;
}

void Chaos::on_line(Proc& p, const std::string& line) {
    const std::string key = word(line, 0);
    const auto v = values(line);
    auto t = [&] { return static_cast<std::int64_t>(v.count("t") ? v.at("t") : 0); };
    if (key == "COUNT" || key == "RESULT") {
        p.counts = v;
        if (key == "RESULT") p.result = true;
    } else if (key == "READY") {
        p.ready_ns = v.count("t") ? t() : now_ns();  // the writer's own time: segment made, info announced
        if (p.role == "writer") {
            p.session = std::stoull(word(line, 2), nullptr, 16);
            p.segment = word(line, 3);
            if (m_segment.empty()) m_segment = p.segment;
        }
    } else if (key == "SESSION") {
        p.session = std::stoull(word(line, 1), nullptr, 16);
        p.session_ns = t();
    } else if (key == "GONE") {
        p.gone_ns = t();
        // Gone while its writer lives and was neither killed nor told to go: a false alarm.
        // (A reader without a frame of this writer may be reporting the previous one.)
        if (m_writer && !m_writer->reaped && m_writer->expect == Expect::running && m_writer->session != 0 &&
            p.session == m_writer->session && m_writer->dying_ns == 0) {
            ++m_spurious_gone;
            fail("reader " + p.mode + " (pid " + std::to_string(p.pid) + ") reported the writer gone while it ran: " +
                 line);
        }
    } else if (key == "DYING") {
        p.dying_ns = t();
        p.dying_point = word(line, 1);
    } else if (key == "CORRUPT") {
        p.corrupt = true;
    } else if (key == "BAD") {
        ++m_bad;
        const std::string when =
            m_end_now.empty() ? "writer running"
                              : "writer end '" + m_end_now + "' " +
                                    std::to_string((now_ns() - m_ended_now_ns) / 1000000) + " ms before";
        ++m_bad_by_end[m_end_now.empty() ? "running" : m_end_now];
        const std::string what = line + " (cycle " + std::to_string(m_cycle_now) + ", " + when + ")";
        if (m_bad_lines.size() < 20) m_bad_lines.push_back("pid " + std::to_string(p.pid) + ": " + what);
        fail("torn frame accepted: " + what);
    } else if (key == "ERROR") {
        // Documented: an unattached reader given an info of the right segment name but a layout
        // it does not read reports it once (design.md, "Doorbell"); here a forgery says 99.
        const bool forged_layout = line.find("uses segment layout 99") != std::string::npos;
        // Documented too: a reader that opens a truncated segment (its writer has not noticed
        // yet, or not closed yet) gets SegmentCorrupt saying so (reliability.md, "Readers").
        const bool truncated = word(line, 1) == "segment_corrupt" && now_ns() <= m_truncation_window_end_ns &&
                               (line.find("truncated") != std::string::npos ||
                                line.find("not an smx segment") != std::string::npos);
        const std::string kind = forged_layout ? "forged_layout_reported"
                                 : truncated   ? "truncated_segment_reported"
                                               : word(line, 1);
        ++m_errors[kind];
        if (!forged_layout && !truncated) fail("reader " + p.mode + " (pid " + std::to_string(p.pid) + "): " + line);
    } else if (key == "FORKFAIL" || key == "FORKHANG" || key == "EXCEPTION") {
        fail(p.role + " " + p.mode + " (pid " + std::to_string(p.pid) + "): " + line);
    } else if (key == "SENT" && p.role == "injector") {
        // fine
    }
    if (m_s.verbose && key != "COUNT" && key != "SENT") note(p.role + " " + p.mode + " " + std::to_string(p.pid) + ": " + line);
}

// A process ended: was that the plan?
void Chaos::judge_end(Proc& p) {
    if (p.checked) return;
    p.checked = true;
    p.close_fds();
    const bool killed = WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGKILL;
    const bool exit0 = WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
    bool ok = false;
    switch (p.expect) {
        case Expect::running: ok = false; break;
        case Expect::killed: ok = killed; break;
        case Expect::self_kill: ok = killed && p.dying_ns != 0; break;
        case Expect::quit: ok = exit0 && (p.role == "injector" || p.result); break;
        case Expect::corrupt: ok = WIFEXITED(p.status) && WEXITSTATUS(p.status) == 7 && p.corrupt; break;
    }
    if (!ok)
        fail(p.role + " " + p.mode + " (pid " + std::to_string(p.pid) + ") ended unexpectedly (" + p.describe_status() +
             "); its last lines:\n" + p.transcript_tail());
}

void Chaos::kill_reader(int slot, bool while_stopped) {
    Proc* r = m_readers[slot];
    if (!r || r->reaped) return;
    r->expect = Expect::killed;
    r->signal(SIGKILL);
    ++m_reader_kills;
    ++m_reader_events[std::string(while_stopped ? "kill_stopped:" : "kill:") + r->mode];
    spawn_reader(slot);  // the replacement starts at once; the killed one is reaped by pump()
}

// SIGSTOP for a while; then SIGCONT, or SIGKILL while still stopped.
void Chaos::stop_reader(int slot, std::chrono::milliseconds how_long, bool then_kill) {
    Proc* r = m_readers[slot];
    if (!r || r->reaped || r->stopped) return;
    r->signal(SIGSTOP);
    r->stopped = true;
    r->kill_when_due = then_kill;
    r->stopped_until_ns = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(how_long).count();
    ++m_reader_events["stop:" + r->mode];
}

// Stopped readers whose time is up (all: every one) continue, or are killed as planned.
void Chaos::continue_readers(bool all) {
    const std::int64_t t = now_ns();
    for (int slot = 0; slot < 3; ++slot) {
        Proc* r = m_readers[slot];
        if (!r || !r->stopped || (!all && t < r->stopped_until_ns)) continue;
        if (r->kill_when_due) {
            kill_reader(slot, true);  // still stopped: SIGKILL ends it all the same
        } else {
            r->signal(SIGCONT);
        }
        r->stopped = false;
    }
}

// One forged sample from the other user: session infos naming another object, another domain's
// segment, the right segment with a made-up session, or a layout nobody has; or a notice.
void Chaos::forge() {
    if (!m_injector || m_injector->reaped || m_segment.empty()) return;
    const std::string session = hex(m_rng() | 1);
    const std::string layout = std::to_string(smx::detail::LAYOUT_VERSION);
    std::string other = m_segment;
    const auto dot = other.find('.', 5);
    other = "/smx." + std::to_string(m_other_domain) + other.substr(dot);
    switch (pick(8)) {
        case 0: m_injector->send("info " + session + " /etc/passwd " + layout + " ."); break;
        case 1: m_injector->send("info " + session + " " + other + " " + layout + " ."); break;
        case 2:
        case 3: m_injector->send("info " + session + " " + m_segment + " " + layout + " ."); break;
        case 4: m_injector->send("info " + session + " " + m_segment + " 99 ."); break;
        default:
            m_injector->send("notice " + session + " " + std::to_string(pick(4)) + " " + std::to_string(pick(100)) + " " +
                             std::to_string(pick(1000000)));
    }
    ++m_forgeries;
}

void Chaos::cycle(std::uint64_t n) {
    m_cycle_now = n;
    m_end_now.clear();
    // How this writer will end.
    std::string end;
    const auto r = pick(100);
    if (r < 40) end = "kill";
    else if (r < 50) end = "self:write";
    else if (r < 60) end = "self:loan-fill";
    else if (r < 70) end = "self:publish";
    else if (r < 80) end = "self:abandon";
    else if (r < 86) end = "truncate:0";
    else if (r < 92) end = "truncate:half";
    else end = "close";

    // Start, and every reader that was running resumes with its first frame.
    const std::int64_t spawned = now_ns();
    std::vector<Proc*> resuming;
    for (Proc* rd : m_readers)
        if (rd && !rd->reaped && !rd->stopped && rd->started_ns < spawned) resuming.push_back(rd);
    Proc& w = spawn_writer(n);
    if (!pump_until([&] { return w.ready_ns != 0 || w.reaped; }, 15s) || w.reaped) {
        fail("writer " + std::to_string(w.pid) + " did not start (" + w.describe_status() + "):\n" + w.transcript_tail());
        w.expect = Expect::killed;
        w.signal(SIGKILL);
        pump_until([&] { return w.checked; }, 5s);
        return;
    }
    m_start.add(w.ready_ns - spawned);
    const bool resumed = pump_until(
        [&] {
            for (Proc* rd : resuming)
                if (!rd->reaped && !rd->stopped && rd->session != w.session) return false;
            return true;
        },
        3s);
    for (Proc* rd : resuming) {
        if (rd->reaped || rd->expect != Expect::running) continue;
        if (rd->session == w.session) {
            const std::int64_t resume = rd->session_ns - w.ready_ns;
            m_resume.add(resume);
            m_resume_total.add(rd->session_ns - spawned);
            if (resume > 2000000000)
                fail("reader " + rd->mode + " (pid " + std::to_string(rd->pid) + ") got the first frame of writer " +
                     std::to_string(w.pid) + " " + std::to_string(resume / 1000000) + " ms after it was ready (" +
                     std::to_string((w.ready_ns - spawned) / 1000000) + " ms from its start to ready)");
        }
        else if (!resumed) {
            ++m_resume_missing;
            fail("reader " + rd->mode + " (pid " + std::to_string(rd->pid) + ") got no frame of the new writer within 3 s");
        }
    }

    // Run: reader chaos and forgeries at random moments.
    const auto run_for = ms_between(40, 200);
    const auto run_end = Clock::now() + run_for;
    while (Clock::now() < run_end) {
        const double per_step = m_s.reader_events * 10.0 / static_cast<double>(run_for.count());
        if (chance(per_step)) {
            const auto kind = pick(100);
            const int slot = chance(0.5) ? 2 : static_cast<int>(pick(2));  // pin readers above all
            if (kind < 55) kill_reader(slot, false);
            else if (kind < 70) stop_reader(2, ms_between(5, 80), true);
            else stop_reader(chance(0.7) ? 2 : static_cast<int>(pick(2)), ms_between(20, 150), false);
        }
        if (chance(0.03)) forge();
        pump(10ms);
    }
    continue_readers(true);

    // The end. Readers attached to this writer must see it gone.
    std::vector<Proc*> watching;
    for (Proc* rd : m_readers)
        if (rd && !rd->reaped && rd->session == w.session) watching.push_back(rd);
    std::int64_t ended = 0;
    Latencies* bucket = &m_gone_kill;
    if (end == "kill") {
        w.expect = Expect::killed;
        ended = now_ns();
        w.signal(SIGKILL);
        ++m_writer_kills;
    } else if (end.rfind("self:", 0) == 0) {
        w.expect = Expect::self_kill;
        w.send("arm " + end.substr(5) + " " + std::to_string(pick(20)));
        if (pump_until([&] { return w.dying_ns != 0 || w.reaped; }, 3s) && w.dying_ns != 0) {
            ended = w.dying_ns;
        } else {
            note("writer " + std::to_string(w.pid) + " did not reach " + end + " in 3 s: killed");
            w.expect = Expect::killed;
            end = "kill";
            ended = now_ns();
            w.signal(SIGKILL);
        }
        ++m_writer_kills;
    } else if (end.rfind("truncate:", 0) == 0) {
        bucket = &m_gone_truncate;
        w.expect = Expect::corrupt;
        const std::string path = "/dev/shm" + w.segment;
        struct stat st {};
        off_t size = 0;
        if (::stat(path.c_str(), &st) == 0 && end == "truncate:half") size = st.st_size / 2;
        ended = now_ns();
        m_truncation_window_end_ns = std::numeric_limits<std::int64_t>::max();
        if (::truncate(path.c_str(), size) != 0) fail("truncate " + path + ": " + std::strerror(errno));
    } else {
        bucket = &m_gone_close;
        w.expect = Expect::quit;
        ended = now_ns();
        w.send("quit");
    }
    m_end_now = end;
    m_ended_now_ns = ended;
    ++m_writer_ends[end];
    ++m_cycles;
    note("cycle " + std::to_string(n) + ": " + end + " of writer " + std::to_string(w.pid));
    if (!pump_until([&] { return w.checked; }, 5s)) {
        fail("writer " + std::to_string(w.pid) + " still runs 5 s after '" + end + "':\n" + w.transcript_tail());
        w.expect = Expect::killed;
        w.signal(SIGKILL);
        pump_until([&] { return w.checked; }, 5s);
    }
    if (w.expect == Expect::corrupt) m_truncation_window_end_ns = now_ns() + 1000000000;  // its segment is unlinked now
    // Forgeries while no writer lives: readers are looking for one now.
    if (chance(0.3)) forge();
    const bool all_gone = pump_until(
        [&] {
            for (Proc* rd : watching)
                if (!rd->reaped && rd->gone_ns < ended) return false;
            return true;
        },
        3s);
    for (Proc* rd : watching) {
        if (rd->reaped) continue;
        if (rd->gone_ns >= ended)
            bucket->add(rd->gone_ns - ended);
        else if (!all_gone) {
            ++m_gone_missing;
            fail("reader " + rd->mode + " (pid " + std::to_string(rd->pid) + ") did not see the writer gone within 3 s of '" +
                 end + "'");
        }
    }
    m_writer = nullptr;
}

void Chaos::finish() {
    // A last writer, closed cleanly; then everyone is told to go.
    continue_readers(true);
    if (m_injector && !m_injector->reaped) {
        m_injector->expect = Expect::quit;
        m_injector->send("quit");
    }
    for (Proc* rd : m_readers)
        if (rd && !rd->reaped) {
            rd->expect = Expect::quit;
            rd->send("quit");
        }
    if (!pump_until([&] { return live().empty(); }, 15s))
        for (Proc* p : live()) {
            fail(p->role + " " + p->mode + " (pid " + std::to_string(p->pid) + ") did not exit within 15 s of 'quit'");
            p->expect = Expect::killed;
            p->signal(SIGCONT);
            p->signal(SIGKILL);
        }
    pump_until([&] { return live().empty(); }, 5s);
}

std::vector<std::string> Chaos::leftover_processes() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir("/proc")) {
        while (dirent* e = ::readdir(d)) {
            const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
            if (pid <= 0 || pid == ::getpid()) continue;
            std::ifstream f("/proc/" + std::string(e->d_name) + "/cmdline");
            std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            if (cmd.find(m_topic) != std::string::npos) {
                std::replace(cmd.begin(), cmd.end(), '\0', ' ');
                out.push_back(std::to_string(pid) + ": " + cmd);
            }
        }
        ::closedir(d);
    }
    return out;
}

int Chaos::open_fds() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return n - 1;  // the directory's own
}

// Whatever happens, nothing of the run stays: processes killed by pid, the topic's shm removed.
void Chaos::cleanup() {
    if (m_cleaned) return;
    m_cleaned = true;
    m_procs.clear();  // kills (by pid) and reaps whatever still runs
    for (const auto& line : leftover_processes()) {
        const pid_t pid = static_cast<pid_t>(std::atoi(line.c_str()));
        if (pid > 0) ::kill(pid, SIGKILL);
    }
    for (const auto& name : leftovers_shm()) ::shm_unlink(("/" + name).c_str());
}

int Chaos::run() {
    const int fds_before = open_fds();
    const auto start = Clock::now();
    std::printf("chaos (%s): topic %s, DDS domain %d, seed %" PRIu64 "\n", m_s.name.c_str(), m_topic.c_str(), m_s.domain,
                m_s.seed);
    std::fflush(stdout);
    spawn_injector();
    for (int slot = 0; slot < 3; ++slot) spawn_reader(slot);
    auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    for (std::uint64_t n = 0;; ++n) {
        if (m_cycles >= m_s.cycles && m_writer_kills >= m_s.writer_kills && m_reader_kills >= m_s.reader_kills) break;
        if (m_s.max_seconds > 0 && seconds() > m_s.max_seconds * 1.5) {
            fail("stopped after " + std::to_string(static_cast<int>(seconds())) + " s, short of the kills asked for");
            break;
        }
        cycle(n);
        if (m_s.verbose || n % 50 == 49)
            std::printf("  %" PRIu64 " cycles, %" PRIu64 " writer kills, %" PRIu64 " reader kills, %.0f s\n", m_cycles,
                        m_writer_kills, m_reader_kills, seconds()), std::fflush(stdout);
    }
    // The last writer: started, read, closed.
    {
        Proc& w = spawn_writer(m_cycles);
        if (pump_until([&] { return w.ready_ns != 0 || w.reaped; }, 15s)) {
            pump_until(
                [&] {
                    for (Proc* rd : m_readers)
                        if (rd && !rd->reaped && rd->session != w.session) return false;
                    return true;
                },
                3s);
            w.expect = Expect::quit;
            w.send("quit");
            pump_until([&] { return w.checked; }, 10s);
        }
    }
    finish();
    const double elapsed = seconds();
    if (m_s.max_seconds > 0 && elapsed > m_s.max_seconds)
        fail("the run took " + std::to_string(static_cast<int>(elapsed)) + " s, more than " +
             std::to_string(static_cast<int>(m_s.max_seconds)) + " s");

    // Totals from every process's last words.
    m_procs.shrink_to_fit();
    m_leftover_procs = leftover_processes();
    while (::waitpid(-1, nullptr, WNOHANG) > 0) m_leftover_procs.push_back("an unreaped child");
    m_leftover_shm = leftovers_shm();
    m_leftover_fds = open_fds() - fds_before;
    for (const auto& p : m_leftover_procs) fail("process left behind: " + p);
    for (const auto& s : m_leftover_shm) fail("left in /dev/shm: " + s);
    if (m_leftover_fds != 0) fail(std::to_string(m_leftover_fds) + " file descriptors left open");

    if (m_gone_kill.pct(99) > 1000) fail("writer gone p99 " + m_gone_kill.text() + " is above 1 s");

    const std::string text = summary_text(elapsed);
    std::fputs(text.c_str(), stdout);
    if (!m_s.json.empty()) {
        std::ofstream f(m_s.json);
        f << summary_json(elapsed);
        if (!f) fail("cannot write " + m_s.json);
        std::printf("summary written to %s\n", m_s.json.c_str());
    }
    cleanup();
    if (m_failure_count == 0)
        std::printf("chaos: PASS\n");
    else
        std::printf("chaos: FAIL (%" PRIu64 " failures%s)\n", m_failure_count,
                    m_failure_count > m_failures.size() ? ", the first 100 below" : "");
    for (const auto& f : m_failures) std::printf("  - %s\n", f.c_str());
    return m_failures.empty() ? 0 : 1;
}

std::uint64_t sum_counts(const std::vector<std::unique_ptr<Proc>>& procs, const std::string& role,
                         const std::string& mode, const std::string& key) {
    std::uint64_t n = 0;
    for (const auto& p : procs)
        if (p->role == role && (mode.empty() || p->mode == mode) && p->counts.count(key)) n += p->counts.at(key);
    return n;
}

std::string Chaos::summary_text(double seconds) const {
    std::ostringstream o;
    char buf[256];
    std::snprintf(buf, sizeof buf, "chaos summary (%s): %" PRIu64 " cycles in %.1f s, seed %" PRIu64 "\n", m_s.name.c_str(),
                  m_cycles, seconds, m_s.seed);
    o << buf;
    o << "  writer ends:";
    for (const auto& [k, v] : m_writer_ends) o << " " << k << "=" << v;
    o << "\n  writer kills: " << m_writer_kills << ", reader kills: " << m_reader_kills << "\n  reader events:";
    for (const auto& [k, v] : m_reader_events) o << " " << k << "=" << v;
    o << "\n  frame sizes (cycles):";
    for (const auto& [k, v] : m_frame_sizes) o << " " << k << "=" << v;
    o << "\n  frames published: " << sum_counts(m_procs, "writer", "", "published")
      << ", loans abandoned: " << sum_counts(m_procs, "writer", "", "abandoned")
      << ", writer forks: " << sum_counts(m_procs, "writer", "", "forks")
      << ", reader forks: " << sum_counts(m_procs, "reader", "", "forks") << "\n";
    o << "  frames verified: ";
    for (const auto& m : m_modes) o << m << "=" << sum_counts(m_procs, "reader", m, "accepted") << " ";
    o << "(torn detected and refused: ";
    for (const auto& m : m_modes) o << m << "=" << sum_counts(m_procs, "reader", m, "torn") << " ";
    o << ")\n  torn frames accepted: " << m_bad;
    if (!m_bad_by_end.empty()) {
        o << " (in cycles whose writer ended by:";
        for (const auto& [k, v] : m_bad_by_end) o << " " << k << "=" << v;
        o << ")";
    }
    o << "\n";
    o << "  forgeries sent (uid " << (::geteuid() == 0 ? "65534" : "own") << "): " << m_forgeries;
    o << ", reader errors:";
    if (m_errors.empty()) o << " none";
    for (const auto& [k, v] : m_errors) o << " " << k << "=" << v;
    o << "\n  writer gone after a kill:     " << m_gone_kill.text() << "\n";
    o << "  writer gone after truncation: " << m_gone_truncate.text() << "\n";
    o << "  writer gone after close:      " << m_gone_close.text() << "\n";
    o << "  resume after restart:         " << m_resume.text() << " (writer ready -> first frame)\n";
    o << "  writer start:                 " << m_start.text() << " (process spawned -> ready)\n";
    o << "  resume incl. writer start:    " << m_resume_total.text() << "\n";
    o << "  missing: gone " << m_gone_missing << ", resume " << m_resume_missing << "; spurious gone " << m_spurious_gone << "\n";
    o << "  leftovers: shm " << m_leftover_shm.size() << ", processes " << m_leftover_procs.size() << ", fds "
      << m_leftover_fds << "\n";
    for (const auto& b : m_bad_lines) o << "  BAD " << b << "\n";
    return o.str();
}

std::string json_string(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\', o += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            o += b;
        } else o += c;
    }
    return o + "\"";
}

std::string json_map(const std::map<std::string, std::uint64_t>& m) {
    std::string o = "{";
    for (const auto& [k, v] : m) o += (o.size() > 1 ? ", " : "") + json_string(k) + ": " + std::to_string(v);
    return o + "}";
}

std::string Chaos::summary_json(double seconds) const {
    std::ostringstream o;
    o << "{\n  \"setting\": " << json_string(m_s.name) << ",\n  \"seed\": " << m_s.seed << ",\n  \"domain\": " << m_s.domain
      << ",\n  \"seconds\": " << seconds << ",\n  \"cycles\": " << m_cycles << ",\n  \"writer_kills\": " << m_writer_kills
      << ",\n  \"reader_kills\": " << m_reader_kills << ",\n  \"writer_ends\": " << json_map(m_writer_ends)
      << ",\n  \"reader_events\": " << json_map(m_reader_events) << ",\n  \"frame_sizes\": " << json_map(m_frame_sizes)
      << ",\n  \"frames_published\": " << sum_counts(m_procs, "writer", "", "published")
      << ",\n  \"loans_abandoned\": " << sum_counts(m_procs, "writer", "", "abandoned")
      << ",\n  \"writer_forks\": " << sum_counts(m_procs, "writer", "", "forks")
      << ",\n  \"reader_forks\": " << sum_counts(m_procs, "reader", "", "forks") << ",\n  \"frames_verified\": {";
    for (std::size_t i = 0; i < m_modes.size(); ++i)
        o << (i ? ", " : "") << json_string(m_modes[i]) << ": " << sum_counts(m_procs, "reader", m_modes[i], "accepted");
    o << "},\n  \"torn_detected\": {";
    for (std::size_t i = 0; i < m_modes.size(); ++i)
        o << (i ? ", " : "") << json_string(m_modes[i]) << ": " << sum_counts(m_procs, "reader", m_modes[i], "torn");
    o << "},\n  \"torn_accepted\": " << m_bad << ",\n  \"torn_accepted_by_writer_end\": " << json_map(m_bad_by_end)
      << ",\n  \"forgeries\": " << m_forgeries
      << ",\n  \"reader_errors\": " << json_map(m_errors) << ",\n  \"writer_gone_after_kill\": " << m_gone_kill.json()
      << ",\n  \"writer_gone_after_truncation\": " << m_gone_truncate.json()
      << ",\n  \"writer_gone_after_close\": " << m_gone_close.json() << ",\n  \"resume\": " << m_resume.json()
      << ",\n  \"writer_start\": " << m_start.json() << ",\n  \"resume_including_writer_start\": " << m_resume_total.json()
      << ",\n  \"gone_missing\": " << m_gone_missing << ",\n  \"resume_missing\": " << m_resume_missing
      << ",\n  \"spurious_gone\": " << m_spurious_gone << ",\n  \"leftovers\": {\"shm\": " << m_leftover_shm.size()
      << ", \"processes\": " << m_leftover_procs.size() << ", \"fds\": " << m_leftover_fds << "},\n  \"failures\": [";
    for (std::size_t i = 0; i < m_failures.size(); ++i) o << (i ? ", " : "") << json_string(m_failures[i]);
    o << "],\n  \"failure_count\": " << m_failure_count << ",\n  \"pass\": " << (m_failures.empty() ? "true" : "false") << "\n}\n";
    return o.str();
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    s.seed = std::random_device{}();
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
            return argv[++i];
        };
        if (k == "--quick") {
            s = Settings{.name = "quick", .seed = s.seed, .domain = s.domain, .json = s.json, .peer = s.peer,
                         .injector = s.injector, .verbose = s.verbose};
        } else if (k == "--long") {
            s.name = "long";
            s.cycles = 2000;
            s.writer_kills = 0;
            s.reader_kills = 0;
            s.max_seconds = 0;
            s.big_every = 2;
        } else if (k == "--cycles") s.cycles = std::stoull(value());
        else if (k == "--writer-kills") s.writer_kills = std::stoull(value());
        else if (k == "--reader-kills") s.reader_kills = std::stoull(value());
        else if (k == "--max-seconds") s.max_seconds = std::stod(value());
        else if (k == "--big-every") s.big_every = std::stoull(value());
        else if (k == "--reader-events") s.reader_events = std::stod(value());
        else if (k == "--seed") s.seed = std::stoull(value());
        else if (k == "--domain") s.domain = std::stoi(value());
        else if (k == "--json") s.json = value();
        else if (k == "--peer") s.peer = value();
        else if (k == "--injector") s.injector = value();
        else if (k == "--verbose") s.verbose = true;
        else {
            std::fprintf(stderr, "unknown option %s (see the comment at the top of tests/chaos/chaos.cpp)\n", k.c_str());
            return 64;
        }
    }
    if (s.peer.empty()) s.peer = smx::test::helper_path("smx_chaos_peer");
    if (s.injector.empty()) s.injector = smx::test::helper_path("smx_test_injector");
    // A DDS domain of this run's own (not 0): other tests and users see none of its traffic.
    if (s.domain < 0) s.domain = 100 + static_cast<int>(::getpid() % 120);
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });
    try {
        Chaos chaos(s);
        return chaos.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chaos: %s\n", e.what());
        return 2;
    }
}
