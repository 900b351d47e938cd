#pragma once
// Process identity, as recorded in a segment for display (liveness comes from locks: see
// layout.hpp), and the host facts a writer announces.

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace smx::detail {

/// Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22); 0 if gone.
std::uint64_t process_start_time(pid_t pid) noexcept;

/// This host's name (uname nodename): for people. Equal names do not mean shared memory.
std::string host_name();

/// Which shared memory this process sees: the kernel's boot id and the device of the file
/// system at the shm directory ("<boot id>/<major>:<minor>"). Two processes can map each
/// other's segments only if theirs are equal; equal host names prove nothing (containers,
/// network namespaces with a /dev/shm of their own, cloned robot images).
std::string machine_id();

/// "1001 (alice)", or the bare number for a uid without a name.
std::string user_label(std::uint32_t uid);

/// 64 random bits from the kernel (session ids, nonces).
std::uint64_t random_u64();

/// CLOCK_REALTIME in nanoseconds: comparable between processes on this host.
std::int64_t realtime_ns() noexcept;

}  // namespace smx::detail
