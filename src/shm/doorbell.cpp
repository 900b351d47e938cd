#include "shm/doorbell.hpp"

#include "shm/futex.hpp"

namespace smx::detail {

namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

}  // namespace

bool Doorbell::any_sleeper() const noexcept {
    const SegmentHeader& h = m_segment.header();
    const std::uint32_t words = (m_segment.reader_capacity() + 63) / 64;
    for (std::uint32_t w = 0; w < words; ++w)
        if (h.sleeping[w].load(std::memory_order_seq_cst) != 0) return true;
    return false;
}

bool Doorbell::ring() noexcept {
    SegmentHeader& h = m_segment.header();
    // Dekker with wait(): we change the bell then look for sleepers, a reader marks itself
    // asleep then (in the kernel) compares the bell; both sequentially consistent, so either
    // we see its mark and wake it, or its futex_wait sees the new value and does not sleep.
    h.bell.fetch_add(1, std::memory_order_seq_cst);
    if (!any_sleeper()) return true;
    return futex_wake_all(h.bell) > 0;
}

void Doorbell::close() noexcept {
    m_segment.header().writer_closed.store(1, std::memory_order_seq_cst);
    ring();
}

std::uint32_t Doorbell::value() const noexcept { return m_segment.header().bell.load(std::memory_order_acquire); }

bool Doorbell::closed() const noexcept {
    return m_segment.header().writer_closed.load(std::memory_order_acquire) != 0;
}

Doorbell::Wake Doorbell::wait(std::uint32_t index, std::uint32_t seen, std::chrono::nanoseconds timeout,
                    std::chrono::nanoseconds spin) const noexcept {
    SegmentHeader& h = m_segment.header();
    if (spin.count() > 0) {
        const auto start = std::chrono::steady_clock::now();
        const auto spin_end = start + std::min(spin, timeout);
        // Bounded by ReaderOptions::spin: the caller traded a core for latency.
        while (h.bell.load(std::memory_order_acquire) == seen) {
            cpu_relax();
            if (std::chrono::steady_clock::now() >= spin_end) break;
        }
        if (h.bell.load(std::memory_order_acquire) != seen) return Wake::rung;
        timeout -= std::chrono::steady_clock::now() - start;
        if (timeout.count() <= 0) return Wake::timeout;
    }
    std::atomic<std::uint64_t>& word = h.sleeping[index / 64];
    const std::uint64_t bit = std::uint64_t{1} << (index % 64);
    word.fetch_or(bit, std::memory_order_seq_cst);
    const bool woken = futex_wait(h.bell, seen, timeout);
    word.fetch_and(~bit, std::memory_order_seq_cst);
    if (woken) return Wake::rung;
    return h.bell.load(std::memory_order_acquire) == seen ? Wake::timeout : Wake::unnoticed;
}

void Doorbell::nudge() const noexcept {
    SegmentHeader& h = m_segment.header();
    h.bell.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(h.bell);
}

bool Doorbell::asleep(std::uint32_t index) const noexcept {
    return (m_segment.header().sleeping[index / 64].load(std::memory_order_acquire) >> (index % 64)) & 1u;
}

void Doorbell::clear_sleeper(std::uint32_t index) const noexcept {
    m_segment.header().sleeping[index / 64].fetch_and(~(std::uint64_t{1} << (index % 64)), std::memory_order_seq_cst);
}

}  // namespace smx::detail
