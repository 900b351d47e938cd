#pragma once
/// @file dtype.hpp
/// Element types, spelled as numpy "typestr" (`|u1`, `<u2`, `<f8`, ...) so that C++ and Python
/// agree on every byte. Only fixed-size little-endian numeric types and bool are supported.

#include <smx/export.hpp>

#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smx {

/// A fixed-size numeric element type.
class SMX_EXPORT DType {
public:
    enum class Kind : std::uint8_t {
        b1, i1, u1, i2, u2, i4, u4, i8, u8, f2, f4, f8, c8, c16
    };

    constexpr DType(Kind kind) noexcept : m_kind(kind) {}  // NOLINT: implicit by design

    /// Parses a numpy typestr ("<u2", "|u1", "uint16" is *not* accepted).
    /// Throws InvalidArgument naming the spelling and the accepted ones.
    static DType parse(std::string_view typestr);
    /// True if `typestr` would parse.
    static bool is_valid(std::string_view typestr) noexcept;

    constexpr Kind kind() const noexcept { return m_kind; }
    /// The numpy typestr, e.g. "<f4".
    const char* typestr() const noexcept;
    /// Bytes per element.
    std::size_t itemsize() const noexcept;

    friend constexpr bool operator==(DType a, DType b) noexcept { return a.m_kind == b.m_kind; }

private:
    Kind m_kind;
};

/// IEEE half precision stored as its bit pattern (C++20 has no float16 type).
struct float16 {
    std::uint16_t bits;
};

namespace detail {
template <class T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType::Kind value = DType::Kind::b1; };
template <> struct dtype_of<std::int8_t> { static constexpr DType::Kind value = DType::Kind::i1; };
template <> struct dtype_of<std::uint8_t> { static constexpr DType::Kind value = DType::Kind::u1; };
template <> struct dtype_of<std::int16_t> { static constexpr DType::Kind value = DType::Kind::i2; };
template <> struct dtype_of<std::uint16_t> { static constexpr DType::Kind value = DType::Kind::u2; };
template <> struct dtype_of<std::int32_t> { static constexpr DType::Kind value = DType::Kind::i4; };
template <> struct dtype_of<std::uint32_t> { static constexpr DType::Kind value = DType::Kind::u4; };
template <> struct dtype_of<std::int64_t> { static constexpr DType::Kind value = DType::Kind::i8; };
template <> struct dtype_of<std::uint64_t> { static constexpr DType::Kind value = DType::Kind::u8; };
template <> struct dtype_of<float16> { static constexpr DType::Kind value = DType::Kind::f2; };
template <> struct dtype_of<float> { static constexpr DType::Kind value = DType::Kind::f4; };
template <> struct dtype_of<double> { static constexpr DType::Kind value = DType::Kind::f8; };
template <> struct dtype_of<std::complex<float>> { static constexpr DType::Kind value = DType::Kind::c8; };
template <> struct dtype_of<std::complex<double>> { static constexpr DType::Kind value = DType::Kind::c16; };
}  // namespace detail

/// The DType of a C++ element type: `smx::dtype_of<std::uint16_t>()` is "<u2".
template <class T>
constexpr DType dtype_of() noexcept {
    return DType(detail::dtype_of<std::remove_cv_t<T>>::value);
}

}  // namespace smx
