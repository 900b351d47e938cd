#include "codec.hpp"

#include <lz4.h>
#include <zstd.h>

#include <climits>
#include <memory>

namespace smx::detail {

namespace {
// One context per thread (freed when it ends): a context is costly to make, and only the
// sender thread encodes, only reader threads decode.
struct FreeCCtx {
    void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
    void operator()(ZSTD_DCtx* c) const noexcept { ZSTD_freeDCtx(c); }
};
}  // namespace

bool known_encoding(std::uint32_t e) noexcept { return e <= static_cast<std::uint32_t>(Encoding::zstd); }

std::size_t encode_bound(Encoding e, std::size_t n) noexcept {
    switch (e) {
        case Encoding::raw: return n;
        case Encoding::lz4: return n > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE) ? 0 : static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(n)));
        case Encoding::zstd: return ZSTD_compressBound(n);
    }
    return 0;
}

std::size_t encode(Encoding e, int level, std::span<const std::byte> src, std::span<std::byte> dst) noexcept {
    std::size_t out = 0;
    switch (e) {
        case Encoding::raw: return 0;
        case Encoding::lz4: {
            if (src.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE) || dst.size() > INT_MAX) return 0;
            const int n = LZ4_compress_default(reinterpret_cast<const char*>(src.data()), reinterpret_cast<char*>(dst.data()),
                                               static_cast<int>(src.size()), static_cast<int>(dst.size()));
            out = n > 0 ? static_cast<std::size_t>(n) : 0;
            break;
        }
        case Encoding::zstd: {
            thread_local const std::unique_ptr<ZSTD_CCtx, FreeCCtx> ctx{ZSTD_createCCtx()};
            if (!ctx) return 0;
            const std::size_t n = ZSTD_compressCCtx(ctx.get(), dst.data(), dst.size(), src.data(), src.size(), level);
            out = ZSTD_isError(n) ? 0 : n;
            break;
        }
    }
    return out < src.size() ? out : 0;
}

bool decode(Encoding e, std::span<const std::byte> src, std::span<std::byte> dst) noexcept {
    switch (e) {
        case Encoding::raw: return false;
        case Encoding::lz4: {
            if (src.size() > INT_MAX || dst.size() > INT_MAX) return false;
            const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(src.data()), reinterpret_cast<char*>(dst.data()),
                                              static_cast<int>(src.size()), static_cast<int>(dst.size()));
            return n >= 0 && static_cast<std::size_t>(n) == dst.size();
        }
        case Encoding::zstd: {
            // The frame header must state exactly the size expected: nothing else is decoded.
            const unsigned long long stated = ZSTD_getFrameContentSize(src.data(), src.size());
            if (stated != dst.size()) return false;
            thread_local const std::unique_ptr<ZSTD_DCtx, FreeDCtx> ctx{ZSTD_createDCtx()};
            if (!ctx) return false;
            const std::size_t n = ZSTD_decompressDCtx(ctx.get(), dst.data(), dst.size(), src.data(), src.size());
            return !ZSTD_isError(n) && n == dst.size();
        }
    }
    return false;
}

}  // namespace smx::detail
