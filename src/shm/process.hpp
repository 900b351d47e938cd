#pragma once
// Process identity and liveness: a pid alone can be reused, pid + start time cannot.

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace smx::detail {

/// Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22); 0 if gone.
std::uint64_t process_start_time(pid_t pid) noexcept;

/// True if `pid` runs and (when start_time != 0) started at `start_time`.
bool process_alive(pid_t pid, std::uint64_t start_time) noexcept;

/// This host's name (uname nodename).
std::string host_name();

/// 64 random bits from the kernel (session ids, nonces).
std::uint64_t random_u64();

/// CLOCK_REALTIME in nanoseconds: comparable between processes on this host.
std::int64_t realtime_ns() noexcept;

}  // namespace smx::detail
