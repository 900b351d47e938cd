#include "control.hpp"

#include "os.hpp"

#include <smx/error.hpp>

#include <algorithm>
#include <new>

namespace smx::cli::bench {

namespace {

std::size_t samples_offset() noexcept { return (sizeof(ControlBlock) + 63) / 64 * 64; }

}  // namespace

Control Control::create(const std::string& name, unsigned readers, unsigned lanes, std::uint32_t frames) {
    if (readers > MAX_READERS) throw InvalidArgument("at most " + std::to_string(MAX_READERS) + " readers");
    lanes = std::max(lanes, 1u);
    const std::size_t size = samples_offset() + sizeof(std::int64_t) * readers * lanes * std::max<std::uint32_t>(frames, 1);
    Control c(baseline::SharedBlock::create(name, size));
    ControlBlock* b = new (c.m_shm.data()) ControlBlock();
    b->readers = readers;
    b->lanes = lanes;
    b->frames = frames;
    for (unsigned r = 0; r < readers; ++r)
        for (unsigned l = 0; l < lanes; ++l) std::fill_n(c.samples(r, l).data(), frames, -1);
    return c;
}

Control Control::open(const std::string& name) { return Control(baseline::SharedBlock::open(name, sizeof(ControlBlock))); }

std::span<std::int64_t> Control::samples(unsigned reader, unsigned lane) const noexcept {
    auto* first = reinterpret_cast<std::int64_t*>(static_cast<char*>(m_shm.data()) + samples_offset());
    const ControlBlock& b = block();
    const std::size_t frames = std::max<std::uint32_t>(b.frames, 1);
    if (reader >= b.readers || lane >= b.lanes) return {};
    return {first + (static_cast<std::size_t>(reader) * b.lanes + lane) * frames, b.frames};
}

bool Control::wait_acks(std::uint64_t frame, std::chrono::nanoseconds timeout) {
    ControlBlock& b = block();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // Epoch first: an acknowledgement after this load changes it, so the futex wait below
        // returns at once instead of missing it.
        const std::uint32_t epoch = b.ack_epoch.load(std::memory_order_seq_cst);
        bool all = true;
        for (unsigned r = 0; r < b.readers && all; ++r) all = b.acks[r].acked.load(std::memory_order_seq_cst) >= frame;
        if (all) return true;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        b.writer_waiting.store(1, std::memory_order_seq_cst);
        futex_wait(b.ack_epoch, epoch, deadline - now);
        b.writer_waiting.store(0, std::memory_order_seq_cst);
    }
}

void Control::ack(unsigned index, std::uint64_t frame) noexcept {
    ControlBlock& b = block();
    if (index >= b.readers) return;
    b.acks[index].acked.store(frame, std::memory_order_seq_cst);
    b.ack_epoch.fetch_add(1, std::memory_order_seq_cst);
    if (b.writer_waiting.load(std::memory_order_seq_cst)) futex_wake_all(b.ack_epoch);
}

}  // namespace smx::cli::bench
