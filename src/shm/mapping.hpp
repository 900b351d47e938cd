#pragma once
// A memory mapping of part of a file descriptor; unmapped on destruction. Every mapping is
// guarded against truncation of the file under it (bus_guard.hpp).

#include <cstddef>
#include <cstdint>

namespace smx::detail {

class Mapping {
public:
    Mapping() = default;
    Mapping(Mapping&&) noexcept;
    Mapping& operator=(Mapping&&) noexcept;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping();

    /// Maps [offset, offset+length) of `fd` shared. `prefault` populates the page tables now
    /// (MAP_POPULATE): on a small VM the first touch of a page costs several times its copy.
    /// Throws SystemError naming `what`.
    static Mapping map(int fd, std::uint64_t offset, std::uint64_t length, bool writable,
                       bool prefault, const char* what);

    std::byte* data() const noexcept { return m_data; }
    std::uint64_t size() const noexcept { return m_size; }
    bool valid() const noexcept { return m_data != nullptr; }
    /// True once the file was truncated under the mapping and an access hit the missing part:
    /// the mapping then holds zeros, not the file (bus_guard.hpp).
    bool truncated() const noexcept;

private:
    void unmap() noexcept;
    std::byte* m_data = nullptr;
    std::uint64_t m_size = 0;
    int m_guard = -1;
};

std::uint64_t page_size() noexcept;

}  // namespace smx::detail
