#include "recording.hpp"

#include <smx/version.hpp>

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace smx::cli {

static_assert(sizeof(hid_t) == sizeof(std::int64_t), "H5Handle keeps hid_t as int64_t (HDF5 1.10 and later)");

namespace {

// Bytes a chunk of a field with small frames aims at: such fields get many frames per chunk (a
// chunk per 8-byte timestamp would make the chunk index larger than the data). Fields of at
// least this size get one frame per chunk, written straight through to the file.
constexpr std::uint64_t SMALL_CHUNK_BYTES = 64 * 1024;
constexpr std::uint64_t MAX_FRAMES_PER_CHUNK = 1024;

// The library prints its error stack on stderr by default; smx reports errors itself. The
// setting is per thread (Debian builds HDF5 thread-safe), so every thread that calls HDF5 sets
// it: the main thread here, the recording threads through quiet_hdf5_here().
void quiet_hdf5_here() {
    thread_local const bool quiet = [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)quiet;
}
const bool QUIET_HDF5 = [] {
    quiet_hdf5_here();
    return true;
}();

herr_t innermost(unsigned n, const H5E_error2_t* e, void* out) {
    if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
    return 0;
}

// "what: the library's innermost message" (the error stack is cleared).
[[noreturn]] void fail(const std::string& what) {
    std::string detail;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &detail);
    H5Eclear2(H5E_DEFAULT);
    throw RecordingError(detail.empty() ? what : what + ": " + detail);
}

void check(herr_t rc, const std::string& what) {
    if (rc < 0) fail(what);
}

int close_type(hid_t id) { return H5Tclose(id); }
int close_space(hid_t id) { return H5Sclose(id); }
int close_plist(hid_t id) { return H5Pclose(id); }
int close_attr(hid_t id) { return H5Aclose(id); }
int close_group(hid_t id) { return H5Gclose(id); }
int close_dataset(hid_t id) { return H5Dclose(id); }
int close_file(hid_t id) { return H5Fclose(id); }

// The HDF5 type of a dtype, spelt so that h5py maps it back to the same numpy dtype: bool as
// h5py's enum {FALSE, TRUE} of int8, float16 as IEEE half, complex as the compound {r, i}.
H5Handle type_of(DType dtype) {
    using K = DType::Kind;
    auto copy = [](hid_t base) { return H5Handle(H5Tcopy(base), close_type, "copy an HDF5 type"); };
    switch (dtype.kind()) {
        case K::b1: {
            H5Handle t(H5Tenum_create(H5T_NATIVE_INT8), close_type, "create the bool type");
            const std::int8_t no = 0, yes = 1;
            check(H5Tenum_insert(t.get(), "FALSE", &no), "create the bool type");
            check(H5Tenum_insert(t.get(), "TRUE", &yes), "create the bool type");
            return t;
        }
        case K::i1: return copy(H5T_STD_I8LE);
        case K::u1: return copy(H5T_STD_U8LE);
        case K::i2: return copy(H5T_STD_I16LE);
        case K::u2: return copy(H5T_STD_U16LE);
        case K::i4: return copy(H5T_STD_I32LE);
        case K::u4: return copy(H5T_STD_U32LE);
        case K::i8: return copy(H5T_STD_I64LE);
        case K::u8: return copy(H5T_STD_U64LE);
        case K::f2: {
            // What h5py does for numpy's float16 (HDF5 1.10 predefines no half type).
            H5Handle t = copy(H5T_IEEE_F32LE);
            check(H5Tset_fields(t.get(), 15, 10, 5, 0, 10), "create the float16 type");
            check(H5Tset_size(t.get(), 2), "create the float16 type");
            check(H5Tset_ebias(t.get(), 15), "create the float16 type");
            return t;
        }
        case K::f4: return copy(H5T_IEEE_F32LE);
        case K::f8: return copy(H5T_IEEE_F64LE);
        case K::c8:
        case K::c16: {
            const bool single = dtype.kind() == K::c8;
            const std::size_t half = single ? 4 : 8;
            H5Handle t(H5Tcreate(H5T_COMPOUND, 2 * half), close_type, "create the complex type");
            check(H5Tinsert(t.get(), "r", 0, single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE), "create the complex type");
            check(H5Tinsert(t.get(), "i", half, single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE), "create the complex type");
            return t;
        }
        case K::S: {
            // h5py's spelling of numpy's |S<n>: a fixed-length, NUL-padded byte string.
            H5Handle t = copy(H5T_C_S1);
            check(H5Tset_size(t.get(), dtype.itemsize()), "create the string type");
            check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "create the string type");
            return t;
        }
    }
    throw RecordingError(std::string("no HDF5 type for dtype ") + dtype.typestr());
}

// ---- attributes ------------------------------------------------------------------------------

void write_attribute(hid_t object, const char* name, const std::string& value) {
    H5Handle type(H5Tcopy(H5T_C_S1), close_type, "create a string type");
    check(H5Tset_size(type.get(), H5T_VARIABLE), "create a string type");
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "create a string type");
    H5Handle space(H5Screate(H5S_SCALAR), close_space, "create a scalar");
    H5Handle attr(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), close_attr,
                  std::string("create attribute '") + name + "'");
    const char* text = value.c_str();
    check(H5Awrite(attr.get(), type.get(), &text), std::string("write attribute '") + name + "'");
}

void write_attribute(hid_t object, const char* name, std::int64_t value) {
    H5Handle space(H5Screate(H5S_SCALAR), close_space, "create a scalar");
    H5Handle attr(H5Acreate2(object, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), close_attr,
                  std::string("create attribute '") + name + "'");
    check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), std::string("write attribute '") + name + "'");
}

bool has_attribute(hid_t object, const char* name) { return H5Aexists(object, name) > 0; }

std::string read_string_attribute(hid_t object, const char* name) {
    H5Handle attr(H5Aopen(object, name, H5P_DEFAULT), close_attr, std::string("open attribute '") + name + "'");
    H5Handle type(H5Aget_type(attr.get()), close_type, std::string("read attribute '") + name + "'");
    if (H5Tget_class(type.get()) != H5T_STRING) throw RecordingError(std::string("attribute '") + name + "' is not a string");
    // The file's own string type (ASCII or UTF-8) in memory: HDF5 converts between neither.
    H5Handle memtype(H5Tcopy(type.get()), close_type, "create a string type");
    if (H5Tis_variable_str(type.get()) > 0) {
        char* text = nullptr;
        check(H5Aread(attr.get(), memtype.get(), &text), std::string("read attribute '") + name + "'");
        std::string value = text ? text : "";
        H5free_memory(text);
        return value;
    }
    const std::size_t size = H5Tget_size(type.get());
    std::string value(size + 1, '\0');
    check(H5Tset_size(memtype.get(), size + 1), "create a string type");
    check(H5Aread(attr.get(), memtype.get(), value.data()), std::string("read attribute '") + name + "'");
    value.resize(std::strlen(value.c_str()));
    return value;
}

std::int64_t read_int_attribute(hid_t object, const char* name) {
    H5Handle attr(H5Aopen(object, name, H5P_DEFAULT), close_attr, std::string("open attribute '") + name + "'");
    std::int64_t value = 0;
    check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), std::string("read attribute '") + name + "'");
    return value;
}

// ---- names -----------------------------------------------------------------------------------

bool plain_part(std::string_view part) { return !part.empty() && part != "." && part != ".."; }

std::string escaped(std::string_view name) {
    std::string out;
    for (const char c : name) {
        if (c == '%') out += "%25";
        else if (c == '/') out += "%2F";
        else out += c;
    }
    if (out == "." || out == "..") out.replace(0, 1, "%2E");
    return out;
}

std::string hex64(std::uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(v));
    return text;
}

std::string json_text(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;  // names are printable ASCII (Schema checks)
    }
    return out + "\"";
}

// The schema as JSON, for readers of the file: [{"name": ..., "dtype": "<u2", "shape": [...]}].
std::string schema_json(const Schema& schema) {
    std::string j = "[";
    for (std::size_t i = 0; i < schema.size(); ++i) {
        const Field& f = schema[i];
        j += std::string(i ? ", " : "") + "{\"name\": " + json_text(f.name) + ", \"dtype\": \"" + f.dtype.typestr() +
             "\", \"shape\": [";
        for (std::size_t d = 0; d < f.shape.ndim(); ++d) j += (d ? ", " : "") + std::to_string(f.shape[d]);
        j += std::string("], \"bounded\": ") + (f.bounded ? "true" : "false") + "}";
    }
    return j + "]";
}

std::string this_host() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "";
    return name;
}

}  // namespace

// ---- H5Handle --------------------------------------------------------------------------------

H5Handle::H5Handle(std::int64_t id, int (*close)(std::int64_t), const std::string& what) : m_id(id), m_close(close) {
    if (id < 0) fail(what);
}

H5Handle& H5Handle::operator=(H5Handle&& o) noexcept {
    if (this != &o) {
        reset();
        m_id = o.m_id;
        m_close = o.m_close;
        o.m_id = -1;
    }
    return *this;
}

void H5Handle::reset() noexcept {
    if (m_id >= 0 && m_close) m_close(m_id);
    m_id = -1;
}

std::string group_path_of(const std::string& topic) {
    bool plain = true;
    for (std::size_t start = 0;;) {
        const std::size_t slash = topic.find('/', start);
        plain = plain && plain_part(std::string_view(topic).substr(start, slash == std::string::npos ? slash : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return plain && topic.find('%') == std::string::npos ? topic : escaped(topic);
}

// ---- RecordingFile ---------------------------------------------------------------------------

// One dataset being appended to: its handle, type, and the shape of one frame of it.
struct AppendTarget {
    H5Handle dataset;
    H5Handle type;
    std::vector<hsize_t> frame_shape;  // (1, *field shape)
    H5Handle memory_space;             // one frame, reused
};

struct RecordingFile::Topic {
    std::string name;
    H5Handle group;
    std::vector<AppendTarget> fields;
    std::vector<std::optional<AppendTarget>> lengths;  // a bounded field's live rows
    std::vector<std::vector<std::byte>> scratch;        // a bounded field's frame, zeros past its rows
    Schema schema{{"x", DType::Kind::u1, {1}}};         // set from the topic's spec
    AppendTarget frame_numbers, timestamps;
    std::uint64_t frames = 0;
};

namespace {

AppendTarget create_dataset(hid_t group, const std::string& name, DType dtype, const Shape& shape, int compress) {
    AppendTarget t;
    t.type = type_of(dtype);
    std::vector<hsize_t> dims{0}, max_dims{H5S_UNLIMITED}, chunk{1};
    for (const std::uint64_t d : shape) {
        dims.push_back(d);
        max_dims.push_back(d);
        chunk.push_back(d);
    }
    const std::uint64_t frame_bytes = std::max<std::uint64_t>(1, shape.element_count() * dtype.itemsize());
    chunk[0] = std::clamp<std::uint64_t>(SMALL_CHUNK_BYTES / frame_bytes, 1, MAX_FRAMES_PER_CHUNK);
    const std::string what = "create dataset '" + name + "'";
    H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), close_space, what);
    H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), close_plist, what);
    check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what);
    check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), what);  // every element gets written
    if (compress > 0) {
        if (dtype.itemsize() > 1) check(H5Pset_shuffle(dcpl.get()), what);  // bytes of like weight together: deflates better
        check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(compress)), what);
    }
    t.dataset = H5Handle(H5Dcreate2(group, name.c_str(), t.type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                         close_dataset, what);
    t.frame_shape = dims;
    t.frame_shape[0] = 1;
    t.memory_space = H5Handle(H5Screate_simple(static_cast<int>(t.frame_shape.size()), t.frame_shape.data(), nullptr),
                              close_space, what);
    return t;
}

void append_to(AppendTarget& t, std::uint64_t index, const void* data, const char* what) {
    std::vector<hsize_t> dims = t.frame_shape, start(t.frame_shape.size(), 0);
    dims[0] = index + 1;
    start[0] = index;
    check(H5Dset_extent(t.dataset.get(), dims.data()), std::string("extend ") + what);
    H5Handle file_space(H5Dget_space(t.dataset.get()), close_space, std::string("append to ") + what);
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, t.frame_shape.data(), nullptr),
          std::string("append to ") + what);
    check(H5Dwrite(t.dataset.get(), t.type.get(), t.memory_space.get(), file_space.get(), H5P_DEFAULT, data),
          std::string("write ") + what);
}

void write_topic_attributes(hid_t group, const RecordingFile::TopicSpec& spec, int compress) {
    write_attribute(group, "topic", spec.writer.topic);
    write_attribute(group, "schema", schema_json(spec.schema));
    write_attribute(group, "schema_hash", hex64(spec.schema.hash()));
    write_attribute(group, "session", hex64(spec.writer.session));
    write_attribute(group, "writer_pid", spec.writer.pid);
    write_attribute(group, "writer_host", spec.writer.host);
    write_attribute(group, "slots", static_cast<std::int64_t>(spec.writer.slots));
    write_attribute(group, "domain", static_cast<std::int64_t>(spec.writer.domain));
    write_attribute(group, "every", static_cast<std::int64_t>(spec.every));
    write_attribute(group, "compression", compress > 0 ? "gzip " + std::to_string(compress) : std::string("none"));
}

}  // namespace

RecordingFile::RecordingFile(const std::string& path, bool overwrite, int compress, const std::vector<TopicSpec>& topics) {
    // SWMR needs the newest file format; it is also what makes a killed recording readable.
    H5Handle fapl(H5Pcreate(H5P_FILE_ACCESS), close_plist, "create '" + path + "'");
    check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "create '" + path + "'");
    m_file = H5Handle(H5Fcreate(path.c_str(), overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()),
                      close_file, "cannot create '" + path + "'");
    const hid_t root = m_file.get();
    write_attribute(root, RECORDING_MARK, RECORDING_VERSION);
    write_attribute(root, "smx_version", SMX_VERSION_STRING);
    write_attribute(root, "host", this_host());
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    write_attribute(root, "created_ns", static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec);

    H5Handle lcpl(H5Pcreate(H5P_LINK_CREATE), close_plist, "create '" + path + "'");
    check(H5Pset_create_intermediate_group(lcpl.get(), 1), "create '" + path + "'");
    for (const TopicSpec& spec : topics) {
        auto t = std::make_unique<Topic>();
        t->name = spec.writer.topic;
        t->schema = spec.schema;
        const std::string group = group_path_of(spec.writer.topic);
        // Topic "camera" after "camera/info": its group is already there, made on the way.
        hid_t id = H5Lexists(root, group.substr(0, group.find('/')).c_str(), H5P_DEFAULT) > 0
                       ? H5Gopen2(root, group.c_str(), H5P_DEFAULT)
                       : H5I_INVALID_HID;
        H5Eclear2(H5E_DEFAULT);
        if (id < 0) id = H5Gcreate2(root, group.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT);
        t->group = H5Handle(id, close_group, "create group '" + group + "' for topic '" + spec.writer.topic + "'");
        write_topic_attributes(t->group.get(), spec, compress);
        for (std::size_t i = 0; i < spec.schema.size(); ++i) {
            const Field& f = spec.schema[i];
            t->fields.push_back(create_dataset(t->group.get(), escaped(f.name), f.dtype, f.shape, compress));
            write_attribute(t->fields.back().dataset.get(), "field", f.name);
            write_attribute(t->fields.back().dataset.get(), "index", static_cast<std::int64_t>(i));
            write_attribute(t->fields.back().dataset.get(), "dtype", f.dtype.typestr());
            t->lengths.emplace_back();
            t->scratch.emplace_back();
            if (f.bounded) {
                // The capacity in the field's dataset, the live rows of each frame beside it.
                const std::string length_name = escaped(f.name) + LENGTH_SUFFIX;
                write_attribute(t->fields.back().dataset.get(), "bounded", std::int64_t{1});
                write_attribute(t->fields.back().dataset.get(), "length_dataset", length_name);
                t->lengths.back() = create_dataset(t->group.get(), length_name, DType::Kind::u8, Shape{}, compress);
                t->scratch.back().resize(f.nbytes());
            }
        }
        t->frame_numbers = create_dataset(t->group.get(), FRAME_NUMBER_DATASET, DType::Kind::u8, Shape{}, compress);
        t->timestamps = create_dataset(t->group.get(), TIMESTAMP_DATASET, DType::Kind::i8, Shape{}, compress);
        write_attribute(t->timestamps.dataset.get(), "unit", "ns since 1970-01-01 UTC (the writer's CLOCK_REALTIME)");
        m_topics.push_back(std::move(t));
    }
    check(H5Fstart_swmr_write(root), "start SWMR writing of '" + path + "'");
}

RecordingFile::~RecordingFile() {
    try {
        close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "smx: closing the recording failed: %s\n", e.what());
    }
}

std::uint64_t RecordingFile::append(std::size_t topic, const std::vector<const void*>& fields,
                                    const std::vector<std::uint64_t>& lengths, std::uint64_t frame_number,
                                    std::int64_t timestamp_ns) {
    quiet_hdf5_here();
    Topic& t = *m_topics.at(topic);
    const std::uint64_t index = t.frames;
    try {
        for (std::size_t i = 0; i < t.fields.size(); ++i) {
            if (!t.lengths[i]) {
                append_to(t.fields[i], index, fields.at(i), "a field");
                continue;
            }
            // Rows past the frame's are zeros, not whatever an older frame left in the slot.
            const Field& f = t.schema[i];
            const std::uint64_t rows = std::min<std::uint64_t>(lengths.at(i), f.shape[0]);
            std::vector<std::byte>& frame = t.scratch[i];
            std::memcpy(frame.data(), fields.at(i), rows * f.row_bytes());
            std::memset(frame.data() + rows * f.row_bytes(), 0, frame.size() - rows * f.row_bytes());
            append_to(t.fields[i], index, frame.data(), "a field");
            append_to(*t.lengths[i], index, &rows, "a field's length");
        }
        // The frame number last: a frame whose number is in the file has all its fields there.
        append_to(t.timestamps, index, &timestamp_ns, TIMESTAMP_DATASET);
        append_to(t.frame_numbers, index, &frame_number, FRAME_NUMBER_DATASET);
    } catch (const RecordingError& e) {
        throw RecordingError("topic '" + t.name + "', frame " + std::to_string(frame_number) + ": " + e.what() +
                             " (is the disk full?)");
    }
    return t.frames = index + 1;
}

void RecordingFile::flush() {
    quiet_hdf5_here();
    if (m_file.get() >= 0) check(H5Fflush(m_file.get(), H5F_SCOPE_GLOBAL), "flush the recording");
}

void RecordingFile::close() {
    if (m_file.get() < 0) return;
    flush();
    m_topics.clear();  // the datasets and groups before the file
    check(H5Fclose(m_file.release()), "close the recording");
}

// ---- RecordingReader -------------------------------------------------------------------------

namespace {

struct Found {
    std::vector<std::string> groups;
};

herr_t find_topic_group(hid_t root, const char* name, const H5L_info_t*, void* data) {
    if (H5Aexists_by_name(root, name, "topic", H5P_DEFAULT) > 0 && H5Aexists_by_name(root, name, "schema", H5P_DEFAULT) > 0)
        static_cast<Found*>(data)->groups.emplace_back(name);
    H5Eclear2(H5E_DEFAULT);
    return 0;
}

std::vector<hsize_t> dims_of(hid_t dataset) {
    H5Handle space(H5Dget_space(dataset), close_space, "read a dataset's shape");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 1) throw RecordingError("a dataset is not an array of frames");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return dims;
}

// The first `limit` entries (at most) of the 1-D dataset `name` of a topic group: no more are
// read than the field datasets have frames, whatever length the file claims.
template <class T>
std::vector<T> read_column(hid_t group, const std::string& where, const char* name, hid_t memtype, hsize_t limit) {
    const std::string what = "dataset '" + where + "/" + name + "'";
    H5Handle ds(H5Dopen2(group, name, H5P_DEFAULT), close_dataset, "open " + what);
    const std::vector<hsize_t> dims = dims_of(ds.get());
    if (dims.size() != 1)
        throw RecordingError(what + " has " + std::to_string(dims.size()) + " dimensions, not 1: not a recording of smx record");
    const hsize_t count = std::min(dims[0], limit);
    std::vector<T> values(count);
    if (count == 0) return values;
    H5Handle file_space(H5Dget_space(ds.get()), close_space, "select in " + what);
    const hsize_t start = 0;
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr), "select in " + what);
    H5Handle memory_space(H5Screate_simple(1, &count, nullptr), close_space, "read " + what);
    check(H5Dread(ds.get(), memtype, memory_space.get(), file_space.get(), H5P_DEFAULT, values.data()), "read " + what);
    return values;
}

H5Handle open_file(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) throw RecordingError("cannot open '" + path + "': " + std::strerror(errno));
    // A FIFO would block the open for good, a device read forever: recordings are files.
    if (!S_ISREG(st.st_mode))
        throw RecordingError("'" + path + "' is not a regular file; smx play reads the files smx record writes");
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throw RecordingError("'" + path + "' is not an HDF5 file; smx play reads the files smx record writes");
    }
    hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    // A recording still being written, or whose recorder was killed, is marked as open for SWMR
    // writing: only SWMR readers may open it, and they see everything flushed.
    if (file < 0) {
        H5Eclear2(H5E_DEFAULT);
        file = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
    }
    return H5Handle(file, close_file, "cannot open '" + path + "'");
}

}  // namespace

RecordingReader::RecordingReader(const std::string& path) : m_file(open_file(path)) {
    const hid_t root = m_file.get();
    if (!has_attribute(root, RECORDING_MARK))
        throw RecordingError("'" + path + "' is an HDF5 file but not an smx recording (its root has no '" +
                             RECORDING_MARK + "' attribute); smx play reads the files smx record writes");
    if (read_int_attribute(root, RECORDING_MARK) > RECORDING_VERSION)
        throw RecordingError("'" + path + "' is a recording of a newer layout (" +
                             std::to_string(read_int_attribute(root, RECORDING_MARK)) + "); this smx reads layout " +
                             std::to_string(RECORDING_VERSION));
    Found found;
    check(H5Lvisit(root, H5_INDEX_NAME, H5_ITER_INC, find_topic_group, &found), "list the topics of '" + path + "'");
    if (found.groups.empty()) throw RecordingError("'" + path + "' is an smx recording without topics");
    for (const std::string& g : found.groups) {
        H5Handle group(H5Gopen2(root, g.c_str(), H5P_DEFAULT), close_group, "open group '" + g + "'");
        Topic t{g, {}, Schema{{"x", DType::Kind::u1, {1}}}, {}, {}, 0, {}};
        t.writer.topic = read_string_attribute(group.get(), "topic");
        t.writer.pid = read_int_attribute(group.get(), "writer_pid");
        t.writer.host = read_string_attribute(group.get(), "writer_host");
        t.writer.slots = static_cast<std::uint32_t>(read_int_attribute(group.get(), "slots"));
        t.writer.domain = static_cast<int>(read_int_attribute(group.get(), "domain"));
        // The schema from the datasets themselves (each field's dataset names its field, index
        // and dtype), checked against the recorded hash.
        std::vector<std::pair<std::int64_t, Field>> fields;
        std::vector<H5Handle> datasets;
        H5G_info_t info{};
        check(H5Gget_info(group.get(), &info), "list group '" + g + "'");
        for (hsize_t i = 0; i < info.nlinks; ++i) {
            char name[1024] = {};
            if (H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT) < 0)
                fail("list group '" + g + "'");
            if (H5Aexists_by_name(group.get(), name, "field", H5P_DEFAULT) <= 0) continue;
            try {
                H5Handle ds(H5Dopen2(group.get(), name, H5P_DEFAULT), close_dataset, "open it");
                const std::vector<hsize_t> dims = dims_of(ds.get());
                Field f{read_string_attribute(ds.get(), "field"), DType::parse(read_string_attribute(ds.get(), "dtype")),
                        Shape(std::vector<std::uint64_t>(dims.begin() + 1, dims.end())),
                        has_attribute(ds.get(), "bounded") && read_int_attribute(ds.get(), "bounded") != 0};
                // HDF5 converts any numeric type on reading, and cuts strings: the data must be
                // of exactly the type smx record writes for its dtype.
                H5Handle stored(H5Dget_type(ds.get()), close_type, "read its type");
                if (H5Tequal(stored.get(), type_of(f.dtype).get()) <= 0)
                    throw RecordingError("its data is not of the HDF5 type smx record writes for its dtype " +
                                         std::string(f.dtype.typestr()) + " (was the file edited?)");
                fields.emplace_back(read_int_attribute(ds.get(), "index"), f);
                datasets.push_back(std::move(ds));
            } catch (const RecordingError& e) {
                throw RecordingError("topic group '" + g + "' of '" + path + "', dataset '" + name + "': " + e.what());
            } catch (const InvalidArgument& e) {
                throw RecordingError("topic group '" + g + "' of '" + path + "', dataset '" + name + "': " + e.what());
            }
        }
        std::vector<std::size_t> order(fields.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return fields[a].first < fields[b].first; });
        std::vector<Field> schema_fields;
        std::vector<H5Handle> ordered;
        for (const std::size_t i : order) {
            schema_fields.push_back(fields[i].second);
            ordered.push_back(std::move(datasets[i]));
        }
        if (schema_fields.empty()) throw RecordingError("topic group '" + g + "' of '" + path + "' has no field datasets");
        t.schema = Schema(schema_fields);
        if (hex64(t.schema.hash()) != read_string_attribute(group.get(), "schema_hash"))
            throw RecordingError("topic group '" + g + "' of '" + path + "': its datasets do not match its recorded schema");
        // Complete frames: after a killed recording the datasets may differ by the last frames.
        hsize_t frames = std::numeric_limits<hsize_t>::max();
        for (const H5Handle& ds : ordered) frames = std::min(frames, dims_of(ds.get())[0]);
        t.frame_numbers = read_column<std::uint64_t>(group.get(), g, FRAME_NUMBER_DATASET, H5T_NATIVE_UINT64, frames);
        t.timestamps_ns = read_column<std::int64_t>(group.get(), g, TIMESTAMP_DATASET, H5T_NATIVE_INT64, frames);
        t.frames = std::min<std::uint64_t>(t.frame_numbers.size(), t.timestamps_ns.size());
        t.lengths.resize(t.schema.size());
        for (std::size_t i = 0; i < t.schema.size(); ++i) {
            const Field& f = t.schema[i];
            if (!f.bounded) continue;
            std::string name;
            try {
                name = read_string_attribute(ordered[i].get(), "length_dataset");
                // Only what smx record writes: HDF5 would turn -1 into 0 and 3.9 into 3 silently.
                H5Handle ds(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), close_dataset, "open it");
                H5Handle stored(H5Dget_type(ds.get()), close_type, "read its type");
                if (H5Tget_class(stored.get()) != H5T_INTEGER || H5Tget_sign(stored.get()) != H5T_SGN_NONE ||
                    H5Tget_size(stored.get()) != 8)
                    throw RecordingError("the rows of field '" + f.name + "' must be unsigned 64-bit integers");
            } catch (const RecordingError& e) {
                throw RecordingError("topic group '" + g + "' of '" + path + "', length dataset '" + name +
                                     "' of field '" + f.name + "': " + e.what());
            }
            t.lengths[i] = read_column<std::uint64_t>(group.get(), g, name.c_str(), H5T_NATIVE_UINT64, t.frames);
            t.frames = std::min<std::uint64_t>(t.frames, t.lengths[i].size());
            for (const std::uint64_t rows : t.lengths[i])
                if (rows > f.shape[0])
                    throw RecordingError("topic group '" + g + "' of '" + path + "': dataset '" + name + "' gives " +
                                         std::to_string(rows) + " rows for field '" + f.name + "', which holds at most " +
                                         std::to_string(f.shape[0]));
        }
        m_topics.push_back(std::move(t));
        m_datasets.push_back(std::move(ordered));
    }
}

RecordingReader::~RecordingReader() = default;

void RecordingReader::read(std::size_t topic, std::size_t field, std::uint64_t index, void* dst) {
    const Topic& t = m_topics.at(topic);
    const Field& f = t.schema[field];
    const hid_t ds = m_datasets.at(topic).at(field).get();
    std::vector<hsize_t> count{1}, start{index};
    for (const std::uint64_t d : f.shape) {
        count.push_back(d);
        start.push_back(0);
    }
    const std::string what = "read frame " + std::to_string(index) + " of field '" + f.name + "' of topic '" +
                             t.writer.topic + "'";
    H5Handle type = type_of(f.dtype);
    H5Handle memory(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), close_space, what);
    H5Handle file_space(H5Dget_space(ds), close_space, what);
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), what);
    check(H5Dread(ds, type.get(), memory.get(), file_space.get(), H5P_DEFAULT, dst), what);
}

}  // namespace smx::cli
