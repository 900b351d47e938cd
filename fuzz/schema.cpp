// Fuzz target: schemas built from outside bytes — the typestrs (DType::parse, as the Python
// binding and the segment's field records use it), shapes, field names, the Schema's
// validation, offsets and hash, differences() between two schemas, and the segment layout a
// schema gives (SegmentGeometry::compute). Invalid input throws InvalidArgument, nothing else;
// a valid schema keeps every promise of schema.hpp.
//
// Input: schema A (a field count, then per field: name, typestr, ndim, dims), then how B is
// made (independent, or A with one change), B if independent, slot count and reader capacity.

#include "fuzz_support.hpp"

#include "shm/layout.hpp"
#include "shm/segment.hpp"

#include <smx/dtype.hpp>
#include <smx/error.hpp>
#include <smx/schema.hpp>

#include <optional>
#include <set>

namespace {

using namespace smx;
using smx::fuzz::check;

// A dimension: small most of the time (bit 7 clear), any 64-bit value otherwise.
std::uint64_t dim(smx::fuzz::Input& in) {
    const std::uint8_t b = in.u8();
    return (b & 0x80) ? in.u64() : b;
}

// A typestr: parse() and is_valid() agree, and a parsed dtype spells itself back the same.
std::optional<DType> dtype(const std::string& typestr) {
    const bool valid = DType::is_valid(typestr);
    try {
        const DType d = DType::parse(typestr);
        check(valid, "parse() accepted what is_valid() refuses", typestr);
        check(DType::parse(d.typestr()) == d, "a dtype's typestr parses to itself", typestr);
        const std::size_t digits = std::stoul(std::string(d.typestr()).substr(2));
        check(d.itemsize() == digits, "itemsize is the typestr's number", typestr);
        return d;
    } catch (const InvalidArgument&) {
        check(!valid, "is_valid() accepted what parse() refuses", typestr);
        return std::nullopt;
    }
}

// The field list as read (nullopt where a typestr or shape does not parse).
std::optional<std::vector<Field>> read_fields(smx::fuzz::Input& in) {
    const std::size_t count = in.u8() % (MAX_FIELDS + 3);
    std::vector<Field> fields;
    bool ok = true;
    for (std::size_t i = 0; i < count; ++i) {
        Field f;
        f.name = in.str(MAX_FIELD_NAME + 2);
        const std::optional<DType> d = dtype(in.str(6));
        const std::size_t ndim = in.u8() % (MAX_DIMS + 2);
        std::vector<std::uint64_t> dims;
        for (std::size_t k = 0; k < ndim; ++k) dims.push_back(dim(in));
        try {
            f.shape = Shape(dims);
            check(ndim <= MAX_DIMS, "a shape of more than MAX_DIMS dimensions");
        } catch (const InvalidArgument&) {
            check(ndim > MAX_DIMS, "a shape refused", std::to_string(ndim));
            ok = false;
        }
        if (d) f.dtype = *d; else ok = false;
        fields.push_back(f);
    }
    if (!ok) return std::nullopt;
    return fields;
}

std::optional<Schema> make(const std::vector<Field>& fields) {
    try {
        return Schema(fields);
    } catch (const InvalidArgument&) {
        return std::nullopt;
    }
}

// Everything schema.hpp promises of a valid schema.
void check_schema(const Schema& s) {
    check(s.size() >= 1 && s.size() <= MAX_FIELDS, "field count in range");
    std::set<std::string> names;
    std::uint64_t end = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const Field& f = s[i];
        check(!f.name.empty() && f.name.size() <= MAX_FIELD_NAME, "name length", f.name);
        for (unsigned char c : f.name) check(c > 0x20 && c < 0x7f, "printable name", f.name);
        check(names.insert(f.name).second, "unique names", f.name);
        check(s.index_of(f.name) == static_cast<int>(i) && &s.field(f.name) == &s[i], "lookup by name", f.name);
        for (std::uint64_t d : f.shape) check(d >= 1, "dims are at least 1");
        check(f.shape.element_count() != 0 && f.nbytes() == f.shape.element_count() * f.dtype.itemsize(),
              "nbytes without overflow");
        check(s.offset(i) % FIELD_ALIGNMENT == 0 && s.offset(i) >= end, "aligned, non-overlapping offsets");
        end = s.offset(i) + f.nbytes();
    }
    check(s.frame_size() == end && s.frame_size() <= MAX_FRAME_BYTES, "frame size");
    const Schema again(s.fields());
    check(again == s && again.hash() == s.hash(), "the hash depends on the fields only");
    check(s.differences(s).empty(), "a schema does not differ from itself");
    (void)s.to_string();
}

// The segment layout of a valid schema, if the counts are in range: parts in order, aligned,
// nothing overlapping, and the size is their sum.
void check_geometry(const Schema& s, std::uint32_t slots, std::uint32_t readers) {
    using namespace smx::detail;
    try {
        const SegmentGeometry g = SegmentGeometry::compute(s, slots, readers);
        check(slots >= 2 && slots <= MAX_SLOTS && readers >= 1 && readers <= MAX_READERS, "counts in range");
        check(g.slot_table_offset >= sizeof(SegmentHeader) && g.slot_table_offset % CACHE_LINE == 0, "slot table");
        check(g.reader_table_offset == g.slot_table_offset + std::uint64_t{slots} * sizeof(SlotRecord), "reader table");
        check(g.reader_stride >= sizeof(ReaderRecord) + 4ull * slots && g.reader_stride % CACHE_LINE == 0, "reader stride");
        check(g.payload_offset >= g.reader_table_offset + readers * g.reader_stride &&
                  g.payload_offset % page_size() == 0,
              "payload after the reader table, page aligned");
        check(g.slot_stride >= s.frame_size() && g.slot_stride % page_size() == 0, "slot stride");
        check(g.segment_size == g.payload_offset + slots * g.slot_stride, "segment size");
    } catch (const InvalidArgument&) {
        // Counts out of range, or a segment larger than the limit.
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smx::fuzz::Input in(data, size);
    const auto fields_a = read_fields(in);
    if (!fields_a) return 0;
    const std::optional<Schema> a = make(*fields_a);
    if (a) check_schema(*a);

    // B: another schema, or A with one change, to compare with A.
    std::optional<std::vector<Field>> fields_b = fields_a;
    const std::uint8_t how = in.u8();
    const std::size_t i = fields_a->empty() ? 0 : in.u8() % fields_a->size();
    const std::size_t j = fields_a->empty() ? 0 : in.u8() % fields_a->size();
    if (fields_a->empty() || how % 6 == 0) {
        fields_b = read_fields(in);
    } else if (how % 6 == 1) {
        std::swap((*fields_b)[i], (*fields_b)[j]);
    } else if (how % 6 == 2) {
        Field& f = (*fields_b)[i];
        std::vector<std::uint64_t> dims = f.shape.to_vector();
        if (dims.empty()) dims.push_back(1);
        dims[j % dims.size()] = dim(in);
        f.shape = Shape(dims);
    } else if (how % 6 == 3) {
        (*fields_b)[i].dtype = DType(static_cast<DType::Kind>(in.u8() % 14));
    } else if (how % 6 == 4) {
        fields_b->erase(fields_b->begin() + static_cast<std::ptrdiff_t>(i));
    } else {
        (*fields_b)[i].name = in.str(MAX_FIELD_NAME + 2);
    }
    const std::optional<Schema> b = fields_b ? make(*fields_b) : std::nullopt;
    if (b) check_schema(*b);

    if (a && b) {
        const bool same = a->fields() == b->fields();
        check(a->differences(*b).empty() == same, "differences() is empty exactly when the fields are equal");
        check(b->differences(*a).empty() == same, "differences() both ways");
        check((*a == *b) == same, "operator== is field equality");
        // The canonical text is injective, so equal hashes with different fields would take an
        // FNV-1a-64 collision: not something a fuzzer stumbles on, unlike a text collision.
        check(same || a->hash() != b->hash(), "different schemas, different hashes");
    }
    const std::uint32_t slots = in.u32() % (smx::detail::MAX_SLOTS + 2);
    const std::uint32_t readers = in.u32() % (smx::detail::MAX_READERS + 2);
    if (a) check_geometry(*a, slots, readers);
    return 0;
}
