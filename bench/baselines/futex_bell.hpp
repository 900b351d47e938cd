#pragma once
// The futex floor of `smx bench`: the physical floor of a blocking cross-process wake. One futex
// word in a small shared memory block; the writer stores a counter and calls FUTEX_WAKE, each
// reader process blocks in FUTEX_WAIT and takes its timestamp when the call returns. Nothing
// else is carried (no payload): whatever a real transport adds to a blocking wake-up shows as
// its distance from this floor.

#include "shared_block.hpp"
#include "stamp.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace smx::baseline {

/// The writer's side: creates (and on destruction removes) the shared block `name`.
class FutexBellWriter {
public:
    /// Throws std::system_error if the block cannot be created (for example, it exists).
    explicit FutexBellWriter(const std::string& name);

    /// Stores the frame's number and timestamp, then the futex word (release), then wakes every
    /// waiter with FUTEX_WAKE — unconditionally: this is the bare wake, with no sleeper count.
    void ring(std::uint64_t frame_number, std::int64_t timestamp_ns) noexcept;

private:
    SharedBlock m_shm;
};

/// A reader's side: maps the writer's block.
class FutexBellReader {
public:
    /// Throws std::system_error if the block is missing. Frames rung before this returns are
    /// not waited for.
    explicit FutexBellReader(const std::string& name);

    /// Blocks in FUTEX_WAIT until the next ring, up to `timeout`; the frame, with received_ns
    /// taken as the wait returned. nullopt on timeout.
    std::optional<Received> wait(std::chrono::nanoseconds timeout);

private:
    SharedBlock m_shm;
    std::uint32_t m_seen = 0;  // the futex word's value this reader has taken
};

}  // namespace smx::baseline
