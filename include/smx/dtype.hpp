#pragma once
/// @file dtype.hpp
/// Element types, spelled as numpy "typestr" (`|u1`, `<u2`, `<f8`, `|S32`, ...) so that C++ and
/// Python agree on every byte: fixed-size little-endian numbers, bool, and fixed-capacity byte
/// strings (numpy's `|S<n>`: n bytes, NUL-padded when shorter).

#include <smx/export.hpp>

#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace smx {

/// Bytes of the longest fixed-capacity string element (`|S65535`).
inline constexpr std::size_t MAX_STRING_BYTES = 65535;

/// An element type: a fixed-size number or bool, or a fixed-capacity byte string.
class SMX_EXPORT DType {
public:
    enum class Kind : std::uint8_t {
        b1, i1, u1, i2, u2, i4, u4, i8, u8, f2, f4, f8, c8, c16,
        S  ///< a byte string of string_capacity() bytes (DType::string(n)); Kind::S alone is |S1
    };

    constexpr DType(Kind kind) noexcept : DType(kind, 1) {}  // NOLINT: implicit by design

    /// A string of `capacity` bytes, numpy's `|S<capacity>`: text shorter than the capacity is
    /// padded with NUL bytes, text of exactly the capacity has none. Throws InvalidArgument
    /// unless 1 <= capacity <= MAX_STRING_BYTES.
    static DType string(std::size_t capacity);

    /// Parses a numpy typestr ("<u2", "|u1", "|S32"; "uint16" is *not* accepted).
    /// Throws InvalidArgument naming the spelling and the accepted ones.
    static DType parse(std::string_view typestr);
    /// True if `typestr` would parse.
    static bool is_valid(std::string_view typestr) noexcept;

    constexpr Kind kind() const noexcept { return m_kind; }
    /// True for a fixed-capacity string (Kind::S).
    constexpr bool is_string() const noexcept { return m_kind == Kind::S; }
    /// The numpy typestr, e.g. "<f4" or "|S32". The text lives in this DType: copy it to keep it.
    const char* typestr() const noexcept { return m_text.data(); }
    /// Bytes per element (a string's capacity).
    std::size_t itemsize() const noexcept;

    friend constexpr bool operator==(DType a, DType b) noexcept { return a.m_kind == b.m_kind && a.m_size == b.m_size; }
    friend constexpr bool operator!=(DType a, DType b) noexcept { return !(a == b); }

private:
    template <class T>
    friend struct detail_dtype_access;
    constexpr DType(Kind kind, std::uint32_t size) noexcept : m_kind(kind), m_size(size), m_text(text_of(kind, size)) {}

    static constexpr std::array<char, 8> text_of(Kind kind, std::uint32_t size) noexcept {
        constexpr const char* names[] = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8",
                                         "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"};
        std::array<char, 8> t{};
        if (kind != Kind::S) {
            const char* n = names[static_cast<std::size_t>(kind)];
            for (std::size_t i = 0; n[i] != '\0'; ++i) t[i] = n[i];
            return t;
        }
        t[0] = '|';
        t[1] = 'S';
        std::size_t digits = 1;
        for (std::uint32_t v = size; v >= 10; v /= 10) ++digits;
        for (std::size_t i = 0; i < digits; ++i, size /= 10) t[1 + digits - i] = static_cast<char>('0' + size % 10);
        return t;
    }

    Kind m_kind;
    std::uint32_t m_size;          // a string's capacity (1 for the numeric kinds: unused)
    std::array<char, 8> m_text;    // the typestr, NUL-terminated
};

/// IEEE half precision stored as its bit pattern (C++20 has no float16 type).
struct float16 {
    std::uint16_t bits;
};

/// A string element of N bytes (dtype `|S<N>`): text of up to N bytes, NUL-padded, as numpy
/// stores `np.bytes_` of dtype `S<N>`. A field of one string is `smx::Tensor<smx::FixedString<N>>`
/// (shape `()`), as in `frame_id` or `encoding` fields.
template <std::size_t N>
struct FixedString {
    static_assert(N >= 1 && N <= MAX_STRING_BYTES, "smx::FixedString<N>: N must be 1..65535 bytes");
    char bytes[N];

    /// The text: up to the first NUL, or all N bytes when there is none.
    std::string_view view() const noexcept {
        std::size_t n = 0;
        while (n < N && bytes[n] != '\0') ++n;
        return {bytes, n};
    }
    std::string str() const { return std::string(view()); }
    /// Stores `text` and NUL-pads the rest. Throws InvalidArgument if it is longer than N bytes
    /// (nothing is truncated silently) or holds a NUL byte before its end (readers would see the
    /// text end there); trailing NUL bytes are padding.
    void assign(std::string_view text);
    FixedString& operator=(std::string_view text) {
        assign(text);
        return *this;
    }
    friend bool operator==(const FixedString& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator==(const FixedString& a, const FixedString& b) noexcept { return a.view() == b.view(); }
};

namespace detail {
[[noreturn]] SMX_EXPORT void throw_string_too_long(std::size_t capacity, std::string_view text);
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
template <std::size_t N> struct dtype_of<FixedString<N>> { static constexpr DType::Kind value = DType::Kind::S; };
}  // namespace detail

template <std::size_t N>
void FixedString<N>::assign(std::string_view text) {
    while (!text.empty() && text.back() == '\0') text.remove_suffix(1);  // padding
    if (text.size() > N || text.find('\0') != std::string_view::npos) detail::throw_string_too_long(N, text);
    std::size_t i = 0;
    for (; i < text.size(); ++i) bytes[i] = text[i];
    for (; i < N; ++i) bytes[i] = '\0';
}

template <class T>
struct detail_dtype_access {
    static constexpr DType get() noexcept {
        if constexpr (detail::dtype_of<T>::value == DType::Kind::S)
            return DType(DType::Kind::S, static_cast<std::uint32_t>(sizeof(T)));
        else
            return DType(detail::dtype_of<T>::value);
    }
};

/// The DType of a C++ element type: `smx::dtype_of<std::uint16_t>()` is "<u2",
/// `smx::dtype_of<smx::FixedString<32>>()` is "|S32".
template <class T>
constexpr DType dtype_of() noexcept {
    return detail_dtype_access<std::remove_cv_t<T>>::get();
}

}  // namespace smx
