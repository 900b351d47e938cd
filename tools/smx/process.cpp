#include "process.hpp"

#include <smx/error.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace smx::cli {

namespace {

[[noreturn]] void throw_system_error(int error_number, const std::string& what) {
    throw SystemError(error_number, what + ": " + std::strerror(error_number));
}

// Owns the spawn attributes and file actions for the duration of one posix_spawn call.
class SpawnSetup {
public:
    explicit SpawnSetup(int report_write_fd) {
        posix_spawnattr_init(&m_attr);
        posix_spawn_file_actions_init(&m_actions);
        // The child waits for stop signals itself (StopSignal), so they start blocked; and it
        // must not inherit an "ignore" of ours (nohup, a shell's background job) for any of them.
        sigset_t blocked = stop_signal_set();
        sigset_t defaults = stop_signal_set();
        sigaddset(&defaults, SIGPIPE);
        posix_spawnattr_setsigmask(&m_attr, &blocked);
        posix_spawnattr_setsigdefault(&m_attr, &defaults);
        posix_spawnattr_setflags(&m_attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawn_file_actions_adddup2(&m_actions, report_write_fd, CHILD_REPORT_FD);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&m_actions);
        posix_spawnattr_destroy(&m_attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

    const posix_spawnattr_t* attr() const noexcept { return &m_attr; }
    const posix_spawn_file_actions_t* actions() const noexcept { return &m_actions; }

private:
    posix_spawnattr_t m_attr;
    posix_spawn_file_actions_t m_actions;
};

// A pipe whose write end is above CHILD_REPORT_FD: dup2 onto the same number would keep
// close-on-exec set, and the child would start without its report descriptor.
struct ReportPipe {
    int read_fd = -1;
    int write_fd = -1;
};

ReportPipe make_report_pipe(const std::string& name) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_system_error(errno, "creating the report pipe of " + name);
    ReportPipe p{fds[0], fds[1]};
    if (p.write_fd <= CHILD_REPORT_FD) {
        const int moved = ::fcntl(p.write_fd, F_DUPFD_CLOEXEC, CHILD_REPORT_FD + 1);
        const int error_number = errno;
        ::close(p.write_fd);
        if (moved < 0) {
            ::close(p.read_fd);
            throw_system_error(error_number, "creating the report pipe of " + name);
        }
        p.write_fd = moved;
    }
    ::fcntl(p.read_fd, F_SETFL, ::fcntl(p.read_fd, F_GETFL) | O_NONBLOCK);
    return p;
}

}  // namespace

sigset_t stop_signal_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

void block_stop_signals() {
    const sigset_t set = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void stop_with_parent(pid_t parent) {
    if (parent <= 0) return;
    // A last report to a parent that died must fail quietly, not kill us with SIGPIPE before
    // we closed cleanly (a writer must remove its segment, a reader leave DDS politely).
    std::signal(SIGPIPE, SIG_IGN);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // The parent may have died before prctl took effect; then no signal will ever come.
    if (::getppid() != parent) ::kill(::getpid(), SIGTERM);
}

// ---- StopSignal --------------------------------------------------------------------------

StopSignal::StopSignal(std::function<void()> on_stop) : m_on_stop(std::move(on_stop)) {
    m_thread = std::thread([this] { watch(); });
}

StopSignal::~StopSignal() {
    {
        std::lock_guard lock(m_mutex);
        m_closing = true;
    }
    // A thread-directed SIGTERM wakes only our sigwait; m_closing tells it not to act on it.
    pthread_kill(m_thread.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread): see above
    m_thread.join();
}

void StopSignal::watch() {
    const sigset_t set = stop_signal_set();
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;  // only fails for an invalid set
    {
        std::lock_guard lock(m_mutex);
        if (m_closing) return;
        m_requested.store(true, std::memory_order_release);
    }
    m_changed.notify_all();
    if (m_on_stop) m_on_stop();
}

bool StopSignal::wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_mutex);
    m_changed.wait_until(lock, deadline, [this] { return requested(); });
    return requested();
}

// ---- SignalFd ----------------------------------------------------------------------------

SignalFd::SignalFd() {
    const sigset_t set = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    m_fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (m_fd < 0) throw_system_error(errno, "signalfd for SIGINT/SIGTERM/SIGHUP");
}

SignalFd::~SignalFd() {
    if (m_fd >= 0) ::close(m_fd);
}

int SignalFd::take() noexcept {
    signalfd_siginfo info{};
    if (::read(m_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return 0;
    return static_cast<int>(info.ssi_signo);
}

// ---- ChildProcess ------------------------------------------------------------------------

ChildProcess::ChildProcess(std::string name, const std::vector<std::string>& args) : m_name(std::move(name)) {
    const ReportPipe pipe = make_report_pipe(m_name);
    // argv[0] as ours (smx, smx-bench): what ps shows of the child.
    std::vector<std::string> argv_strings{program_invocation_short_name};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    int rc = 0;
    {
        const SpawnSetup setup(pipe.write_fd);
        rc = ::posix_spawn(&m_pid, "/proc/self/exe", setup.actions(), setup.attr(), argv.data(), environ);
    }
    // Only the child may hold the write end, or the parent would never see EOF when it exits.
    ::close(pipe.write_fd);
    if (rc != 0) {
        ::close(pipe.read_fd);
        throw_system_error(rc, "starting the " + m_name + " process (posix_spawn /proc/self/exe)");
    }
    m_report_fd = pipe.read_fd;
}

ChildProcess::~ChildProcess() {
    if (!m_status) kill_and_reap();
    if (m_report_fd >= 0) ::close(m_report_fd);
}

void ChildProcess::signal(int sig) noexcept {
    if (!m_status && m_pid > 0) ::kill(m_pid, sig);
}

int ChildProcess::reap() noexcept {
    if (m_status) return *m_status;
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_status = status;
    return status;
}

int ChildProcess::kill_and_reap() noexcept {
    signal(SIGKILL);
    return reap();
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return "ended with wait status " + std::to_string(status);
}

// ---- line I/O ----------------------------------------------------------------------------

bool LineReader::read_lines(int fd, std::vector<std::string>& lines) {
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            m_partial.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        std::size_t start = 0;
        for (std::size_t end; (end = m_partial.find('\n', start)) != std::string::npos; start = end + 1)
            lines.push_back(m_partial.substr(start, end - start));
        m_partial.erase(0, start);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;  // EOF, or an error that ends the stream all the same
    }
}

void write_line(int fd, std::string line) noexcept {
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    line += '\n';
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace smx::cli
