#pragma once
// The control block of one scenario: where the supervisor, its writer and its readers meet.
//
// One scenario = one writer process + N reader processes, each re-executed from this binary
// (`smx-bench writer`, `smx-bench reader`). They meet in a small shared control block that the
// supervisor creates: readers count themselves ready, the writer publishes warm-up frames until
// every reader acknowledges them, then publishes the measured frames; each reader stores one
// latency sample per measured frame there and acknowledges it, so a paced writer never runs
// ahead of its readers. DDS, smx, iceoryx or a futex carry only the frames. Report lines (one
// per line on the child's report pipe):
//   writer:  "ready"   then   "done published0=.. cost0_p50_ns=.. ..."
//   reader:  "ready"   then   "done frames0=.. missed0=.. broken0=.. cpu_ns=.. wall_ns=.."
//   either:  "error <code> <message>"

#include "scenario.hpp"
#include "shared_block.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace smx::cli::bench {

struct alignas(64) ReaderAck {
    std::atomic<std::uint64_t> acked{0};  ///< newest frame this reader finished with
};

struct ControlBlock {
    std::atomic<std::uint32_t> ready{0};         ///< readers ready to receive (futex word)
    std::atomic<std::uint32_t> ack_epoch{0};     ///< bumped on every acknowledgement (futex word)
    std::atomic<std::uint32_t> writer_waiting{0};
    std::atomic<std::uint32_t> done{0};          ///< 1 once the writer published its last frame
    std::atomic<std::uint32_t> readers_done{0};  ///< readers that finished (futex word)
    std::uint32_t readers = 0;
    std::uint32_t lanes = 1;
    std::uint32_t frames = 0;                    ///< sample slots per reader and lane
    // Frames are counted over all lanes: g = 1, 2, 3 ... (over lane lane_of(g, lanes)).
    std::atomic<std::uint64_t> measure_from{0};  ///< first measured g (0: warming up)
    std::atomic<std::uint64_t> last_frame{0};    ///< last g published (valid once done)
    std::atomic<std::uint64_t> published{0};     ///< newest g published so far
    ReaderAck acks[MAX_READERS];
};

/// The control block of one scenario in a POSIX shared memory object, followed by
/// `readers * lanes * frames` latency samples (ns; -1 = not received).
class Control {
public:
    /// Creates (and owns: unlinks on destruction) a new block. Throws std::system_error.
    static Control create(const std::string& name, unsigned readers, unsigned lanes, std::uint32_t frames);
    /// Maps an existing block. Throws std::system_error.
    static Control open(const std::string& name);

    ControlBlock& block() const noexcept { return *static_cast<ControlBlock*>(m_shm.data()); }
    std::span<std::int64_t> samples(unsigned reader, unsigned lane) const noexcept;
    const std::string& name() const noexcept { return m_shm.name(); }

    /// Writer: waits until every reader acknowledged frame `g` or `timeout` passes; true if all did.
    bool wait_acks(std::uint64_t frame, std::chrono::nanoseconds timeout);
    /// Reader `index`: acknowledges `frame` and wakes a waiting writer.
    void ack(unsigned index, std::uint64_t frame) noexcept;

private:
    explicit Control(baseline::SharedBlock shm) noexcept : m_shm(std::move(shm)) {}
    baseline::SharedBlock m_shm;
};

}  // namespace smx::cli::bench
