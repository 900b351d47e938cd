#pragma once
// A shared segment: header, slot table, reader table and payload of one (domain, topic).
// Created (and owned) by the writer, attached by readers after validating every field.

#include "fork.hpp"
#include "shm/layout.hpp"
#include "shm/mapping.hpp"
#include "shm/shm_object.hpp"

#include <smx/schema.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace smx::detail {

struct SegmentConfig {
    int domain_id = 0;
    std::string topic;
    std::uint32_t slots = 3;
    std::uint32_t reader_capacity = 64;
    std::uint32_t mode = 0600;
    std::uint64_t session = 0;
};

/// Layout arithmetic for a schema and configuration (checked; throws InvalidArgument).
struct SegmentGeometry {
    std::uint64_t slot_table_offset, reader_table_offset, reader_stride, payload_offset,
        slot_stride, segment_size;
    static SegmentGeometry compute(const Schema& schema, std::uint32_t slots,
                                   std::uint32_t reader_capacity);
};

class Segment {
public:
    /// Creates, locks, fills and publishes the segment for `config.topic` (see design.md:
    /// built under a temporary name, renamed into place). Throws WriterExists if a live writer
    /// holds the topic; SegmentCorrupt if something that is not an smx segment occupies the name
    /// (it is never removed); OutOfSpace, PermissionDenied, SystemError otherwise. Nothing is
    /// left behind on failure.
    static std::unique_ptr<Segment> create(const SegmentConfig& config, const Schema& schema);

    /// Attaches to the segment called `name` for `topic`, validating header and layout before
    /// trusting any of it. Returns nullptr if no such object exists. Throws SegmentCorrupt,
    /// PermissionDenied or SystemError. `vet_owner`, if given, is called with the object's owner
    /// before anything of it is read or mapped, and throws to refuse it.
    static std::unique_ptr<Segment> attach(const std::string& name, std::string_view topic,
                                           const std::function<void(std::uint32_t)>& vet_owner = {});

    /// Opens the segment called `name` for inspection by tools: the same validation as attach(),
    /// with the topic taken from the header (which must map to `name` in its domain); nothing
    /// is registered and only the control part (header, slot and reader tables) is mapped, read
    /// only. Returns nullptr if no such object exists. Throws SegmentCorrupt, PermissionDenied
    /// or SystemError.
    static std::unique_ptr<Segment> inspect(const std::string& name);

    /// The owner unlinks the name (if it still refers to this object; never in a forked child).
    ~Segment();
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

    const std::string& name() const noexcept { return m_name; }
    /// The shm object (for fstat: owner, mode).
    const ShmObject& object() const noexcept { return m_object; }
    bool is_owner() const noexcept { return m_owner; }
    /// The object's inode (the name may come to refer to another object: compare before unlink).
    std::uint64_t inode() const noexcept { return m_inode; }
    SegmentHeader& header() const noexcept { return *reinterpret_cast<SegmentHeader*>(m_control.data()); }
    std::uint32_t slot_count() const noexcept { return m_slot_count; }
    std::uint32_t reader_capacity() const noexcept { return m_reader_capacity; }
    std::uint64_t session() const noexcept { return m_session; }
    const std::shared_ptr<const Schema>& schema() const noexcept { return m_schema; }

    SlotRecord& slot(std::uint32_t i) const noexcept {
        return reinterpret_cast<SlotRecord*>(m_control.data() + m_geometry.slot_table_offset)[i];
    }
    ReaderRecord& reader(std::uint32_t i) const noexcept {
        return *reinterpret_cast<ReaderRecord*>(m_control.data() + m_geometry.reader_table_offset +
                                                i * m_geometry.reader_stride);
    }
    /// Start of slot i's payload: writable for the owner, read-only pages for readers.
    std::byte* payload(std::uint32_t i) const noexcept { return m_payload.data() + i * m_geometry.slot_stride; }

    /// Reader side: true while the writer lives (it holds its liveness lock; layout.hpp).
    bool writer_alive() const noexcept { return m_object.byte_locked_elsewhere(WRITER_LOCK_BYTE); }
    /// True while the reader holding registration r lives.
    bool reader_alive(std::uint32_t r) const noexcept;
    /// Takes registration r's liveness lock through this attachment; false if anyone else holds
    /// it, including another registration made through this same Segment.
    bool try_lock_registration(std::uint32_t r);
    void unlock_registration(std::uint32_t r) noexcept;
    /// What remove_abandoned() did; `refused` keeps the errno of the failed unlink.
    struct Removal {
        enum Outcome { removed, writer_alive, busy, replaced, refused } outcome = refused;
        int error = 0;
    };
    /// Reader side (and tools): removes the name of a segment whose writer died without closing
    /// it (SIGKILL, a crash), if the name still refers to this segment, so a dead writer's
    /// megabytes do not stay in /dev/shm until its successor starts. Never a live writer's: the
    /// writers' flock is held while the name is removed, so none can take it meanwhile.
    Removal remove_abandoned() noexcept;
    /// remove_abandoned() == removed.
    bool remove_if_abandoned() noexcept { return remove_abandoned().outcome == Removal::removed; }

    /// True once the object was truncated under this process's mappings (bus_guard.hpp): what
    /// they show since is zeros, not the segment.
    bool truncated() const noexcept { return m_control.truncated() || m_payload.truncated(); }

    /// Removes the name now (owner only; idempotent).
    void unlink() noexcept;

private:
    Segment() = default;
    void map_parts(bool owner);
    // attach() and inspect(): validate, then map (inspecting: control part only, read-only).
    static std::unique_ptr<Segment> open_checked(const std::string& name, std::string_view topic, bool inspecting,
                                                 const std::function<void(std::uint32_t)>& vet_owner = {});

    ShmObject m_object;
    Mapping m_control;  // header + slot table + reader table, read-write
    Mapping m_payload;  // slots; read-only for readers
    std::string m_name;
    bool m_owner = false;
    bool m_unlinked = false;
    OwnerProcess m_process;  // a forked child never unlinks its parent's segment
    // Registrations locked through this object's open file description: the kernel does not tell
    // them apart (a description's own locks never conflict with each other).
    mutable std::mutex m_registrations_mutex;
    std::vector<std::uint32_t> m_registrations;
    std::uint64_t m_inode = 0;
    std::uint32_t m_slot_count = 0;
    std::uint32_t m_reader_capacity = 0;
    std::uint64_t m_session = 0;
    SegmentGeometry m_geometry{};
    std::shared_ptr<const Schema> m_schema;
};

}  // namespace smx::detail
