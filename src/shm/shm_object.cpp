#include "shm/shm_object.hpp"

#include <smx/error.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smx::detail {

namespace {
std::string mode_string(std::uint32_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

[[noreturn]] void throw_errno(int err, const std::string& what) {
    const std::string msg = what + ": " + std::strerror(err);
    if (err == EACCES || err == EPERM) throw PermissionDenied(msg);
    if (err == ENOSPC) throw OutOfSpace(msg);
    throw SystemError(err, msg);
}

std::string dev_path(const std::string& name) {
    return std::string(shm_directory()) + name;  // names start with '/'
}
}  // namespace

const char* shm_directory() noexcept { return "/dev/shm"; }

ShmObject::ShmObject(ShmObject&& o) noexcept : m_fd(o.m_fd), m_name(std::move(o.m_name)) { o.m_fd = -1; }

ShmObject& ShmObject::operator=(ShmObject&& o) noexcept {
    if (this != &o) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = o.m_fd;
        m_name = std::move(o.m_name);
        o.m_fd = -1;
    }
    return *this;
}

ShmObject::~ShmObject() {
    if (m_fd >= 0) ::close(m_fd);
}

ShmObject ShmObject::create_exclusive(const std::string& name, std::uint32_t mode) {
    const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode & 0777);
    if (fd < 0)
        throw_errno(errno, "shm_open '" + name + "' (create, mode " + mode_string(mode) + ")");
    ShmObject obj(fd, name);
    if (::fchmod(fd, mode & 07777) != 0) {
        const int err = errno;
        obj.unlink();
        throw_errno(err, "fchmod '" + name + "' to " + mode_string(mode));
    }
    return obj;
}

ShmObject ShmObject::open_existing(const std::string& name, bool writable) {
    // O_NONBLOCK: a FIFO planted at the name must not block the open (it is refused below).
    const int fd = ::shm_open(name.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK, 0);
    if (fd < 0) {
        if (errno == ENOENT) return {};
        // shm_open does not follow symbolic links (ELOOP) and cannot open sockets (ENXIO): say what is there.
        if (errno == ELOOP || errno == ENXIO) {
            const std::string path = dev_path(name);
            struct stat st {};
            const char* what = "file that is no shared memory object";
            if (::lstat(path.c_str(), &st) == 0) {
                if (S_ISLNK(st.st_mode)) what = "symbolic link";
                else if (S_ISSOCK(st.st_mode)) what = "socket";
                else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) what = "device";
            }
            throw SegmentCorrupt(path + " is a " + what + ", not an smx segment; smx never follows or removes it: "
                                 "if nothing uses it, remove it (rm " + path + ")");
        }
        throw_errno(errno, "shm_open '" + name + "' (" + (writable ? "read-write" : "read-only") + ")");
    }
    return ShmObject(fd, name);
}

void ShmObject::allocate(std::uint64_t size) {
    // posix_fallocate returns the error number instead of setting errno.
    int err;
    do {
        err = ::posix_fallocate(m_fd, 0, static_cast<off_t>(size));
    } while (err == EINTR);
    if (err != 0) {
        const std::string msg = "cannot reserve " + std::to_string(size) + " bytes for '" + m_name +
                                "' in " + shm_directory() + ": " + std::strerror(err);
        if (err == ENOSPC || err == EFBIG)
            throw OutOfSpace(msg + " (free space in " + shm_directory() +
                             " or use fewer/smaller slots)");
        throw_errno(err, msg);
    }
}

std::string ShmObject::file_type() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) return "file of unknown type";
    if (S_ISREG(st.st_mode)) return "regular file";
    if (S_ISFIFO(st.st_mode)) return "FIFO";
    if (S_ISDIR(st.st_mode)) return "directory";
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "device";
    if (S_ISSOCK(st.st_mode)) return "socket";
    return "file of unknown type";
}

bool ShmObject::is_regular() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) throw_errno(errno, "fstat '" + m_name + "'");
    return S_ISREG(st.st_mode);
}

std::uint64_t ShmObject::size() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) throw_errno(errno, "fstat '" + m_name + "'");
    return static_cast<std::uint64_t>(st.st_size);
}

std::uint64_t ShmObject::allocated() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) throw_errno(errno, "fstat '" + m_name + "'");
    return static_cast<std::uint64_t>(st.st_blocks) * 512u;
}

std::uint32_t ShmObject::owner_uid() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) throw_errno(errno, "fstat '" + m_name + "'");
    return static_cast<std::uint32_t>(st.st_uid);
}

std::uint64_t ShmObject::inode() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) throw_errno(errno, "fstat '" + m_name + "'");
    return static_cast<std::uint64_t>(st.st_ino);
}

bool ShmObject::try_lock_exclusive() {
    for (;;) {
        if (::flock(m_fd, LOCK_EX | LOCK_NB) == 0) return true;
        if (errno == EWOULDBLOCK) return false;
        if (errno != EINTR) throw_errno(errno, "flock '" + m_name + "'");
    }
}

namespace {
struct flock byte_lock(short type, std::uint64_t offset) {
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(offset);
    fl.l_len = 1;
    return fl;
}
}  // namespace

bool ShmObject::try_lock_byte(std::uint64_t offset) {
    struct flock fl = byte_lock(F_WRLCK, offset);
    for (;;) {
        if (::fcntl(m_fd, F_OFD_SETLK, &fl) == 0) return true;
        if (errno == EAGAIN || errno == EACCES) return false;
        if (errno != EINTR) throw_errno(errno, "lock byte " + std::to_string(offset) + " of '" + m_name + "'");
    }
}

void ShmObject::unlock_byte(std::uint64_t offset) noexcept {
    struct flock fl = byte_lock(F_UNLCK, offset);
    (void)::fcntl(m_fd, F_OFD_SETLK, &fl);
}

bool ShmObject::byte_locked_elsewhere(std::uint64_t offset) const noexcept {
    // Asking as a reader would finds write locks only: those need the object open for writing,
    // so a process that may merely read it cannot make a dead owner look alive.
    struct flock fl = byte_lock(F_RDLCK, offset);
    if (::fcntl(m_fd, F_OFD_GETLK, &fl) != 0) return true;
    return fl.l_type != F_UNLCK;
}

void ShmObject::unlock_exclusive() noexcept { (void)::flock(m_fd, LOCK_UN); }

bool ShmObject::rename_noreplace(const std::string& new_name) {
    // POSIX shm has no rename; on Linux the objects are files in /dev/shm.
    if (::renameat2(AT_FDCWD, dev_path(m_name).c_str(), AT_FDCWD, dev_path(new_name).c_str(),
                    RENAME_NOREPLACE) == 0) {
        m_name = new_name;
        return true;
    }
    if (errno == EEXIST) return false;
    throw_errno(errno, "rename '" + m_name + "' to '" + new_name + "'");
}

void ShmObject::unlink() noexcept {
    if (!m_name.empty()) shm_unlink_name(m_name);
}

bool shm_unlink_name(const std::string& name) noexcept { return ::shm_unlink(name.c_str()) == 0; }

std::uint64_t shm_inode_of(const std::string& name) noexcept {
    struct stat st {};
    if (::stat(dev_path(name).c_str(), &st) != 0) return 0;
    return static_cast<std::uint64_t>(st.st_ino);
}

}  // namespace smx::detail
