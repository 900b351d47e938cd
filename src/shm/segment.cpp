#include "shm/segment.hpp"

#include "names.hpp"
#include "shm/process.hpp"

#include <smx/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <cerrno>
#include <dirent.h>
#include <sys/stat.h>
#include <new>
#include <thread>
#include <unistd.h>

namespace smx::detail {

namespace {

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, bool& overflow) {
    std::uint64_t r = 0;
    overflow |= __builtin_mul_overflow(a, b, &r);
    return r;
}

std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, bool& overflow) {
    std::uint64_t r = 0;
    overflow |= __builtin_add_overflow(a, b, &r);
    return r;
}

std::uint64_t reader_stride_for(std::uint32_t slots) {
    return align_up(sizeof(ReaderRecord) + sizeof(std::atomic<std::uint32_t>) * slots, CACHE_LINE);
}

template <std::size_t N>
void copy_cstr(char (&dst)[N], std::string_view src) {
    const std::size_t n = std::min(src.size(), N - 1);
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

template <std::size_t N>
bool terminated(const char (&s)[N]) {
    return std::memchr(s, '\0', N) != nullptr;
}

// Who holds a live segment, for the "already has a live writer" message.
std::string describe_holder(const ShmObject& obj) {
    try {
        if (obj.size() < sizeof(SegmentHeader)) return "pid unknown";
        Mapping m = Mapping::map(obj.fd(), 0, sizeof(SegmentHeader), false, false, "segment header");
        const auto& h = *reinterpret_cast<const SegmentHeader*>(m.data());
        if (h.magic != SEGMENT_MAGIC || !terminated(h.host)) return "pid unknown";
        return "pid " + std::to_string(h.writer_pid) + ", host " + h.host;
    } catch (const Error&) {
        return "pid unknown";
    }
}

// Temporary objects of writers that crashed while creating the segment.
void remove_stale_temporaries(const std::string& final_name) {
    DIR* dir = ::opendir(shm_directory());
    if (!dir) return;
    const std::string prefix = final_name.substr(1) + "~t";
    while (dirent* e = ::readdir(dir)) {
        const std::string entry = e->d_name;
        if (entry.size() != prefix.size() + 16 || entry.compare(0, prefix.size(), prefix) != 0) continue;
        try {
            ShmObject obj = ShmObject::open_existing("/" + entry, false);
            if (obj.valid() && obj.is_regular() && obj.try_lock_exclusive()) obj.unlink();
        } catch (const Error&) {
            // Not ours to remove (another user's); leave it.
        }
    }
    ::closedir(dir);
}

std::string hex64(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// Why the object is not an smx segment, or "" if it starts like one. Only the "SMXSEG" part of
// the magic is compared so that a stale segment of another layout version still counts as
// ours (a writer may replace it; a reader then reports the version).
std::string not_a_segment_reason(const ShmObject& obj) {
    if (!obj.is_regular()) return std::string("it is not a regular file but a ") + obj.file_type();
    const std::uint64_t size = obj.size();
    if (size < sizeof(std::uint64_t))
        return "it is only " + std::to_string(size) + " bytes, without the smx magic";
    std::uint64_t magic = 0;
    if (::pread(obj.fd(), &magic, sizeof magic, 0) != static_cast<ssize_t>(sizeof magic))
        return "its first bytes cannot be read";
    if (std::memcmp(&magic, &SEGMENT_MAGIC, 6) != 0)
        return "it starts with " + hex64(magic) + " instead of the smx magic " + hex64(SEGMENT_MAGIC);
    return {};
}

// Who holds an smx segment found at a topic's name.
enum class Holder {
    live_writer,  // its writer lives: refuse
    nobody,       // stale, and the caller now holds its writers' flock: it may remove it
    remover       // someone (a reader, another starting writer) is removing it right now
};

Holder holder_of(ShmObject& existing) {
    if (existing.byte_locked_elsewhere(WRITER_LOCK_BYTE)) return Holder::live_writer;
    if (existing.try_lock_exclusive()) return Holder::nobody;
    // The flock is held, but by no writer of this layout: a remover (for microseconds), or the
    // live writer of an older smx that has no liveness lock.
    std::uint32_t version = 0;
    if (::pread(existing.fd(), &version, sizeof version, offsetof(SegmentHeader, layout_version)) !=
            static_cast<ssize_t>(sizeof version) ||
        version != LAYOUT_VERSION)
        return Holder::live_writer;
    return Holder::remover;
}

// A writer only ever replaces (stale) smx segments: anything else at the name was put there by
// someone else and may be in use.
void refuse_if_foreign(const ShmObject& existing, const SegmentConfig& config) {
    const std::string reason = not_a_segment_reason(existing);
    if (reason.empty()) return;
    const std::string path = shm_directory() + existing.name();
    throw SegmentCorrupt("topic '" + config.topic + "' in domain " + std::to_string(config.domain_id) + ": " +
                         path + " exists but is not an smx segment (" + reason +
                         "); smx replaces only its own segments: if nothing uses that file, remove it (rm " +
                         path + "), or use another topic");
}

[[noreturn]] void corrupt(const std::string& name, std::string_view topic, const std::string& why) {
    // An inspecting tool does not know the topic before the header is trusted.
    const std::string of_topic = topic.empty() ? "" : " of topic '" + std::string(topic) + "'";
    throw SegmentCorrupt("segment '" + name + "'" + of_topic + " " + why +
                         "; if no writer uses it, remove it (rm " + shm_directory() + name +
                         ") and restart the writer");
}

}  // namespace

SegmentGeometry SegmentGeometry::compute(const Schema& schema, std::uint32_t slots,
                                         std::uint32_t reader_capacity) {
    if (slots < 2 || slots > MAX_SLOTS)
        throw InvalidArgument("slot count " + std::to_string(slots) + " is out of range 2.." +
                              std::to_string(MAX_SLOTS));
    if (reader_capacity < 1 || reader_capacity > MAX_READERS)
        throw InvalidArgument("reader capacity " + std::to_string(reader_capacity) +
                              " is out of range 1.." + std::to_string(MAX_READERS));
    SegmentGeometry g{};
    bool of = false;
    g.slot_table_offset = align_up(sizeof(SegmentHeader), CACHE_LINE);
    g.reader_table_offset = checked_add(g.slot_table_offset, checked_mul(slots, sizeof(SlotRecord), of), of);
    g.reader_stride = reader_stride_for(slots);
    g.payload_offset = align_up(checked_add(g.reader_table_offset,
                                            checked_mul(reader_capacity, g.reader_stride, of), of),
                                page_size());
    g.slot_stride = align_up(schema.frame_size(), page_size());
    g.segment_size = checked_add(g.payload_offset, checked_mul(slots, g.slot_stride, of), of);
    if (of || g.segment_size > (MAX_FRAME_BYTES * 4))
        throw InvalidArgument("segment of " + std::to_string(slots) + " slots of " +
                              std::to_string(schema.frame_size()) + " bytes is too large");
    return g;
}

std::unique_ptr<Segment> Segment::create(const SegmentConfig& config, const Schema& schema) {
    const std::string final_name = segment_name(config.domain_id, config.topic);
    const SegmentGeometry g = SegmentGeometry::compute(schema, config.slots, config.reader_capacity);

    const std::string where = "topic '" + config.topic + "' in domain " + std::to_string(config.domain_id);
    // What stands at the name, with the topic in the message if it is not a segment at all.
    const std::string path = shm_directory() + final_name;
    // Another user's object at the name: this writer may neither use nor remove it (/dev/shm is
    // sticky), and only its owner or root can tell whether something still uses it.
    auto others_object = [&](std::uint32_t owner, const std::string& why) {
        return PermissionDenied(where + ": " + path + " belongs to user " + user_label(owner) + " and " + why +
                               "; if no process of that user uses it, remove it as that user or root (rm " + path +
                               "), or use another topic");
    };
    auto open_name = [&] {
        try {
            return ShmObject::open_existing(final_name, false);
        } catch (const SegmentCorrupt& e) {
            throw SegmentCorrupt(where + ": " + e.what());
        } catch (const PermissionDenied&) {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) throw;
            throw others_object(static_cast<std::uint32_t>(st.st_uid), "cannot be opened by this user");
        }
    };
    auto refuse_if_live = [&](ShmObject& existing) {
        throw WriterExists("topic '" + config.topic + "' in domain " + std::to_string(config.domain_id) +
                           " already has a live writer (" + describe_holder(existing) +
                           "); stop that writer first or use another topic");
    };

    // Cheap early refusal before reserving memory for the new segment.
    {
        ShmObject existing = open_name();
        if (existing.valid()) {
            refuse_if_foreign(existing, config);
            if (holder_of(existing) == Holder::live_writer) refuse_if_live(existing);
        }
    }
    remove_stale_temporaries(final_name);

    std::unique_ptr<Segment> seg(new Segment());
    seg->m_owner = true;
    ShmObject obj;
    for (int attempt = 0;; ++attempt) {
        try {
            obj = ShmObject::create_exclusive(temporary_segment_name(final_name, random_u64()), config.mode);
        } catch (const OutOfSpace& e) {
            throw OutOfSpace(where + ": cannot create segment '" + final_name + "' (" + e.what() + "): " +
                             shm_directory() + " is out of space or of inodes (df -i " + shm_directory() +
                             "); remove stale segments (smx list --all) or raise its limits");
        } catch (const PermissionDenied& e) {
            throw PermissionDenied(where + ": cannot create segment '" + final_name + "' (" + e.what() + ")");
        }
        // Between shm_open and flock, a writer starting at the same moment may take this for a
        // crashed creator's temporary and remove it (remove_stale_temporaries): then it is
        // locked by that writer or already unlinked, and we start again under a new name.
        if (obj.try_lock_exclusive() && shm_inode_of(obj.name()) == obj.inode() &&
            obj.try_lock_byte(WRITER_LOCK_BYTE))
            break;
        if (attempt >= 100)
            throw SystemError(EBUSY, "could not build segment '" + final_name + "' for topic '" + config.topic +
                                         "': its temporary objects keep being removed");
    }
    try {
        try {
            obj.allocate(g.segment_size);
        } catch (const OutOfSpace& e) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", config.mode & 07777);
            throw OutOfSpace("topic '" + config.topic + "' in domain " + std::to_string(config.domain_id) +
                             ": segment '" + final_name + "' of " + std::to_string(g.segment_size) + " bytes (" +
                             std::to_string(config.slots) + " slots of " + std::to_string(g.slot_stride) +
                             " bytes, mode " + mode + ") does not fit: " + e.what());
        }
        seg->m_geometry = g;
        seg->m_slot_count = config.slots;
        seg->m_reader_capacity = config.reader_capacity;
        seg->m_session = config.session;
        seg->m_schema = std::make_shared<const Schema>(schema);
        seg->m_object = std::move(obj);
        seg->map_parts(true);

        // posix_fallocate leaves the object zero-filled: slots start at seq 0, readers free.
        SegmentHeader& h = *new (seg->m_control.data()) SegmentHeader{};
        h.magic = SEGMENT_MAGIC;
        h.layout_version = LAYOUT_VERSION;
        h.segment_size = g.segment_size;
        h.session_id = config.session;
        h.writer_pid = ::getpid();
        h.writer_start_time = process_start_time(::getpid());
        h.creation_time_ns = realtime_ns();
        h.domain_id = static_cast<std::uint32_t>(config.domain_id);
        h.slot_count = config.slots;
        h.slot_stride = g.slot_stride;
        h.reader_capacity = config.reader_capacity;
        h.field_count = static_cast<std::uint32_t>(schema.size());
        h.frame_size = schema.frame_size();
        h.schema_hash = schema.hash();
        h.slot_table_offset = g.slot_table_offset;
        h.reader_table_offset = g.reader_table_offset;
        h.reader_stride = g.reader_stride;
        h.payload_offset = g.payload_offset;
        copy_cstr(h.host, host_name());
        copy_cstr(h.topic, config.topic);
        for (std::size_t i = 0; i < schema.size(); ++i) {
            const Field& f = schema[i];
            FieldRecord& r = h.fields[i];
            copy_cstr(r.name, f.name);
            copy_cstr(r.dtype, f.dtype.typestr());
            r.ndim = static_cast<std::uint32_t>(f.shape.ndim());
            r.flags = f.bounded ? FIELD_BOUNDED : 0;
            std::copy(f.shape.begin(), f.shape.end(), r.shape);
            r.offset = schema.offset(i);
            r.nbytes = f.nbytes();
        }
        // Readers trust nothing before this word (they only ever see it after the rename anyway).
        h.ready.store(READY, std::memory_order_release);
    } catch (...) {
        (seg->m_object.valid() ? seg->m_object : obj).unlink();
        throw;
    }

    for (int attempt = 0;; ++attempt) {
        if (seg->m_object.rename_noreplace(final_name)) break;
        ShmObject existing = open_name();
        if (!existing.valid()) continue;  // vanished between rename and open: try again
        Holder holder = Holder::remover;
        try {
            refuse_if_foreign(existing, config);
            holder = holder_of(existing);
            if (holder == Holder::live_writer) refuse_if_live(existing);
        } catch (...) {
            seg->m_object.unlink();
            throw;
        }
        // Stale: its writer died. Remove it unless the name was replaced meanwhile. Being removed
        // by someone else: that takes microseconds; let them finish.
        if (holder == Holder::nobody && shm_inode_of(final_name) == existing.inode() &&
            !shm_unlink_name(final_name) && (errno == EPERM || errno == EACCES)) {
            seg->m_object.unlink();
            throw others_object(existing.owner_uid(), "holds a stale segment (its writer is gone) that this user may not remove");
        }
        if (holder == Holder::remover) std::this_thread::yield();
        if (attempt > 1000) {
            const std::uint32_t owner = existing.owner_uid();
            seg->m_object.unlink();
            throw SystemError(EAGAIN, where + ": could not place segment '" + final_name + "': the object there (owner " +
                                          user_label(owner) + ") is held by a process that is no live writer (a "
                                          "flock on it), or the name keeps changing; if no process uses it, remove "
                                          "it (rm " + path + ")");
        }
    }
    seg->m_name = final_name;
    seg->m_inode = seg->m_object.inode();
    return seg;
}

void Segment::map_parts(bool owner) {
    m_control = Mapping::map(m_object.fd(), 0, m_geometry.payload_offset, true, true, "segment control");
    // The payload is pre-faulted: a first touch of a shm page costs several times its copy.
    m_payload = Mapping::map(m_object.fd(), m_geometry.payload_offset,
                             m_geometry.segment_size - m_geometry.payload_offset, owner, true,
                             "segment payload");
}

std::unique_ptr<Segment> Segment::attach(const std::string& name, std::string_view topic,
                                         const std::function<void(std::uint32_t)>& vet_owner) {
    return open_checked(name, topic, false, vet_owner);
}

std::unique_ptr<Segment> Segment::inspect(const std::string& name) { return open_checked(name, {}, true); }

std::unique_ptr<Segment> Segment::open_checked(const std::string& name, std::string_view topic, bool inspecting,
                                               const std::function<void(std::uint32_t)>& vet_owner) {
    // What the messages call the segment: the caller's topic, or (inspecting) the header's once readable.
    std::string subject(topic);
    ShmObject obj;
    try {
        obj = ShmObject::open_existing(name, !inspecting);
    } catch (const SegmentCorrupt& e) {
        if (topic.empty()) throw;
        throw SegmentCorrupt("topic '" + subject + "': " + e.what());
    }
    if (!obj.valid()) return nullptr;
    if (vet_owner) vet_owner(obj.owner_uid());
    if (const std::string reason = not_a_segment_reason(obj); !reason.empty())
        corrupt(name, subject, "is not an smx segment (" + reason + ")");
    const std::uint64_t size = obj.size();
    if (size < sizeof(SegmentHeader))
        corrupt(name, subject, "is truncated: " + std::to_string(size) + " bytes, a header needs " +
                                 std::to_string(sizeof(SegmentHeader)));

    SegmentHeader h;  // a private snapshot: the checks below must not race with the file
    {
        Mapping m = Mapping::map(obj.fd(), 0, sizeof(SegmentHeader), false, false, "segment header");
        const auto* src = reinterpret_cast<const SegmentHeader*>(m.data());
        const bool ready = src->ready.load(std::memory_order_acquire) == READY;
        std::memcpy(static_cast<void*>(&h), src, sizeof h);
        if (h.magic != SEGMENT_MAGIC)
            corrupt(name, subject, "has magic " + hex64(h.magic) + " instead of " + hex64(SEGMENT_MAGIC) +
                                     " (another smx layout or overwritten)");
        if (!ready) corrupt(name, subject, "was never completed (no ready mark)");
    }
    if (h.layout_version != LAYOUT_VERSION)
        corrupt(name, subject, "has layout version " + std::to_string(h.layout_version) + ", this smx reads " +
                                 std::to_string(LAYOUT_VERSION) + " (upgrade the older side)");
    if (h.segment_size != size)
        corrupt(name, subject, "is " + std::to_string(size) + " bytes but its header says " +
                                 std::to_string(h.segment_size) + " (truncated, grown or overwritten)");
    // A writer reserves every byte (posix_fallocate). Mapping a sparse object would allocate its
    // holes page by page as they are read: filling the host's tmpfs, then SIGBUS when it is full.
    if (const std::uint64_t backed = obj.allocated(); backed < size)
        corrupt(name, subject, "is sparse: only " + std::to_string(backed) + " of its " + std::to_string(size) +
                                 " bytes are allocated, so no smx writer made it");
    if (!terminated(h.topic) || !terminated(h.host)) corrupt(name, subject, "has unterminated strings");
    if (inspecting) {
        subject = h.topic;
        // The name must be the one the header's domain and topic give: an object renamed or
        // copied to another name is not what it claims to be.
        std::string expected;
        try {
            expected = segment_name(static_cast<int>(h.domain_id), h.topic);
        } catch (const InvalidArgument&) {
            corrupt(name, subject, "holds an invalid topic name");
        }
        if (expected != name)
            corrupt(name, subject, "claims domain " + std::to_string(h.domain_id) + ", whose segment for this topic is '" +
                                       expected + "'");
    } else if (topic != h.topic) {
        // Two topics whose names map to one segment name collide; a header whose topic does not
        // map to this name at all was overwritten.
        std::string claimed;
        try {
            claimed = segment_name(static_cast<int>(h.domain_id), h.topic);
        } catch (const InvalidArgument&) {
        }
        if (claimed != name)
            corrupt(name, subject, "claims to hold topic '" + std::string(h.topic) + "' of domain " +
                                     std::to_string(h.domain_id) + ", which is not stored under this name "
                                     "(overwritten or tampered with)");
        throw SegmentCorrupt("segment '" + name + "' was expected to hold topic '" + std::string(topic) +
                             "' but belongs to topic '" + h.topic +
                             "' (both names map to this segment name); rename one of the two topics");
    }
    if (h.slot_count < 2 || h.slot_count > MAX_SLOTS)
        corrupt(name, subject, "has a slot count of " + std::to_string(h.slot_count));
    if (h.reader_capacity < 1 || h.reader_capacity > MAX_READERS)
        corrupt(name, subject, "has a reader capacity of " + std::to_string(h.reader_capacity));
    if (h.field_count < 1 || h.field_count > MAX_FIELDS)
        corrupt(name, subject, "has " + std::to_string(h.field_count) + " fields");

    std::vector<Field> fields;
    for (std::uint32_t i = 0; i < h.field_count; ++i) {
        const FieldRecord& r = h.fields[i];
        if (!terminated(r.name) || !terminated(r.dtype) || r.ndim > MAX_DIMS || (r.flags & ~FIELD_BOUNDED) != 0)
            corrupt(name, subject, "has a malformed record for field " + std::to_string(i));
        if (!DType::is_valid(r.dtype))
            corrupt(name, subject, "has field '" + std::string(r.name) + "' of unknown dtype '" + r.dtype + "'");
        bool of = false;
        std::uint64_t elements = 1;
        for (std::uint32_t d = 0; d < r.ndim; ++d) elements = checked_mul(elements, r.shape[d], of);
        checked_mul(elements, DType::parse(r.dtype).itemsize(), of);
        if (of) corrupt(name, subject, "has field '" + std::string(r.name) + "' whose shape product overflows");
        fields.push_back(Field{r.name, DType::parse(r.dtype), Shape(std::vector<std::uint64_t>(r.shape, r.shape + r.ndim)),
                               (r.flags & FIELD_BOUNDED) != 0});
    }
    std::shared_ptr<const Schema> schema;
    try {
        schema = std::make_shared<const Schema>(std::move(fields));
    } catch (const InvalidArgument& e) {
        corrupt(name, subject, std::string("holds an invalid schema (") + e.what() + ")");
    }
    for (std::uint32_t i = 0; i < h.field_count; ++i)
        if (h.fields[i].offset != schema->offset(i) || h.fields[i].nbytes != (*schema)[i].nbytes())
            corrupt(name, subject, "has a wrong offset or size for field '" + std::string(h.fields[i].name) + "'");
    if (h.frame_size != schema->frame_size() || h.schema_hash != schema->hash())
        corrupt(name, subject, "has a frame size or schema hash that does not match its fields");

    // Every offset of the layout, recomputed and compared: nothing is trusted as stored.
    SegmentGeometry g{};
    try {
        g = SegmentGeometry::compute(*schema, h.slot_count, h.reader_capacity);
    } catch (const InvalidArgument& e) {
        corrupt(name, subject, std::string("has an impossible layout (") + e.what() + ")");
    }
    auto check_layout = [&](const char* what, std::uint64_t stored, std::uint64_t expected) {
        if (stored != expected)
            corrupt(name, subject, std::string("has ") + what + " " + std::to_string(stored) + " where its layout needs " +
                                     std::to_string(expected) + " (past the end or overlapping)");
    };
    check_layout("slot_table_offset", h.slot_table_offset, g.slot_table_offset);
    check_layout("reader_table_offset", h.reader_table_offset, g.reader_table_offset);
    check_layout("reader_stride", h.reader_stride, g.reader_stride);
    check_layout("payload_offset", h.payload_offset, g.payload_offset);
    check_layout("slot_stride", h.slot_stride, g.slot_stride);
    check_layout("segment_size", h.segment_size, g.segment_size);

    std::unique_ptr<Segment> seg(new Segment());
    seg->m_inode = obj.inode();
    seg->m_object = std::move(obj);
    seg->m_name = name;
    seg->m_slot_count = h.slot_count;
    seg->m_reader_capacity = h.reader_capacity;
    seg->m_session = h.session_id;
    seg->m_geometry = g;
    seg->m_schema = std::move(schema);
    if (inspecting)
        seg->m_control = Mapping::map(seg->m_object.fd(), 0, g.payload_offset, false, false, "segment control");
    else
        seg->map_parts(false);
    // The file may have been replaced or truncated between the checks and the mapping.
    if (seg->m_object.size() != size) corrupt(name, subject, "changed size while being attached");
    return seg;
}

bool Segment::reader_alive(std::uint32_t r) const noexcept {
    {
        std::lock_guard<std::mutex> lock(m_registrations_mutex);
        if (std::find(m_registrations.begin(), m_registrations.end(), r) != m_registrations.end()) return true;
    }
    return m_object.byte_locked_elsewhere(READER_LOCK_BASE + r);
}

bool Segment::try_lock_registration(std::uint32_t r) {
    std::lock_guard<std::mutex> lock(m_registrations_mutex);
    if (std::find(m_registrations.begin(), m_registrations.end(), r) != m_registrations.end()) return false;
    if (!m_object.try_lock_byte(READER_LOCK_BASE + r)) return false;
    m_registrations.push_back(r);
    return true;
}

void Segment::unlock_registration(std::uint32_t r) noexcept {
    std::lock_guard<std::mutex> lock(m_registrations_mutex);
    const auto it = std::find(m_registrations.begin(), m_registrations.end(), r);
    if (it == m_registrations.end()) return;
    m_registrations.erase(it);
    m_object.unlock_byte(READER_LOCK_BASE + r);
}

Segment::Removal Segment::remove_abandoned() noexcept {
    if (m_owner || writer_alive()) return {Removal::writer_alive};
    try {
        // With the writers' flock held, no writer can take or replace this object's name meanwhile:
        // a starting writer that finds it held by someone who is no live writer waits (create()).
        if (!m_object.try_lock_exclusive()) return {Removal::busy};
    } catch (const Error&) {
        return {Removal::busy};
    }
    Removal result{Removal::removed};
    if (shm_inode_of(m_name) != m_inode)
        result = {Removal::replaced};
    else if (!shm_unlink_name(m_name))
        result = {errno == ENOENT ? Removal::replaced : Removal::refused, errno};
    m_object.unlock_exclusive();
    return result;
}

void Segment::unlink() noexcept {
    if (!m_owner || m_unlinked || !m_process.is_current()) return;
    m_unlinked = true;
    // Only remove the name if it is still ours (a successor may already have replaced it).
    if (shm_inode_of(m_name) == m_inode) shm_unlink_name(m_name);
}

Segment::~Segment() { unlink(); }

}  // namespace smx::detail
