#pragma once
/// @file inspect.hpp
/// Looking at the topics of a domain from the outside: what the shared segments in /dev/shm
/// say about their writers, schemas, readers and newest frames. Inspection joins no DDS
/// domain, registers no reader and maps only the segments' control parts, read-only: it
/// changes nothing that writers or readers see. For tools (`smx list`, `smx info`) and
/// monitoring.

#include <smx/error.hpp>
#include <smx/export.hpp>
#include <smx/schema.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smx {

/// A process named in a segment (its writer, or a reader registration).
struct ProcessRef {
    std::int64_t pid = 0;
    /// Start time in clock ticks since boot (/proc/<pid>/stat field 22); with the pid it
    /// identifies the process even after the pid is reused. 0 while a reader registers.
    std::uint64_t start_ticks = 0;
    /// The pid runs, is not a zombie, and started at `start_ticks`.
    bool alive = false;
};

/// A reader registration in use: the reader process and the pins it holds.
struct RegisteredReader {
    ProcessRef process;
    std::uint32_t pins = 0;  ///< pins held over all slots
    bool sleeping = false;   ///< asleep on the doorbell, waiting for the next frame
};

/// What one segment says about its topic, read at one moment.
struct SMX_EXPORT SegmentInfo {
    // From the directory entry; always set.
    std::string segment_name;     ///< "/smx.0.camera"
    std::string path;             ///< "/dev/shm/smx.0.camera"
    int domain_id = 0;            ///< from the name
    std::uint64_t size_bytes = 0;
    std::uint32_t mode = 0;       ///< permission bits, e.g. 0600
    std::uint32_t owner_uid = 0;
    std::string owner;            ///< user name, or the uid in decimal if it has none

    /// Empty if the segment was opened and validated. Otherwise why it could not be (not
    /// readable by this user, not an smx segment, inconsistent), and only the fields above
    /// are meaningful.
    std::string error;
    /// The code of `error` (permission_denied, segment_corrupt, system); nullopt if none.
    std::optional<ErrorCode> error_code;

    // From the validated header.
    std::string topic;
    std::uint32_t layout_version = 0;
    std::uint64_t session = 0;       ///< the writer session's random id
    std::string writer_host;
    ProcessRef writer;               ///< alive == false: a dead writer's stale segment
    std::int64_t writer_started_ns = 0;  ///< CLOCK_REALTIME at the writer's process start (0 if unknown)
    std::int64_t created_ns = 0;     ///< CLOCK_REALTIME when the writer created the segment
    std::optional<Schema> schema;
    std::uint32_t slot_count = 0;
    std::uint64_t slot_stride = 0;   ///< bytes per slot in the payload (frame size, page aligned)
    std::uint32_t reader_capacity = 0;
    std::vector<RegisteredReader> readers;  ///< registrations in use, in table order

    // From the slot table (seqlock-consistent per slot).
    std::uint64_t newest_frame = 0;        ///< 0: nothing published yet
    std::int64_t newest_timestamp_ns = 0;  ///< timestamp of newest_frame

    /// True if the segment was validated and its writer process is alive.
    bool live() const noexcept { return error.empty() && writer.alive; }
    /// Reader registrations whose process is alive.
    std::size_t live_reader_count() const noexcept;
};

/// Every smx segment of `domain_id` in /dev/shm, sorted by topic (segments that could not be
/// read, by name), skipping the temporaries of writers being created. A segment that cannot
/// be read or validated is listed with `error` set instead of failing the whole call.
/// Throws InvalidArgument for a domain outside 0..230, SystemError if /dev/shm cannot be read.
SMX_EXPORT std::vector<SegmentInfo> inspect_domain(int domain_id);

/// Every smx segment in /dev/shm, of every domain, sorted by domain and then as by
/// inspect_domain. Throws SystemError if /dev/shm cannot be read.
SMX_EXPORT std::vector<SegmentInfo> inspect_all_domains();

/// The segment of `topic` in `domain_id`, or nullopt if there is none (no writer created it,
/// or its writer closed). Problems are reported in `error` as by inspect_domain. Throws
/// InvalidArgument for a bad topic name or domain.
SMX_EXPORT std::optional<SegmentInfo> inspect_topic(int domain_id, std::string_view topic);

/// What remove_dead_segment() did.
enum class SegmentRemoval {
    removed,       ///< the name is gone; the memory is freed once no process maps the segment
    writer_alive,  ///< its writer lives: left alone
    busy,          ///< a starting writer or another remover holds it this moment: left alone
    replaced,      ///< the name no longer refers to the segment inspected (removed or replaced meanwhile)
};

/// Removes the shared segment `segment` describes (from inspect_domain or inspect_topic) if its
/// writer is dead and the name still refers to the same session's segment: what the topic's
/// next writer, or a reader that finds the writer dead, would do anyway. Opens and validates the
/// object again first, so a live writer's segment and an object that is not an smx segment are
/// never removed. Throws InvalidArgument if `segment` was not validated (`error` set),
/// SegmentCorrupt if the object at the name is no longer a valid smx segment,
/// PermissionDenied if this user may not remove it (another user's, in /dev/shm's sticky
/// directory), SystemError otherwise.
SMX_EXPORT SegmentRemoval remove_dead_segment(const SegmentInfo& segment);

/// What this machine's shared memory says about a topic that has no writer in `domain_id`, for
/// "no writer" messages: its segment is left over from a dead writer or cannot be read; a live
/// writer DDS did not announce; the topic exists in another domain; else the live topics of
/// the domain (at most 8) and those whose names are close to `topic` ("did you mean"). One or
/// more clauses joined by "; ", without a leading separator. Never throws (best effort: "").
SMX_EXPORT std::string missing_writer_hint(int domain_id, std::string_view topic) noexcept;

/// The name of the shared memory object of `topic` in `domain_id` ("/smx.0.camera").
/// Throws InvalidArgument for a bad topic name.
SMX_EXPORT std::string segment_name_of(int domain_id, std::string_view topic);

}  // namespace smx
