#include "roudi.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace smx::baseline {

namespace {

constexpr const char* READY_LINE = "RouDi is ready for clients";
constexpr auto STOP_TIMEOUT = std::chrono::seconds(10);
// Room for the chunk header and the bench's user header in every chunk (iceoryx adds its own
// header to the configured size; the margin covers the user header and alignment either way).
constexpr std::uint64_t CHUNK_MARGIN = 256;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// The executable `name` on PATH, or "" (searched here, so that the child only calls execv).
std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return "";
}

std::string config_text(const std::vector<RouDi::Pool>& pools, std::string& description) {
    std::string toml = "# smx bench: a private RouDi's mempools, sized for this run's payloads\n"
                       "[general]\nversion = 1\n\n[[segment]]\n";
    for (const RouDi::Pool& p : pools) {
        const std::uint64_t size = (p.payload_bytes + CHUNK_MARGIN + 63) / 64 * 64;
        toml += "\n[[segment.mempool]]\nsize = " + std::to_string(size) + "\ncount = " + std::to_string(p.count) + "\n";
        description += (description.empty() ? "mempools " : ", ") + std::to_string(size) + " B x " + std::to_string(p.count);
    }
    return toml;
}

// "\x1b[0;90m...\x1b[m" colour codes out of a line of RouDi's output.
std::string plain(const std::string& line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] != '\x1b') {
            out += line[i];
            continue;
        }
        while (i < line.size() && line[i] != 'm') ++i;
    }
    return out;
}

// Why RouDi ended before it was ready, in the user's words.
std::string ended_because(const std::string& output, int status) {
    if (output.find("Could not acquire lock") != std::string::npos)
        return "another RouDi is running on this host (iceoryx 2.0 allows one per host: "
               "/tmp/iox-unique-roudi.lock); it was left alone";
    std::string last = output;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
    const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(status));
    return "iox-roudi " + how + (last.empty() ? "" : ": " + last);
}

}  // namespace

RouDi::RouDi(const std::vector<Pool>& pools, std::chrono::milliseconds timeout) {
    const std::string program = find_on_path("iox-roudi");
    if (program.empty()) throw RouDiUnavailable("iox-roudi is not installed (apt-get install iceoryx)");
    // The pid in the name tells whose RouDi it is (`ps` shows the configuration's path).
    std::string dir = "/tmp/smx-bench-roudi." + std::to_string(::getpid()) + ".XXXXXX";
    if (!::mkdtemp(dir.data())) throw RouDiUnavailable(errno_text("creating a directory for RouDi's configuration"));
    m_dir = dir;
    const std::string config = m_dir + "/roudi.toml";
    std::ofstream(config) << config_text(pools, m_description);
    try {
        spawn(program, config);
        wait_ready(timeout);
    } catch (...) {
        stop();
        throw;
    }
    remove_config();  // RouDi read it at start; nothing is left in /tmp should this process be killed
}

RouDi::~RouDi() { stop(); }

// The child calls only async-signal-safe functions until execv.
void RouDi::spawn(const std::string& program, const std::string& config) {
    std::vector<std::string> args{"iox-roudi", "-c", config, "-l", "warning", "-k", "1"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw RouDiUnavailable(errno_text("a pipe for RouDi's output"));
    const pid_t parent = ::getpid();
    m_pid = ::fork();
    if (m_pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a bench killed without cleaning up takes RouDi along
        if (::getppid() != parent) ::_exit(127);
        ::setpgid(0, 0);  // not in the terminal's process group: Ctrl-C is the bench's to handle
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the bench blocks its stop signals; RouDi must get them
        ::dup2(fds[1], STDOUT_FILENO);
        ::dup2(fds[1], STDERR_FILENO);
        ::execv(program.c_str(), argv.data());
        static const char failed[] = "exec of iox-roudi failed\n";
        (void)!::write(STDERR_FILENO, failed, sizeof failed - 1);
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(fds[1]);
    m_out = fds[0];
    if (m_pid < 0) {
        errno = fork_errno;
        throw RouDiUnavailable(errno_text("fork for iox-roudi"));
    }
    m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0));
    if (m_pidfd < 0) throw RouDiUnavailable(errno_text("pidfd_open for iox-roudi"));
}

void RouDi::wait_ready(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string partial;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            throw RouDiUnavailable("iox-roudi did not report ready within " + std::to_string(timeout.count()) + " ms");
        pollfd fd{m_out, POLLIN, 0};
        if (::poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
            throw RouDiUnavailable(errno_text("poll on RouDi's output"));
        char buffer[4096];
        const ssize_t n = fd.revents ? ::read(m_out, buffer, sizeof buffer) : -1;
        if (n > 0) partial.append(buffer, static_cast<std::size_t>(n));
        m_output = plain(partial);
        if (m_output.find(READY_LINE) != std::string::npos) return;
        if (n == 0) {  // RouDi closed its output: it ended
            int status = 0;
            wait_exit(STOP_TIMEOUT);
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) m_reaped = true;
            throw RouDiUnavailable(ended_because(m_output, status));
        }
    }
}

bool RouDi::wait_exit(std::chrono::milliseconds timeout) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd fds[2] = {{m_pidfd, POLLIN, 0}, {m_out, POLLIN, 0}};
        if (::poll(fds, m_out >= 0 ? 2 : 1, static_cast<int>(std::max<long long>(left.count(), 0))) < 0 && errno != EINTR)
            return false;
        if (fds[0].revents) return true;  // the pidfd is readable once the process ended
        if (left.count() <= 0) return false;
        char buffer[4096];
        if (fds[1].revents && ::read(m_out, buffer, sizeof buffer) <= 0) {  // drained; EOF stays readable
            ::close(m_out);
            m_out = -1;
        }
    }
}

void RouDi::stop() noexcept {
    if (m_pid > 0 && !m_reaped) {
        ::kill(m_pid, SIGTERM);  // not reaped yet: the pid is still this child's
        if (!wait_exit(STOP_TIMEOUT)) {
            ::kill(m_pid, SIGKILL);
            wait_exit(STOP_TIMEOUT);
        }
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_reaped = true;
        // RouDi 2.0 aborts in its shutdown when an application it still lists died without
        // unregistering (SIGTERM to the gone pid fails, ESRCH), before it removed its files.
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) remove_leftovers();
    }
    if (m_pidfd >= 0) ::close(m_pidfd);
    if (m_out >= 0) ::close(m_out);
    m_pidfd = m_out = -1;
    remove_config();
}

void RouDi::remove_config() noexcept {
    if (m_dir.empty()) return;
    std::remove((m_dir + "/roudi.toml").c_str());
    ::rmdir(m_dir.c_str());
    m_dir.clear();
}

void RouDi::remove_application_files(const std::string& name) noexcept {
    ::unlink(("/tmp/" + name).c_str());
    ::unlink(("/tmp/" + name + ".lock").c_str());
}

// RouDi ended without removing its files; they are this RouDi's (it held the host's lock, and
// it is gone: a RouDi started since would hold them again, but none could start while ours ran).
void RouDi::remove_leftovers() noexcept {
    ::shm_unlink("/iceoryx_mgmt");
    if (const group* g = ::getgrgid(::getegid())) ::shm_unlink((std::string("/") + g->gr_name).c_str());
    for (const char* f : {"/tmp/roudi", "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock"}) ::unlink(f);
}

}  // namespace smx::baseline
