#pragma once
/// @file typed.hpp
/// Typed frames: describe a frame once as a C++ struct of `smx::Tensor` fields, and let the
/// compiler check every field name and element type — the C++ counterpart of a Python `BaseIdl`
/// dataclass, and the same schema:
///
///     struct Camera {
///         smx::Tensor<std::uint8_t, 480, 848, 3> color;
///         smx::Tensor<std::uint16_t, 480, 848> depth;
///         smx::Tensor<double, 4, 4> extrinsics;
///     };
///     SMX_FRAME(Camera, color, depth, extrinsics);
///
///     smx::TypedWriter<Camera> writer(participant, "camera");
///     if (auto loan = writer.loan()) {          // members are views into the slot
///         loan->depth(240, 424) = 1234;
///         writer.publish(std::move(loan));
///     }
///     smx::TypedReader<Camera> reader(participant, "camera");
///     if (auto frame = reader.next(1s, smx::Hold::pin)) use(frame->depth(240, 424));
///
/// Strings (`smx::String<16> frame_id;`, numpy `|S16`) and bounded fields of up to N rows with a
/// live length (`smx::Bounded<float, 100, 4> boxes;`, numpy shape `(<=100, 4)`) are fields too.
///
/// The schema (`smx::schema_of<Camera>()`) lists the fields in declaration order with the
/// element types' dtypes and the Tensor's dimensions; a Python dataclass whose fields are numpy
/// arrays of those names, dtypes and shapes in that order has the same schema.

#include <smx/array.hpp>
#include <smx/detail/for_each.hpp>
#include <smx/dtype.hpp>
#include <smx/error.hpp>
#include <smx/frame.hpp>
#include <smx/reader.hpp>
#include <smx/schema.hpp>
#include <smx/span.hpp>
#include <smx/writer.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace smx {

namespace detail {
template <class T, class = void>
struct has_dtype : std::false_type {};
template <class T>
struct has_dtype<T, std::void_t<decltype(detail::dtype_of<std::remove_cv_t<T>>::value)>> : std::true_type {};
struct TypedAccess;
/// True if `itemsize` times the dimensions neither overflows nor exceeds MAX_FRAME_BYTES.
constexpr bool fits_in_frame(std::size_t itemsize, std::initializer_list<std::size_t> dims) {
    std::uint64_t bytes = itemsize;
    for (const std::size_t d : dims) {
        if (d != 0 && bytes > MAX_FRAME_BYTES / d) return false;
        bytes *= d;
    }
    return bytes <= MAX_FRAME_BYTES;
}
/// True if every field name (sizeof of its literal, the NUL included) fits MAX_FIELD_NAME.
constexpr bool names_fit(std::initializer_list<std::size_t> sizes) {
    for (const std::size_t s : sizes)
        if (s - 1 > MAX_FIELD_NAME) return false;
    return true;
}
/// True if no member pointer appears twice.
template <class... P>
constexpr bool distinct(P... p) {
    const std::size_t offsets[] = {p...};
    for (std::size_t i = 0; i < sizeof...(P); ++i)
        for (std::size_t j = i + 1; j < sizeof...(P); ++j)
            if (offsets[i] == offsets[j]) return false;
    return true;
}
[[noreturn]] [[gnu::cold]] [[gnu::noinline]] inline void throw_empty(const char* what) { throw Closed(what); }
}  // namespace detail

/// A field of a typed frame: a C-contiguous array of `T` with the dimensions `Dims...` (none: one
/// element, numpy's shape `()`), fixed at compile time.
///
/// Made by the user (`Camera camera;`), a Tensor owns zeroed storage of its own, as a
/// `std::array` would but on the heap (frames are large). The Tensors of a loan or a frame
/// instead point into the shared slot (no allocation, no copy). Assigning a Tensor copies its
/// elements into the storage of the one assigned to — into the slot for a loan's:
/// `loan->depth = my_depth;`. Const Tensors give only const elements.
template <class T, std::size_t... Dims>
class Tensor {
    static_assert(detail::has_dtype<T>::value,
                  "smx::Tensor<T, ...>: T has no smx dtype (use bool, std::int8_t ... std::uint64_t, smx::float16, "
                  "float, double, std::complex<float> or std::complex<double>)");
    static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "smx::Tensor<T, ...>: T must not be const or volatile");
    static_assert(((Dims > 0) && ...), "smx::Tensor<T, Dims...>: every dimension must be at least 1");
    static_assert(sizeof...(Dims) <= MAX_DIMS, "smx::Tensor<T, Dims...>: at most 8 dimensions (smx::MAX_DIMS)");
    static_assert(detail::fits_in_frame(sizeof(T), {Dims...}),
                  "smx::Tensor<T, Dims...>: the field is larger than a frame may be (smx::MAX_FRAME_BYTES, 1 TiB)");

public:
    using element_type = T;
    static constexpr bool is_bounded = false;
    /// Number of dimensions.
    static constexpr std::size_t rank = sizeof...(Dims);
    /// Number of elements.
    static constexpr std::size_t count = (std::size_t{1} * ... * Dims);
    /// The dimensions.
    static constexpr std::array<std::size_t, rank> extents{Dims...};

    /// Owns `count` zeroed elements.
    Tensor() : m_owned(new T[count]()), m_data(m_owned) {}
    /// Owns a copy of `other`'s elements.
    Tensor(const Tensor& other) : Tensor() { std::copy(other.begin(), other.end(), m_data); }
    /// Takes over `other`'s storage (or points where it pointed, for a view); `other` is left
    /// without elements (data() null), so it cannot reach storage it no longer owns.
    Tensor(Tensor&& other) noexcept
        : m_owned(std::exchange(other.m_owned, nullptr)), m_data(std::exchange(other.m_data, nullptr)) {}
    /// Copies the elements into this Tensor's storage (a loan's slot, or its own). Throws
    /// Closed if either was moved from (it has no elements).
    Tensor& operator=(const Tensor& other) {
        if (this != &other) {
            if (!m_data || !other.m_data) detail::throw_empty("smx::Tensor: assignment to or from a moved-from Tensor");
            std::copy(other.begin(), other.end(), m_data);
        }
        return *this;
    }
    Tensor& operator=(Tensor&& other) { return *this = static_cast<const Tensor&>(other); }
    ~Tensor() { delete[] m_owned; }

    T* data() noexcept { return m_data; }
    const T* data() const noexcept { return m_data; }
    static constexpr std::size_t size() noexcept { return count; }
    static constexpr std::size_t size_bytes() noexcept { return count * sizeof(T); }
    /// The dimensions as an smx::Shape (what the schema holds).
    static Shape shape() { return Shape{static_cast<std::uint64_t>(Dims)...}; }
    T* begin() noexcept { return m_data; }
    T* end() noexcept { return m_data + count; }
    const T* begin() const noexcept { return m_data; }
    const T* end() const noexcept { return m_data + count; }

    /// Element at a multi-index (exactly `rank` indices, checked by the compiler), row-major;
    /// each index is checked by assert only (debug builds). Compiles to one multiply-add per
    /// dimension with constant extents.
    template <class... I>
    T& operator()(I... idx) noexcept {
        return m_data[flat_index(idx...)];
    }
    template <class... I>
    const T& operator()(I... idx) const noexcept {
        return m_data[flat_index(idx...)];
    }
    /// The same with every index checked: throws InvalidArgument naming the index and dimension.
    template <class... I>
    T& at(I... idx) {
        return checked_data()[checked_index(idx...)];
    }
    template <class... I>
    const T& at(I... idx) const {
        return const_cast<Tensor*>(this)->checked_data()[checked_index(idx...)];
    }
    /// Element `i` in flat (row-major) order; checked by assert only (debug builds).
    T& operator[](std::size_t i) noexcept {
        assert(i < count && "smx::Tensor: flat index out of range");
        return m_data[i];
    }
    const T& operator[](std::size_t i) const noexcept {
        assert(i < count && "smx::Tensor: flat index out of range");
        return m_data[i];
    }
    span<T> flat() noexcept { return {m_data, count}; }
    span<const T> flat() const noexcept { return {m_data, count}; }
    /// The untyped API's view of the same elements.
    ArrayView<T> view() noexcept { return ArrayView<T>(m_data, shape()); }
    ArrayView<const T> view() const noexcept { return ArrayView<const T>(m_data, shape()); }
    /// Sets every element to `value`.
    void fill(const T& value) noexcept { std::fill(begin(), end(), value); }

private:
    friend struct detail::TypedAccess;
    struct ViewOf {};
    Tensor(ViewOf, T* data) noexcept : m_data(data) {}  // a view into a slot: owns nothing

    template <class... I>
    static std::size_t flat_index(I... idx) noexcept {
        static_assert(sizeof...(I) == rank, "smx::Tensor: give as many indices as the Tensor has dimensions");
        static_assert((std::is_integral_v<I> && ...), "smx::Tensor: indices are integers");
        const std::size_t index[rank + 1] = {static_cast<std::size_t>(idx)...};
        std::size_t flat = 0;
        for (std::size_t d = 0; d < rank; ++d) {
            assert(index[d] < extents[d] && "smx::Tensor: index out of range");
            flat = flat * extents[d] + index[d];
        }
        return flat;
    }
    template <class... I>
    static std::size_t checked_index(I... idx) {
        static_assert(sizeof...(I) == rank, "smx::Tensor: give as many indices as the Tensor has dimensions");
        static_assert((std::is_integral_v<I> && ...), "smx::Tensor: indices are integers");
        const long long index[rank + 1] = {static_cast<long long>(idx)...};
        std::size_t flat = 0;
        for (std::size_t d = 0; d < rank; ++d) {
            if (index[d] < 0 || static_cast<unsigned long long>(index[d]) >= extents[d])
                throw InvalidArgument("Tensor::at: index " + std::to_string(index[d]) + " of dimension " +
                                      std::to_string(d) + " is out of range for shape " + shape().to_string());
            flat = flat * extents[d] + static_cast<std::size_t>(index[d]);
        }
        return flat;
    }

    T* checked_data() {
        if (!m_data) detail::throw_empty("smx::Tensor: at() on a moved-from Tensor");
        return m_data;
    }

    T* m_owned = nullptr;  // set when the Tensor owns its storage
    T* m_data = nullptr;
};

/// A one-string field: `smx::String<32> frame_id;` is a Tensor of one `FixedString<32>` (numpy
/// dtype `|S32`, shape `()`). `loan->frame_id() = "camera";`, `frame->frame_id().view()`.
template <std::size_t N>
using String = Tensor<FixedString<N>>;

/// A bounded field of a typed frame: up to `Capacity` rows, each of the dimensions `Dims...`
/// (numpy shape `(<=Capacity, Dims...)`); every frame carries its live number of rows. For
/// "up to 100 detections of 6 numbers": `smx::Bounded<float, 100, 6> detections;`.
///
/// Like a Tensor it owns zeroed storage (and 0 rows) when made by the user, and is a view into
/// the slot in a loan (0 rows when the loan is taken: `resize`, then fill) or a frame. Assigning
/// copies the rows and the length. Indices are row first; the row is checked against the live
/// length (by assert for `operator()`, always for `at()`).
template <class T, std::size_t Capacity, std::size_t... Dims>
class Bounded {
    static_assert(detail::has_dtype<T>::value,
                  "smx::Bounded<T, ...>: T has no smx dtype (use bool, std::int8_t ... std::uint64_t, smx::float16, "
                  "float, double, std::complex<float>, std::complex<double> or smx::FixedString<N>)");
    static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "smx::Bounded<T, ...>: T must not be const or volatile");
    static_assert(Capacity > 0 && ((Dims > 0) && ...), "smx::Bounded<T, Capacity, Dims...>: every dimension must be at least 1");
    static_assert(sizeof...(Dims) < MAX_DIMS, "smx::Bounded<T, Capacity, Dims...>: at most 8 dimensions, the rows included");
    static_assert(detail::fits_in_frame(sizeof(T), {Capacity, Dims...}),
                  "smx::Bounded<T, Capacity, Dims...>: the field is larger than a frame may be (smx::MAX_FRAME_BYTES, 1 TiB)");

public:
    using element_type = T;
    static constexpr bool is_bounded = true;
    /// Number of dimensions, the rows included.
    static constexpr std::size_t rank = 1 + sizeof...(Dims);
    /// Most rows a frame can carry.
    static constexpr std::size_t capacity = Capacity;
    /// Elements per row.
    static constexpr std::size_t row_size = (std::size_t{1} * ... * Dims);
    /// The dimensions of a row.
    static constexpr std::array<std::size_t, sizeof...(Dims)> row_extents{Dims...};

    /// Owns `Capacity` zeroed rows; holds 0 of them.
    Bounded() : m_owned(new T[Capacity * row_size]()), m_data(m_owned) {}
    Bounded(const Bounded& other) : Bounded() { *this = other; }
    /// Takes over `other`'s storage (or view); `other` is left without elements.
    Bounded(Bounded&& other) noexcept
        : m_owned(std::exchange(other.m_owned, nullptr)), m_data(std::exchange(other.m_data, nullptr)),
          m_own_length(std::exchange(other.m_own_length, 0)), m_length(std::exchange(other.m_length, nullptr)) {}
    /// Copies `other`'s live rows and its length (into the slot, for a loan's). Throws Closed if
    /// either was moved from.
    Bounded& operator=(const Bounded& other) {
        if (this != &other) {
            if (!m_data || !other.m_data) detail::throw_empty("smx::Bounded: assignment to or from a moved-from Bounded");
            const std::size_t n = other.size();
            std::copy(other.m_data, other.m_data + n * row_size, m_data);
            set_length(n);
        }
        return *this;
    }
    Bounded& operator=(Bounded&& other) { return *this = static_cast<const Bounded&>(other); }
    ~Bounded() { delete[] m_owned; }

    /// The live rows (never more than the capacity, whatever a slot holds).
    std::size_t size() const noexcept {
        const std::uint64_t n = m_length ? __atomic_load_n(m_length, __ATOMIC_RELAXED) : m_own_length;
        return n < Capacity ? static_cast<std::size_t>(n) : Capacity;
    }
    bool empty() const noexcept { return size() == 0; }
    /// Sets the live rows; new rows hold what the storage held (zeros, for a Bounded of its own).
    /// Throws InvalidArgument if `rows` exceeds the capacity.
    void resize(std::size_t rows) {
        if (!m_data) detail::throw_empty("smx::Bounded: resize of a moved-from Bounded");
        if (rows > Capacity)
            throw InvalidArgument("Bounded::resize: " + std::to_string(rows) + " rows asked, the capacity is " +
                                  std::to_string(Capacity));
        set_length(rows);
    }
    void clear() noexcept {
        if (m_data) set_length(0);
    }
    /// Appends one element (rows of one element only: Bounded<T, N>). Throws InvalidArgument
    /// when full.
    template <std::size_t R = rank, std::enable_if_t<R == 1, int> = 0>
    void push_back(const T& value) {
        if (!m_data) detail::throw_empty("smx::Bounded: push_back on a moved-from Bounded");
        const std::size_t n = size();
        if (n == Capacity)
            throw InvalidArgument("Bounded::push_back: full (capacity " + std::to_string(Capacity) + ")");
        m_data[n] = value;
        set_length(n + 1);
    }

    T* data() noexcept { return m_data; }
    const T* data() const noexcept { return m_data; }
    /// The shape in the schema: the capacity first (an smx::Shape).
    static Shape shape() { return Shape{static_cast<std::uint64_t>(Capacity), static_cast<std::uint64_t>(Dims)...}; }
    /// The live shape: size() rows.
    Shape live_shape() const { return shape().with_dim(0, size()); }
    T* begin() noexcept { return m_data; }
    T* end() noexcept { return m_data + size() * row_size; }
    const T* begin() const noexcept { return m_data; }
    const T* end() const noexcept { return m_data + size() * row_size; }

    /// Element at (row, indices of a row...); every index checked by assert only (debug builds),
    /// the row against the live length.
    template <class... I>
    T& operator()(std::size_t row, I... idx) noexcept {
        return m_data[flat_index(row, idx...)];
    }
    template <class... I>
    const T& operator()(std::size_t row, I... idx) const noexcept {
        return m_data[flat_index(row, idx...)];
    }
    /// The same with every index checked: throws InvalidArgument naming the index.
    template <class R, class... I>
    T& at(R row, I... idx) {
        return m_data[checked_index(row, idx...)];
    }
    template <class R, class... I>
    const T& at(R row, I... idx) const {
        return m_data[checked_index(row, idx...)];
    }
    /// The live elements in flat (row-major) order.
    span<T> flat() noexcept { return {m_data, size() * row_size}; }
    span<const T> flat() const noexcept { return {m_data, size() * row_size}; }
    /// The untyped API's view of the live rows.
    ArrayView<T> view() noexcept { return ArrayView<T>(m_data, live_shape()); }
    ArrayView<const T> view() const noexcept { return ArrayView<const T>(m_data, live_shape()); }

private:
    friend struct detail::TypedAccess;
    struct ViewOf {};
    Bounded(ViewOf, T* data, std::uint64_t* length) noexcept : m_data(data), m_length(length) {}

    void set_length(std::size_t rows) noexcept {
        if (m_length)
            __atomic_store_n(m_length, static_cast<std::uint64_t>(rows), __ATOMIC_RELAXED);
        else
            m_own_length = rows;
    }
    template <class... I>
    std::size_t flat_index(std::size_t row, I... idx) const noexcept {
        static_assert(sizeof...(I) + 1 == rank, "smx::Bounded: give the row and as many indices as a row has dimensions");
        static_assert((std::is_integral_v<I> && ...), "smx::Bounded: indices are integers");
        assert(row < size() && "smx::Bounded: row out of range (beyond the live length)");
        const std::size_t index[rank] = {row, static_cast<std::size_t>(idx)...};
        std::size_t flat = row;
        for (std::size_t d = 1; d < rank; ++d) {
            assert(index[d] < row_extents[d - 1] && "smx::Bounded: index out of range");
            flat = flat * row_extents[d - 1] + index[d];
        }
        return flat;
    }
    template <class R, class... I>
    std::size_t checked_index(R row_index, I... idx) const {
        static_assert(sizeof...(I) + 1 == rank, "smx::Bounded: give the row and as many indices as a row has dimensions");
        static_assert(std::is_integral_v<R> && (std::is_integral_v<I> && ...), "smx::Bounded: indices are integers");
        if (!m_data) detail::throw_empty("smx::Bounded: at() on a moved-from Bounded");
        const long long row = static_cast<long long>(row_index);
        if (row < 0 || static_cast<unsigned long long>(row) >= size())
            throw InvalidArgument("Bounded::at: row " + std::to_string(row) + " is not one of the " +
                                  std::to_string(size()) + " live rows");
        const long long index[rank] = {row, static_cast<long long>(idx)...};
        std::size_t flat = static_cast<std::size_t>(row);
        for (std::size_t d = 1; d < rank; ++d) {
            if (index[d] < 0 || static_cast<unsigned long long>(index[d]) >= row_extents[d - 1])
                throw InvalidArgument("Bounded::at: index " + std::to_string(index[d]) + " of dimension " +
                                      std::to_string(d) + " is out of range for shape " + live_shape().to_string());
            flat = flat * row_extents[d - 1] + static_cast<std::size_t>(index[d]);
        }
        return flat;
    }

    T* m_owned = nullptr;  // set when the Bounded owns its storage
    T* m_data = nullptr;
    std::uint64_t m_own_length = 0;     // the length of a Bounded of its own
    std::uint64_t* m_length = nullptr;  // a view's length word, in the slot
};

namespace detail {

template <class M>
struct is_tensor : std::false_type {};
template <class T, std::size_t... Dims>
struct is_tensor<Tensor<T, Dims...>> : std::true_type {};
template <class T, std::size_t Capacity, std::size_t... Dims>
struct is_tensor<Bounded<T, Capacity, Dims...>> : std::true_type {};

/// What SMX_FRAME records about a frame type: its fields' names and member pointers.
template <class F, class... M>
struct FrameFields {
    using frame_type = F;
    std::array<const char*, sizeof...(M)> names;
    std::tuple<M F::*...> members;
};

template <class F, class... M>
constexpr FrameFields<F, M...> frame_fields(std::array<const char*, sizeof...(M)> names, M F::*... members) {
    static_assert((is_tensor<M>::value && ...),
                  "SMX_FRAME: every field listed must be an smx::Tensor<T, Dims...>, smx::String<N> or "
                  "smx::Bounded<T, Capacity, Dims...> member of the frame type");
    return {names, std::tuple<M F::*...>(members...)};
}

constexpr bool increasing(std::initializer_list<std::size_t> offsets) {
    std::size_t previous = 0;
    bool first = true;
    for (std::size_t o : offsets) {
        if (!first && o <= previous) return false;
        previous = o;
        first = false;
    }
    return true;
}

template <class F, class... M>
constexpr std::size_t fields_size(M F::*...) {
    return (std::size_t{0} + ... + sizeof(M));
}

/// Builds views and copies of frame types (a friend of Tensor).
struct TypedAccess {
    template <class M>
    static M view(std::byte* frame, const Schema& schema, std::size_t i) noexcept {
        auto* data = reinterpret_cast<typename M::element_type*>(frame + schema.offset(i));
        if constexpr (M::is_bounded)
            return M(typename M::ViewOf{}, data, reinterpret_cast<std::uint64_t*>(frame + schema.length_offset(i)));
        else
            return M(typename M::ViewOf{}, data);
    }
    /// A frame of views: member i points at `data + schema.offset(i)`. Aggregate initialisation in
    /// declaration order, each Tensor made in place (no copy, no allocation).
    template <class F, class Fields, std::size_t... I>
    static F make(const Fields& fields, std::byte* data, const Schema& schema, std::index_sequence<I...>) {
        return F{view<std::remove_reference_t<decltype(std::declval<F&>().*std::get<I>(fields.members))>>(
            data, schema, I)...};
    }
};

}  // namespace detail

/// True for a type described with SMX_FRAME — that type itself: a struct derived from one is not
/// (its own members would be dropped), it needs an SMX_FRAME of its own.
template <class F, class = void>
struct is_frame_type : std::false_type {};
template <class F>
struct is_frame_type<F, std::void_t<decltype(smx_frame_fields(static_cast<const F*>(nullptr)))>>
    : std::is_same<typename decltype(smx_frame_fields(static_cast<const F*>(nullptr)))::frame_type, F> {};
template <class F>
inline constexpr bool is_frame_type_v = is_frame_type<F>::value;

/// The schema of a frame type: its SMX_FRAME fields in declaration order, each with its element
/// type's dtype and its Tensor's dimensions.
template <class F>
Schema schema_of() {
    static_assert(is_frame_type_v<F>, "smx::schema_of<F>: describe F with SMX_FRAME(F, field, ...) after its definition, in F's own namespace (a struct derived from a frame type needs its own SMX_FRAME)");
    constexpr auto fields = smx_frame_fields(static_cast<const F*>(nullptr));
    std::vector<Field> out;
    std::size_t i = 0;
    std::apply(
        [&](auto... member) {
            ((out.push_back(Field{fields.names[i],
                                  dtype_of<typename std::remove_reference_t<decltype(std::declval<F&>().*member)>::element_type>(),
                                  std::remove_reference_t<decltype(std::declval<F&>().*member)>::shape(),
                                  std::remove_reference_t<decltype(std::declval<F&>().*member)>::is_bounded}),
              ++i),
             ...);
        },
        fields.members);
    return Schema(std::move(out));
}

namespace detail {
template <class F>
const Schema& cached_schema() {
    static const Schema schema = schema_of<F>();
    return schema;
}
template <class F>
F frame_view(std::byte* data, const Schema& schema) {
    constexpr auto fields = smx_frame_fields(static_cast<const F*>(nullptr));
    return TypedAccess::make<F>(fields, data, schema, std::make_index_sequence<std::tuple_size_v<decltype(fields.members)>>{});
}
}  // namespace detail

/// A loaned slot seen as an `F` whose Tensors are writable views into the slot. Fill them, then
/// `TypedWriter::publish(std::move(loan))`. Dropped unpublished, the slot is abandoned (as Loan).
/// Empty (false) when the writer found every slot held. As with std::optional, `->` and `*` of an
/// empty loan are not checked (an assert in debug builds): a check there stays in every loop
/// over `loan->depth(y, x)` and costs the element access several times over. `untyped()` checks.
template <class F>
class TypedLoan {
public:
    /// True if a slot was loaned (and not yet published).
    explicit operator bool() const noexcept { return m_view.has_value(); }
    F& operator*() noexcept { return view(); }
    F* operator->() noexcept { return &view(); }
    /// The frame number this loan will be published as.
    std::uint64_t frame_number() const { return untyped().frame_number(); }
    /// Overrides the timestamp (default: CLOCK_REALTIME when the loan was taken).
    void set_timestamp_ns(std::int64_t t) { untyped().set_timestamp_ns(t); }
    /// The untyped loan. Throws Closed if empty.
    Loan& untyped() {
        if (!m_loan)
            detail::throw_empty("empty TypedLoan: the writer found every slot held (see Writer::stats), or the loan was "
                                "already published or moved from");
        return *m_loan;
    }
    const Loan& untyped() const { return const_cast<TypedLoan*>(this)->untyped(); }

    /// A moved-from loan is empty: its views are gone with the slot they pointed into.
    TypedLoan(TypedLoan&& other) noexcept : m_loan(std::move(other.m_loan)), m_view(std::move(other.m_view)) {
        other.m_view.reset();
        other.m_loan.reset();
    }
    TypedLoan& operator=(TypedLoan&& other) noexcept {
        if (this != &other) {
            m_view = std::move(other.m_view);
            m_loan = std::move(other.m_loan);
            other.m_view.reset();
            other.m_loan.reset();
        }
        return *this;
    }
    TypedLoan(const TypedLoan&) = delete;
    TypedLoan& operator=(const TypedLoan&) = delete;
    ~TypedLoan() { m_view.reset(); }  // the views go before the loan (and its slot)

private:
    template <class>
    friend class TypedWriter;
    TypedLoan() = default;
    explicit TypedLoan(Loan&& loan) : m_loan(std::move(loan)) {
        m_view.emplace(detail::frame_view<F>(static_cast<std::byte*>(m_loan->data(0)) - m_loan->schema().offset(0),
                                             m_loan->schema()));
    }
    F& view() noexcept {
        assert(m_view && "smx::TypedLoan: -> or * of an empty loan (the writer found every slot held)");
        return *m_view;
    }
    std::optional<Loan> m_loan;
    std::optional<F> m_view;
};

/// The writer of a topic whose frames are `F` (SMX_FRAME). Its schema is schema_of<F>().
template <class F>
class TypedWriter {
    static_assert(is_frame_type_v<F>, "smx::TypedWriter<F>: describe F with SMX_FRAME(F, field, ...) after its definition, in F's own namespace (a struct derived from a frame type needs its own SMX_FRAME)");

public:
    /// As Writer's constructor, with the schema of F.
    TypedWriter(const Participant& participant, std::string topic, WriterOptions options = {})
        : m_writer(participant, std::move(topic), detail::cached_schema<F>(), std::move(options)) {}

    /// A slot to fill in place; an empty (false) loan if every slot is held (after the WhenFull
    /// policy).
    TypedLoan<F> loan() {
        std::optional<Loan> loan = m_writer.loan();
        if (!loan) return TypedLoan<F>();
        return TypedLoan<F>(std::move(*loan));
    }
    /// Publishes a filled loan. The loan is empty afterwards, also when publishing throws (a closed
    /// writer: its slot is then given back unpublished). Throws Closed for an empty loan.
    PublishResult publish(TypedLoan<F>&& loan) {
        Loan& untyped = loan.untyped();
        loan.m_view.reset();
        PublishResult result = m_writer.publish(std::move(untyped));
        loan.m_loan.reset();
        return result;
    }
    /// Copies `frame` (every field) into a slot and publishes it.
    PublishResult write(const F& frame, std::optional<std::int64_t> timestamp_ns = std::nullopt) {
        constexpr auto fields = smx_frame_fields(static_cast<const F*>(nullptr));
        constexpr std::size_t n = std::tuple_size_v<decltype(fields.members)>;
        std::array<ArrayRef, n> refs;
        std::size_t i = 0;
        std::apply(
            [&](auto... member) {
                ((refs[i] = array_ref((frame.*member).data(), (frame.*member).view().shape(), fields.names[i]), ++i), ...);
            },
            fields.members);
        return m_writer.write(refs.data(), refs.size(), timestamp_ns);
    }
    /// The untyped writer (topic(), stats(), close(), ...).
    Writer& untyped() noexcept { return m_writer; }
    const Writer& untyped() const noexcept { return m_writer; }

private:
    Writer m_writer;
};

/// A frame of a TypedReader: a read-only `F` whose Tensors are views into the writer's slot, and
/// the untyped Frame's guarantees (check `valid()` after use unless pinned). Empty (false) when
/// no frame came; as with std::optional, `->` and `*` of an empty frame are not checked (an
/// assert in debug builds), so `frame->depth(y, x)` in a loop costs what a Tensor access does.
template <class F>
class TypedFrame {
public:
    explicit operator bool() const noexcept { return m_view.has_value(); }
    const F& operator*() const noexcept { return view(); }
    const F* operator->() const noexcept { return &view(); }
    const FrameInfo& info() const { return untyped().info(); }
    std::uint64_t frame_number() const { return untyped().frame_number(); }
    std::int64_t timestamp_ns() const { return untyped().timestamp_ns(); }
    /// See Frame::valid() (false for an empty frame).
    bool valid() const noexcept { return m_frame && m_frame->valid(); }
    bool pinned() const noexcept { return m_frame && m_frame->pinned(); }
    /// Gives the pin back early (see Frame::release).
    void release() noexcept {
        if (m_frame) m_frame->release();
    }
    /// Copies every field into `dst` (an F of its own); true if the copy is consistent.
    [[nodiscard]] bool copy_to(F& dst) const {
        constexpr auto fields = smx_frame_fields(static_cast<const F*>(nullptr));
        const F& src = view();
        std::apply([&](auto... member) { ((dst.*member = src.*member), ...); }, fields.members);
        return valid();
    }
    /// The untyped frame. Throws Closed if empty.
    const Frame& untyped() const {
        if (!m_frame) detail::throw_empty("empty TypedFrame: no frame came before the timeout");
        return *m_frame;
    }

    /// A moved-from frame is empty.
    TypedFrame(TypedFrame&& other) noexcept : m_frame(std::move(other.m_frame)), m_view(std::move(other.m_view)) {
        other.m_view.reset();
        other.m_frame.reset();
    }
    TypedFrame& operator=(TypedFrame&& other) noexcept {
        if (this != &other) {
            m_view = std::move(other.m_view);
            m_frame = std::move(other.m_frame);
            other.m_view.reset();
            other.m_frame.reset();
        }
        return *this;
    }
    TypedFrame(const TypedFrame&) = delete;
    TypedFrame& operator=(const TypedFrame&) = delete;
    ~TypedFrame() { m_view.reset(); }

private:
    template <class>
    friend class TypedReader;
    TypedFrame() = default;
    explicit TypedFrame(Frame&& frame) : m_frame(std::move(frame)) {
        m_view.emplace(detail::frame_view<F>(
            const_cast<std::byte*>(static_cast<const std::byte*>(m_frame->data(0))) - m_frame->schema().offset(0),
            m_frame->schema()));
    }
    const F& view() const noexcept {
        assert(m_view && "smx::TypedFrame: -> or * of an empty frame (no frame came)");
        return *m_view;
    }
    std::optional<Frame> m_frame;
    std::optional<F> m_view;  // const access only: the slot's pages are read-only
};

/// The reader of a topic whose frames are `F`: attaching to a writer of another schema throws
/// SchemaMismatch naming every difference.
template <class F>
class TypedReader {
    static_assert(is_frame_type_v<F>, "smx::TypedReader<F>: describe F with SMX_FRAME(F, field, ...) after its definition, in F's own namespace (a struct derived from a frame type needs its own SMX_FRAME)");

public:
    TypedReader(const Participant& participant, std::string topic, ReaderOptions options = {})
        : m_reader(participant, std::move(topic), detail::cached_schema<F>(), std::move(options)) {}

    /// See Reader::wait_for_writer.
    bool wait_for_writer(std::chrono::nanoseconds timeout) { return m_reader.wait_for_writer(timeout); }
    /// See Reader::latest; an empty (false) frame if none was published yet.
    TypedFrame<F> latest(Hold hold = Hold::view) { return typed(m_reader.latest(hold)); }
    /// See Reader::next; an empty (false) frame if none came before the timeout.
    TypedFrame<F> next(std::chrono::nanoseconds timeout, Hold hold = Hold::view) {
        return typed(m_reader.next(timeout, hold));
    }
    ReaderState state() const noexcept { return m_reader.state(); }
    ReaderStats stats() const noexcept { return m_reader.stats(); }
    /// See Reader::interrupt (the one call safe from another thread).
    void interrupt() noexcept { m_reader.interrupt(); }
    void close() noexcept { m_reader.close(); }
    /// The untyped reader.
    Reader& untyped() noexcept { return m_reader; }

private:
    static TypedFrame<F> typed(std::optional<Frame>&& frame) {
        if (!frame) return TypedFrame<F>();
        return TypedFrame<F>(std::move(*frame));
    }
    Reader m_reader;
};

}  // namespace smx

#define SMX_DETAIL_FIELD_NAME(T, m) #m
#define SMX_DETAIL_FIELD_MEMBER(T, m) &T::m
#define SMX_DETAIL_FIELD_OFFSET(T, m) offsetof(T, m)
#define SMX_DETAIL_FIELD_NAME_SIZE(T, m) sizeof(#m)

/// Describes `Type`, a struct of smx::Tensor, smx::String and smx::Bounded members, as a frame
/// type: lists its fields in declaration order (every member, each once). Put it after the
/// struct, in the struct's namespace (lookup finds it there). The compiler refuses a listed
/// member that is not one of those, a member left out or listed twice, an order other than the
/// declaration's, names over 63 bytes, and a struct derived from a frame type (it needs its own).
#define SMX_FRAME(Type, ...)                                                                                     \
    [[maybe_unused]] constexpr auto smx_frame_fields(const Type*) {                                              \
        return ::smx::detail::frame_fields<Type>(                                                                \
            std::array<const char*, SMX_DETAIL_COUNT(__VA_ARGS__)>{                                              \
                SMX_DETAIL_FOR_EACH(SMX_DETAIL_FIELD_NAME, Type, __VA_ARGS__)},                                  \
            SMX_DETAIL_FOR_EACH(SMX_DETAIL_FIELD_MEMBER, Type, __VA_ARGS__));                                    \
    }                                                                                                            \
    static_assert(std::is_aggregate_v<Type> && std::is_standard_layout_v<Type>,                                  \
                  "SMX_FRAME(" #Type ", ...): " #Type " must be a plain struct of smx::Tensor/String/Bounded members "          \
                  "(no constructors, base classes or private members)");                                         \
    static_assert(::smx::detail::distinct(SMX_DETAIL_FOR_EACH(SMX_DETAIL_FIELD_OFFSET, Type, __VA_ARGS__)),       \
                  "SMX_FRAME(" #Type ", ...): a field is listed twice: list each field once");                   \
    static_assert(::smx::detail::names_fit({SMX_DETAIL_FOR_EACH(SMX_DETAIL_FIELD_NAME_SIZE, Type, __VA_ARGS__)}), \
                  "SMX_FRAME(" #Type ", ...): a field name is longer than 63 bytes (smx::MAX_FIELD_NAME)");       \
    static_assert(sizeof(Type) == ::smx::detail::fields_size(SMX_DETAIL_FOR_EACH(SMX_DETAIL_FIELD_MEMBER, Type,   \
                                                                                  __VA_ARGS__)),                 \
                  "SMX_FRAME(" #Type ", ...): " #Type " has members the macro does not list: list every field");  \
    static_assert(::smx::detail::increasing({SMX_DETAIL_FOR_EACH(SMX_DETAIL_FIELD_OFFSET, Type, __VA_ARGS__)}),  \
                  "SMX_FRAME(" #Type ", ...): list the fields in the order " #Type " declares them")
