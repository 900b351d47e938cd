#pragma once
// Writers ended by a signal. SIGTERM is how systemd, Docker and supervisors stop a process, and
// SIGINT and SIGHUP end it too; their default action kills it without running destructors, which
// would leave the writer's segment (megabytes of /dev/shm per topic) behind. For each of these
// signals whose action is still the default when a writer starts, smx installs a handler that
// closes every live writer of the process for its readers, removes their segments' names, and
// then ends the process with the same signal, as the default action would. A signal with a
// handler of the application's (or Python's SIGINT) is left alone: that handler decides, and a
// process that goes on living keeps its writers. SMX_NO_SIGNAL_HANDLERS=1 turns this off, and a
// process that is PID 1 of its namespace gets no handlers (it ignores these signals by default).

#include <string>

namespace smx::detail {

class Segment;

namespace termination {

/// Watches a live writer's segment until forget(). Returns the registration, -1 if not watched
/// (turned off, or the table is full).
int watch(const Segment& segment) noexcept;
void forget(int registration) noexcept;

}  // namespace termination
}  // namespace smx::detail
