#pragma once
// Small pieces of the operating system the harness uses in several places: shared futex words,
// absolute sleeps for pacing, a process's CPU time, and pre-faulted anonymous memory.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace smx::cli::bench {

/// Throws smx::SystemError for the current errno: "<what>: <strerror>".
[[noreturn]] void throw_errno(const std::string& what);

/// Waits while `word` equals `value`, up to `timeout` (a shared futex: the word may be mapped
/// by several processes). Returns at once for a zero timeout; spurious returns are possible.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t value, std::chrono::nanoseconds timeout) noexcept;
/// Wakes every process waiting on `word`.
void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept;

/// For a child process: points stdout at stderr, so that nothing a library prints (iceoryx
/// logs there) lands in the supervisor's stdout, which is the report (or its JSON).
void keep_stdout_clean() noexcept;

/// CPU time (user + system) of this whole process so far, in ns (getrusage: all threads).
std::int64_t process_cpu_ns() noexcept;
/// Sleeps until `deadline` on CLOCK_MONOTONIC (the steady clock), absolute: pacing without drift.
void sleep_until(std::chrono::steady_clock::time_point deadline) noexcept;
/// Nanoseconds from `a` to `b`.
inline std::int64_t ns_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}
/// `seconds` as a steady-clock duration.
inline std::chrono::steady_clock::duration seconds_of(double seconds) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

/// Anonymous memory, pre-faulted (MAP_POPULATE) like smx's slots: the memcpy floor's
/// destinations and the writer's source buffers. Throws SystemError if it cannot be mapped.
class Prefaulted {
public:
    explicit Prefaulted(std::size_t bytes);
    ~Prefaulted();
    Prefaulted(const Prefaulted&) = delete;
    Prefaulted& operator=(const Prefaulted&) = delete;
    std::byte* data() const noexcept { return static_cast<std::byte*>(m_p); }
    std::size_t size() const noexcept { return m_size; }

private:
    std::size_t m_size;
    void* m_p;
};

}  // namespace smx::cli::bench
