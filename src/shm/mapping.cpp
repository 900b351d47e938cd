#include "shm/mapping.hpp"

#include "shm/bus_guard.hpp"

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

Mapping::Mapping(Mapping&& o) noexcept : m_data(o.m_data), m_size(o.m_size), m_guard(o.m_guard) {
    o.m_data = nullptr;
    o.m_size = 0;
    o.m_guard = -1;
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
    if (this != &o) {
        unmap();
        m_data = o.m_data;
        m_size = o.m_size;
        m_guard = o.m_guard;
        o.m_data = nullptr;
        o.m_size = 0;
        o.m_guard = -1;
    }
    return *this;
}

Mapping::~Mapping() { unmap(); }

void Mapping::unmap() noexcept {
    bus_guard::remove(m_guard);  // before the range can be mapped again by anyone
    m_guard = -1;
    if (m_data) ::munmap(m_data, m_size);
    m_data = nullptr;
    m_size = 0;
}

bool Mapping::truncated() const noexcept { return bus_guard::hit(m_guard); }

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
    m.m_guard = bus_guard::add(p, length, writable);
    return m;
}

}  // namespace smx::detail
