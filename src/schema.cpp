#include <smx/error.hpp>
#include <smx/schema.hpp>

#include "names.hpp"

#include <algorithm>
#include <set>

namespace smx {

Shape::Shape(std::initializer_list<std::uint64_t> dims) : Shape(std::vector<std::uint64_t>(dims)) {}

Shape::Shape(const std::vector<std::uint64_t>& dims) {
    if (dims.size() > MAX_DIMS)
        throw InvalidArgument("shape has " + std::to_string(dims.size()) + " dimensions; at most " +
                              std::to_string(MAX_DIMS) + " are supported");
    std::copy(dims.begin(), dims.end(), m_dims.begin());
    m_ndim = dims.size();
}

std::uint64_t Shape::element_count() const noexcept {
    std::uint64_t n = 1;
    for (std::uint64_t d : *this)
        if (__builtin_mul_overflow(n, d, &n)) return 0;
    return n;
}

std::string Shape::to_string() const {
    std::string s = "(";
    for (std::size_t i = 0; i < m_ndim; ++i) {
        if (i) s += ", ";
        s += std::to_string(m_dims[i]);
    }
    if (m_ndim == 1) s += ",";
    return s + ")";
}

bool operator==(const Shape& a, const Shape& b) noexcept {
    return a.m_ndim == b.m_ndim && std::equal(a.begin(), a.end(), b.begin());
}

namespace {
std::string describe(const Field& f) { return std::string(f.dtype.typestr()) + " " + f.shape_string(); }
}  // namespace

std::string Field::shape_string() const {
    std::string s = shape.to_string();
    if (bounded) s.insert(1, "<=");
    return s;
}

Schema::Schema(std::vector<Field> fields) : m_fields(std::move(fields)) {
    if (m_fields.empty()) throw InvalidArgument("schema has no fields: give at least one array field");
    if (m_fields.size() > MAX_FIELDS)
        throw InvalidArgument("schema has " + std::to_string(m_fields.size()) + " fields; at most " +
                              std::to_string(MAX_FIELDS) + " are supported");
    std::set<std::string> seen;
    std::uint64_t offset = 0;
    std::string canonical;
    for (const Field& f : m_fields) {
        if (f.name.empty() || f.name.size() > MAX_FIELD_NAME)
            throw InvalidArgument("field name '" + f.name + "' must be 1.." + std::to_string(MAX_FIELD_NAME) +
                                  " bytes long");
        for (unsigned char c : f.name)
            if (c < 0x21 || c > 0x7e)
                throw InvalidArgument("field name '" + f.name +
                                      "' must consist of printable ASCII characters without spaces");
        if (!seen.insert(f.name).second) throw InvalidArgument("field name '" + f.name + "' appears twice");
        for (std::uint64_t d : f.shape)
            if (d < 1)
                throw InvalidArgument("field '" + f.name + "' has shape " + f.shape.to_string() +
                                      ": every dimension must be at least 1");
        if (f.bounded && f.shape.ndim() == 0)
            throw InvalidArgument("field '" + f.name + "' is bounded but has shape (): a bounded field needs a first "
                                  "dimension, its capacity in rows (e.g. (100, 4) for up to 100 rows of 4)");
        std::uint64_t elements = 1, bytes = 0;
        bool overflow = false;
        for (std::uint64_t d : f.shape) overflow |= __builtin_mul_overflow(elements, d, &elements);
        overflow |= __builtin_mul_overflow(elements, f.dtype.itemsize(), &bytes);
        if (overflow || bytes > MAX_FRAME_BYTES)
            throw InvalidArgument("field '" + f.name + "' of shape " + f.shape.to_string() + " and dtype " +
                                  f.dtype.typestr() + " is larger than the limit of " +
                                  std::to_string(MAX_FRAME_BYTES) + " bytes");
        offset = (offset + FIELD_ALIGNMENT - 1) / FIELD_ALIGNMENT * FIELD_ALIGNMENT;
        // A bounded field's live length has a line of its own just before the data, so the data
        // stays aligned and the length travels with the frame (the network path sends frames whole).
        if (f.bounded) {
            offset += FIELD_ALIGNMENT;
            m_has_bounded = true;
        }
        m_offsets.push_back(offset);
        offset += bytes;
        if (offset > MAX_FRAME_BYTES)
            throw InvalidArgument("schema is larger than the limit of " + std::to_string(MAX_FRAME_BYTES) +
                                  " bytes per frame");
        // Names may contain ':' and ';', so each is length-prefixed: two different schemas never
        // share a canonical text (a collision is then only as likely as FNV-1a's).
        canonical += std::to_string(f.name.size()) + ":" + f.name + ":" + f.dtype.typestr() + ":" +
                     f.shape_string() + ";";
    }
    m_frame_size = offset;
    m_hash = detail::fnv1a64(canonical);
}

std::uint64_t Schema::length_offset(std::size_t i) const {
    if (!m_fields.at(i).bounded)
        throw InvalidArgument("field '" + m_fields[i].name + "' is not bounded: it has no live length");
    return m_offsets[i] - FIELD_ALIGNMENT;
}

int Schema::index_of(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < m_fields.size(); ++i)
        if (m_fields[i].name == name) return static_cast<int>(i);
    return -1;
}

const Field& Schema::field(std::string_view name) const {
    const int i = index_of(name);
    if (i < 0) {
        std::string names;
        for (const Field& f : m_fields) names += (names.empty() ? "" : ", ") + f.name;
        throw InvalidArgument("no field '" + std::string(name) + "' in the schema (fields: " + names + ")");
    }
    return m_fields[static_cast<std::size_t>(i)];
}

std::vector<std::string> Schema::differences(const Schema& actual) const {
    std::vector<std::string> out;
    std::vector<std::string> common_expected, common_actual;
    for (const Field& e : m_fields) {
        const int j = actual.index_of(e.name);
        if (j < 0) {
            out.push_back(e.name + ": missing in the writer's schema (expected " + describe(e) + ")");
            continue;
        }
        common_expected.push_back(e.name);
        const Field& a = actual.m_fields[static_cast<std::size_t>(j)];
        if (!(e.dtype == a.dtype))
            out.push_back(e.name + ": dtype " + e.dtype.typestr() + " vs " + a.dtype.typestr());
        if (!(e.shape == a.shape) || e.bounded != a.bounded)
            out.push_back(e.name + ": shape " + e.shape_string() + " vs " + a.shape_string());
    }
    for (const Field& a : actual.m_fields) {
        if (index_of(a.name) < 0)
            out.push_back(a.name + ": only in the writer's schema (" + describe(a) + ")");
        else
            common_actual.push_back(a.name);
    }
    if (common_expected != common_actual) {
        auto join = [](const std::vector<std::string>& v) {
            std::string s;
            for (const auto& n : v) s += (s.empty() ? "" : ", ") + n;
            return "[" + s + "]";
        };
        out.push_back("field order: " + join(common_expected) + " vs " + join(common_actual));
    }
    return out;
}

std::string Schema::to_string() const {
    std::string s;
    for (const Field& f : m_fields) s += (s.empty() ? "" : "; ") + f.name + " " + describe(f);
    return s;
}

}  // namespace smx
