#include "shared_block.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace smx::baseline {

namespace {

[[noreturn]] void fail(int error_number, const std::string& what) {
    throw std::system_error(error_number, std::generic_category(), what);
}

// Maps `size` bytes of `fd` shared and pre-faulted, and closes `fd` either way.
void* map_shared(int fd, std::size_t size, const std::string& name) {
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    const int e = errno;
    ::close(fd);
    if (base == MAP_FAILED) fail(e, "mapping shared memory '" + name + "' (" + std::to_string(size) + " bytes)");
    return base;
}

}  // namespace

SharedBlock::SharedBlock(std::string name, void* base, std::size_t size, bool owner) noexcept
    : m_name(std::move(name)), m_base(base), m_size(size), m_owner(owner) {}

SharedBlock SharedBlock::create(const std::string& name, std::size_t size) {
    const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) fail(errno, "creating shared memory '" + name + "' (mode 0600)");
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        const int e = errno;
        ::close(fd);
        ::shm_unlink(name.c_str());
        fail(e, "sizing shared memory '" + name + "' to " + std::to_string(size) + " bytes");
    }
    try {
        return SharedBlock(name, map_shared(fd, size, name), size, true);
    } catch (...) {
        ::shm_unlink(name.c_str());
        throw;
    }
}

SharedBlock SharedBlock::open(const std::string& name, std::size_t min_size) {
    const int fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) fail(errno, "opening shared memory '" + name + "'");
    struct stat st{};
    if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < min_size) {
        ::close(fd);
        fail(EINVAL, "shared memory '" + name + "' is smaller than " + std::to_string(min_size) + " bytes");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    return SharedBlock(name, map_shared(fd, size, name), size, false);
}

SharedBlock::SharedBlock(SharedBlock&& o) noexcept
    : m_name(std::move(o.m_name)), m_base(o.m_base), m_size(o.m_size), m_owner(o.m_owner) {
    o.m_base = nullptr;
    o.m_owner = false;
}

SharedBlock::~SharedBlock() {
    if (m_base) ::munmap(m_base, m_size);
    if (m_owner) ::shm_unlink(m_name.c_str());
}

}  // namespace smx::baseline
