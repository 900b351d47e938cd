#pragma once
// Shared by the fuzz targets (fuzz/*.cpp): reading structured values out of the fuzzer's bytes,
// shared memory objects named for this process only (removed even when a check throws), and
// the check that aborts (what libFuzzer and the replay test see as a failure).
//
// Plain C++: the targets also build with the normal compiler, without libFuzzer, for the
// corpus replay of `make test` (fuzz/replay_main.cpp).

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace smx::fuzz {

/// A property the target checks failed: print it and abort (a crash for libFuzzer).
[[noreturn]] inline void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "smx fuzz check failed: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
    std::abort();
}

inline void check(bool ok, const char* what, const std::string& detail = {}) {
    if (!ok) fail(what, detail);
}

/// With SMX_FUZZ_VERBOSE set, says what an input led to (for looking at one input, not for
/// fuzzing: it is slow).
inline bool verbose() {
    static const bool on = std::getenv("SMX_FUZZ_VERBOSE") != nullptr;
    return on;
}

inline void note(const std::string& what) {
    if (verbose()) std::fprintf(stderr, "  %s\n", what.c_str());
}

/// Reads values front to back; past the end everything reads as zero/empty (never throws).
class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : m_p(data), m_n(size) {}

    std::size_t remaining() const noexcept { return m_n; }

    std::uint8_t u8() noexcept {
        if (m_n == 0) return 0;
        --m_n;
        return *m_p++;
    }
    std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
    std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(u16()) | (static_cast<std::uint32_t>(u16()) << 16); }
    std::uint64_t u64() noexcept { return static_cast<std::uint64_t>(u32()) | (static_cast<std::uint64_t>(u32()) << 32); }

    /// Up to `n` bytes (fewer at the end).
    std::string bytes(std::size_t n) {
        n = std::min(n, m_n);
        std::string s(reinterpret_cast<const char*>(m_p), n);
        m_p += n;
        m_n -= n;
        return s;
    }
    /// A length byte (at most `max`), then that many bytes.
    std::string str(std::size_t max = 255) { return bytes(std::min<std::size_t>(u8(), max)); }
    /// Everything left.
    std::vector<std::uint8_t> rest() {
        std::vector<std::uint8_t> v(m_p, m_p + m_n);
        m_p += m_n;
        m_n = 0;
        return v;
    }

private:
    const std::uint8_t* m_p;
    std::size_t m_n;
};

/// "smx-fuzz-<pid>": every shm object a fuzz process makes has this in its name, so that
/// parallel fuzzers (and a replay test next to a fuzzer) never share one.
inline std::string process_tag() { return "smx-fuzz-" + std::to_string(::getpid()); }

/// Removes the shm objects of fuzz processes that no longer run (a crash found by the fuzzer
/// ends the process before its clean-up). Objects of live processes are left alone.
inline void remove_stale_objects() {
    DIR* dir = ::opendir("/dev/shm");
    if (!dir) return;
    std::vector<std::string> stale;
    while (const dirent* e = ::readdir(dir)) {
        const char* tag = std::strstr(e->d_name, "smx-fuzz-");
        if (!tag) continue;
        char* end = nullptr;
        const long pid = std::strtol(tag + 9, &end, 10);
        if (end == tag + 9 || pid <= 0) continue;
        if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) stale.emplace_back(e->d_name);
    }
    ::closedir(dir);
    for (const std::string& name : stale) ::shm_unlink(("/" + name).c_str());
}

/// A shm object with the given contents and size (larger: a hole at the end; smaller: the
/// contents cut), unlinked on destruction whatever happened in between.
class ShmFile {
public:
    /// `sparse`: pages of zeros are not written and the rest of `size` is not reserved (left as
    /// holes); otherwise every byte is allocated. ok() is false if the object could not
    /// be made (a full /dev/shm): the input is then skipped.
    ShmFile(std::string name, const std::vector<std::uint8_t>& contents, std::uint64_t size, bool sparse)
        : m_name(std::move(name)) {
        ::shm_unlink(m_name.c_str());  // a leftover of this pid's predecessor
        const int fd = ::shm_open(m_name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) return;
        m_made = true;
        bool ok = true;
        constexpr std::size_t PAGE = 4096;
        for (std::size_t off = 0; ok && off < contents.size(); off += PAGE) {
            const std::size_t n = std::min(PAGE, contents.size() - off);
            const std::uint8_t* p = contents.data() + off;
            if (sparse && std::all_of(p, p + n, [](std::uint8_t b) { return b == 0; })) continue;
            ok = ::pwrite(fd, p, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n);
        }
        ok = ok && ::ftruncate(fd, static_cast<off_t>(size)) == 0;
        // Not sparse: every byte backed, as a genuine writer's (posix_fallocate), so that inputs
        // reach the checks past the one for holes.
        if (ok && !sparse && size > 0) ok = ::posix_fallocate(fd, 0, static_cast<off_t>(size)) == 0;
        ::close(fd);
        m_ok = ok;
    }
    ~ShmFile() {
        if (m_made) ::shm_unlink(m_name.c_str());
    }
    ShmFile(const ShmFile&) = delete;
    ShmFile& operator=(const ShmFile&) = delete;

    bool ok() const noexcept { return m_ok; }
    const std::string& name() const noexcept { return m_name; }

private:
    std::string m_name;
    bool m_made = false;
    bool m_ok = false;
};

}  // namespace smx::fuzz
