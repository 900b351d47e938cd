#include "shm/bus_guard.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <sys/mman.h>

namespace smx::detail::bus_guard {

namespace {

// A reader process holds two mappings per attached topic; tools inspecting every segment of a
// busy host hold one each, briefly.
constexpr int CAPACITY = 4096;

struct Range {
    std::atomic<bool> used{false};
    std::atomic<std::uintptr_t> start{0};  // 0: not (yet) watched; stored last
    std::atomic<std::size_t> length{0};
    std::atomic<bool> writable{false};
    std::atomic<bool> hit{false};
};

Range g_ranges[CAPACITY];
struct sigaction g_previous {};
std::once_flag g_installed;

static_assert(std::atomic<std::uintptr_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the handler may only use lock-free atomics");

// Async-signal-safe: lock-free loads and stores, mmap and sigaction.
void on_sigbus(int sig, siginfo_t* info, void* context) {
    const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
    for (Range& r : g_ranges) {
        const std::uintptr_t start = r.start.load(std::memory_order_acquire);
        if (start == 0 || addr < start || addr - start >= r.length.load(std::memory_order_relaxed)) continue;
        const int prot = r.writable.load(std::memory_order_relaxed) ? PROT_READ | PROT_WRITE : PROT_READ;
        void* p = ::mmap(reinterpret_cast<void*>(start), r.length.load(std::memory_order_relaxed), prot,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != MAP_FAILED) {
            r.hit.store(true, std::memory_order_release);
            return;  // the access is retried and reads zeros
        }
        break;
    }
    // Not ours: what would have happened without smx.
    if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
        g_previous.sa_sigaction(sig, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(sig);
    } else {
        // The default action: returning re-runs the faulting access, which now kills the process.
        ::signal(SIGBUS, SIG_DFL);
    }
}

void install() noexcept {
    struct sigaction sa {};
    sa.sa_sigaction = &on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous);
}

}  // namespace

int add(void* start, std::size_t length, bool writable) noexcept {
    std::call_once(g_installed, install);
    for (int i = 0; i < CAPACITY; ++i) {
        Range& r = g_ranges[i];
        bool expected = false;
        if (!r.used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) continue;
        r.length.store(length, std::memory_order_relaxed);
        r.writable.store(writable, std::memory_order_relaxed);
        r.hit.store(false, std::memory_order_relaxed);
        r.start.store(reinterpret_cast<std::uintptr_t>(start), std::memory_order_release);
        return i;
    }
    return -1;
}

void remove(int registration) noexcept {
    if (registration < 0) return;
    Range& r = g_ranges[registration];
    r.start.store(0, std::memory_order_release);
    r.used.store(false, std::memory_order_release);
}

bool hit(int registration) noexcept {
    return registration >= 0 && g_ranges[registration].hit.load(std::memory_order_acquire);
}

}  // namespace smx::detail::bus_guard
