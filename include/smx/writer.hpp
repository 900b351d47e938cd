#pragma once
/// @file writer.hpp
/// The one writer of a topic: owns the shared segment and announces frames over DDS.

#include <smx/array.hpp>
#include <smx/error.hpp>
#include <smx/export.hpp>
#include <smx/participant.hpp>
#include <smx/schema.hpp>
#include <smx/span.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace smx {

namespace detail {
class WriterImpl;
}

/// What the writer does when every slot it could write is pinned by readers.
enum class WhenFull {
    fail,  ///< return PublishStatus::all_slots_held at once
    wait,  ///< wait up to WriterOptions::full_wait for a reader to release a pin
};

/// Lossless compression of frames on the network path.
enum class Compression {
    none,  ///< the bytes as they are (default)
    lz4,   ///< fast, a modest ratio: for links somewhat slower than the stream
    zstd,  ///< NetworkOptions::compression_level: better ratios, more of the sender's CPU
};

/// How frames travel to readers on the network path (readers that cannot map the segment: see
/// docs/network.md). Announced to readers, which request the same.
struct NetworkOptions {
    /// Reliable (default): lost datagrams are repaired. false: best effort, a lost frame stays
    /// lost (the next one comes anyway) — for lossy links where a repaired frame is too late.
    bool reliable = true;
    /// Frames kept for remote readers on each side (keep-last, 1..16): a reader that falls
    /// behind loses the oldest; nothing queues beyond this.
    std::uint32_t depth = 3;
    /// Off by default. A frame that does not shrink is sent as it is.
    Compression compression = Compression::none;
    /// zstd's level, 1 (fastest) to 19; ignored otherwise.
    int compression_level = 1;
};

/// Creation options of a writer.
struct WriterOptions {
    std::uint32_t slots = 3;            ///< frame slots in the segment (2..1024)
    std::uint32_t reader_capacity = 64; ///< reader registrations (1..4096)
    /// Permission bits of the segment. Readers need read and write access (they register and
    /// pin), so each class gets both or none: 0600 (default), 0660 (and the group) or 0666 (every
    /// local user, who can then also write frames). Anything else throws InvalidArgument.
    std::uint32_t mode = 0600;
    WhenFull when_full = WhenFull::fail;
    std::chrono::nanoseconds full_wait = std::chrono::milliseconds(100);
    /// How long a reader's pin may hold the writer up. A pin that has kept the writer from every
    /// slot it could write (each time it looked) for longer than this is broken: the writer may
    /// overwrite that slot, and the reader's frame then reports `valid() == false` (its views
    /// change under it). So a forgotten pin (a REPL's `_`) stalls a writer for at most this
    /// long. Each break is logged (log.hpp) and counted (WriterStats::pins_broken).
    /// `std::chrono::nanoseconds::max()` never breaks a pin; other values must be > 0.
    std::chrono::nanoseconds pin_lease = std::chrono::seconds(10);
    /// The network path (remote readers). Invalid values throw InvalidArgument.
    NetworkOptions network;
};

/// A writer's back-pressure counters (cumulative for the writer's life).
struct WriterStats {
    /// Writes and loans refused because every slot the writer could use was pinned (each also
    /// returned PublishStatus::all_slots_held / an empty loan). A warning naming the pinning
    /// readers' pids is logged at the first and then at most every 10 s.
    std::uint64_t all_slots_held = 0;
    /// Pins broken after WriterOptions::pin_lease.
    std::uint64_t pins_broken = 0;
};

/// Outcome of a write or publish; not an error: back-pressure from readers is ordinary.
enum class PublishStatus {
    published,       ///< the frame is in shared memory and readers are woken
    all_slots_held,  ///< every candidate slot is pinned by a live reader; nothing was written
};

struct PublishResult {
    PublishStatus status = PublishStatus::published;
    std::uint64_t frame_number = 0;  ///< number of the published frame (0 if none)
    explicit operator bool() const noexcept { return status == PublishStatus::published; }
};

class Writer;

/// The writer's network path (readers that cannot map its segment, on other hosts: see
/// docs/design.md). Nothing is sent while `remote_readers` is 0.
struct NetworkStats {
    std::uint32_t remote_readers = 0;  ///< payload readers matched now
    std::uint64_t frames_sent = 0;     ///< frames sent whole over DDS so far
    /// Frames not sent to them: the sender was more than `network.depth - 1` frames behind (a
    /// link slower than the writer) or the frame was rewritten while being copied.
    std::uint64_t frames_skipped = 0;
    /// Bytes of frames sent (after compression; DDS's own headers not counted).
    std::uint64_t bytes_sent = 0;
};

/// A slot reserved for in-place filling (zero copy). Obtain with `Writer::loan()`, fill the
/// views, then `Writer::publish(std::move(loan))`. A loan dropped without publishing is
/// abandoned: the slot then holds no frame (readers never see its bytes) and nothing is
/// announced. A loan may outlive its writer: its calls then throw Closed, and views taken from
/// it stay mapped until the loan goes (a stray write lands in memory no reader sees).
class SMX_EXPORT Loan {
public:
    Loan(Loan&&) noexcept;
    Loan& operator=(Loan&&) noexcept;
    Loan(const Loan&) = delete;
    Loan& operator=(const Loan&) = delete;
    ~Loan();

    /// Writable typed view of a field (of a bounded field, its whole capacity: fill rows, then
    /// set_length). Throws InvalidArgument on unknown name or wrong T.
    template <class T>
    ArrayView<T> field(std::string_view name) {
        const std::size_t i = checked_index(name, dtype_of<T>());
        return ArrayView<T>(static_cast<T*>(data(i)), schema()[i].shape);
    }
    /// Writable address of field `index`. Throws Closed once the loan was published or moved
    /// from, or its writer closed.
    void* data(std::size_t index);
    span<std::byte> bytes(std::size_t index) {
        return {static_cast<std::byte*>(data(index)), static_cast<std::size_t>(schema()[index].nbytes())};
    }
    /// Sets how many rows of bounded field `index` (or `name`) the frame carries: readers see
    /// rows [0, rows). Every bounded field starts a loan at 0 rows. Throws InvalidArgument naming
    /// the topic and field if the field is not bounded or `rows` exceeds its capacity (shape[0]).
    void set_length(std::size_t index, std::uint64_t rows);
    void set_length(std::string_view name, std::uint64_t rows);
    /// The rows set so far for bounded field `index` (shape[0] of a fixed field).
    std::uint64_t length(std::size_t index) const;
    /// The writer's schema (also after the writer closed). Throws Closed once the loan was
    /// published or moved from.
    const Schema& schema() const;
    /// The frame number this loan will be published as.
    std::uint64_t frame_number() const noexcept { return m_frame_number; }
    /// Overrides the timestamp (default: CLOCK_REALTIME when the loan was taken).
    void set_timestamp_ns(std::int64_t t) noexcept { m_timestamp_ns = t; }
    /// Keeps the loaned slot's memory mapped while the handle lives, even after the writer
    /// closes (for language bindings whose arrays may outlive the writer: a stray write then
    /// lands in memory no reader sees instead of faulting). Throws Closed if the loan was
    /// published or moved from.
    std::shared_ptr<const void> memory_owner() const;

private:
    friend class Writer;
    friend class detail::WriterImpl;
    Loan(std::shared_ptr<detail::WriterImpl> writer, std::shared_ptr<const void> memory, std::uint32_t slot,
         std::uint64_t frame_number, std::int64_t timestamp_ns) noexcept;
    std::size_t checked_index(std::string_view name, DType dtype) const;
    detail::WriterImpl& writer() const;

    std::shared_ptr<detail::WriterImpl> m_writer;  // null once published or moved from
    std::shared_ptr<const void> m_memory;          // the slot's mapping, kept while the loan lives
    std::uint32_t m_slot = 0;
    std::uint64_t m_frame_number = 0;
    std::int64_t m_timestamp_ns = 0;
};

/// The single writer of a topic in a domain.
///
/// Construction creates the shared segment (refusing if another live writer owns the topic,
/// replacing a dead writer's stale one) and announces the session over DDS. Destruction or
/// `close()` tells readers the writer is gone and removes the segment. So does a SIGTERM, SIGINT
/// or SIGHUP whose action was still the default when the writer started (smx's handler closes
/// the process's writers, then ends it with the same signal); an application's own handler is
/// left alone, and SMX_NO_SIGNAL_HANDLERS=1 keeps smx's out. A writer belongs to the process
/// that made it: in a child made by fork() it is inert (see close()).
class SMX_EXPORT Writer {
public:
    /// Throws InvalidArgument (bad topic/options), WriterExists, SegmentCorrupt (a file that is
    /// not an smx segment occupies the segment's name; smx never removes it), OutOfSpace,
    /// PermissionDenied, SystemError or DdsError; on failure nothing is left behind.
    Writer(const Participant& participant, std::string topic, Schema schema,
           WriterOptions options = {});
    ~Writer();
    Writer(Writer&&) noexcept;
    Writer& operator=(Writer&&) noexcept;

    /// Copies one frame from caller memory (one ArrayRef per field, in schema order) and
    /// announces it. Shapes and dtypes are checked first: on a mismatch InvalidArgument names
    /// the field, the expected and the given, and nothing is written.
    /// `timestamp_ns` defaults to CLOCK_REALTIME at the start of the call.
    PublishResult write(span<const ArrayRef> fields, std::optional<std::int64_t> timestamp_ns = std::nullopt) {
        return write(fields.data(), fields.size(), timestamp_ns);
    }
    PublishResult write(std::initializer_list<ArrayRef> fields,
                        std::optional<std::int64_t> timestamp_ns = std::nullopt) {
        return write(fields.begin(), fields.size(), timestamp_ns);
    }
    /// The same for `count` ArrayRefs at `fields`.
    PublishResult write(const ArrayRef* fields, std::size_t count,
                        std::optional<std::int64_t> timestamp_ns = std::nullopt);

    /// Reserves a slot for in-place filling, or nullopt if every slot is held (after the
    /// WhenFull policy). Only one loan may be outstanding at a time (InvalidArgument otherwise).
    std::optional<Loan> loan();
    /// Publishes a filled loan: the frame becomes visible and readers are woken.
    PublishResult publish(Loan&& loan);

    /// Closes: readers see "writer gone", the segment is unlinked. Idempotent; a no-op on a
    /// moved-from writer. In a child made by fork() it touches nothing shared (the segment,
    /// the readers and the DDS announcement stay the parent's); every other call there throws
    /// Closed.
    void close() noexcept;

    /// Throw Closed on a moved-from writer (as do write, loan and publish).
    const std::string& topic() const;
    const Schema& schema() const;
    /// Name of the POSIX shared memory object ("/smx.0.frame_data"); still set after close().
    const std::string& segment_name() const;
    /// 0 once closed or moved from.
    std::uint64_t session() const noexcept;
    /// Readers currently registered in the segment (0 once closed or moved from).
    std::uint32_t reader_count() const noexcept;
    /// Frames published so far in this session (0 on a moved-from writer).
    std::uint64_t frames_published() const noexcept;
    /// The network path's counters (all 0 once closed or moved from).
    NetworkStats network_stats() const noexcept;
    /// Back-pressure counters (all 0 on a moved-from writer).
    WriterStats stats() const noexcept;
    /// The pids of the readers now pinning slots this writer could write next (the newest
    /// frame's slot is never one; broken pins are not counted): who holds a blocked writer up.
    /// Empty once closed.
    std::vector<std::int64_t> pinning_pids() const;

private:
    const detail::WriterImpl& impl() const;
    std::shared_ptr<detail::WriterImpl> m_impl;  // shared with its loans
};

}  // namespace smx
