#include "shm/process.hpp"

#include "shm/shm_object.hpp"

#include <smx/error.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pwd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace smx::detail {

namespace {
struct ProcStat {
    bool readable = false;
    std::uint64_t start_time = 0;
};

ProcStat read_proc_stat(pid_t pid) noexcept {
    ProcStat st;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return st;
    char buf[1024];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return st;
    buf[n] = '\0';
    // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
    const char* p = std::strrchr(buf, ')');
    if (!p || p[1] != ' ') return st;
    ++p;
    // After ')' come fields 3..; the start time is field 22.
    for (int field = 3; field < 22; ++field) {
        p = std::strchr(p + 1, ' ');
        if (!p) return st;
    }
    st.start_time = std::strtoull(p + 1, nullptr, 10);
    st.readable = true;
    return st;
}
}  // namespace

std::uint64_t process_start_time(pid_t pid) noexcept {
    const ProcStat st = read_proc_stat(pid);
    return st.readable ? st.start_time : 0;
}

std::string host_name() {
    utsname u{};
    if (::uname(&u) != 0) return "unknown";
    return u.nodename;
}

std::string machine_id() {
    // Both facts are fixed for the life of the process (short of it changing mount namespace).
    static const std::string id = [] {
        std::string boot = "unknown";
        if (std::FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "re")) {
            char line[64] = {};
            if (std::fgets(line, sizeof line, f) != nullptr) {
                boot = line;
                while (!boot.empty() && (boot.back() == '\n' || boot.back() == ' ')) boot.pop_back();
            }
            std::fclose(f);
        }
        struct stat st {};
        std::string dev = "none";
        if (::stat(shm_directory(), &st) == 0)
            dev = std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
        return boot + "/" + dev;
    }();
    return id;
}

std::uint64_t random_u64() {
    std::uint64_t v = 0;
    auto* p = reinterpret_cast<unsigned char*>(&v);
    std::size_t got = 0;
    while (got < sizeof v) {
        const ssize_t n = ::getrandom(p + got, sizeof v - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SystemError(errno, std::string("getrandom: ") + std::strerror(errno));
        }
        got += static_cast<std::size_t>(n);
    }
    return v;
}

std::int64_t realtime_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string user_label(std::uint32_t uid) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    char buf[1024];
    if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr)
        return std::to_string(uid) + " (" + found->pw_name + ")";
    return std::to_string(uid);
}

}  // namespace smx::detail
