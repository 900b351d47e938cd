#pragma once
/// @file array.hpp
/// Typed views into frame memory (`ArrayView<T>`) and untyped descriptions of caller memory
/// handed to `Writer::write` (`ArrayRef`).

#include <smx/dtype.hpp>
#include <smx/schema.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace smx {

/// A C-contiguous N-d view of `T` elements: span-like, with the shape known.
/// `ArrayView<const T>` for reader frames (read-only memory), `ArrayView<T>` for writer loans.
/// A view does not own memory: it is valid while the Frame or Loan it came from lives.
template <class T>
class ArrayView {
public:
    ArrayView() = default;
    ArrayView(T* data, const Shape& shape) noexcept : m_data(data), m_shape(shape) {}

    T* data() const noexcept { return m_data; }
    const Shape& shape() const noexcept { return m_shape; }
    std::size_t ndim() const noexcept { return m_shape.ndim(); }
    /// Number of elements.
    std::size_t size() const noexcept { return static_cast<std::size_t>(m_shape.element_count()); }
    std::size_t size_bytes() const noexcept { return size() * sizeof(T); }
    T* begin() const noexcept { return m_data; }
    T* end() const noexcept { return m_data + size(); }
    /// Element `i` in flat (row-major) order; unchecked.
    T& operator[](std::size_t i) const noexcept { return m_data[i]; }
    /// Element at a multi-index, row-major; unchecked (as many indices as dimensions).
    template <class... I>
    T& operator()(I... idx) const noexcept {
        const std::size_t index[] = {static_cast<std::size_t>(idx)...};
        std::size_t flat = 0;
        for (std::size_t d = 0; d < sizeof...(I); ++d) flat = flat * m_shape[d] + index[d];
        return m_data[flat];
    }
    std::span<T> flat() const noexcept { return {m_data, size()}; }
    std::span<const std::byte> bytes() const noexcept {
        return {reinterpret_cast<const std::byte*>(m_data), size_bytes()};
    }

private:
    T* m_data = nullptr;
    Shape m_shape;
};

/// Caller memory offered to `Writer::write` for one field: pointer, dtype, shape and
/// optional byte strides (empty = C-contiguous). Checked against the schema before any byte
/// is copied.
struct ArrayRef {
    std::string_view name;  ///< optional; if set it must equal the schema field's name
    const void* data = nullptr;
    DType dtype = DType::Kind::u1;
    Shape shape;
    std::array<std::int64_t, MAX_DIMS> strides{};  ///< in bytes; only used if has_strides
    bool has_strides = false;

    ArrayRef() = default;
    ArrayRef(const void* data_, DType dtype_, Shape shape_, std::string_view name_ = {})
        : name(name_), data(data_), dtype(dtype_), shape(shape_) {}
};

/// Describes `count` contiguous elements of T at `data` with the given shape.
template <class T>
ArrayRef array_ref(const T* data, Shape shape, std::string_view name = {}) {
    return ArrayRef(data, dtype_of<T>(), shape, name);
}

/// Describes a contiguous container (std::vector, std::array, ...) with the given shape.
template <class Container>
auto array_ref(const Container& c, Shape shape, std::string_view name = {})
    -> decltype(array_ref(std::data(c), shape, name)) {
    return array_ref(std::data(c), shape, name);
}

}  // namespace smx
