#include "support.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <random>
#include <spawn.h>
#include <stdexcept>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace smx::test {

int test_domain() {
    const char* env = std::getenv("SMX_DOMAIN");
    return env && *env ? std::atoi(env) : 0;
}

std::string shm_prefix() { return "/smx." + std::to_string(test_domain()) + "."; }

std::string unique_topic(const std::string& prefix) {
    static std::atomic<int> counter{0};
    std::random_device rd;
    return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(rd() % 100000);
}

std::vector<std::string> shm_entries_containing(const std::string& needle) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir("/dev/shm")) {
        while (dirent* e = ::readdir(d))
            if (std::strstr(e->d_name, needle.c_str())) out.emplace_back(e->d_name);
        ::closedir(d);
    }
    return out;
}

std::string helper_path(const std::string& name) {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw std::runtime_error("readlink /proc/self/exe failed");
    self[n] = '\0';
    std::string dir(self);
    dir.resize(dir.rfind('/'));
    return dir + "/" + name;
}

Child::Child(const std::vector<std::string>& argv, bool capture_stdout) {
    int out[2] = {-1, -1}, in[2] = {-1, -1};
    if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (capture_stdout && ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    if (capture_stdout) posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&m_pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    m_stdin = in[1];
    if (capture_stdout) {
        ::close(out[1]);
        m_stdout = out[0];
    }
    if (rc != 0) {
        m_pid = -1;
        throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    }
}

Child::~Child() {
    if (m_pid > 0 && !m_reaped) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &m_status, 0);
    }
    if (m_stdout >= 0) ::close(m_stdout);
    if (m_stdin >= 0) ::close(m_stdin);
}

std::optional<std::string> Child::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto nl = m_buffer.find('\n');
        if (nl != std::string::npos) {
            std::string line = m_buffer.substr(0, nl);
            m_buffer.erase(0, nl + 1);
            return line;
        }
        if (m_stdout < 0) return std::nullopt;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p{m_stdout, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        char buf[4096];
        const ssize_t n = ::read(m_stdout, buf, sizeof buf);
        if (n <= 0) {
            ::close(m_stdout);
            m_stdout = -1;
            if (!m_buffer.empty()) {
                std::string line;
                line.swap(m_buffer);
                return line;
            }
            return std::nullopt;
        }
        m_buffer.append(buf, static_cast<std::size_t>(n));
        m_transcript.append(buf, static_cast<std::size_t>(n));
    }
}

std::optional<std::string> Child::wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto line = read_line(left);
        if (!line) return std::nullopt;
        if (line->rfind(prefix, 0) == 0) return line;
    }
}

void Child::send_line(const std::string& line) {
    const std::string data = line + "\n";
    if (::write(m_stdin, data.data(), data.size()) < 0) { /* child gone: the test will notice */ }
}

void Child::signal(int sig) {
    if (m_pid > 0 && !m_reaped) ::kill(m_pid, sig);
}

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    // waitpid has no timeout: wait for the pidfd to become readable (the child exited).
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        int r;
        do {
            r = ::poll(&p, 1, static_cast<int>(timeout.count()));
        } while (r < 0 && errno == EINTR);
        ::close(pidfd);
        if (r == 0) return std::nullopt;
    }
    int status = 0;
    if (::waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG) != pid) return std::nullopt;
    return status;
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
    if (m_reaped) return m_status;
    const auto status = wait_for_exit(m_pid, timeout);
    if (!status) return std::nullopt;
    m_status = *status;
    m_reaped = true;
    return m_status;
}

std::optional<int> Child::exit_code(std::chrono::milliseconds timeout) {
    const auto st = wait(timeout);
    if (!st) return std::nullopt;
    if (WIFEXITED(*st)) return WEXITSTATUS(*st);
    if (WIFSIGNALED(*st)) return -WTERMSIG(*st);
    return std::nullopt;
}

}  // namespace smx::test
