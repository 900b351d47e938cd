#pragma once
// Processes and signals for the `smx` tool and `smx-bench`: child processes re-executed from this binary with
// a report pipe, stop signals turned into something a loop can wait on, and line I/O on pipes.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <atomic>
#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <sys/types.h>

namespace smx::cli {

/// Descriptor on which a spawned child finds its report pipe.
inline constexpr int CHILD_REPORT_FD = 3;

/// SIGINT, SIGTERM and SIGHUP: the signals that ask smx to stop cleanly.
sigset_t stop_signal_set();

/// Blocks the stop signals in the calling thread. Call first thing in main's thread: threads
/// created afterwards (Cyclone's) inherit the mask, so a stop signal is only ever taken by
/// whoever waits for it, never acted on by default in a thread that cannot clean up.
void block_stop_signals();

/// For a child: asks the kernel for SIGTERM when `parent` dies, so a parent killed without
/// cleanup still takes its children down (they then clean up as on any stop signal), and
/// ignores SIGPIPE so that reporting to the dead parent cannot cut that cleanup short.
void stop_with_parent(pid_t parent);

/// Turns the (blocked) stop signals into a flag, a callback and a cancellable wait, on a thread
/// of its own. Signals must be blocked (block_stop_signals) before any thread starts.
class StopSignal {
public:
    /// `on_stop` runs on the signal thread when a stop signal arrives (e.g. Reader::interrupt).
    explicit StopSignal(std::function<void()> on_stop = {});
    /// Ends the signal thread (without calling on_stop) and joins it.
    ~StopSignal();
    StopSignal(const StopSignal&) = delete;
    StopSignal& operator=(const StopSignal&) = delete;

    bool requested() const noexcept { return m_requested.load(std::memory_order_acquire); }
    /// Waits until `deadline` or a stop request, whichever comes first; returns requested().
    bool wait_until(std::chrono::steady_clock::time_point deadline);

private:
    void watch();

    std::function<void()> m_on_stop;
    std::atomic<bool> m_requested{false};
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_closing = false;
    std::thread m_thread;
};

/// The stop signals as a pollable descriptor (signalfd), for a supervisor's poll loop.
/// Blocks the stop signals in the calling thread.
class SignalFd {
public:
    SignalFd();
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    int fd() const noexcept { return m_fd; }
    /// Consumes one pending signal; returns its number (0 if none was pending).
    int take() noexcept;

private:
    int m_fd = -1;
};

/// A child process running this same executable with `args`, its CHILD_REPORT_FD connected to
/// a pipe the parent reads. Destruction kills it (SIGKILL, by pid) and reaps it if that has not
/// happened yet, so no exit path of the parent leaves a child behind.
class ChildProcess {
public:
    /// Spawns "/proc/self/exe args..." with the stop signals blocked (the child waits for
    /// them) and their default actions restored. Throws smx::SystemError naming `name`.
    ChildProcess(std::string name, const std::vector<std::string>& args);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    const std::string& name() const noexcept { return m_name; }
    pid_t pid() const noexcept { return m_pid; }
    /// Read end of the report pipe (non-blocking, close-on-exec).
    int report_fd() const noexcept { return m_report_fd; }

    /// Sends `sig` to the child's pid; does nothing once it was reaped (its pid may be reused).
    void signal(int sig) noexcept;
    /// Waits for the child to end and returns its wait status. Call when it is known to be
    /// ending (its report pipe reached EOF, or after SIGKILL).
    int reap() noexcept;
    /// SIGKILL by pid, then reap.
    int kill_and_reap() noexcept;
    /// The wait status once reaped.
    std::optional<int> status() const noexcept { return m_status; }

private:
    std::string m_name;
    pid_t m_pid = -1;
    int m_report_fd = -1;
    std::optional<int> m_status;
};

/// "exited with status 3", "was killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

/// Splits what arrives on a non-blocking descriptor into lines.
class LineReader {
public:
    /// Appends the complete lines now readable from `fd` (without '\n') to `lines`.
    /// Returns false once the writing side has closed and everything was read.
    bool read_lines(int fd, std::vector<std::string>& lines);

private:
    std::string m_partial;
};

/// Writes `line` plus '\n' to `fd` in one write (pipes keep writes under PIPE_BUF whole, so
/// lines never interleave). Newlines inside `line` become spaces. Errors are ignored: a report
/// nobody reads any more is not worth failing for.
void write_line(int fd, std::string line) noexcept;

}  // namespace smx::cli
