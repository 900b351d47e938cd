#pragma once
// fork() and shared state: a child inherits every smx object of its parent (mappings, pins,
// the writer's segment, DDS handles) but owns none of them. Objects remember the process that
// made them and, in any other process, touch nothing shared: no unpin, no unlink, no ring, no
// DDS call (Cyclone's threads do not exist in the child; deleting its entities there hangs).

#include <atomic>
#include <cstdint>
#include <string>

namespace smx::detail {

/// Incremented in the child by every fork() (a pthread_atfork handler, registered on first
/// use). Cheap: one relaxed load, unlike getpid(), which is a system call.
std::uint64_t fork_generation() noexcept;

/// The process that made an object (see the file comment).
class OwnerProcess {
public:
    OwnerProcess() noexcept;
    /// True in the process that made the object, false in a forked child.
    bool is_current() const noexcept { return m_generation == fork_generation(); }
    /// The maker's pid.
    long pid() const noexcept { return m_pid; }
    /// "<what> belongs to process <pid> (inherited through fork); create a new one in this
    /// process" — for the Closed errors of inherited objects.
    std::string inherited_message(const std::string& what) const;

private:
    std::uint64_t m_generation;
    long m_pid;
};

}  // namespace smx::detail
