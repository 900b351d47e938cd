// smx_test_peer: the other process of multi-process tests. One role per invocation; results
// are printed as "KEY value ..." lines the test reads. Every wait is bounded.
//
//   writer  --topic T [--schema S] [--frames N | --forever] [--rate HZ] [--slots N]
//           [--wait-readers K] [--loan] [--abandon K] [--linger] [--handle-sigterm]
//           [--compression lz4|zstd] [--best-effort]  (the network path's options)
//       prints "READY <pid> <segment> <session>", then "PUBLISHED <n>" when done; with --linger
//       stays until stdin closes or reads "quit" (so tests can kill it while it is alive).
//       --forever writes at full speed until stdin reads "quit" (or closes).
//       --abandon K (with --loan): before every K-th frame, a loan is filled half-way with the
//       next frame's pattern and dropped unpublished (an application failing mid-frame).
//       --handle-sigterm installs an application SIGTERM handler (that counts and carries on)
//       before the writer is made; a lingering (or --forever) writer answers "status" with
//       "SIGTERMS <n>" and "netstats" with "NET remote_readers=.. sent=.. skipped=.. published=..".
//   reader  --topic T [--schema S|none] [--mode view|copy|pin|novalidate] [--until N]
//           [--timeout-ms MS] [--print-frames] [--recheck-gap G] [--work-us U]
//       prints "ATTACHED <schema>" then "RESULT accepted=.. torn_detected=.. bad=.. missed=..
//       delivered=.. last=.. ignored=.. attachments=.."; --print-frames adds one
//       "FRAME <n> ok=<0|1> ignored=<k> missed=<m>" line per frame (and, in view/pin modes,
//       "IGNORED <k>" whenever the count of ignored notices changes). In novalidate mode,
//       --recheck-gap G re-checks each frame's content once a second reader in this process
//       has seen frame n+G (the writer has moved on): a control that must see tears.
//       --work-us U spends U µs "processing" after each frame (the frame already let go), so
//       the reader falls behind a full-speed writer and reads older frames.
//   follow  --topic T [--attachments K] [--timeout-ms MS]
//       template-less reader that survives writer restarts: prints "ATTACHED <n> <schema>" for
//       each new attachment and "FRAME <n> ok=<0|1> schema=<schema>" per frame; after a frame
//       of attachment K it prints "RESULT ..." and exits.
//   pinner  --topic T [--pins K]
//       pins K distinct frames (oldest unseen first), printing "PIN <slot>:<frame>" for each,
//       then "PINNED <k> <slot>:<frame>...". Then obeys stdin: "check" -> "CHECKED ok=.. bad=..
//       pinned=.." (re-verifies the pinned frames' content), "release" -> "RELEASED", "quit"
//       or EOF -> exit.
//   waiter  --topic T [--until N] [--timeout-ms MS] [--spin-us U]
//       a template-less reader blocked in next(MS, pin) as an application would be (the wait is
//       one call, not slices): prints "ATTACHED" once a writer is attached, then per frame
//       "FRAME <n> session=<hex> ok=<0|1> schema=<schema>" (content checked while pinned). A
//       stdin line "interrupt" makes another thread call interrupt(): the blocked next()
//       returns empty and "INTERRUPTED" is printed. After a frame >= N (of any session), or when
//       next() times out ("TIMEOUT"), prints "RESULT ... sleeps=.. unnoticed=.." and exits.
//
//   typed-writer  --topic T [--frames N] [--rate HZ] [--wait-readers K] [--copy] [--linger]
//       the rgbd schema as a typed frame (smx/typed.hpp, struct Rgbd): each frame filled with the
//       pattern through the members of a TypedLoan, or with --copy through write(const Rgbd&);
//       prints "READY <pid>", "PUBLISHED <n>", and lingers as writer does.
//   typed-reader  --topic T [--mode view|pin] [--until N] [--timeout-ms MS]
//       a TypedReader<Rgbd> (its schema checked against the writer's) that checks every member's
//       bytes against the pattern: "ATTACHED <schema>", then "RESULT ..." as reader.
//
//   detections-writer  --topic T [--frames N] [--rate HZ] [--wait-readers K] [--copy] [--linger]
//   detections-reader  --topic T [--mode view|pin] [--until N] [--timeout-ms MS]
//       the same for struct Detections: string fields and bounded fields whose live rows change
//       from frame to frame (detections_expected: the twin of test_interop.py's expected()).
//
//   Every role takes --domain D (default 0), the DDS domain of its participant.
//
//   Schemas S: rgbd, rgbd640, small, blob:<bytes>, or spec:<name>:<typestr>:<AxBxC>,... .

#include "pattern.hpp"

#include <smx/smx.hpp>
#include <smx/typed.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <poll.h>
#include <sys/resource.h>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;

namespace peer {
// The rgbd schema (smx::pattern::rgbd_schema()) as a typed frame.
struct Rgbd {
    smx::Tensor<double, 1> timestamp;
    smx::Tensor<std::uint8_t, 480, 848, 3> color;
    smx::Tensor<std::uint16_t, 480, 848> depth;
    smx::Tensor<double, 4, 4> extrinsics;
    smx::Tensor<double, 3, 3> intrinsics;
};
SMX_FRAME(Rgbd, timestamp, color, depth, extrinsics, intrinsics);

// Strings and bounded fields; tests/python/test_interop.py declares the same as a dataclass.
struct Detections {
    smx::String<16> frame_id;
    smx::Tensor<smx::FixedString<8>, 3> labels;
    smx::Bounded<float, 10, 4> boxes;
    smx::Bounded<std::uint32_t, 5> ids;
    smx::Tensor<double> stamp;
};
SMX_FRAME(Detections, frame_id, labels, boxes, ids, stamp);

// Frame n's content: every string a different length, the rows of both bounded fields changing.
void detections_expected(Detections& d, std::uint64_t n) {
    d.frame_id() = "camera_" + std::to_string(n % 1000);
    for (std::size_t i = 0; i < 3; ++i) d.labels(i) = (i == 2 && n % 2 == 0) ? std::string("12345678")
                                                                            : "l" + std::to_string(n % 100) + "_" + std::to_string(i);
    d.boxes.resize(n % 11);
    for (std::size_t r = 0; r < d.boxes.size(); ++r)
        for (std::size_t c = 0; c < 4; ++c) d.boxes(r, c) = static_cast<float>(n * 100 + r * 4 + c);
    d.ids.resize((n * 3) % 6);
    for (std::size_t r = 0; r < d.ids.size(); ++r) d.ids(r) = static_cast<std::uint32_t>(n * 10 + r);
    d.stamp() = static_cast<double>(n) + 0.5;
}

// Every byte of the live data equal to frame n's (strings with their NUL padding).
bool detections_match(const Detections& got, std::uint64_t n) {
    Detections want;
    detections_expected(want, n);
    auto same_bytes = [](const auto& a, const auto& b) {
        return std::memcmp(a.data(), b.data(), sizeof(*a.data()) * static_cast<std::size_t>(a.flat().size())) == 0;
    };
    return got.boxes.size() == want.boxes.size() && got.ids.size() == want.ids.size() &&
           same_bytes(got.frame_id, want.frame_id) && same_bytes(got.labels, want.labels) &&
           same_bytes(got.boxes, want.boxes) && same_bytes(got.ids, want.ids) && got.stamp() == want.stamp();
}
}  // namespace peer

namespace {

std::map<std::string, std::string> parse(int argc, char** argv) {
    std::map<std::string, std::string> a;
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

std::string get(const std::map<std::string, std::string>& a, const std::string& k, const std::string& def) {
    auto it = a.find(k);
    return it == a.end() ? def : it->second;
}

// --domain D (every role): the DDS domain, 0 if not given.
// --domain D, else SMX_DOMAIN, else 0.
int domain_of(const std::map<std::string, std::string>& a) {
    return a.count("domain") ? std::stoi(a.at("domain")) : smx::default_domain();
}

std::optional<smx::Schema> schema_named(const std::string& name) {
    if (name == "none") return std::nullopt;
    if (name == "rgbd") return smx::pattern::rgbd_schema();
    if (name == "rgbd640") return smx::pattern::rgbd_schema(640, 480);
    if (name == "small") return smx::Schema{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    if (name.rfind("blob:", 0) == 0) return smx::pattern::blob_schema(std::stoull(name.substr(5)));
    if (name.rfind("spec:", 0) == 0) {
        // spec:<name>:<typestr>:<AxBxC>,<name>:<typestr>:<dims>,...
        std::vector<smx::Field> fields;
        std::istringstream all(name.substr(5));
        std::string item;
        while (std::getline(all, item, ',')) {
            const auto c1 = item.find(':'), c2 = item.rfind(':');
            if (c1 == std::string::npos || c1 == c2) throw std::runtime_error("bad field spec " + item);
            std::vector<std::uint64_t> dims;
            std::istringstream ds(item.substr(c2 + 1));
            std::string d;
            while (std::getline(ds, d, 'x')) dims.push_back(std::stoull(d));
            fields.push_back({item.substr(0, c1), smx::DType::parse(item.substr(c1 + 1, c2 - c1 - 1)), smx::Shape(dims)});
        }
        return smx::Schema(fields);
    }
    throw std::runtime_error("unknown schema " + name);
}

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

// Blocks until stdin says "quit" or closes (the test process holds the other end).
volatile std::sig_atomic_t g_sigterms = 0;

// Until stdin says "quit" or closes; "status" -> "SIGTERMS <n>" (handled by --handle-sigterm).
// Answers one line of the test on stdin; false on "quit".
bool command(const std::string& line, const smx::Writer& writer) {
    if (line == "quit") return false;
    if (line == "status") say("SIGTERMS " + std::to_string(g_sigterms));
    if (line == "netstats") {
        const smx::NetworkStats n = writer.network_stats();
        say("NET remote_readers=" + std::to_string(n.remote_readers) + " sent=" + std::to_string(n.frames_sent) +
            " skipped=" + std::to_string(n.frames_skipped) + " bytes=" + std::to_string(n.bytes_sent) +
            " published=" + std::to_string(writer.frames_published()));
    }
    return true;
}

void linger(const smx::Writer& writer) {
    std::string line;
    while (std::getline(std::cin, line))
        if (!command(line, writer)) break;
}

// Non-blocking, for --forever writers: answers the complete lines stdin holds; true once one
// was "quit" or stdin is closed.
bool quit_requested(const smx::Writer& writer) {
    static std::string pending;
    pollfd p{0, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0) {
        char buf[256];
        const ssize_t n = ::read(0, buf, sizeof buf);
        if (n <= 0) return true;
        pending.append(buf, static_cast<std::size_t>(n));
    }
    for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
        const std::string line = pending.substr(0, eol);
        pending.erase(0, eol + 1);
        if (!command(line, writer)) return true;
    }
    return false;
}

// Waits (bounded) until `readers` readers registered in the writer's segment; says why not.
bool wait_for_readers(const smx::Writer& writer, std::size_t readers) {
    const auto start = std::chrono::steady_clock::now();
    // Local readers register in the segment; remote ones (transport dds) are matched DDS readers.
    while (writer.reader_count() + writer.network_stats().remote_readers < readers) {
        if (std::chrono::steady_clock::now() - start > 20s) {
            say("ERROR readers did not register");
            return false;
        }
        std::this_thread::sleep_for(5ms);  // test setup only: readers announce themselves in shm
    }
    return true;
}

// Waits for the writer; 0 once attached, else the exit status after saying why (2: no writer,
// 4: refused, e.g. a schema mismatch).
int attach(smx::Reader& reader, std::chrono::milliseconds timeout) {
    try {
        if (!reader.wait_for_writer(timeout)) {
            say("ERROR no writer");
            return 2;
        }
    } catch (const smx::Error& e) {
        say(std::string("EXCEPTION ") + smx::to_string(e.code()) + " " + e.what());
        return 4;
    }
    return 0;
}

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
    return buf;
}

int run_writer(const std::map<std::string, std::string>& a) {
    if (a.count("handle-sigterm")) std::signal(SIGTERM, [](int) { g_sigterms = g_sigterms + 1; });
    smx::Participant participant(domain_of(a));
    smx::WriterOptions opt;
    opt.slots = static_cast<std::uint32_t>(std::stoul(get(a, "slots", "3")));
    opt.when_full = smx::WhenFull::wait;
    opt.full_wait = 2s;
    const std::string compression = get(a, "compression", "none");
    opt.network.compression = compression == "lz4"    ? smx::Compression::lz4
                              : compression == "zstd" ? smx::Compression::zstd
                                                      : smx::Compression::none;
    opt.network.reliable = a.count("best-effort") == 0;
    opt.network.depth = static_cast<std::uint32_t>(std::stoul(get(a, "network-depth", "3")));
    smx::Writer writer(participant, get(a, "topic", ""), *schema_named(get(a, "schema", "rgbd")), opt);
    say("READY " + std::to_string(::getpid()) + " " + writer.segment_name() + " " + hex(writer.session()));
    if (a.count("squeeze-fds")) {
        // No descriptor left to receive one: a wait-set reader's eventfd is dropped on arrival.
        const int lowest = ::dup(0);
        ::close(lowest);
        const rlimit limit{static_cast<rlim_t>(lowest), static_cast<rlim_t>(lowest)};
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return 7;
    }
    if (!wait_for_readers(writer, std::stoul(get(a, "wait-readers", "0")))) return 2;
    const auto start = std::chrono::steady_clock::now();
    const bool forever = a.count("forever") != 0;
    const std::uint64_t frames = forever ? UINT64_MAX : std::stoull(get(a, "frames", "0"));
    const double rate = std::stod(get(a, "rate", "0"));
    const bool use_loan = a.count("loan") != 0;
    const std::uint64_t abandon_every = std::stoull(get(a, "abandon", "0"));
    const smx::Schema& schema = writer.schema();
    std::vector<std::vector<std::byte>> buffers;
    for (const auto& f : schema.fields()) buffers.emplace_back(f.nbytes());
    std::vector<smx::ArrayRef> refs(schema.size());
    for (std::uint64_t n = 1; n <= frames; ++n) {
        if (use_loan && abandon_every && n % abandon_every == 0) {
            auto dropped = writer.loan();
            if (!dropped) { say("FULL " + std::to_string(n)); return 3; }
            const auto half = dropped->bytes(0).first(dropped->bytes(0).size() / 2);
            smx::pattern::fill(half, n, 0);
        }  // dropped here, unpublished: its slot holds half a frame
        if (use_loan) {
            auto loan = writer.loan();
            if (!loan) { say("FULL " + std::to_string(n)); return 3; }
            smx::pattern::fill_all(*loan, loan->frame_number());
            if (!writer.publish(std::move(*loan))) { say("FULL " + std::to_string(n)); return 3; }
        } else {
            for (std::size_t i = 0; i < schema.size(); ++i) {
                smx::pattern::fill(buffers[i], n, i);
                refs[i] = smx::ArrayRef(buffers[i].data(), schema[i].dtype, schema[i].shape);
            }
            if (!writer.write(refs)) { say("FULL " + std::to_string(n)); return 3; }
        }
        if (rate > 0)
            std::this_thread::sleep_until(start + std::chrono::duration<double>(static_cast<double>(n) / rate));
        if (forever && quit_requested(writer)) break;
    }
    say("PUBLISHED " + std::to_string(writer.frames_published()));
    if (a.count("linger") && !forever) linger(writer);
    return 0;
}

std::string result_line(const smx::Reader& reader, std::uint64_t accepted, std::uint64_t torn_detected,
                        std::uint64_t bad, std::uint64_t last) {
    const auto s = reader.stats();
    return "RESULT accepted=" + std::to_string(accepted) + " torn_detected=" + std::to_string(torn_detected) +
           " bad=" + std::to_string(bad) + " missed=" + std::to_string(s.missed) + " delivered=" +
           std::to_string(s.delivered) + " last=" + std::to_string(last) + " ignored=" +
           std::to_string(s.notices_ignored) + " attachments=" + std::to_string(s.attachments) +
           " torn_views=" + std::to_string(s.torn_views) + " dropped=" + std::to_string(s.dropped_samples) +
           " transport=" + (reader.transport() == smx::Transport::dds ? "dds" : "shm");
}

// Blocks (bounded) until `watcher` has seen a frame numbered at least `frame`: by then the writer
// has moved on past it. False if that did not happen in time (the writer stopped).
bool wait_for_frame(smx::Reader& watcher, std::uint64_t frame, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto f = watcher.next(deadline - std::chrono::steady_clock::now());
        if (f && f->frame_number() >= frame) return true;
    }
    return false;
}

int run_reader(const std::map<std::string, std::string>& a) {
    smx::Participant participant(domain_of(a));
    const std::string topic = get(a, "topic", "");
    const auto schema = schema_named(get(a, "schema", "none"));
    smx::Reader reader = schema ? smx::Reader(participant, topic, *schema) : smx::Reader(participant, topic);
    const auto timeout = std::chrono::milliseconds(std::stoll(get(a, "timeout-ms", "10000")));
    if (const int failed = attach(reader, timeout)) return failed;
    say("ATTACHED " + reader.schema().to_string());
    const std::string mode = get(a, "mode", "view");
    const std::uint64_t until = std::stoull(get(a, "until", "1"));
    const bool print_frames = a.count("print-frames") != 0;
    const std::uint64_t recheck_gap = std::stoull(get(a, "recheck-gap", "0"));
    std::optional<smx::Reader> watcher;
    if (recheck_gap > 0) {
        watcher.emplace(participant, topic);
        if (!watcher->wait_for_writer(timeout)) {
            say("ERROR watcher saw no writer");
            return 2;
        }
    }
    bool writer_moving = true;  // cleared once the watcher stops seeing new frames
    std::uint64_t accepted = 0, torn_detected = 0, bad = 0, last = 0;
    std::vector<std::byte> copy;
    auto report = [&](std::uint64_t n, bool ok) {
        if (!print_frames) return;
        const auto s = reader.stats();
        say("FRAME " + std::to_string(n) + " ok=" + (ok ? "1" : "0") + " ignored=" + std::to_string(s.notices_ignored) +
            " missed=" + std::to_string(s.missed));
    };
    // With --print-frames, waits in slices so that ignored notices are reported as they come
    // ("IGNORED <total>"), not only with the next frame.
    std::uint64_t ignored_reported = 0;
    auto next_frame = [&](smx::Hold hold) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = deadline - std::chrono::steady_clock::now();
            auto f = reader.next(print_frames ? std::min<std::chrono::nanoseconds>(left, 100ms) : left, hold);
            const auto ignored = reader.stats().notices_ignored;
            if (print_frames && ignored != ignored_reported) {
                ignored_reported = ignored;
                say("IGNORED " + std::to_string(ignored));
            }
            if (f || std::chrono::steady_clock::now() >= deadline) return f;
        }
    };
    const auto work = std::chrono::microseconds(std::stoll(get(a, "work-us", "0")));
    while (last < until) {
        if (work.count() > 0 && last > 0) std::this_thread::sleep_for(work);  // the application's work
        if (mode == "copy") {
            copy.resize(reader.schema().frame_size());
            const smx::CopyResult r = reader.copy_next(copy, timeout);
            if (r.status == smx::ReadStatus::no_frame) break;
            if (!r) { ++torn_detected; continue; }
            last = r.info.frame_number;
            const bool ok = smx::pattern::check_copy(reader.schema(), copy, last);
            if (ok) ++accepted; else ++bad;
            report(last, ok);
            continue;
        }
        auto f = next_frame(mode == "pin" ? smx::Hold::pin : smx::Hold::view);
        if (!f) break;
        last = f->frame_number();
        bool content_ok = smx::pattern::check_all(*f, last);
        if (mode == "novalidate") {
            // Control: accept without asking valid(); bad counts tears the checker sees. With a
            // recheck gap the content is looked at again after the writer has moved on, as a slow
            // consumer of a view would.
            if (writer_moving && recheck_gap > 0) {
                writer_moving = wait_for_frame(*watcher, last + recheck_gap, std::chrono::seconds(2));
                content_ok = smx::pattern::check_all(*f, last) && content_ok;
            }
            if (content_ok) ++accepted; else ++bad;
            report(last, content_ok);
        } else if (f->valid()) {
            if (content_ok) ++accepted; else ++bad;  // bad here = a torn frame accepted
            report(last, content_ok);
        } else {
            ++torn_detected;
            report(last, false);
        }
    }
    say(result_line(reader, accepted, torn_detected, bad, last));
    return 0;
}

// A template-less reader that keeps going across writer restarts (possibly with new schemas).
int run_follower(const std::map<std::string, std::string>& a) {
    smx::Participant participant(domain_of(a));
    smx::Reader reader(participant, get(a, "topic", ""));
    const auto timeout = std::chrono::milliseconds(std::stoll(get(a, "timeout-ms", "20000")));
    const std::uint64_t want = std::stoull(get(a, "attachments", "2"));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::uint64_t seen_attachments = 0, accepted = 0, bad = 0, last = 0;
    smx::ReaderState state = reader.state();
    while (std::chrono::steady_clock::now() < deadline) {
        auto f = reader.next(std::chrono::milliseconds(500));
        if (reader.state() != state) {
            state = reader.state();
            say(std::string("STATE ") + (state == smx::ReaderState::attached ? "attached"
                                         : state == smx::ReaderState::writer_gone ? "writer_gone"
                                                                                  : "waiting_for_writer"));
        }
        const auto s = reader.stats();
        if (s.attachments != seen_attachments) {
            seen_attachments = s.attachments;
            const auto schema = reader.schema_if_known();
            say("ATTACHED " + std::to_string(seen_attachments) + " " + (schema ? schema->to_string() : "?"));
        }
        if (!f) continue;
        last = f->frame_number();
        const bool ok = smx::pattern::check_all(*f, last) && f->valid();
        if (ok) ++accepted; else ++bad;
        say("FRAME " + std::to_string(last) + " ok=" + (ok ? "1" : "0") + " schema=" + f->schema().to_string());
        if (seen_attachments >= want) {
            say(result_line(reader, accepted, 0, bad, last));
            return 0;
        }
    }
    say("ERROR timeout after " + std::to_string(seen_attachments) + " attachments");
    return 2;
}

int run_pinner(const std::map<std::string, std::string>& a) {
    smx::Participant participant(domain_of(a));
    smx::Reader reader(participant, get(a, "topic", ""));
    if (!reader.wait_for_writer(10s)) {
        say("ERROR no writer");
        return 2;
    }
    const auto pins = std::stoul(get(a, "pins", "1"));
    std::vector<smx::Frame> held;
    std::uint64_t last = 0;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (held.size() < pins && std::chrono::steady_clock::now() < deadline) {
        auto f = reader.next(1s, smx::Hold::pin);
        if (!f) continue;
        if (f->frame_number() == last) continue;
        last = f->frame_number();
        say("PIN " + std::to_string(f->info().slot) + ":" + std::to_string(f->frame_number()));
        held.push_back(std::move(*f));
    }
    std::string slots;
    for (const auto& f : held) slots += " " + std::to_string(f.info().slot) + ":" + std::to_string(f.frame_number());
    say("PINNED " + std::to_string(held.size()) + slots);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "quit") break;
        if (line == "check") {
            // The writer must not have touched a pinned slot: content and seq are still ours.
            std::uint64_t ok = 0, bad = 0, pinned = 0;
            for (const auto& f : held) {
                if (f.pinned()) ++pinned;
                if (f.valid() && smx::pattern::check_all(f, f.frame_number())) ++ok; else ++bad;
            }
            say("CHECKED ok=" + std::to_string(ok) + " bad=" + std::to_string(bad) + " pinned=" + std::to_string(pinned));
        } else if (line == "release") {
            held.clear();
            say("RELEASED");
        }
    }
    return 0;
}

int run_waiter(const std::map<std::string, std::string>& a) {
    smx::Participant participant(domain_of(a));
    smx::ReaderOptions options;
    options.spin = std::chrono::microseconds(std::stoll(get(a, "spin-us", "0")));
    smx::Reader reader(participant, get(a, "topic", ""), options);
    const auto timeout = std::chrono::milliseconds(std::stoll(get(a, "timeout-ms", "20000")));
    const std::uint64_t until = std::stoull(get(a, "until", "18446744073709551615"));
    std::atomic<bool> interrupted{false};
    std::thread commands([&] {
        std::string line;
        while (std::getline(std::cin, line))
            if (line == "interrupt") {
                interrupted = true;
                reader.interrupt();
            }
    });
    commands.detach();  // ends with the process (stdin may never close)
    if (!reader.wait_for_writer(timeout)) {
        say("ERROR no writer");
        return 2;
    }
    say("ATTACHED");
    std::uint64_t accepted = 0, bad = 0, last = 0;
    for (;;) {
        auto f = reader.next(timeout, smx::Hold::pin);
        if (!f) {
            if (interrupted.exchange(false)) {
                say("INTERRUPTED");
                continue;
            }
            say("TIMEOUT");
            break;
        }
        last = f->frame_number();
        const bool ok = smx::pattern::check_all(*f, last);
        if (ok) ++accepted; else ++bad;
        say("FRAME " + std::to_string(last) + " session=" + hex(f->info().session) + " ok=" + (ok ? "1" : "0") +
            " schema=" + f->schema().to_string());
        if (last >= until) break;
    }
    const auto s = reader.stats();
    say(result_line(reader, accepted, 0, bad, last) + " sleeps=" + std::to_string(s.sleeps) +
        " unnoticed=" + std::to_string(s.unnoticed_frames));
    return 0;
}

// The bytes of a Tensor, for the pattern's fill and check.
template <class Tensor>
std::span<std::byte> bytes_of(Tensor& t) {
    return {reinterpret_cast<std::byte*>(t.data()), t.size_bytes()};
}
template <class Tensor>
std::span<const std::byte> bytes_of(const Tensor& t) {
    return {reinterpret_cast<const std::byte*>(t.data()), t.size_bytes()};
}
template <class Frame, class Fn>
void each_member(Frame& f, Fn&& fn) {
    fn(f.timestamp, 0), fn(f.color, 1), fn(f.depth, 2), fn(f.extrinsics, 3), fn(f.intrinsics, 4);
}

// A typed writer of F: frame n filled by fill(F&, n) in a loan, or with --copy in an F of its own.
template <class F, class Fill>
int run_typed_writer_of(const std::map<std::string, std::string>& a, Fill&& fill) {
    smx::Participant participant(domain_of(a));
    smx::WriterOptions opt;
    opt.full_wait = 2s;
    smx::TypedWriter<F> writer(participant, get(a, "topic", ""), opt);
    say("READY " + std::to_string(::getpid()) + " " + writer.untyped().segment_name() + " " +
        hex(writer.untyped().session()));
    if (!wait_for_readers(writer.untyped(), std::stoul(get(a, "wait-readers", "0")))) return 2;
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t frames = std::stoull(get(a, "frames", "0"));
    const double rate = std::stod(get(a, "rate", "0"));
    const bool copy = a.count("copy") != 0;
    std::optional<F> own;  // frames can be large: only for --copy
    if (copy) own.emplace();
    for (std::uint64_t n = 1; n <= frames; ++n) {
        if (copy) {
            fill(*own, n);
            if (!writer.write(*own)) { say("FULL " + std::to_string(n)); return 3; }
        } else {
            auto loan = writer.loan();
            if (!loan) { say("FULL " + std::to_string(n)); return 3; }
            fill(*loan, n);
            if (!writer.publish(std::move(loan))) { say("FULL " + std::to_string(n)); return 3; }
        }
        if (rate > 0)
            std::this_thread::sleep_until(start + std::chrono::duration<double>(static_cast<double>(n) / rate));
    }
    say("PUBLISHED " + std::to_string(writer.untyped().frames_published()));
    if (a.count("linger")) linger(writer.untyped());
    return 0;
}

// A typed reader of F that checks each frame with matches(const F&, n): "ATTACHED", then "RESULT".
template <class F, class Matches>
int run_typed_reader_of(const std::map<std::string, std::string>& a, Matches&& matches) {
    smx::Participant participant(domain_of(a));
    smx::TypedReader<F> reader(participant, get(a, "topic", ""));
    const auto timeout = std::chrono::milliseconds(std::stoll(get(a, "timeout-ms", "10000")));
    if (const int failed = attach(reader.untyped(), timeout)) return failed;
    say("ATTACHED " + reader.untyped().schema().to_string());
    const smx::Hold hold = get(a, "mode", "view") == "pin" ? smx::Hold::pin : smx::Hold::view;
    const std::uint64_t until = std::stoull(get(a, "until", "1"));
    std::uint64_t accepted = 0, torn_detected = 0, bad = 0, last = 0;
    while (last < until) {
        const auto frame = reader.next(timeout, hold);
        if (!frame) break;
        last = frame.frame_number();
        const bool ok = matches(*frame, last);
        if (!frame.valid()) ++torn_detected;
        else if (ok) ++accepted;
        else {
            ++bad;  // a torn frame accepted
            say("BAD " + std::to_string(last));
        }
    }
    say(result_line(reader.untyped(), accepted, torn_detected, bad, last));
    return 0;
}

// Readers of every topic of --topics (comma-separated) in one WaitSet, until each returned frame
// --until: every frame checked; one RESULT line per topic.
int run_waitset_reader(const std::map<std::string, std::string>& a) {
    smx::Participant participant(domain_of(a));
    const auto timeout = std::chrono::milliseconds(std::stoll(get(a, "timeout-ms", "20000")));
    const std::uint64_t until = std::stoull(get(a, "until", "1"));
    std::vector<std::unique_ptr<smx::Reader>> readers;
    std::istringstream topics(get(a, "topics", ""));
    smx::WaitSet ws;
    for (std::string t; std::getline(topics, t, ',');) {
        readers.push_back(std::make_unique<smx::Reader>(participant, t));
        ws.attach(*readers.back());
    }
    for (auto& r : readers)
        if (const int failed = attach(*r, timeout)) return failed;
    say("ATTACHED");
    std::map<smx::Reader*, std::array<std::uint64_t, 3>> seen;  // accepted, bad, last
    auto done = [&] {
        for (auto& r : readers)
            if (seen[r.get()][2] < until) return false;
        return true;
    };
    while (!done()) {
        const smx::WaitResult w = ws.wait(timeout);
        if (w.empty()) break;
        for (smx::Reader* r : w.readers)
            while (auto f = r->next(0ns, smx::Hold::pin)) {
                auto& s = seen[r];
                s[2] = f->frame_number();
                ++(smx::pattern::check_all(*f, s[2]) ? s[0] : s[1]);
            }
    }
    for (auto& r : readers) {
        const auto& s = seen[r.get()];
        say("RESULT topic=" + r->topic() + " accepted=" + std::to_string(s[0]) + " bad=" + std::to_string(s[1]) +
            " missed=" + std::to_string(r->stats().missed) + " last=" + std::to_string(s[2]) +
            " unnoticed=" + std::to_string(r->stats().unnoticed_frames));
    }
    return done() ? 0 : 3;
}

int run_typed_writer(const std::map<std::string, std::string>& a) {
    if (smx::schema_of<peer::Rgbd>() != smx::pattern::rgbd_schema()) {
        say("ERROR the typed Rgbd's schema is not rgbd: " + smx::schema_of<peer::Rgbd>().to_string());
        return 2;
    }
    return run_typed_writer_of<peer::Rgbd>(a, [](peer::Rgbd& f, std::uint64_t n) {
        each_member(f, [n](auto& t, std::uint64_t field) { smx::pattern::fill(bytes_of(t), n, field); });
    });
}

int run_typed_reader(const std::map<std::string, std::string>& a) {
    return run_typed_reader_of<peer::Rgbd>(a, [](const peer::Rgbd& f, std::uint64_t n) {
        bool ok = true;
        each_member(f, [&](const auto& t, std::uint64_t field) { ok = smx::pattern::check(bytes_of(t), n, field) && ok; });
        return ok;
    });
}

int run_detections_writer(const std::map<std::string, std::string>& a) {
    return run_typed_writer_of<peer::Detections>(a, peer::detections_expected);
}

int run_detections_reader(const std::map<std::string, std::string>& a) {
    return run_typed_reader_of<peer::Detections>(a, peer::detections_match);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: smx_test_peer writer|reader|follow|pinner|waiter|waitset-reader|typed-writer|typed-reader|detections-writer|detections-reader [options]\n");
        return 64;
    }
    try {
        const auto a = parse(argc, argv);
        const std::string role = argv[1];
        if (role == "writer") return run_writer(a);
        if (role == "reader") return run_reader(a);
        if (role == "follow") return run_follower(a);
        if (role == "pinner") return run_pinner(a);
        if (role == "waiter") return run_waiter(a);
        if (role == "waitset-reader") return run_waitset_reader(a);
        if (role == "typed-writer") return run_typed_writer(a);
        if (role == "typed-reader") return run_typed_reader(a);
        if (role == "detections-writer") return run_detections_writer(a);
        if (role == "detections-reader") return run_detections_reader(a);
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
