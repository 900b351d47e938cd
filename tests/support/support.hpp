#pragma once
// Helpers for tests: unique topic names, child processes with bounded waits, shm inspection.

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace smx::test {

/// A topic name no other test (or concurrent run) uses: "<prefix>_<pid>_<counter>_<random>".
std::string unique_topic(const std::string& prefix);

/// The DDS domain of this test run: SMX_DOMAIN (`make test` picks one per run, so concurrent
/// runs and other work on the machine never meet in domain 0), else 0. The library's default
/// domain is the same (smx::default_domain()).
int test_domain();

/// "/smx.<test_domain()>." — the start of the shm name of every topic of the test domain.
std::string shm_prefix();

/// Names in /dev/shm (without leading '/') that contain `needle`.
std::vector<std::string> shm_entries_containing(const std::string& needle);

/// Path of a helper binary built next to the tests (e.g. "smx_test_peer").
std::string helper_path(const std::string& name);

/// Waits up to `timeout` for child `pid` to exit and reaps it: its wait status, or nullopt if it
/// is still running (waitpid has no timeout; this polls a pidfd).
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);

/// A child process started with posix_spawn, its stdout readable line by line.
/// Destruction kills it (SIGKILL, by pid) and reaps it: a test never leaves a process behind.
class Child {
public:
    explicit Child(const std::vector<std::string>& argv, bool capture_stdout = true);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const noexcept { return m_pid; }
    /// Next line of stdout (without '\n'), or nullopt on EOF or timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Reads lines until one starts with `prefix`; returns it, or nullopt on EOF/timeout.
    std::optional<std::string> wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout);
    /// Writes a line to the child's stdin.
    void send_line(const std::string& line);
    /// Sends a signal to the child's pid.
    void signal(int sig);
    /// Waits up to `timeout` for the child to exit; returns its wait status, nullopt if still running.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    /// Exit code if it exited normally, -signal if killed, nullopt if still running after timeout.
    std::optional<int> exit_code(std::chrono::milliseconds timeout);
    /// Everything read from stdout so far.
    const std::string& transcript() const noexcept { return m_transcript; }

private:
    pid_t m_pid = -1;
    int m_stdout = -1;
    int m_stdin = -1;
    std::string m_buffer;
    std::string m_transcript;
    bool m_reaped = false;
    int m_status = 0;
};

}  // namespace smx::test
