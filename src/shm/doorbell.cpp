#include "shm/doorbell.hpp"

#include "shm/futex.hpp"

#include <algorithm>
#include <vector>

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

bool Doorbell::ring() noexcept {
    SegmentHeader& h = m_segment.header();
    // Dekker with wait(): we change the bell then look for sleepers, a reader marks itself
    // asleep then (in the kernel, or before polling its eventfd) compares the bell; both
    // sequentially consistent, so either we see its mark and wake it, or it sees the new value
    // and does not sleep.
    h.bell.fetch_add(1, std::memory_order_seq_cst);
    const std::uint32_t words = (m_segment.reader_capacity() + 63) / 64;
    bool sleepers = false, futex_sleepers = false, woken = false;
    for (std::uint32_t w = 0; w < words; ++w) {
        std::uint64_t bits = h.sleeping[w].load(std::memory_order_seq_cst);
        while (bits != 0) {
            const auto r = w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
            bits &= bits - 1;
            sleepers = true;
            if (r >= m_segment.reader_capacity()) continue;  // a forged bit past the table
            const std::uint64_t token = m_segment.reader(r).wake.load(std::memory_order_acquire);
            if (token == 0)
                futex_sleepers = true;
            else if (m_sender.send(token))
                woken = true;
        }
    }
    if (!sleepers) return true;
    if (futex_sleepers && futex_wake_all(h.bell) > 0) woken = true;
    if (m_sender.held() >= m_prune_at) prune_wakes();
    return woken;
}

void Doorbell::prune_wakes() noexcept {
    std::vector<std::uint64_t> live;
    try {
        const SegmentHeader& h = m_segment.header();
        for (std::uint32_t w = 0; w < (m_segment.reader_capacity() + 63) / 64; ++w)
            for (std::uint64_t bits = h.registered[w].load(std::memory_order_acquire); bits != 0; bits &= bits - 1) {
                const auto r = w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
                if (r < m_segment.reader_capacity()) live.push_back(m_segment.reader(r).wake.load(std::memory_order_acquire));
            }
    } catch (...) {
        return;  // no memory: prune later
    }
    m_sender.keep_only(live);
    m_prune_at = std::max<std::size_t>(16, 2 * m_sender.held());
}

void Doorbell::close() noexcept {
    m_segment.header().writer_closed.store(1, std::memory_order_seq_cst);
    ring();
}

std::uint32_t Doorbell::value() const noexcept { return m_segment.header().bell.load(std::memory_order_acquire); }

bool Doorbell::closed() const noexcept {
    return m_segment.header().writer_closed.load(std::memory_order_acquire) != 0;
}

bool Doorbell::spin_on(std::uint32_t seen, std::chrono::nanoseconds& timeout, std::chrono::nanoseconds spin) const noexcept {
    if (spin.count() <= 0) return false;
    SegmentHeader& h = m_segment.header();
    const auto start = std::chrono::steady_clock::now();
    const auto spin_end = start + std::min(spin, timeout);
    // Bounded by ReaderOptions::spin: the caller traded a core for latency.
    while (h.bell.load(std::memory_order_acquire) == seen) {
        cpu_relax();
        if (std::chrono::steady_clock::now() >= spin_end) break;
    }
    if (h.bell.load(std::memory_order_acquire) != seen) return true;
    timeout -= std::chrono::steady_clock::now() - start;
    return false;
}

Doorbell::Wake Doorbell::wait(std::uint32_t index, std::uint32_t seen, std::chrono::nanoseconds timeout,
                    std::chrono::nanoseconds spin) const noexcept {
    SegmentHeader& h = m_segment.header();
    if (spin_on(seen, timeout, spin)) return Wake::rung;
    if (timeout.count() <= 0) return Wake::timeout;
    mark_sleeper(index);
    const bool woken = futex_wait(h.bell, seen, timeout);
    clear_sleeper(index);
    if (woken) return Wake::rung;
    return h.bell.load(std::memory_order_acquire) == seen ? Wake::timeout : Wake::unnoticed;
}

Doorbell::Wake Doorbell::wait(std::uint32_t index, std::uint32_t seen, std::chrono::nanoseconds timeout,
                              std::chrono::nanoseconds spin, const Wakeup& wakeup) const noexcept {
    SegmentHeader& h = m_segment.header();
    if (spin_on(seen, timeout, spin)) return Wake::rung;
    if (timeout.count() <= 0) return Wake::timeout;
    wakeup.drain();  // wakes of frames already seen: else poll() returns at once, again and again
    mark_sleeper(index);
    // What the kernel does for futex_wait: compare after the mark, sleep only if unchanged.
    const bool woken = h.bell.load(std::memory_order_seq_cst) != seen || wait_readable(wakeup.fd(), timeout);
    clear_sleeper(index);
    if (woken) return Wake::rung;
    return h.bell.load(std::memory_order_acquire) == seen ? Wake::timeout : Wake::unnoticed;
}

void Doorbell::mark_sleeper(std::uint32_t index) const noexcept {
    m_segment.header().sleeping[index / 64].fetch_or(std::uint64_t{1} << (index % 64), std::memory_order_seq_cst);
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
