#pragma once
// What every path of the benchmark carries besides its payload, and how a reader checks it: the
// frame number in the first and last 8 bytes of every field (a cheap consistency stamp), and the
// writer's CLOCK_REALTIME at the start of its call (every process reads the same clock).

#include <cstddef>
#include <cstdint>
#include <span>

namespace smx::baseline {

/// A frame as a baseline's reader got it.
struct Received {
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;  ///< the writer's CLOCK_REALTIME at the start of its call
    std::int64_t received_ns = 0;   ///< CLOCK_REALTIME when the reader held the frame
    bool intact = true;             ///< the stamps inside the payload name the same frame
};

/// Writes the first and last 8 bytes of `bytes` with `frame_number`.
void stamp(std::span<std::byte> bytes, std::uint64_t frame_number) noexcept;
/// True if `bytes` carries the stamp of `frame_number` (or is shorter than 8 bytes).
bool stamped(std::span<const std::byte> bytes, std::uint64_t frame_number) noexcept;

/// CLOCK_REALTIME in nanoseconds: the clock of smx's frame timestamps, the same in every process.
std::int64_t realtime_ns() noexcept;

}  // namespace smx::baseline
