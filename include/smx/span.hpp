#pragma once
/// @file span.hpp
/// `smx::span<T>`: `std::span<T>` where the compiler has it (C++20), and a small equivalent with
/// the same names otherwise, so that smx's headers compile as C++17 (ROS 2 Humble and Jazzy
/// packages, many robot code bases) as well as C++20. The library's exported functions take
/// pointer and size, never a span: a C++17 and a C++20 program link the same libsmx.

#include <cstddef>
#include <type_traits>
#include <utility>
#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#endif

namespace smx {

#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L

template <class T>
using span = std::span<T>;

#else

/// A view of `size()` contiguous `T` (C++17 stand-in for `std::span<T>` with a dynamic extent:
/// the same names for what smx's headers and their users need).
template <class T>
class span {
public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;
    using size_type = std::size_t;
    using pointer = T*;
    using reference = T&;
    using iterator = T*;

    constexpr span() noexcept = default;
    constexpr span(T* data, std::size_t size) noexcept : m_data(data), m_size(size) {}
    template <std::size_t N>
    constexpr span(T (&array)[N]) noexcept : m_data(array), m_size(N) {}  // NOLINT: implicit like std::span
    /// From a contiguous container whose elements convert to T without a copy (std::vector,
    /// std::array, std::string, another span, ...).
    template <class Container,
              class = std::enable_if_t<
                  !std::is_same_v<std::remove_cv_t<std::remove_reference_t<Container>>, span> &&
                  std::is_convertible_v<std::remove_pointer_t<decltype(std::declval<Container&>().data())> (*)[],
                                        T (*)[]>>>
    constexpr span(Container&& c) noexcept(noexcept(c.data()) && noexcept(c.size()))  // NOLINT: implicit like std::span
        : m_data(c.data()), m_size(static_cast<std::size_t>(c.size())) {}

    constexpr T* data() const noexcept { return m_data; }
    constexpr std::size_t size() const noexcept { return m_size; }
    constexpr std::size_t size_bytes() const noexcept { return m_size * sizeof(T); }
    [[nodiscard]] constexpr bool empty() const noexcept { return m_size == 0; }
    constexpr T* begin() const noexcept { return m_data; }
    constexpr T* end() const noexcept { return m_data + m_size; }
    constexpr T& operator[](std::size_t i) const noexcept { return m_data[i]; }
    constexpr T& front() const noexcept { return m_data[0]; }
    constexpr T& back() const noexcept { return m_data[m_size - 1]; }
    constexpr span first(std::size_t n) const noexcept { return {m_data, n}; }
    constexpr span last(std::size_t n) const noexcept { return {m_data + m_size - n, n}; }
    constexpr span subspan(std::size_t offset, std::size_t n = static_cast<std::size_t>(-1)) const noexcept {
        return {m_data + offset, n == static_cast<std::size_t>(-1) ? m_size - offset : n};
    }

private:
    T* m_data = nullptr;
    std::size_t m_size = 0;
};

#endif

}  // namespace smx
