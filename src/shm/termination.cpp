#include "shm/termination.hpp"

#include "fork.hpp"
#include "shm/doorbell.hpp"
#include "shm/segment.hpp"

#include <array>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace smx::detail::termination {

namespace {

constexpr int CAPACITY = 1024;
constexpr std::array<int, 3> SIGNALS = {SIGTERM, SIGINT, SIGHUP};

struct Watched {
    std::atomic<const Segment*> segment{nullptr};  // set last, cleared first
    std::atomic<std::uint64_t> generation{0};      // fork generation of the writer's process
    std::uint64_t inode = 0;                       // of the writer's object: unlink only that one
    char path[300] = {};                           // "/dev/shm/<name>", for unlink()
};

Watched g_watched[CAPACITY];
std::mutex g_mutex;  // registrations (not the handler)
bool g_installed = false;
bool g_disabled = false;

static_assert(std::atomic<const Segment*>::is_always_lock_free);

// Async-signal-safe: atomics, futex wake (Doorbell::close), stat, unlink, signal, raise.
void on_signal(int sig) {
    const std::uint64_t generation = fork_generation();
    for (Watched& w : g_watched) {
        const Segment* segment = w.segment.load(std::memory_order_acquire);
        // A forked child's copy of its parent's writers is not its to close.
        if (segment == nullptr || w.generation.load(std::memory_order_relaxed) != generation) continue;
        // Only our own object: if someone removed it and a new writer took the name, the name is
        // the new writer's (Segment::unlink checks the same).
        struct stat st {};
        if (::stat(w.path, &st) == 0 && static_cast<std::uint64_t>(st.st_ino) == w.inode) ::unlink(w.path);
        Doorbell(*segment).close();
    }
    // The default action, which the application never replaced: end the process with `sig`.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void install_locked() {
    g_installed = true;
    const char* off = std::getenv("SMX_NO_SIGNAL_HANDLERS");
    // The first process of a PID namespace (a container's entry point without an init) ignores
    // these signals while their action is the default: re-raising would not end it, so it would
    // live on with closed writers. Left alone, it keeps working writers, as without smx.
    if ((off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0) || ::getpid() == 1) {
        g_disabled = true;
        return;
    }
    for (int sig : SIGNALS) {
        struct sigaction current {};
        if (::sigaction(sig, nullptr, &current) != 0) continue;
        if ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_DFL) continue;  // the application's
        struct sigaction sa {};
        sa.sa_handler = &on_signal;
        sigemptyset(&sa.sa_mask);
        for (int other : SIGNALS) sigaddset(&sa.sa_mask, other);  // one cleanup at a time
        sa.sa_flags = SA_RESTART;
        ::sigaction(sig, &sa, nullptr);
    }
}

}  // namespace

int watch(const Segment& segment) noexcept {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_installed) install_locked();
    if (g_disabled) return -1;
    const std::string path = std::string(shm_directory()) + segment.name();
    if (path.size() >= sizeof(Watched::path)) return -1;
    for (int i = 0; i < CAPACITY; ++i) {
        Watched& w = g_watched[i];
        if (w.segment.load(std::memory_order_relaxed) != nullptr) continue;
        std::memcpy(w.path, path.c_str(), path.size() + 1);
        w.inode = segment.inode();
        w.generation.store(fork_generation(), std::memory_order_relaxed);
        w.segment.store(&segment, std::memory_order_release);
        return i;
    }
    return -1;
}

void forget(int registration) noexcept {
    if (registration < 0 || registration >= CAPACITY) return;
    std::lock_guard<std::mutex> lock(g_mutex);
    g_watched[registration].segment.store(nullptr, std::memory_order_release);
}

}  // namespace smx::detail::termination
