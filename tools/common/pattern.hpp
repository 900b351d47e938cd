#pragma once
// Self-verifying frame content shared by the demo, the tests and the benchmarks: every byte of
// frame F is derived from F, so a reader can tell a consistent frame from a torn one.

#include <smx/smx.hpp>

#include <cstdint>
#include <cstring>
#include <span>

namespace smx::pattern {

/// The seed's RGB-D `FrameBuffer`: timestamp, color, depth, extrinsics, intrinsics.
inline Schema rgbd_schema(std::uint64_t width = 848, std::uint64_t height = 480) {
    return Schema{
        {"timestamp", DType::Kind::f8, {1}},
        {"color", DType::Kind::u1, {height, width, 3}},
        {"depth", DType::Kind::u2, {height, width}},
        {"extrinsics", DType::Kind::f8, {4, 4}},
        {"intrinsics", DType::Kind::f8, {3, 3}},
    };
}

/// One field of `bytes` bytes, for payload-size experiments.
inline Schema blob_schema(std::uint64_t bytes) { return Schema{{"data", DType::Kind::u1, {bytes}}}; }

inline std::uint64_t word(std::uint64_t frame, std::uint64_t field, std::uint64_t index) noexcept {
    return (frame << 32) ^ (field << 56) ^ (index * 0x9E3779B97F4A7C15ull >> 16) ^ index;
}

/// Fills one field's bytes for frame `frame`.
inline void fill(std::span<std::byte> out, std::uint64_t frame, std::uint64_t field) noexcept {
    const std::size_t words = out.size() / 8;
    auto* p = out.data();
    for (std::size_t i = 0; i < words; ++i) {
        const std::uint64_t w = word(frame, field, i);
        std::memcpy(p + i * 8, &w, 8);
    }
    const std::uint64_t tail = word(frame, field, words);
    std::memcpy(p + words * 8, &tail, out.size() - words * 8);
}

/// True if one field's bytes are exactly those of frame `frame`.
inline bool check(std::span<const std::byte> in, std::uint64_t frame, std::uint64_t field) noexcept {
    const std::size_t words = in.size() / 8;
    const auto* p = in.data();
    for (std::size_t i = 0; i < words; ++i) {
        std::uint64_t w;
        std::memcpy(&w, p + i * 8, 8);
        if (w != word(frame, field, i)) return false;
    }
    const std::uint64_t tail = word(frame, field, words);
    return std::memcmp(p + words * 8, &tail, in.size() - words * 8) == 0;
}

/// Fills every field of a loan (or anything with schema() and bytes(i)) for its frame number.
template <class Writable>
void fill_all(Writable& w, std::uint64_t frame) {
    for (std::size_t i = 0; i < w.schema().size(); ++i) fill(w.bytes(i), frame, i);
}

/// Checks every field of a frame (or anything with schema() and bytes(i)) against `frame`.
template <class Readable>
bool check_all(const Readable& r, std::uint64_t frame) {
    for (std::size_t i = 0; i < r.schema().size(); ++i)
        if (!check(r.bytes(i), frame, i)) return false;
    return true;
}

/// Checks a whole-frame copy (slot layout, see Schema::offset) against `frame`.
inline bool check_copy(const Schema& schema, std::span<const std::byte> copy, std::uint64_t frame) {
    for (std::size_t i = 0; i < schema.size(); ++i)
        if (!check(copy.subspan(schema.offset(i), schema[i].nbytes()), frame, i)) return false;
    return true;
}

}  // namespace smx::pattern
