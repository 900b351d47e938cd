#pragma once
/// @file reader.hpp
/// A reader of a topic: learns (or checks) the writer's schema, attaches to its shared
/// segment, and hands out frames without copying.

#include <smx/error.hpp>
#include <smx/export.hpp>
#include <smx/frame.hpp>
#include <smx/participant.hpp>
#include <smx/schema.hpp>
#include <smx/span.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace smx {

namespace detail {
class ReaderCore;
class ReaderImpl;
class WaitSetImpl;
/// What the library calls for a copy's destination (pointer and size: the same in C++17 and C++20).
using BufferSource = std::function<std::pair<std::byte*, std::size_t>(const std::shared_ptr<const Schema>&)>;
}  // namespace detail

/// How a returned frame is held.
enum class Hold {
    view,  ///< zero-copy; check Frame::valid() after use
    pin,   ///< zero-copy and guaranteed unchanged until the Frame is released/destroyed
};

/// Where a reader stands with respect to the writer.
enum class ReaderState {
    waiting_for_writer,  ///< no writer seen yet
    attached,            ///< attached to a live writer's segment
    writer_gone,         ///< the writer closed or died; a new one will be picked up
    closed,              ///< the reader was closed (or moved from)
};

/// Outcome of a consistent copy.
enum class ReadStatus {
    ok,        ///< the copy is consistent
    no_frame,  ///< nothing to read yet (latest) or nothing new before the timeout (next)
    torn,      ///< the writer overwrote every frame tried while copying; nothing consistent
};

struct CopyResult {
    ReadStatus status = ReadStatus::no_frame;
    FrameInfo info;
    explicit operator bool() const noexcept { return status == ReadStatus::ok; }
};

/// Where a copy goes: called with the schema of the frame about to be copied (it may change
/// when the writer restarts), returns at least `schema->frame_size()` bytes.
using CopyBuffer = std::function<span<std::byte>(const std::shared_ptr<const Schema>& schema)>;

/// Counters of one reader, cumulative over sessions.
struct ReaderStats {
    std::uint64_t delivered = 0;        ///< frames returned by latest/next/copy (new ones)
    std::uint64_t missed = 0;           ///< frames published but skipped because we fell behind
    std::uint64_t torn_views = 0;       ///< Frame::valid() results that were false
    std::uint64_t torn_copies = 0;      ///< copies found inconsistent (and retried or skipped)
    std::uint64_t notices_ignored = 0;  ///< session infos ignored: naming another segment or domain (forged or misrouted)
    std::uint64_t attachments = 0;      ///< segments attached (1 + writer restarts seen)
    std::uint64_t sleeps = 0;           ///< waits for a frame in next()/copy_next(): a spin, a sleep, or a 100 ms slice of one
    /// Sleeps that ran to their liveness slice (100 ms) although a frame was published
    /// meanwhile: a wake-up that never came. 0 unless something is wrong.
    std::uint64_t unnoticed_frames = 0;
    /// Network path: samples dropped because they were no frame of the attached session (another
    /// session, a size or layout that does not fit the announced schema, an older frame number).
    std::uint64_t dropped_samples = 0;
};

/// How a reader waits for frames.
struct ReaderOptions {
    /// Before sleeping in next()/copy_next(), busy-poll this long for a new frame (once per
    /// frame). 0 (the default) sleeps at once. It helps only when the next frame comes within
    /// the spin: for a periodic writer, spin about the period minus the processing time, which
    /// costs about a core; a frame caught spinning arrives in ~1 µs instead of a wake-up's
    /// ~10 µs. At most `MAX_SPIN`; negative values are refused.
    std::chrono::nanoseconds spin{0};
    static constexpr std::chrono::nanoseconds MAX_SPIN = std::chrono::seconds(1);
    /// Users whose writers this reader trusts, besides its own user and root. A segment at the
    /// topic's name owned by anyone else is refused (PermissionDenied naming the owner), so no
    /// other local user can pose as the topic's writer. Add a uid here to read a writer that runs
    /// as another user (with a segment mode that lets this user open it).
    std::vector<std::uint32_t> trusted_uids;
    /// Which path frames take. Unset (the default): shared memory when this process can map
    /// the writer's segment — the writer announces its machine (the kernel's boot id and the
    /// device of its /dev/shm; equal host names prove nothing) and the two are equal — the
    /// network path (DDS) otherwise. The
    /// environment variable SMX_TRANSPORT=dds, =shm or =auto sets the default. Transport::dds forces
    /// the network path (to test it, or for a container that shares /dev/shm but should not
    /// use it); Transport::shm never uses it (it then waits for a writer it can map).
    std::optional<Transport> transport;
};

/// Reads one topic. Not thread-safe (but see interrupt()); use one Reader per thread.
class SMX_EXPORT Reader {
public:
    /// Template-less: the schema is learnt from the writer (see `schema()`). Throws
    /// InvalidArgument for a bad topic name or options.
    Reader(const Participant& participant, std::string topic, ReaderOptions options = {});
    /// With a template: attaching to a writer whose schema differs throws SchemaMismatch
    /// naming every difference.
    Reader(const Participant& participant, std::string topic, Schema expected, ReaderOptions options = {});
    ~Reader();
    Reader(Reader&&) noexcept;
    Reader& operator=(Reader&&) noexcept;

    /// Blocks up to `timeout` until attached to a writer's segment; returns whether it is.
    /// Throws SchemaMismatch (template differs) or SegmentCorrupt (segment not trustworthy).
    bool wait_for_writer(std::chrono::nanoseconds timeout);

    /// The newest frame, without blocking; nullopt if nothing was published yet (or the
    /// writer is gone). May return the same frame as the previous call.
    std::optional<Frame> latest(Hold hold = Hold::view);
    /// Blocks up to `timeout` for a frame this reader has not returned yet, oldest first;
    /// frames already overwritten are skipped and counted in `stats().missed`.
    std::optional<Frame> next(std::chrono::nanoseconds timeout, Hold hold = Hold::view);

    /// Consistent copy of the newest frame into `dst` (schema().frame_size() bytes, slot
    /// layout; see Schema::offset). Retries with newer frames on a tear.
    CopyResult copy_latest(span<std::byte> dst) { return copy_latest(dst.data(), dst.size()); }
    CopyResult copy_latest(std::byte* dst, std::size_t size);
    /// Consistent copy of the next unseen frame, waiting up to `timeout`.
    CopyResult copy_next(span<std::byte> dst, std::chrono::nanoseconds timeout) {
        return copy_next(dst.data(), dst.size(), timeout);
    }
    CopyResult copy_next(std::byte* dst, std::size_t size, std::chrono::nanoseconds timeout);
    /// As above, into a buffer chosen once the frame's schema is known (for callers that do
    /// not know the writer's frame size in advance). Throws InvalidArgument if it is too small.
    CopyResult copy_latest(const CopyBuffer& buffer) { return copy_latest_to(source(buffer)); }
    CopyResult copy_next(const CopyBuffer& buffer, std::chrono::nanoseconds timeout) {
        return copy_next_to(source(buffer), timeout);
    }

    /// Every call but state(), schema_if_known(), stats(), interrupt() and close() throws
    /// Closed once the reader is closed or moved from, or in a child made by fork() (a reader
    /// is its maker's: the child's copy touches none of its pins, registration or DDS state).
    ReaderState state() const noexcept;
    /// The schema of the writer attached last (a copy: a restart with a new schema does not
    /// change what an earlier call returned). Throws NoWriter if no writer was attached yet.
    Schema schema() const;
    /// The schema, or nullptr if no writer was attached yet. Shared and immutable.
    std::shared_ptr<const Schema> schema_if_known() const noexcept;
    const std::string& topic() const;
    /// While no writer is attached: why what stands at the topic's segment name was refused the
    /// last time the reader looked (an untrusted owner, a corrupt or foreign object, ...), with
    /// the fix; empty if nothing is there or a writer is attached. For "still waiting" messages.
    std::string waiting_reason() const;
    /// How the attached writer's frames reach this reader (Transport::shm or Transport::dds);
    /// nullopt while no writer is attached.
    std::optional<Transport> transport() const;
    /// Zeros on a moved-from reader.
    ReaderStats stats() const noexcept;

    /// Wakes a `next()`/`copy_next()`/`wait_for_writer()` blocked in another thread (it returns
    /// nullopt/no_frame/false); if none is blocked, the next such call returns at once. The one
    /// call that is safe from another thread.
    void interrupt() noexcept;
    /// Releases the segment and DDS entities. Idempotent; pinned frames stay valid until freed.
    void close() noexcept;

private:
    static detail::BufferSource source(const CopyBuffer& buffer) {
        return [&buffer](const std::shared_ptr<const Schema>& schema) {
            const span<std::byte> dst = buffer(schema);
            return std::pair<std::byte*, std::size_t>(dst.data(), dst.size());
        };
    }
    CopyResult copy_latest_to(const detail::BufferSource& source);
    CopyResult copy_next_to(const detail::BufferSource& source, std::chrono::nanoseconds timeout);
    detail::ReaderCore& core() const;
    friend class detail::WaitSetImpl;
    std::unique_ptr<detail::ReaderImpl> m_impl;
};

}  // namespace smx
