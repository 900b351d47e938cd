#pragma once
// Reading the elements of a field whatever its dtype, for `smx echo` (statistics, values) and
// `smx snapshot` (pixels): every element as a double, or one element as exact text.

#include <smx/dtype.hpp>

#include <charconv>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace smx::cli {

/// IEEE half precision bits to float (subnormals, infinities and NaN included).
inline float half_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    std::uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        int e = -1;  // normalise the subnormal
        do {
            ++e;
            mantissa <<= 1;
        } while ((mantissa & 0x400u) == 0);
        bits = sign | (static_cast<std::uint32_t>(112 - e) << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

template <class T>
T load(const std::byte* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

/// Element `i` of a field as a double. Complex elements give their magnitude.
inline double element_value(DType dtype, const std::byte* data, std::size_t i) noexcept {
    const std::byte* p = data + i * dtype.itemsize();
    switch (dtype.kind()) {
        case DType::Kind::b1: return load<std::uint8_t>(p) != 0 ? 1.0 : 0.0;
        case DType::Kind::i1: return load<std::int8_t>(p);
        case DType::Kind::u1: return load<std::uint8_t>(p);
        case DType::Kind::i2: return load<std::int16_t>(p);
        case DType::Kind::u2: return load<std::uint16_t>(p);
        case DType::Kind::i4: return load<std::int32_t>(p);
        case DType::Kind::u4: return load<std::uint32_t>(p);
        case DType::Kind::i8: return static_cast<double>(load<std::int64_t>(p));
        case DType::Kind::u8: return static_cast<double>(load<std::uint64_t>(p));
        case DType::Kind::f2: return half_to_float(load<std::uint16_t>(p));
        case DType::Kind::f4: return load<float>(p);
        case DType::Kind::f8: return load<double>(p);
        case DType::Kind::c8: return std::abs(load<std::complex<float>>(p));
        case DType::Kind::c16: return std::abs(load<std::complex<double>>(p));
        case DType::Kind::S: return std::nan("");  // text has no value (callers show strings as text)
    }
    return 0;
}

/// Calls `f(double)` for each of the `count` elements at `data`, the dtype dispatched once
/// (complex elements give their magnitude).
template <class F>
void for_each_value(DType dtype, const std::byte* data, std::uint64_t count, F&& f) {
    auto each = [&](auto tag, auto convert) {
        using T = decltype(tag);
        for (std::uint64_t i = 0; i < count; ++i) f(convert(load<T>(data + i * sizeof(T))));
    };
    auto as_double = [](auto v) { return static_cast<double>(v); };
    switch (dtype.kind()) {
        case DType::Kind::b1: each(std::uint8_t{}, [](std::uint8_t v) { return v != 0 ? 1.0 : 0.0; }); break;
        case DType::Kind::i1: each(std::int8_t{}, as_double); break;
        case DType::Kind::u1: each(std::uint8_t{}, as_double); break;
        case DType::Kind::i2: each(std::int16_t{}, as_double); break;
        case DType::Kind::u2: each(std::uint16_t{}, as_double); break;
        case DType::Kind::i4: each(std::int32_t{}, as_double); break;
        case DType::Kind::u4: each(std::uint32_t{}, as_double); break;
        case DType::Kind::i8: each(std::int64_t{}, as_double); break;
        case DType::Kind::u8: each(std::uint64_t{}, as_double); break;
        case DType::Kind::f2: each(std::uint16_t{}, [](std::uint16_t v) { return static_cast<double>(half_to_float(v)); }); break;
        case DType::Kind::f4: each(float{}, as_double); break;
        case DType::Kind::f8: each(double{}, as_double); break;
        case DType::Kind::c8: each(std::complex<float>{}, [](std::complex<float> v) { return static_cast<double>(std::abs(v)); }); break;
        case DType::Kind::c16: each(std::complex<double>{}, [](std::complex<double> v) { return std::abs(v); }); break;
        case DType::Kind::S: break;  // text has no value (callers show strings as text)
    }
}

/// True for the dtypes whose elements are complex numbers.
inline bool is_complex(DType dtype) noexcept {
    return dtype.kind() == DType::Kind::c8 || dtype.kind() == DType::Kind::c16;
}

/// The shortest text that reads back as `v` ("0.1", "1e+300", "nan", "inf").
template <class F>
std::string shortest(F v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char text[64];
    const auto r = std::to_chars(text, text + sizeof text, v);
    return std::string(text, r.ptr);
}

/// A string element as numpy shows it, b'...': trailing NUL bytes dropped, quotes, backslashes
/// and bytes outside printable ASCII escaped (\xNN), so hostile text cannot drive the terminal.
inline std::string string_text(const std::byte* p, std::size_t capacity) {
    std::size_t n = capacity;
    while (n > 0 && p[n - 1] == std::byte{0}) --n;
    std::string out = "b'";
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(p[i]);
        if (c == '\'' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\x%02x", c);
            out += esc;
        }
    }
    return out + "'";
}

/// Element `i` as exact text: integers in full, floats with enough digits to round-trip,
/// complex as "(re+imj)" like numpy, bool as True/False, strings as b'...'.
inline std::string element_text(DType dtype, const std::byte* data, std::size_t i) {
    const std::byte* p = data + i * dtype.itemsize();
    char text[96];
    switch (dtype.kind()) {
        case DType::Kind::b1: return load<std::uint8_t>(p) ? "True" : "False";
        case DType::Kind::i8: return std::to_string(load<std::int64_t>(p));
        case DType::Kind::u8: return std::to_string(load<std::uint64_t>(p));
        case DType::Kind::i1: case DType::Kind::u1: case DType::Kind::i2: case DType::Kind::u2:
        case DType::Kind::i4: case DType::Kind::u4:
            return std::to_string(static_cast<std::int64_t>(element_value(dtype, data, i)));
        // Floats in their shortest text that reads back to the same value.
        case DType::Kind::f2: return shortest(half_to_float(load<std::uint16_t>(p)));
        case DType::Kind::f4: return shortest(load<float>(p));
        case DType::Kind::f8: return shortest(load<double>(p));
        case DType::Kind::c8: {
            const auto z = load<std::complex<float>>(p);
            std::snprintf(text, sizeof text, "(%.9g%+.9gj)", z.real(), z.imag());
            return text;
        }
        case DType::Kind::c16: {
            const auto z = load<std::complex<double>>(p);
            std::snprintf(text, sizeof text, "(%.17g%+.17gj)", z.real(), z.imag());
            return text;
        }
        case DType::Kind::S: return string_text(p, dtype.itemsize());
    }
    return "?";
}

}  // namespace smx::cli
