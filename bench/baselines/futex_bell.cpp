#include "futex_bell.hpp"

#include <atomic>
#include <climits>
#include <ctime>
#include <linux/futex.h>
#include <new>
#include <sys/syscall.h>
#include <unistd.h>

namespace smx::baseline {

namespace {

// The block: the futex word on a cache line of its own, the frame beside it.
struct alignas(64) Bell {
    std::atomic<std::uint32_t> word{0};  // low 32 bits of the frame number
    std::atomic<std::uint64_t> frame_number{0};
    std::atomic<std::int64_t> timestamp_ns{0};
};

Bell& bell(const SharedBlock& shm) noexcept { return *static_cast<Bell*>(shm.data()); }

std::uint32_t* futex_address(std::atomic<std::uint32_t>& word) noexcept {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    return reinterpret_cast<std::uint32_t*>(&word);
}

}  // namespace

FutexBellWriter::FutexBellWriter(const std::string& name) : m_shm(SharedBlock::create(name, sizeof(Bell))) {
    new (m_shm.data()) Bell();
}

void FutexBellWriter::ring(std::uint64_t frame_number, std::int64_t timestamp_ns) noexcept {
    Bell& b = bell(m_shm);
    b.frame_number.store(frame_number, std::memory_order_relaxed);
    b.timestamp_ns.store(timestamp_ns, std::memory_order_relaxed);
    // Release: a reader that sees the new word sees the frame number and timestamp with it.
    b.word.store(static_cast<std::uint32_t>(frame_number), std::memory_order_release);
    // Shared (not FUTEX_PRIVATE_FLAG): the waiters are other processes.
    ::syscall(SYS_futex, futex_address(b.word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

FutexBellReader::FutexBellReader(const std::string& name) : m_shm(SharedBlock::open(name, sizeof(Bell))) {
    m_seen = bell(m_shm).word.load(std::memory_order_acquire);
}

std::optional<Received> FutexBellReader::wait(std::chrono::nanoseconds timeout) {
    Bell& b = bell(m_shm);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const std::uint32_t word = b.word.load(std::memory_order_acquire);
        if (word != m_seen) {
            Received r;
            r.received_ns = realtime_ns();
            m_seen = word;
            r.frame_number = b.frame_number.load(std::memory_order_relaxed);
            r.timestamp_ns = b.timestamp_ns.load(std::memory_order_relaxed);
            return r;
        }
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= std::chrono::nanoseconds::zero()) return std::nullopt;
        timespec ts{static_cast<time_t>(left.count() / 1'000'000'000), static_cast<long>(left.count() % 1'000'000'000)};
        // Returns at once if the word moved on since the load above (no lost wake-up).
        ::syscall(SYS_futex, futex_address(b.word), FUTEX_WAIT, m_seen, &ts, nullptr, 0);
    }
}

}  // namespace smx::baseline
