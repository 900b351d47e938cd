#pragma once
// The HDF5 file of `smx record` and `smx play` (Debian's libhdf5, C API; a dependency of the tool
// only). One group per topic, one chunked dataset per field of shape (N, *field shape) with the
// field's dtype, plus frame_number (uint64) and timestamp_ns (int64, the writer's
// CLOCK_REALTIME); schema and writer as attributes. docs/cli.md ("smx record") has the layout.
//
// The recorder writes in SWMR mode (single writer, multiple readers; libver "latest"): h5py can
// read the file while it grows, and a recording whose process was killed stays readable up to
// its last flush.

#include <smx/schema.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace smx::cli {

/// Attribute on the root group marking an smx recording; its value is the layout version.
inline constexpr const char* RECORDING_MARK = "smx_recording";
inline constexpr std::int64_t RECORDING_VERSION = 1;
/// Dataset names beside the fields in a topic's group.
inline constexpr const char* FRAME_NUMBER_DATASET = "frame_number";
inline constexpr const char* TIMESTAMP_DATASET = "timestamp_ns";
/// Suffix of the dataset of a bounded field's live lengths: "<field>%length" ('%' never ends an
/// escaped field name otherwise, so it cannot clash with a field).
inline constexpr const char* LENGTH_SUFFIX = "%length";

/// An HDF5 identifier closed with its own H5*close function on destruction.
class H5Handle {
public:
    H5Handle() = default;
    /// Takes `id` (checked: a negative id throws RecordingError with `what`).
    H5Handle(std::int64_t id, int (*close)(std::int64_t), const std::string& what);
    H5Handle(H5Handle&& o) noexcept : m_id(o.m_id), m_close(o.m_close) { o.m_id = -1; }
    H5Handle& operator=(H5Handle&& o) noexcept;
    H5Handle(const H5Handle&) = delete;
    H5Handle& operator=(const H5Handle&) = delete;
    ~H5Handle() { reset(); }
    std::int64_t get() const noexcept { return m_id; }
    void reset() noexcept;
    /// Gives the id up without closing it.
    std::int64_t release() noexcept {
        const std::int64_t id = m_id;
        m_id = -1;
        return id;
    }

private:
    std::int64_t m_id = -1;
    int (*m_close)(std::int64_t) = nullptr;
};

/// A failure of the HDF5 library, with what was being done and the library's innermost message.
class RecordingError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What the recording says about a topic's writer (attributes of the topic group).
struct RecordedWriter {
    std::string topic;
    std::uint64_t session = 0;
    std::int64_t pid = 0;
    std::string host;
    std::uint32_t slots = 0;
    int domain = 0;
};

/// Creates a recording and appends frames to it. Not thread-safe: callers serialise.
class RecordingFile {
public:
    /// Creates `path` (truncating it if `overwrite`, else failing if it exists) with one group
    /// per topic, then switches to SWMR writing (no object can be added afterwards).
    /// `compress`: deflate level 0 (none) .. 9. Throws RecordingError.
    struct TopicSpec {
        RecordedWriter writer;
        Schema schema;
        std::uint64_t every = 1;
    };
    RecordingFile(const std::string& path, bool overwrite, int compress, const std::vector<TopicSpec>& topics);
    ~RecordingFile();
    RecordingFile(const RecordingFile&) = delete;
    RecordingFile& operator=(const RecordingFile&) = delete;

    /// Appends one frame to topic `topic` (index into the constructor's list): one pointer per
    /// field, each to field nbytes of the schema's dtype, and the live rows of each field
    /// (`lengths`, used for bounded fields: the rows beyond are stored as zeros). Returns the
    /// frames now in the topic.
    std::uint64_t append(std::size_t topic, const std::vector<const void*>& fields,
                         const std::vector<std::uint64_t>& lengths, std::uint64_t frame_number,
                         std::int64_t timestamp_ns);
    /// Makes everything appended so far durable and visible to readers (H5Fflush).
    void flush();
    /// Flushes and closes (clearing the SWMR mark: any HDF5 reader opens it). Idempotent.
    void close();

private:
    struct Topic;
    H5Handle m_file;
    std::vector<std::unique_ptr<Topic>> m_topics;
};

/// A recording opened for reading (also one whose recorder was killed: opened in SWMR-read mode).
class RecordingReader {
public:
    struct Topic {
        std::string group;  ///< HDF5 path of the topic's group
        RecordedWriter writer;
        Schema schema;
        std::vector<std::uint64_t> frame_numbers;
        std::vector<std::int64_t> timestamps_ns;
        std::uint64_t frames = 0;  ///< complete frames: the shortest of the topic's datasets
        std::vector<std::vector<std::uint64_t>> lengths;  ///< per field: a bounded field's rows per frame
    };
    /// Throws RecordingError: not an HDF5 file, not an smx recording, an unreadable layout.
    explicit RecordingReader(const std::string& path);
    ~RecordingReader();
    const std::vector<Topic>& topics() const noexcept { return m_topics; }
    /// Reads frame `index` of topic `topic`, field `field` into `dst` (exactly its nbytes).
    void read(std::size_t topic, std::size_t field, std::uint64_t index, void* dst);

private:
    H5Handle m_file;
    std::vector<Topic> m_topics;
    std::vector<std::vector<H5Handle>> m_datasets;  // [topic][field]
};

/// The HDF5 group path of a topic: its name, '/' making nested groups when every part is a plain
/// name; otherwise (empty parts, "." or "..") '%' and '/' are escaped as %25 and %2F.
std::string group_path_of(const std::string& topic);

}  // namespace smx::cli
