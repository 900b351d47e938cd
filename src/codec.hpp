#pragma once
// Lossless compression of a frame for the network path (WriterOptions::network.compression).
// Knows bytes only: nothing of DDS, shared memory or schemas.

#include <cstddef>
#include <cstdint>
#include <span>

namespace smx::detail {

/// A payload's encoding as it travels (the Payload sample's `encoding`; Info's
/// `payload_encoding`). The numbers are part of the wire format.
enum class Encoding : std::uint32_t { raw = 0, lz4 = 1, zstd = 2 };

/// Known to this build (raw, lz4, zstd); anything else a reader drops.
bool known_encoding(std::uint32_t e) noexcept;

/// Room `encode` may need for `n` bytes.
std::size_t encode_bound(Encoding e, std::size_t n) noexcept;

/// Compresses `src` into `dst` (at least encode_bound bytes); returns the size written, or 0
/// when that failed or would not be smaller than `src` (then send it raw). `level`: zstd's
/// (1..19); lz4 uses its default.
std::size_t encode(Encoding e, int level, std::span<const std::byte> src, std::span<std::byte> dst) noexcept;

/// Decompresses `src` into exactly `dst.size()` bytes; false for anything else (corrupt input,
/// another size, an unknown encoding). Never writes past `dst`.
bool decode(Encoding e, std::span<const std::byte> src, std::span<std::byte> dst) noexcept;

}  // namespace smx::detail
