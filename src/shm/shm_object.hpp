#pragma once
// A POSIX shared memory object as a file descriptor: create, open, size, lock, unlink.
// It knows nothing of what is stored in it (see segment.hpp) nor how it is mapped (mapping.hpp).

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace smx::detail {

class ShmObject {
public:
    ShmObject() = default;
    ShmObject(ShmObject&&) noexcept;
    ShmObject& operator=(ShmObject&&) noexcept;
    ShmObject(const ShmObject&) = delete;
    ShmObject& operator=(const ShmObject&) = delete;
    /// Closes the descriptor (which also drops any flock held through it).
    ~ShmObject();

    /// O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC, then fchmod(mode) so the umask does not matter.
    /// Throws PermissionDenied, SystemError (EEXIST included) naming name and mode.
    static ShmObject create_exclusive(const std::string& name, std::uint32_t mode);
    /// Opens an existing object. Returns an invalid object if it does not exist.
    /// Throws PermissionDenied or SystemError otherwise.
    static ShmObject open_existing(const std::string& name, bool writable);

    bool valid() const noexcept { return m_fd >= 0; }
    int fd() const noexcept { return m_fd; }
    const std::string& name() const noexcept { return m_name; }

    /// Reserves `size` bytes with posix_fallocate so that a full /dev/shm fails here, never
    /// as SIGBUS on a later page touch. Throws OutOfSpace or SystemError.
    void allocate(std::uint64_t size);
    /// Current size (fstat).
    /// "FIFO", "directory", "device", "socket" or "regular file", for messages.
    std::string file_type() const;
    /// False for a FIFO, device or directory planted at the name (opened without blocking).
    bool is_regular() const;
    std::uint64_t size() const;
    /// Bytes of memory actually allocated to the object (fstat st_blocks): less than size()
    /// for a sparse object, whose holes would be allocated by the first touch of each page.
    std::uint64_t allocated() const;
    /// The owning user (fstat st_uid).
    std::uint32_t owner_uid() const;
    /// Inode number, to tell whether the name still refers to this object.
    std::uint64_t inode() const;
    /// Non-blocking exclusive flock; false if someone else holds it.
    bool try_lock_exclusive();
    void unlock_exclusive() noexcept;
    /// Takes a write lock on byte `offset` for this open file description (F_OFD_SETLK: kept
    /// until unlock_byte() or until the last descriptor of this description closes, i.e. the
    /// process dies). False if another description holds it. Needs a writable object.
    bool try_lock_byte(std::uint64_t offset);
    void unlock_byte(std::uint64_t offset) noexcept;
    /// True if another open file description holds a write lock on byte `offset` (F_OFD_GETLK: takes
    /// nothing; works on a read-only object). Errors count as "held" (never judge the living dead).
    bool byte_locked_elsewhere(std::uint64_t offset) const noexcept;
    /// Renames this object to `new_name` unless that name exists (returns false then).
    bool rename_noreplace(const std::string& new_name);
    /// Unlinks the object's current name; ENOENT is not an error.
    void unlink() noexcept;

private:
    ShmObject(int fd, std::string name) noexcept : m_fd(fd), m_name(std::move(name)) {}
    int m_fd = -1;
    std::string m_name;
};

/// Unlinks a shared memory object by name; false if it did not exist.
bool shm_unlink_name(const std::string& name) noexcept;
/// Inode currently behind `name`, 0 if none.
std::uint64_t shm_inode_of(const std::string& name) noexcept;
/// Directory where the kernel keeps POSIX shm objects (/dev/shm).
const char* shm_directory() noexcept;

}  // namespace smx::detail
