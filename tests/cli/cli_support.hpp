#pragma once
// What the tests of the `smx` tool share: running the real executable with a bound on its time,
// an smx_test_peer writer process, PNG decoding, temporary files. Header-only: each test file of
// smx_cli_tests includes it.

#include "multiprocess.hpp"
#include "pattern.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>
#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <regex>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace std::chrono_literals;
using smx::test::Child;
using smx::test::ShmGuard;

namespace {

const std::string SMX = SMX_CLI_PATH;

// Asking a writer that was killed to quit writes to a closed pipe: an error, not a signal.
const bool SIGPIPE_IGNORED = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();

// ---- running the tool ------------------------------------------------------------------------

struct ToolRun {
    int status = -1000;  // exit code, -signal if killed, -1000 if it had to be killed (timeout)
    std::string out, err;
};

// Runs `smx args...` to completion (killed by pid after `timeout`), capturing stdout and stderr.
inline ToolRun run_smx(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 60s) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<std::string> argv{SMX};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, SMX.c_str(), &fa, nullptr, cargs.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    ToolRun r;
    if (rc != 0) {
        ::close(out[0]);
        ::close(err[0]);
        throw std::runtime_error("posix_spawn " + SMX + ": " + std::strerror(rc));
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    int open_fds = 2;
    bool timed_out = false;
    while (open_fds > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        const int n = ::poll(fds, 2, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(got));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    if (timed_out) ::kill(pid, SIGKILL);
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (timed_out)
        r.status = -1000;
    else if (WIFEXITED(st))
        r.status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        r.status = -WTERMSIG(st);
    return r;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto nl = text.find('\n', start);
        out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    return out;
}

inline std::string describe(const ToolRun& r) { return "status " + std::to_string(r.status) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err; }

// ---- a writer process --------------------------------------------------------------------

// An smx_test_peer writer (role `writer`, or another writer role): started with `args`, READY
// parsed. Destruction asks it to quit and waits (bounded) for it; its Child kills it by pid if it
// did not.
class PeerWriter {
public:
    PeerWriter(const std::string& topic, std::vector<std::string> args, const std::string& role = "writer") {
        std::vector<std::string> argv{smx::test::peer(), role, "--topic", topic};
        argv.insert(argv.end(), args.begin(), args.end());
        m_child = std::make_unique<Child>(argv);
        const auto ready = m_child->wait_for_line("READY", 30s);
        if (!ready) throw std::runtime_error("writer of " + topic + " did not start: " + m_child->transcript());
        const auto w = smx::test::words(*ready);  // READY <pid> <segment> <session>
        m_pid = std::stol(w.at(1));
        m_segment = w.at(2);
        m_session = w.at(3);
    }
    ~PeerWriter() { stop(); }

    /// Asks the writer to quit and returns its exit code (nullopt if it had to be killed).
    std::optional<int> stop() {
        if (!m_child) return m_code;
        m_child->send_line("quit");
        m_code = m_child->exit_code(15s);
        m_child.reset();
        return m_code;
    }
    bool wait_published(std::chrono::milliseconds timeout = 30s) { return m_child->wait_for_line("PUBLISHED", timeout).has_value(); }
    Child& child() { return *m_child; }
    long pid() const { return m_pid; }
    const std::string& segment() const { return m_segment; }
    const std::string& session() const { return m_session; }

private:
    std::unique_ptr<Child> m_child;
    std::optional<int> m_code;
    long m_pid = 0;
    std::string m_segment, m_session;
};

// ---- PNG decoding (libpng, as the tool encodes) ---------------------------------------------

struct Png {
    std::uint32_t width = 0, height = 0;
    int channels = 0, bit_depth = 0;
    std::vector<std::uint8_t> pixels;  // 16-bit samples in native byte order
    std::map<std::string, std::string> text;
    std::string error;
};

inline Png read_png(const std::string& path) {
    Png result;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        result.error = "cannot open " + path;
        return result;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    std::vector<png_bytep> rows;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        std::fclose(f);
        result.error = "libpng could not decode " + path;
        return result;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    result.width = png_get_image_width(png, info);
    result.height = png_get_image_height(png, info);
    result.bit_depth = png_get_bit_depth(png, info);
    result.channels = png_get_channels(png, info);
    if (result.bit_depth == 16) png_set_swap(png);
    png_read_update_info(png, info);
    const std::size_t row_bytes = png_get_rowbytes(png, info);
    result.pixels.resize(row_bytes * result.height);
    rows.resize(result.height);
    for (std::uint32_t y = 0; y < result.height; ++y) rows[y] = result.pixels.data() + y * row_bytes;
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    png_textp text = nullptr;
    int count = 0;
    png_get_text(png, info, &text, &count);
    for (int i = 0; i < count; ++i) result.text[text[i].key] = text[i].text;
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(f);
    return result;
}

// A file name in the test's temporary directory, removed by the guard.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name, const std::string& extension = ".png") {
        const char* dir = std::getenv("TMPDIR");
        path = std::string(dir && *dir ? dir : "/tmp") + "/" + name + extension;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

// The bytes of field `field` of pattern frame `frame` (what the peer writer wrote).
inline std::vector<std::byte> pattern_bytes(const smx::Schema& schema, std::size_t field, std::uint64_t frame) {
    std::vector<std::byte> bytes(schema[field].nbytes());
    smx::pattern::fill(bytes, frame, field);
    return bytes;
}

// The frame number in "wrote <path>: field '<f>' of topic '<t>', frame <n>, ...".
inline std::uint64_t snapshot_frame(const std::string& out) {
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(", frame ([0-9]+),"))) return 0;
    return std::stoull(m[1]);
}

// The rgbd schema of the peer (848x480): field indices.
constexpr std::size_t COLOR = 1, DEPTH = 2;

}  // namespace
