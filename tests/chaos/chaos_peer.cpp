// smx_chaos_peer: the writer and reader processes of the chaos test (tests/chaos/chaos.cpp).
// One role per invocation; the driver reads the "KEY ..." lines it prints and writes commands
// to its stdin. Times ("t=") are steady_clock nanoseconds: CLOCK_MONOTONIC is system-wide on
// Linux, so the driver compares them with its own clock. Every wait is bounded.
//
//   writer --topic T --domain D --schema S [--slots N] [--rate HZ] [--mode write|loan|mixed]
//          [--abandon-pct P] [--fork-ms MS] [--seed X]
//       Streams self-verifying frames (tools/common/pattern.hpp): with write(), through loans, or
//       a random mix; before P% of frames a loan is half filled and dropped unpublished. Every
//       MS ms it forks a child that checks the inherited writer is inert (a Loan is dropped in
//       the child while the parent still fills it), drops everything inherited and exits.
//       Prints "READY <pid> <session hex> <segment> t=..", then "COUNT published=.. full=..
//       abandoned=.. forks=.." every 50 ms.
//       stdin: "arm <point> <frames>" -> after <frames> more frames, prints "DYING <point> t=.."
//       and SIGKILLs itself at that point: write (a killer thread fires during the next write()),
//       loan-fill (a loan half filled), publish (just after publish() returned), abandon (just
//       after a half-filled loan was dropped). "quit" (or EOF) -> "RESULT ...", exit 0.
//       A truncated segment (SegmentCorrupt from the writer) -> "CORRUPT t=.. <message>", exit 7.
//   reader --topic T --domain D --mode view|copy|pin [--hold-us U] [--slice-ms MS] [--fork-ms MS]
//          [--seed X]
//       Template-less reader: next()/copy_next() in slices of MS ms (default 20), every frame's
//       content checked (view: before valid(); pin: while pinned, after holding it 0..U µs; copy:
//       the copy). Prints "SESSION <hex> frame=<n> t=.." on the first frame of each session,
//       "GONE t=.. session=<hex>" when state() becomes writer_gone, "BAD <mode> session=..
//       frame=.. slot=.." for each accepted frame whose content is wrong (a torn frame accepted),
//       "ERROR <code> <message>" for each smx::Error a read threw, "COUNT accepted=.. torn=..
//       bad=.. errors=.. forks=.." every 50 ms. Pin readers fork while holding a pinned frame
//       (the child drops the frame, the reader and the participant and exits; the parent then
//       keeps holding the frame a little and checks it again). "quit" (or EOF) -> "RESULT ...".
//   Fork children exit 0 when every inherited object behaved (calls throw Closed), 1 otherwise;
//   the parent waits for them up to 5 s and prints "FORKFAIL <status>" or "FORKHANG <pid>".
//
//   Schemas S: small (two fields), rgbd:<W>x<H> (five fields), blob:<bytes>.

#include "pattern.hpp"
#include "support.hpp"

#include <smx/smx.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <poll.h>
#include <random>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;

namespace {

using Args = std::map<std::string, std::string>;

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0) continue;
        k = k.substr(2);
        if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0)
            a[k] = argv[++i];
        else
            a[k] = "1";
    }
    return a;
}

std::string get(const Args& a, const std::string& k, const std::string& def) {
    auto it = a.find(k);
    return it == a.end() ? def : it->second;
}

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string t_now() { return "t=" + std::to_string(now_ns()); }

void say(const std::string& line) {
    const std::string data = line + "\n";
    // One write per line: lines of a process and its forked child never interleave.
    if (::write(1, data.data(), data.size()) < 0) { /* the driver is gone: nothing to tell */ }
}

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
    return buf;
}

smx::Schema schema_named(const std::string& name) {
    if (name == "small") return smx::Schema{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    if (name.rfind("rgbd:", 0) == 0) {
        const auto x = name.find('x', 5);
        return smx::pattern::rgbd_schema(std::stoull(name.substr(5, x - 5)), std::stoull(name.substr(x + 1)));
    }
    if (name.rfind("blob:", 0) == 0) return smx::pattern::blob_schema(std::stoull(name.substr(5)));
    throw std::runtime_error("unknown schema " + name);
}

// Lines from stdin without blocking; `eof` is set once the driver closed its end.
class Commands {
public:
    std::vector<std::string> poll() {
        std::vector<std::string> out;
        for (;;) {
            pollfd p{0, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0) break;
            char buf[512];
            const ssize_t n = ::read(0, buf, sizeof buf);
            if (n <= 0) {
                eof = true;
                break;
            }
            m_buffer.append(buf, static_cast<std::size_t>(n));
        }
        for (auto nl = m_buffer.find('\n'); nl != std::string::npos; nl = m_buffer.find('\n')) {
            out.push_back(m_buffer.substr(0, nl));
            m_buffer.erase(0, nl + 1);
        }
        return out;
    }
    bool eof = false;

private:
    std::string m_buffer;
};

// Waits (bounded) for a forked child; "" if it exited 0, else what went wrong (and it is killed).
std::string reap_child(pid_t pid) {
    const auto status = smx::test::wait_for_exit(pid, 5s);
    if (!status) {
        ::kill(pid, SIGKILL);
        int st = 0;
        ::waitpid(pid, &st, 0);
        return "FORKHANG " + std::to_string(pid);
    }
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return "";
    return "FORKFAIL " + std::to_string(*status);
}

[[noreturn]] void die(const std::string& point) {
    say("DYING " + point + " " + t_now());
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();
}

// ---- writer ------------------------------------------------------------------------------------

int run_writer(const Args& a) {
    const int domain = std::stoi(get(a, "domain", "0"));
    const std::string topic = get(a, "topic", "");
    const std::string mode = get(a, "mode", "mixed");
    const double rate = std::stod(get(a, "rate", "0"));
    const unsigned abandon_pct = static_cast<unsigned>(std::stoul(get(a, "abandon-pct", "0")));
    const auto fork_every = std::chrono::milliseconds(std::stoll(get(a, "fork-ms", "0")));
    std::mt19937_64 rng(std::stoull(get(a, "seed", "1")) ^ static_cast<std::uint64_t>(::getpid()));

    // Optional so that a forked child can drop them one by one.
    std::optional<smx::Participant> participant(std::in_place, domain);
    smx::WriterOptions opt;
    opt.slots = static_cast<std::uint32_t>(std::stoul(get(a, "slots", "3")));
    opt.when_full = smx::WhenFull::wait;
    opt.full_wait = 50ms;  // a stopped pinner holds slots: retry, reporting "full"
    std::optional<smx::Writer> writer(std::in_place, *participant, topic, schema_named(get(a, "schema", "small")), opt);
    const smx::Schema schema = writer->schema();
    say("READY " + std::to_string(::getpid()) + " " + hex(writer->session()) + " " + writer->segment_name() + " " +
        t_now());

    std::vector<std::vector<std::byte>> buffers;
    for (const auto& f : schema.fields()) buffers.emplace_back(f.nbytes());
    std::vector<smx::ArrayRef> refs(schema.size());
    // A write's duration, roughly (memcpy at ~2 GB/s): the window the "write" kill aims into.
    const std::int64_t write_ns = static_cast<std::int64_t>(schema.frame_size() / 2) + 2000;

    std::uint64_t full = 0, abandoned = 0, forks = 0;
    std::string fork_problems;
    bool armed = false;
    std::string point;
    std::uint64_t countdown = 0;
    Commands commands;
    const auto start = std::chrono::steady_clock::now();
    auto next_count = start + 50ms;
    auto next_fork = start + fork_every;
    std::uint64_t paced = 0;

    // The child of a fork: the writer (and the loan, if one is out) are the parent's.
    auto fork_now = [&](std::optional<smx::Loan>& loan) {
        const pid_t pid = ::fork();
        if (pid < 0) return;
        if (pid == 0) {
            bool ok = true;
            loan.reset();  // must not abandon the parent's slot
            try {
                (void)writer->loan();
                ok = false;
            } catch (const smx::Closed&) {
            } catch (...) {
                ok = false;
            }
            writer.reset();  // must not unlink, ring or announce
            participant.reset();
            ::_exit(ok ? 0 : 1);
        }
        ++forks;
        const std::string problem = reap_child(pid);
        if (!problem.empty()) say(problem);
    };

    try {
        for (;;) {
            for (const auto& line : commands.poll()) {
                if (line == "quit") commands.eof = true;
                if (line.rfind("arm ", 0) == 0) {
                    const auto sp = line.find(' ', 4);
                    point = line.substr(4, sp - 4);
                    countdown = std::stoull(line.substr(sp + 1));
                    armed = true;
                }
            }
            if (commands.eof) break;
            const bool dying = armed && countdown == 0;
            const auto now = std::chrono::steady_clock::now();
            const bool fork_due = fork_every.count() > 0 && now >= next_fork;
            if (fork_due) next_fork = now + fork_every;
            const bool use_loan = mode == "loan" || (mode == "mixed" && (rng() & 1));

            // An application failing mid-frame: half a frame in a loan, dropped unpublished.
            const bool abandon = mode != "write" && abandon_pct > 0 && rng() % 100 < abandon_pct;
            if (abandon || (dying && (point == "loan-fill" || point == "abandon"))) {
                std::optional<smx::Loan> dropped = writer->loan();
                if (!dropped) {
                    ++full;
                    continue;
                }
                const auto bytes = dropped->bytes(0);
                smx::pattern::fill(bytes.first(bytes.size() / 2), dropped->frame_number(), 0);
                if (dying && point == "loan-fill") die(point);
                dropped.reset();
                ++abandoned;
                if (dying && point == "abandon") die(point);
            }

            smx::PublishResult result;
            if (use_loan && !(dying && point == "write")) {
                std::optional<smx::Loan> loan = writer->loan();
                if (!loan) {
                    ++full;
                    continue;
                }
                smx::pattern::fill_all(*loan, loan->frame_number());
                if (fork_due) fork_now(loan);  // the child drops a loan that is still out
                result = writer->publish(std::move(*loan));
            } else {
                const std::uint64_t n = writer->frames_published() + 1;
                for (std::size_t i = 0; i < schema.size(); ++i) {
                    smx::pattern::fill(buffers[i], n, i);
                    refs[i] = smx::ArrayRef(buffers[i].data(), schema[i].dtype, schema[i].shape);
                }
                if (dying && point == "write") {
                    // Killed by another thread of this process somewhere in (or just after) this write.
                    const std::int64_t at = now_ns() + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(write_ns));
                    say("DYING write t=" + std::to_string(at));
                    std::thread([at] {
                        while (now_ns() < at) {
                        }
                        ::kill(::getpid(), SIGKILL);
                    }).detach();
                }
                result = writer->write(refs);
                if (fork_due) {
                    std::optional<smx::Loan> none;
                    fork_now(none);
                }
            }
            if (!result) {
                ++full;
                continue;
            }
            if (dying && point == "publish") die(point);
            if (armed && countdown > 0) --countdown;

            if (std::chrono::steady_clock::now() >= next_count) {
                next_count = std::chrono::steady_clock::now() + 50ms;
                say("COUNT published=" + std::to_string(writer->frames_published()) + " full=" + std::to_string(full) +
                    " abandoned=" + std::to_string(abandoned) + " forks=" + std::to_string(forks));
            }
            if (rate > 0) {
                ++paced;
                std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                          std::chrono::duration<double>(static_cast<double>(paced) / rate)));
            }
        }
    } catch (const smx::SegmentCorrupt& e) {
        // Truncated under us: the writer says so on its next write (bus_guard.hpp).
        say("CORRUPT " + t_now() + " " + e.what());
        return 7;
    }
    say("RESULT published=" + std::to_string(writer->frames_published()) + " full=" + std::to_string(full) +
        " abandoned=" + std::to_string(abandoned) + " forks=" + std::to_string(forks));
    writer.reset();
    return 0;
}

// ---- reader ------------------------------------------------------------------------------------

int run_reader(const Args& a) {
    const int domain = std::stoi(get(a, "domain", "0"));
    const std::string topic = get(a, "topic", "");
    const std::string mode = get(a, "mode", "view");
    const auto slice = std::chrono::milliseconds(std::stoll(get(a, "slice-ms", "20")));
    const std::uint64_t hold_us = std::stoull(get(a, "hold-us", "0"));
    const auto fork_every = std::chrono::milliseconds(std::stoll(get(a, "fork-ms", "0")));
    std::mt19937_64 rng(std::stoull(get(a, "seed", "1")) ^ static_cast<std::uint64_t>(::getpid()));

    std::optional<smx::Participant> participant(std::in_place, domain);
    std::optional<smx::Reader> reader(std::in_place, *participant, topic);
    const smx::Hold hold = mode == "pin" ? smx::Hold::pin : smx::Hold::view;

    std::uint64_t accepted = 0, torn = 0, bad = 0, errors = 0, forks = 0, sessions = 0, gones = 0;
    std::uint64_t session = 0;
    smx::ReaderState state = reader->state();
    std::vector<std::byte> copy;
    std::shared_ptr<const smx::Schema> copy_schema;
    Commands commands;
    const auto start = std::chrono::steady_clock::now();
    auto next_count = start + 50ms;
    auto next_fork = start + fork_every;

    auto count_line = [&] {
        return "accepted=" + std::to_string(accepted) + " torn=" + std::to_string(torn) + " bad=" + std::to_string(bad) +
               " errors=" + std::to_string(errors) + " forks=" + std::to_string(forks) +
               " sessions=" + std::to_string(sessions) + " gone=" + std::to_string(gones);
    };
    auto new_frame = [&](const smx::FrameInfo& info) {
        if (info.session == session) return;
        session = info.session;
        ++sessions;
        say("SESSION " + hex(session) + " frame=" + std::to_string(info.frame_number) + " " + t_now());
    };
    auto judge = [&](const smx::FrameInfo& info, bool consistent, bool content_ok) {
        if (!consistent) {
            ++torn;
        } else if (content_ok) {
            ++accepted;
        } else {
            ++bad;  // consistent by the library's word, but not the frame it claims to be
            say("BAD " + mode + " session=" + hex(info.session) + " frame=" + std::to_string(info.frame_number) +
                " slot=" + std::to_string(info.slot) + " seq=" + std::to_string(info.seq));
        }
    };
    // The child of a fork: the reader and the frame it holds (pinned) are the parent's.
    auto fork_now = [&](std::optional<smx::Frame>& frame) {
        const pid_t pid = ::fork();
        if (pid < 0) return;
        if (pid == 0) {
            bool ok = true;
            frame.reset();  // must not unpin the parent's pin
            try {
                (void)reader->latest();
                ok = false;
            } catch (const smx::Closed&) {
            } catch (...) {
                ok = false;
            }
            reader.reset();  // must not touch the registration
            participant.reset();
            ::_exit(ok ? 0 : 1);
        }
        ++forks;
        const std::string problem = reap_child(pid);
        if (!problem.empty()) say(problem);
    };

    for (;;) {
        for (const auto& line : commands.poll())
            if (line == "quit") commands.eof = true;
        if (commands.eof) break;
        const auto now = std::chrono::steady_clock::now();
        const bool fork_due = fork_every.count() > 0 && now >= next_fork;
        if (fork_due) next_fork = now + fork_every;
        bool errored = false;
        try {
            if (mode == "copy") {
                const smx::CopyResult r = reader->copy_next(
                    [&](const std::shared_ptr<const smx::Schema>& s) {
                        copy_schema = s;
                        copy.resize(s->frame_size());
                        return std::span<std::byte>(copy);
                    },
                    slice);
                if (r.status == smx::ReadStatus::torn) ++torn;
                if (r) {
                    new_frame(r.info);
                    judge(r.info, true, smx::pattern::check_copy(*copy_schema, copy, r.info.frame_number));
                }
                if (fork_due) {
                    std::optional<smx::Frame> none;
                    fork_now(none);
                }
            } else {
                std::optional<smx::Frame> f = reader->next(slice, hold);
                if (f) {
                    new_frame(f->info());
                    if (hold_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % (hold_us + 1)));
                    bool content_ok = smx::pattern::check_all(*f, f->frame_number());
                    if (fork_due && f->pinned()) {
                        fork_now(f);
                        // Still pinned here whatever the child did: hold on a little longer
                        // (the writer goes on) and look again.
                        std::this_thread::sleep_for(2ms);
                        content_ok = smx::pattern::check_all(*f, f->frame_number()) && content_ok;
                    } else if (fork_due) {
                        std::optional<smx::Frame> none;
                        fork_now(none);
                    }
                    judge(f->info(), f->valid(), content_ok);
                }
            }
        } catch (const smx::Closed&) {
            throw;
        } catch (const smx::Error& e) {
            ++errors;
            say(std::string("ERROR ") + smx::to_string(e.code()) + " " + e.what());
            errored = true;
        }
        const smx::ReaderState s = reader->state();
        if (s != state) {
            state = s;
            if (s == smx::ReaderState::writer_gone) {
                ++gones;
                say("GONE " + t_now() + " session=" + hex(session));
            }
        }
        if (std::chrono::steady_clock::now() >= next_count) {
            next_count = std::chrono::steady_clock::now() + 50ms;
            say("COUNT " + count_line());
        }
        if (errored) std::this_thread::sleep_for(10ms);  // pacing: do not spin on a repeating error
    }
    const auto st = reader->stats();
    say("RESULT " + count_line() + " delivered=" + std::to_string(st.delivered) + " missed=" + std::to_string(st.missed) +
        " ignored=" + std::to_string(st.notices_ignored) + " attachments=" + std::to_string(st.attachments) +
        " unnoticed=" + std::to_string(st.unnoticed_frames));
    reader.reset();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: smx_chaos_peer writer|reader [options]\n");
        return 64;
    }
    std::signal(SIGPIPE, SIG_IGN);  // the driver may be gone; say() then fails quietly
    try {
        const auto a = parse(argc, argv);
        const std::string role = argv[1];
        if (role == "writer") return run_writer(a);
        if (role == "reader") return run_reader(a);
        std::fprintf(stderr, "unknown role %s\n", role.c_str());
        return 64;
    } catch (const smx::Error& e) {
        say(std::string("EXCEPTION ") + smx::to_string(e.code()) + " " + e.what());
        return 5;
    } catch (const std::exception& e) {
        say(std::string("EXCEPTION other ") + e.what());
        return 6;
    }
}
