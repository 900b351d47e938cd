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
    /// False for a FIFO, device or directory planted at the name (opened without blocking).
    bool is_regular() const;
    std::uint64_t size() const;
    /// Bytes of memory actually allocated to the object (fstat st_blocks): less than size()
    /// for a sparse object, whose holes would be allocated by the first touch of each page.
    std::uint64_t allocated() const;
    /// Inode number, to tell whether the name still refers to this object.
    std::uint64_t inode() const;
    /// Non-blocking exclusive flock; false if someone else holds it.
    bool try_lock_exclusive();
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
