// smx_test_peer: the other process of multi-process tests. One role per invocation; results
// are printed as "KEY value ..." lines the test reads. Every wait is bounded.
//
//   writer  --topic T [--schema rgbd|blob:N|small] [--frames N] [--rate HZ] [--slots N]
//           [--wait-readers K] [--loan] [--linger]
//       prints "READY <pid> <segment>", then "PUBLISHED <n>" when done; with --linger stays
//       until stdin closes or reads "quit" (so tests can kill it while it is alive).
//   reader  --topic T [--schema rgbd|blob:N|small|none] [--mode view|copy|pin|novalidate]
//           [--until N] [--timeout-ms MS]
//       prints "ATTACHED <schema>" then "RESULT accepted=.. torn_detected=.. bad=.. missed=..
//       delivered=.. last=.. ignored=.."
//   pinner  --topic T [--pins K]
//       pins K frames (newest first), prints "PINNED <k>", then waits until killed or stdin closes.

#include "pattern.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;

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

std::optional<smx::Schema> schema_named(const std::string& name) {
    if (name == "none") return std::nullopt;
    if (name == "rgbd") return smx::pattern::rgbd_schema();
    if (name == "rgbd640") return smx::pattern::rgbd_schema(640, 480);
    if (name == "small") return smx::Schema{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    if (name.rfind("blob:", 0) == 0) return smx::pattern::blob_schema(std::stoull(name.substr(5)));
    throw std::runtime_error("unknown schema " + name);
}

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

// Blocks until stdin says "quit" or closes (the test process holds the other end).
void linger() {
    std::string line;
    while (std::getline(std::cin, line))
        if (line == "quit") break;
}

int run_writer(const std::map<std::string, std::string>& a) {
    smx::Participant participant;
    smx::WriterOptions opt;
    opt.slots = static_cast<std::uint32_t>(std::stoul(get(a, "slots", "3")));
    opt.when_full = smx::WhenFull::wait;
    opt.full_wait = 2s;
    smx::Writer writer(participant, get(a, "topic", ""), *schema_named(get(a, "schema", "rgbd")), opt);
    say("READY " + std::to_string(::getpid()) + " " + writer.segment_name());
    const auto readers = std::stoul(get(a, "wait-readers", "0"));
    const auto start = std::chrono::steady_clock::now();
    while (writer.reader_count() < readers) {
        if (std::chrono::steady_clock::now() - start > 20s) {
            say("ERROR readers did not register");
            return 2;
        }
        std::this_thread::sleep_for(5ms);  // test setup only: readers announce themselves in shm
    }
    const std::uint64_t frames = std::stoull(get(a, "frames", "0"));
    const double rate = std::stod(get(a, "rate", "0"));
    const bool use_loan = a.count("loan") != 0;
    const smx::Schema& schema = writer.schema();
    std::vector<std::vector<std::byte>> buffers;
    for (const auto& f : schema.fields()) buffers.emplace_back(f.nbytes());
    std::vector<smx::ArrayRef> refs(schema.size());
    for (std::uint64_t n = 1; n <= frames; ++n) {
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
        if (rate > 0) std::this_thread::sleep_until(start + std::chrono::duration<double>(n / rate));
    }
    say("PUBLISHED " + std::to_string(writer.frames_published()));
    if (a.count("linger")) linger();
    return 0;
}

int run_reader(const std::map<std::string, std::string>& a) {
    smx::Participant participant;
    const std::string topic = get(a, "topic", "");
    const auto schema = schema_named(get(a, "schema", "none"));
    smx::Reader reader = schema ? smx::Reader(participant, topic, *schema) : smx::Reader(participant, topic);
    const auto timeout = std::chrono::milliseconds(std::stoll(get(a, "timeout-ms", "10000")));
    try {
        if (!reader.wait_for_writer(timeout)) {
            say("ERROR no writer");
            return 2;
        }
    } catch (const smx::Error& e) {
        say(std::string("EXCEPTION ") + smx::to_string(e.code()) + " " + e.what());
        return 4;
    }
    say("ATTACHED " + reader.schema().to_string());
    const std::string mode = get(a, "mode", "view");
    const std::uint64_t until = std::stoull(get(a, "until", "1"));
    std::uint64_t accepted = 0, torn_detected = 0, bad = 0, last = 0;
    std::vector<std::byte> copy;
    while (last < until) {
        if (mode == "copy") {
            copy.resize(reader.schema().frame_size());
            const smx::CopyResult r = reader.copy_next(copy, timeout);
            if (r.status == smx::ReadStatus::no_frame) break;
            if (!r) { ++torn_detected; continue; }
            last = r.info.frame_number;
            if (smx::pattern::check_copy(reader.schema(), copy, last)) ++accepted; else ++bad;
            continue;
        }
        auto f = reader.next(timeout, mode == "pin" ? smx::Hold::pin : smx::Hold::view);
        if (!f) break;
        last = f->frame_number();
        const bool content_ok = smx::pattern::check_all(*f, last);
        if (mode == "novalidate") {
            // Control: accept without asking valid(); bad counts tears the checker sees.
            if (content_ok) ++accepted; else ++bad;
        } else if (f->valid()) {
            if (content_ok) ++accepted; else ++bad;  // bad here = a torn frame accepted
        } else {
            ++torn_detected;
        }
    }
    const auto s = reader.stats();
    say("RESULT accepted=" + std::to_string(accepted) + " torn_detected=" + std::to_string(torn_detected) +
        " bad=" + std::to_string(bad) + " missed=" + std::to_string(s.missed) + " delivered=" +
        std::to_string(s.delivered) + " last=" + std::to_string(last) + " ignored=" +
        std::to_string(s.notices_ignored) + " attachments=" + std::to_string(s.attachments));
    return 0;
}

int run_pinner(const std::map<std::string, std::string>& a) {
    smx::Participant participant;
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
        held.push_back(std::move(*f));
    }
    std::string slots;
    for (const auto& f : held) slots += " " + std::to_string(f.info().slot) + ":" + std::to_string(f.frame_number());
    say("PINNED " + std::to_string(held.size()) + slots);
    linger();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: smx_test_peer writer|reader|pinner [options]\n");
        return 64;
    }
    try {
        const auto a = parse(argc, argv);
        const std::string role = argv[1];
        if (role == "writer") return run_writer(a);
        if (role == "reader") return run_reader(a);
        if (role == "pinner") return run_pinner(a);
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
