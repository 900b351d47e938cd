#pragma once
/// @file array.hpp
/// Typed views into frame memory (`ArrayView<T>`) and untyped descriptions of caller memory
/// handed to `Writer::write` (`ArrayRef`).

#include <smx/dtype.hpp>
#include <smx/error.hpp>
#include <smx/schema.hpp>
#include <smx/span.hpp>

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

namespace smx {

/// A C-contiguous N-d view of `T` elements: span-like, with the shape known.
/// `ArrayView<const T>` for reader frames (read-only memory), `ArrayView<T>` for writer loans.
/// A view does not own memory: it is valid while the Frame or Loan it came from lives.
///
/// `at()` checks its indices always (InvalidArgument); `operator()` and `operator[]` check them
/// with `assert` — in debug builds (no NDEBUG) an index out of range aborts with its place
/// instead of reading past the frame.
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
    /// Element `i` in flat (row-major) order; checked by assert only (debug builds).
    T& operator[](std::size_t i) const noexcept {
        assert(i < size() && "smx::ArrayView: flat index out of range");
        return m_data[i];
    }
    /// Element at a multi-index, row-major (as many indices as dimensions); checked by assert
    /// only (debug builds).
    template <class... I>
    T& operator()(I... idx) const noexcept {
        const std::size_t index[] = {static_cast<std::size_t>(idx)...};
        assert(sizeof...(I) == m_shape.ndim() && "smx::ArrayView: as many indices as dimensions");
        std::size_t flat = 0;
        for (std::size_t d = 0; d < sizeof...(I); ++d) {
            assert(index[d] < m_shape[d] && "smx::ArrayView: index out of range");
            flat = flat * m_shape[d] + index[d];
        }
        return m_data[flat];
    }
    /// Element at a multi-index, every index checked: throws InvalidArgument naming the index,
    /// the dimension and the shape when one is out of range or their number is wrong.
    template <class... I>
    T& at(I... idx) const {
        const long long index[] = {static_cast<long long>(idx)...};
        if (sizeof...(I) != m_shape.ndim())
            throw InvalidArgument("ArrayView::at: " + std::to_string(sizeof...(I)) + " indices for shape " +
                                  m_shape.to_string());
        std::size_t flat = 0;
        for (std::size_t d = 0; d < sizeof...(I); ++d) {
            if (index[d] < 0 || static_cast<std::uint64_t>(index[d]) >= m_shape[d])
                throw InvalidArgument("ArrayView::at: index " + std::to_string(index[d]) + " of dimension " +
                                      std::to_string(d) + " is out of range for shape " + m_shape.to_string());
            flat = flat * m_shape[d] + static_cast<std::size_t>(index[d]);
        }
        return m_data[flat];
    }
    span<T> flat() const noexcept { return {m_data, size()}; }
    span<const std::byte> bytes() const noexcept {
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

/// Describes contiguous elements of T at `data` with the given shape. The caller guarantees
/// that `data` holds shape.element_count() elements: prefer the overloads below, which check.
template <class T>
ArrayRef array_ref(const T* data, Shape shape, std::string_view name = {}) {
    return ArrayRef(data, dtype_of<T>(), shape, name);
}

/// Describes `elements` with the given shape; throws InvalidArgument unless the span holds
/// exactly shape.element_count() elements (too few would be read past their end).
template <class T>
ArrayRef array_ref(span<const T> elements, Shape shape, std::string_view name = {}) {
    if (elements.size() != shape.element_count())
        throw InvalidArgument("array_ref" + (name.empty() ? std::string() : " '" + std::string(name) + "'") + ": " +
                              std::to_string(elements.size()) + " elements given, shape " + shape.to_string() +
                              " needs " + std::to_string(shape.element_count()));
    return array_ref(elements.data(), shape, name);
}

/// Describes a contiguous container (std::vector, std::array, ...) with the given shape; throws
/// InvalidArgument unless it holds exactly shape.element_count() elements.
template <class Container>
auto array_ref(const Container& c, Shape shape, std::string_view name = {})
    -> decltype(array_ref(std::data(c), shape, name)) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(std::data(c))>>;
    return array_ref(span<const T>(std::data(c), std::size(c)), shape, name);
}

}  // namespace smx
