#pragma once
// Helpers shared by the white-box unit tests of the shm layer: files in /dev/shm, forked
// children with bounded waits, and checks that nothing of a segment is left open or mapped.

#include "shm/layout.hpp"
#include "shm/segment.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace smx::unit {

/// "/dev/shm/smx.7.topic" for a shm name "/smx.7.topic".
inline std::string shm_path(const std::string& shm_name) { return std::string("/dev/shm") + shm_name; }

/// Removes a shm object by name when the test ends, whatever happened.
class ShmCleanup {
public:
    explicit ShmCleanup(std::string shm_name) : m_name(std::move(shm_name)) {}
    ~ShmCleanup() { ::shm_unlink(m_name.c_str()); }
    ShmCleanup(const ShmCleanup&) = delete;
    ShmCleanup& operator=(const ShmCleanup&) = delete;

private:
    std::string m_name;
};

inline std::optional<struct stat> stat_shm(const std::string& shm_name) {
    struct stat st {};
    if (::stat(shm_path(shm_name).c_str(), &st) != 0) return std::nullopt;
    return st;
}

inline std::vector<char> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `bytes` as a new plain file at /dev/shm<shm_name> (mode 0600), replacing nothing.
inline void write_shm_file(const std::string& shm_name, const void* bytes, std::size_t size) {
    const int fd = ::open(shm_path(shm_name).c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << shm_path(shm_name) << ": " << std::strerror(errno);
    ASSERT_EQ(::write(fd, bytes, size), static_cast<ssize_t>(size));
    ::close(fd);
}

/// Overwrites `size` bytes at `offset` of /dev/shm<shm_name> (a separate descriptor, as another
/// process would).
inline void tamper(const std::string& shm_name, std::uint64_t offset, const void* bytes, std::size_t size) {
    const int fd = ::open(shm_path(shm_name).c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0) << shm_path(shm_name) << ": " << std::strerror(errno);
    ASSERT_EQ(::pwrite(fd, bytes, size, static_cast<off_t>(offset)), static_cast<ssize_t>(size));
    ::close(fd);
}

template <class T>
void tamper_value(const std::string& shm_name, std::uint64_t offset, T value) {
    tamper(shm_name, offset, &value, sizeof value);
}

/// Lines of /proc/self/maps and targets of /proc/self/fd that mention `needle`: what this
/// process still holds of a segment.
inline std::vector<std::string> held_by_this_process(const std::string& needle) {
    std::vector<std::string> out;
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);)
        if (line.find(needle) != std::string::npos) out.push_back("map: " + line);
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (dirent* e = ::readdir(d)) {
            char target[4096];
            const std::string link = std::string("/proc/self/fd/") + e->d_name;
            const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = '\0';
            if (std::strstr(target, needle.c_str())) out.push_back("fd: " + std::string(target));
        }
        ::closedir(d);
    }
    return out;
}

/// A forked child that runs `body` and _exits with its return value (an uncaught exception
/// exits 99). Destruction kills (by pid) and reaps it. Use only from a test that has started
/// no threads of its own.
class ForkedChild {
public:
    explicit ForkedChild(const std::function<int(int report_fd)>& body) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        m_pid = ::fork();
        if (m_pid < 0) throw std::runtime_error("fork failed");
        if (m_pid == 0) {
            ::close(p[0]);
            int rc = 99;
            try {
                rc = body(p[1]);
            } catch (...) {
            }
            ::_exit(rc);
        }
        ::close(p[1]);
        m_report = p[0];
    }
    ~ForkedChild() {
        if (m_pid > 0 && !m_reaped) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_report >= 0) ::close(m_report);
    }
    ForkedChild(const ForkedChild&) = delete;
    ForkedChild& operator=(const ForkedChild&) = delete;

    pid_t pid() const noexcept { return m_pid; }

    /// Reads one byte the child wrote to its report fd; nullopt on EOF or timeout.
    std::optional<char> read_report(std::chrono::milliseconds timeout) {
        pollfd p{m_report, POLLIN, 0};
        int r;
        do {
            r = ::poll(&p, 1, static_cast<int>(timeout.count()));
        } while (r < 0 && errno == EINTR);
        char c;
        if (r <= 0 || ::read(m_report, &c, 1) != 1) return std::nullopt;
        return c;
    }

    /// Reads what the child writes to its report fd until it closes it (exit) or `timeout`.
    std::string read_text(std::chrono::milliseconds timeout) {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return out;
            pollfd p{m_report, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return out;
            char buf[1024];
            const ssize_t n = ::read(m_report, buf, sizeof buf);
            if (n <= 0) return out;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

    /// Waits up to `timeout` for the child to end; its wait status, or nullopt if still running.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        if (m_reaped) return m_status;
        const auto status = smx::test::wait_for_exit(m_pid, timeout);
        if (!status) return std::nullopt;
        m_status = *status;
        m_reaped = true;
        return m_status;
    }

    void kill(int sig) {
        if (m_pid > 0 && !m_reaped) ::kill(m_pid, sig);
    }

private:
    pid_t m_pid = -1;
    int m_report = -1;
    bool m_reaped = false;
    int m_status = 0;
};

/// Human-readable wait status for assertion messages.
inline std::string describe_status(const std::optional<int>& status) {
    if (!status) return "still running";
    if (WIFEXITED(*status)) return "exited with " + std::to_string(WEXITSTATUS(*status));
    if (WIFSIGNALED(*status)) return std::string("killed by ") + strsignal(WTERMSIG(*status));
    return "status " + std::to_string(*status);
}

/// Runs `f`, expecting exception E; returns its message ("" and a test failure otherwise).
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
    return {};
}

}  // namespace smx::unit
