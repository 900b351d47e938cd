#pragma once
// A small POSIX shared memory object, mapped read-write and pre-faulted: where the futex floor's
// word lives, and the harness's control block. The creator owns the name and unlinks it when
// its block is destroyed, so no exit path that runs destructors leaves one behind.

#include <cstddef>
#include <string>

namespace smx::baseline {

class SharedBlock {
public:
    /// Creates `name` (O_EXCL, mode 0600) of `size` zeroed bytes and maps it; this block owns
    /// the name. Throws std::system_error naming the object, the size and the failed call.
    static SharedBlock create(const std::string& name, std::size_t size);
    /// Maps the existing `name`, which must hold at least `min_size` bytes. Throws
    /// std::system_error.
    static SharedBlock open(const std::string& name, std::size_t min_size);
    ~SharedBlock();
    SharedBlock(SharedBlock&& other) noexcept;
    SharedBlock& operator=(SharedBlock&&) = delete;
    SharedBlock(const SharedBlock&) = delete;
    SharedBlock& operator=(const SharedBlock&) = delete;

    void* data() const noexcept { return m_base; }
    std::size_t size() const noexcept { return m_size; }
    const std::string& name() const noexcept { return m_name; }

private:
    SharedBlock(std::string name, void* base, std::size_t size, bool owner) noexcept;
    std::string m_name;
    void* m_base = nullptr;
    std::size_t m_size = 0;
    bool m_owner = false;
};

}  // namespace smx::baseline
