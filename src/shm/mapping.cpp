#include "shm/mapping.hpp"

#include <smx/error.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace smx::detail {

std::uint64_t page_size() noexcept {
    static const std::uint64_t size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

Mapping::Mapping(Mapping&& o) noexcept : m_data(o.m_data), m_size(o.m_size) {
    o.m_data = nullptr;
    o.m_size = 0;
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
    if (this != &o) {
        if (m_data) ::munmap(m_data, m_size);
        m_data = o.m_data;
        m_size = o.m_size;
        o.m_data = nullptr;
        o.m_size = 0;
    }
    return *this;
}

Mapping::~Mapping() {
    if (m_data) ::munmap(m_data, m_size);
}

Mapping Mapping::map(int fd, std::uint64_t offset, std::uint64_t length, bool writable,
                     bool prefault, const char* what) {
    Mapping m;
    if (length == 0) return m;
    const int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
    const int flags = MAP_SHARED | (prefault ? MAP_POPULATE : 0);
    void* p = ::mmap(nullptr, length, prot, flags, fd, static_cast<off_t>(offset));
    if (p == MAP_FAILED) {
        const int err = errno;
        throw SystemError(err, std::string("mmap ") + what + " (" + std::to_string(length) +
                                   " bytes at offset " + std::to_string(offset) +
                                   (writable ? ", read-write" : ", read-only") +
                                   "): " + std::strerror(err));
    }
    m.m_data = static_cast<std::byte*>(p);
    m.m_size = length;
    return m;
}

}  // namespace smx::detail
