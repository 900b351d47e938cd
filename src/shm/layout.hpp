#pragma once
// The byte layout of a segment, shared by every process (C++ and Python) that maps it.
// Changing anything here requires bumping LAYOUT_VERSION.

#include <smx/schema.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace smx::detail {

inline constexpr std::uint64_t SEGMENT_MAGIC = 0x3130474553584d53ull;  // "SMXSEG01" little-endian
// 2: the doorbell (bell, writer_closed, sleeping mask) and the registered mask in the header.
// 3: liveness from locks, not pids (the liveness locks below).
// 4: each reader registration counts its releases (`unpins`), for the writer's pin lease.
// 5: field flags (bounded fields).
// 6: a registration's `wake` token (wait sets: shm/wakeup.hpp).
inline constexpr std::uint32_t LAYOUT_VERSION = 6;
inline constexpr std::uint32_t READY = 0x52454459u;                     // "REDY"
inline constexpr std::size_t CACHE_LINE = 64;
inline constexpr std::uint32_t MAX_SLOTS = 1024;
inline constexpr std::uint32_t MAX_READERS = 4096;

// Liveness locks: open-file-description byte locks (F_OFD_SETLK) far past the end of the file.
// The writer holds WRITER_LOCK_BYTE, the reader of registration r holds READER_LOCK_BASE + r,
// for their whole lives; the kernel drops them when the process dies, however it dies. Others
// look without taking anything (F_OFD_GETLK): no pid is judged, so pid reuse and PID namespaces
// (containers sharing /dev/shm) cannot fool anyone. Writers exclude each other with flock.
inline constexpr std::uint64_t WRITER_LOCK_BYTE = std::uint64_t{1} << 52;
inline constexpr std::uint64_t READER_LOCK_BASE = WRITER_LOCK_BYTE + 1;

inline constexpr std::uint32_t FIELD_BOUNDED = 1;  // shape[0] is a capacity; the live length precedes the data

struct FieldRecord {
    char name[MAX_FIELD_NAME + 1];
    char dtype[8];
    std::uint32_t ndim;
    std::uint32_t flags;  // FIELD_BOUNDED; other bits zero
    std::uint64_t shape[MAX_DIMS];
    std::uint64_t offset;  // inside a slot
    std::uint64_t nbytes;
};

struct SegmentHeader {
    std::uint64_t magic;
    std::uint32_t layout_version;
    std::atomic<std::uint32_t> ready;  // READY, stored last with release order
    std::uint64_t segment_size;
    std::uint64_t session_id;
    std::int64_t writer_pid;
    std::uint64_t writer_start_time;
    std::int64_t creation_time_ns;
    std::uint32_t domain_id;
    std::uint32_t slot_count;
    std::uint64_t slot_stride;  // bytes between slots in the payload, page multiple
    std::uint32_t reader_capacity;
    std::uint32_t field_count;
    std::uint64_t frame_size;
    std::uint64_t schema_hash;
    std::uint64_t slot_table_offset;
    std::uint64_t reader_table_offset;
    std::uint64_t reader_stride;
    std::uint64_t payload_offset;
    char host[64];
    char topic[256];
    FieldRecord fields[MAX_FIELDS];
    // A writer waiting for a pin to be released sleeps on `pin_release_epoch` (futex); readers
    // bump and wake it when they unpin while `writer_waiting` is set.
    alignas(CACHE_LINE) std::atomic<std::uint32_t> pin_release_epoch;
    std::atomic<std::uint32_t> writer_waiting;
    // The doorbell (shm/doorbell.hpp): `bell` changes whenever a frame may have been published
    // or the writer closed; readers sleep on it (futex). Bit r of `sleeping` is set while
    // registration r sleeps, so the writer makes a system call only when someone sleeps, and
    // a reader that dies asleep is cleared with its registration (a count would leak).
    alignas(CACHE_LINE) std::atomic<std::uint32_t> bell;
    std::atomic<std::uint32_t> writer_closed;  // 1 once the writer closed (set before the last ring)
    alignas(CACHE_LINE) std::atomic<std::uint64_t> sleeping[MAX_READERS / 64];
    // Bit r set while registration r is claimed (set after its pid, cleared before): the
    // writer looks for pins in claimed registrations only, not in every one of the capacity.
    alignas(CACHE_LINE) std::atomic<std::uint64_t> registered[MAX_READERS / 64];
};

struct alignas(CACHE_LINE) SlotRecord {
    std::atomic<std::uint64_t> seq;  // even: stable, odd: being written
    std::atomic<std::uint64_t> frame_number;
    std::atomic<std::int64_t> timestamp_ns;
};

// Followed in memory by `slot_count` pin counters (std::atomic<uint32_t>).
struct ReaderRecord {
    std::atomic<std::uint64_t> pid;         // 0: free
    std::atomic<std::uint64_t> start_time;  // 0 while registering
    // Bumped after every release of a pin (and when a dead reader's pins are reclaimed): a
    // writer that broke one of this registration's pins (its pin lease) ignores that pin only
    // while nothing was released since, so a pin taken afresh is never mistaken for it.
    std::atomic<std::uint32_t> unpins;
    std::uint32_t reserved;
    // Non-zero: while this registration is marked asleep, the writer wakes it through the
    // eventfd handed in with this token (shm/wakeup.hpp) instead of the futex.
    std::atomic<std::uint64_t> wake;
    std::atomic<std::uint32_t>* pins() noexcept {
        return reinterpret_cast<std::atomic<std::uint32_t>*>(this + 1);
    }
};

static_assert(std::is_standard_layout_v<SegmentHeader>);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(SlotRecord) == CACHE_LINE);

constexpr std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace smx::detail
