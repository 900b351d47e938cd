#pragma once
/// @file schema.hpp
/// A schema is the fixed layout of one frame: an ordered list of named, typed, shaped fields.

#include <smx/dtype.hpp>
#include <smx/export.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace smx {

/// Limits that every schema obeys; checked on construction and when a segment is attached.
inline constexpr std::size_t MAX_FIELDS = 64;              ///< fields per schema
inline constexpr std::size_t MAX_FIELD_NAME = 63;          ///< bytes per field name
inline constexpr std::size_t MAX_DIMS = 8;                 ///< dimensions per field
inline constexpr std::uint64_t MAX_FRAME_BYTES = 1ull << 40;  ///< bytes per frame (1 TiB)
inline constexpr std::size_t FIELD_ALIGNMENT = 64;         ///< field start alignment in a slot

/// A fixed-rank shape (at most MAX_DIMS dimensions), cheap to copy, no allocation.
class SMX_EXPORT Shape {
public:
    Shape() = default;
    /// Throws InvalidArgument if more than MAX_DIMS dimensions are given.
    Shape(std::initializer_list<std::uint64_t> dims);
    explicit Shape(const std::vector<std::uint64_t>& dims);

    std::size_t ndim() const noexcept { return m_ndim; }
    std::uint64_t operator[](std::size_t i) const noexcept { return m_dims[i]; }
    const std::uint64_t* begin() const noexcept { return m_dims.data(); }
    const std::uint64_t* end() const noexcept { return m_dims.data() + m_ndim; }
    /// Product of the dimensions, or 0 if it overflows 64 bits.
    std::uint64_t element_count() const noexcept;
    /// "(480, 848, 3)", numpy's spelling.
    std::string to_string() const;
    std::vector<std::uint64_t> to_vector() const { return {begin(), end()}; }
    /// This shape with dimension `i` (< ndim()) set to `value`.
    Shape with_dim(std::size_t i, std::uint64_t value) const noexcept {
        Shape s = *this;
        s.m_dims[i] = value;
        return s;
    }

    friend SMX_EXPORT bool operator==(const Shape& a, const Shape& b) noexcept;

private:
    std::array<std::uint64_t, MAX_DIMS> m_dims{};
    std::size_t m_ndim = 0;
};

/// One named array of a frame.
///
/// A *bounded* field (`bounded = true`) is an array of up to `shape[0]` rows: each frame carries
/// its live number of rows (`Frame::length`, `Loan::set_length`), and readers see only those —
/// for "up to N detections" or "up to N points". Its shape is spelled `(<=N, ...)`.
struct SMX_EXPORT Field {
    std::string name;
    DType dtype = DType::Kind::u1;
    Shape shape;   ///< for a bounded field, shape[0] is the capacity in rows
    bool bounded = false;

    /// Elements times itemsize: the bytes the field takes in a slot (a bounded field's capacity).
    std::uint64_t nbytes() const noexcept { return shape.element_count() * dtype.itemsize(); }
    /// Bytes of one row (one index of the first dimension): nbytes() / shape[0].
    std::uint64_t row_bytes() const noexcept { return shape.ndim() == 0 ? nbytes() : nbytes() / shape[0]; }
    /// The shape in numpy's spelling, a bounded field's first dimension as "<=N": "(<=100, 4)".
    std::string shape_string() const;
    friend bool operator==(const Field& a, const Field& b) noexcept {
        return a.name == b.name && a.dtype == b.dtype && a.shape == b.shape && a.bounded == b.bounded;
    }
};

/// An ordered, validated list of fields with its slot layout and a stable hash.
class SMX_EXPORT Schema {
public:
    /// Validates: 1..MAX_FIELDS fields, unique printable names of 1..MAX_FIELD_NAME bytes,
    /// every dim >= 1, a bounded field has at least one dimension, sizes without overflow and
    /// at most MAX_FRAME_BYTES in total.
    /// Throws InvalidArgument naming the offending field and the rule.
    explicit Schema(std::vector<Field> fields);
    Schema(std::initializer_list<Field> fields) : Schema(std::vector<Field>(fields)) {}

    const std::vector<Field>& fields() const noexcept { return m_fields; }
    std::size_t size() const noexcept { return m_fields.size(); }
    const Field& operator[](std::size_t i) const { return m_fields.at(i); }
    /// Index of the field called `name`, or -1.
    int index_of(std::string_view name) const noexcept;
    /// Throws InvalidArgument listing the schema's fields if `name` is not one of them.
    const Field& field(std::string_view name) const;

    /// Byte offset of field i inside a frame (FIELD_ALIGNMENT aligned).
    std::uint64_t offset(std::size_t i) const { return m_offsets.at(i); }
    /// Byte offset inside a frame of bounded field i's live length (a little-endian uint64 on the
    /// FIELD_ALIGNMENT line just before the field's data). Throws InvalidArgument for a field
    /// that is not bounded.
    std::uint64_t length_offset(std::size_t i) const;
    /// True if some field is bounded.
    bool has_bounded() const noexcept { return m_has_bounded; }
    /// Bytes of one frame including alignment padding.
    std::uint64_t frame_size() const noexcept { return m_frame_size; }
    /// Stable 64-bit hash of names, dtypes, shapes and boundedness in order (FNV-1a of a
    /// canonical text).
    std::uint64_t hash() const noexcept { return m_hash; }

    /// Every difference between `*this` (expected) and `actual`, in words, one per entry,
    /// e.g. "depth: shape (480, 848) vs (480, 640)". Empty when the schemas are equal.
    std::vector<std::string> differences(const Schema& actual) const;
    /// "color <u1 (480, 848, 3); depth <u2 (480, 848)".
    std::string to_string() const;

    friend bool operator==(const Schema& a, const Schema& b) noexcept {
        return a.m_hash == b.m_hash && a.m_fields == b.m_fields;
    }

private:
    std::vector<Field> m_fields;
    std::vector<std::uint64_t> m_offsets;
    std::uint64_t m_frame_size = 0;
    std::uint64_t m_hash = 0;
    bool m_has_bounded = false;
};

}  // namespace smx
