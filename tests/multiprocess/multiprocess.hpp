#pragma once
// Helpers shared by the multi-process tests: peer paths, parsing of the "KEY k=v ..." lines the
// peers print, and a guard that leaves no shared memory behind even when a test fails.

#include "support.hpp"

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
