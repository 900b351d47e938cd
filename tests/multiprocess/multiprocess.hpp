#pragma once
// Helpers shared by the multi-process tests: peer paths, parsing of the "KEY k=v ..." lines the
// peers print, and a guard that leaves no shared memory behind even when a test fails.

#include "pattern.hpp"
#include "support.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <vector>

namespace smx::test {

inline std::string peer() { return helper_path("smx_test_peer"); }
inline std::string injector() { return helper_path("smx_test_injector"); }

/// Arguments of a peer "waiter": a reader blocked in next(timeout) until frame `until`.
inline std::vector<std::string> waiter(const std::string& topic, const std::string& until = "1000000",
                                       const std::string& timeout_ms = "20000") {
    return {peer(), "waiter", "--topic", topic, "--until", until, "--timeout-ms", timeout_ms};
}

/// Publishes the next frame through a loan, filled with the test pattern of its frame number.
inline smx::PublishResult write_frame(smx::Writer& writer) {
    auto loan = writer.loan();
    if (!loan) return {smx::PublishStatus::all_slots_held, 0};
    smx::pattern::fill_all(*loan, loan->frame_number());
    return writer.publish(std::move(*loan));
}

/// A 64-bit value as the peers print it (16 lower-case hex digits).
inline std::string hex(std::uint64_t v) {
    static const char* digits = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 0xf];
    return s;
}

/// Closes `first`, starts a writer of another schema on `topic`, publishes one frame and expects
/// the peer waiter `reader` (attached to `first`) to read it with the new schema.
inline void expect_waiter_follows_a_new_writer(smx::Writer& first, smx::Participant& participant,
                                               const std::string& topic, Child& reader) {
    first.close();
    const smx::Schema rgbd = smx::pattern::rgbd_schema(64, 48);
    smx::Writer second(participant, topic, rgbd);
    ASSERT_TRUE(write_frame(second));
    const auto frame = reader.wait_for_line("FRAME ", std::chrono::seconds(15));
    ASSERT_TRUE(frame) << reader.transcript();
    EXPECT_EQ(*frame, "FRAME 1 session=" + hex(second.session()) + " ok=1 schema=" + rgbd.to_string());
}

/// The "k=v" words of a line ("RESULT accepted=3 bad=0 ..."), numeric values only.
inline std::map<std::string, std::uint64_t> values(const std::string& line) {
    std::map<std::string, std::uint64_t> out;
    std::istringstream in(line);
    std::string word;
    while (in >> word) {
        const auto eq = word.find('=');
        if (eq == std::string::npos) continue;
        try {
            out[word.substr(0, eq)] = std::stoull(word.substr(eq + 1));
        } catch (const std::exception&) {
            // not a number (e.g. schema=...): ignored
        }
    }
    return out;
}

/// The whitespace-separated words of a line.
inline std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

/// At the end of a test its topic must have left nothing in /dev/shm. The test asserts that
/// itself; this guard only removes leftovers of a test that failed half-way, so that one
/// failure does not leak into the machine.
class ShmGuard {
public:
    explicit ShmGuard(std::string topic) : m_topic(std::move(topic)) {}
    ~ShmGuard() {
        for (const auto& name : shm_entries_containing(m_topic)) ::shm_unlink(("/" + name).c_str());
    }
    ShmGuard(const ShmGuard&) = delete;
    ShmGuard& operator=(const ShmGuard&) = delete;

private:
    std::string m_topic;
};

}  // namespace smx::test
