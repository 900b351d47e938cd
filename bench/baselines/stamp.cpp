#include "stamp.hpp"

#include <cstring>
#include <ctime>

namespace smx::baseline {

void stamp(std::span<std::byte> bytes, std::uint64_t frame_number) noexcept {
    if (bytes.size() < 8) return;
    std::memcpy(bytes.data(), &frame_number, 8);
    std::memcpy(bytes.data() + bytes.size() - 8, &frame_number, 8);
}

bool stamped(std::span<const std::byte> bytes, std::uint64_t frame_number) noexcept {
    if (bytes.size() < 8) return true;
    std::uint64_t first = 0, last = 0;
    std::memcpy(&first, bytes.data(), 8);
    std::memcpy(&last, bytes.data() + bytes.size() - 8, 8);
    return first == frame_number && last == frame_number;
}

std::int64_t realtime_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace smx::baseline
