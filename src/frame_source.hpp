#pragma once
// The reader core's view of where frames come from (see reader_core.hpp): a FrameSource offers
// one writer session's frames, a Connector turns session info into a FrameSource. The local
// path implements both over the shared segment and its doorbell (local_source.hpp); tests bring
// fakes. Nothing here knows shared memory or DDS.

#include "channel.hpp"
#include "frame_store.hpp"

#include <smx/reader.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace smx::detail {

class Wakeup;  // shm/wakeup.hpp: a readable descriptor (an eventfd) and its token

/// A published frame a source offers: where it is and which write it was.
struct FrameRef {
    std::uint32_t slot = 0;
    std::uint64_t seq = 0;
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;
};

/// How a FrameSource::wait ended.
enum class WaitEnd {
    woken,     ///< something may have changed (re-check)
    timeout,   ///< nothing happened
    unnoticed  ///< the timeout passed although a frame was published meanwhile (a lost wake-up)
};

/// One writer session's frames.
class FrameSource {
public:
    virtual ~FrameSource() = default;
    virtual std::uint64_t session() const noexcept = 0;
    virtual std::int64_t writer_pid() const noexcept = 0;
    virtual std::shared_ptr<const Schema> schema() const noexcept = 0;
    /// What frames' views point into; shared with every Frame handed out.
    virtual std::shared_ptr<FrameStore> store() const noexcept = 0;
    /// Changes whenever a frame may have been published (or the writer left). Read it before
    /// newest()/oldest_after(), then wait() on it: nothing published in between is missed.
    virtual std::uint32_t generation() const noexcept = 0;
    /// The newest frame, if any.
    virtual std::optional<FrameRef> newest() const noexcept = 0;
    /// The oldest frame with a frame number above `frame_number`, if any.
    virtual std::optional<FrameRef> oldest_after(std::uint64_t frame_number) const noexcept = 0;
    /// Blocks until generation() != seen, nudge(), or `timeout`; busy-polls first for up to
    /// `spin`. May return early: the caller re-checks.
    virtual WaitEnd wait(std::uint32_t seen, std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin) = 0;
    /// False once the writer closed or died. Cheap: the core calls it on every read.
    virtual bool writer_alive() noexcept = 0;
    /// Wakes a wait() in another thread. Thread-safe.
    virtual void nudge() noexcept = 0;
    /// For a wait set: from now on `wakeup` becomes readable whenever wait() would return (the
    /// local path: the writer writes it while mark_asleep(true) holds; the network path: the
    /// transport's thread on every sample), and wait() sleeps on it. Null: back to the default.
    virtual void set_wake(std::shared_ptr<const Wakeup> wakeup) = 0;
    /// Marks the reader asleep (a wait set about to sleep on its eventfd) or awake again. Look at
    /// generation() and the frames *after* marking asleep: a frame published later wakes it.
    virtual void mark_asleep(bool asleep) noexcept = 0;
    /// A wait set's verdict on the last sleep after mark_asleep(true): `woken` by the wake-up,
    /// or not although a frame came meanwhile (the writer could not wake it). The local path
    /// falls back to a relay after repeated misses; the network path has nothing to fix.
    virtual void wake_result(bool /*woken*/) noexcept {}
};

/// The outcome of connecting to an announced session.
struct Connection {
    Connection() = default;
    Connection(std::unique_ptr<FrameSource> source_, ReaderState state_, bool ignored_ = false, std::string why_ = {})
        : source(std::move(source_)), state(state_), ignored(ignored_), why(std::move(why_)) {}

    std::unique_ptr<FrameSource> source;  ///< null: not readable (yet), see `state`
    ReaderState state = ReaderState::waiting_for_writer;
    bool ignored = false;  ///< the info cannot be about this topic's writer
    std::string why;       ///< probe(): why what it found cannot be read (empty: nothing found)
};

/// Turns session info into a frame source. Throws (SegmentCorrupt, PermissionDenied, ...) for
/// what the user must fix.
class Connector {
public:
    virtual ~Connector() = default;
    /// Connects to the session `info` announces. Info that cannot be this topic's (another
    /// segment name, another domain: forged or misrouted) yields `ignored`.
    virtual Connection connect(const SessionInfo& info) = 0;
    /// Looks for a writer without being told (session info may be late, lost or shadowed by a
    /// forgery); never throws: errors wait for announced info to report them, and meanwhile
    /// are the connection's `why`.
    virtual Connection probe() = 0;
};

}  // namespace smx::detail
