#pragma once
// The reader's logic, independent of transports: session tracking (attach on new info, detach
// when the writer leaves), "which frame" (latest / next, missed frames counted) and "how held"
// (view / pin / copy). Session info comes from a SessionSource, frames from the FrameSource a
// Connector makes of that info; both are injected, so this file knows neither shared memory nor
// DDS, and unit tests drive it with fakes (tests/unit/reader_core_test.cpp).

#include "channel.hpp"
#include "fork.hpp"
#include "frame_source.hpp"

#include <smx/reader.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace smx::detail {

class ReaderCore {
public:
    /// Throws InvalidArgument for bad options.
    /// `counters` are the ones the connector's frame stores update (torn views).
    ReaderCore(std::string topic, std::optional<Schema> expected, ReaderOptions options,
               std::unique_ptr<SessionSource> sessions, std::unique_ptr<Connector> connector,
               std::shared_ptr<FrameCounters> counters);
    ~ReaderCore();
    ReaderCore(const ReaderCore&) = delete;
    ReaderCore& operator=(const ReaderCore&) = delete;

    bool wait_for_writer(std::chrono::nanoseconds timeout);
    std::optional<Frame> latest(Hold how);
    std::optional<Frame> next(std::chrono::nanoseconds timeout, Hold how);
    CopyResult copy_latest(const CopyBuffer& buffer);
    CopyResult copy_next(const CopyBuffer& buffer, std::chrono::nanoseconds timeout);

    ReaderState state() const noexcept { return m_state; }
    std::shared_ptr<const Schema> schema() const noexcept { return m_schema; }
    const std::string& topic() const noexcept { return m_topic; }
    ReaderStats stats() const noexcept;
    /// Reader::waiting_reason().
    std::string waiting_reason() const { return m_source ? std::string() : m_waiting_reason; }
    std::optional<Transport> transport() const noexcept {
        if (!m_source) return std::nullopt;
        return m_source->store()->transport();
    }
    /// Thread-safe. A no-op in a forked child.
    void interrupt() noexcept;
    /// Thread-safe: wakes a read blocked in another thread and waits for it to return first.
    /// In a forked child it only lets go of this process's copies (fork.hpp).
    void close() noexcept;

    // ---- wait sets (waitset.cpp): the same thread as the reads ----
    /// The reader's wake-up eventfd, made on the first call: from then on it becomes readable
    /// whenever a frame may have come, session info arrived, or interrupt() was called, for this
    /// and every later writer session (this reader's own waits sleep on it too). Every wait set
    /// the reader is in watches it.
    std::shared_ptr<const Wakeup> wakeup();
    /// Non-blocking: brings the session up to date (attach, writer gone) and says whether next()
    /// would return at once — a frame, or an error it throws (a schema mismatch, ...). `arm`:
    /// marks the reader asleep before looking, so a frame published later wakes its eventfd.
    /// `unwoken`: the wait set's sleep since the last ready(true) ran out with nothing firing; a
    /// frame found now came while this reader slept armed and was not woken (wake_result).
    bool ready(bool arm, bool unwoken = false);
    /// Undoes ready(true)'s mark.
    void disarm() noexcept;
    /// Its wake-up fired (FrameSource::wake_result).
    void wake_result(bool woken) noexcept;
    /// `fn` runs once when the reader closes (a wait set forgets it), unless removed first.
    void add_close_hook(const void* key, std::function<void()> fn);
    void remove_close_hook(const void* key);
    /// The public Reader that owns this core now (it follows moves): what a wait set reports.
    Reader* owner() const noexcept { return m_owner; }
    void set_owner(Reader* owner) noexcept { m_owner = owner; }

private:
    void check_open() const;
    /// `drain`: for next() and copy_next(): a gone writer's frames not yet returned come first.
    void pump(bool drain = false);
    void try_connect(const SessionInfo& info);
    void check_template(const FrameSource& source);
    void connected(Connection c);
    std::optional<FrameRef> next_ref();
    void attach(std::unique_ptr<FrameSource> source);
    void detach(ReaderState state);
    bool take_interrupt() noexcept;

    std::optional<Frame> hold(const FrameRef& ref, Hold how);
    CopyResult copy(const FrameRef& ref, const CopyBuffer& buffer);
    void record_returned(std::uint64_t frame_number, bool count_missed);
    std::optional<Frame> take_next(Hold how);
    CopyResult copy_next_now(const CopyBuffer& buffer);
    template <class Attempt>
    auto wait_loop(std::chrono::nanoseconds timeout, bool drain, Attempt&& attempt) -> decltype(attempt());
    bool block(std::chrono::nanoseconds slice, std::optional<std::uint32_t> generation);

    std::string m_topic;
    std::optional<Schema> m_expected;
    ReaderOptions m_options;
    std::unique_ptr<SessionSource> m_sessions;
    std::unique_ptr<Connector> m_connector;
    std::shared_ptr<FrameCounters> m_counters;

    std::shared_ptr<FrameSource> m_source;  // shared with interrupt() (another thread)
    Transport m_transport = Transport::shm;  // m_source's, kept apart: read on every pump()
    bool m_history_unknown = false;          // attached with no frame there: see attach()
    mutable std::mutex m_source_mutex;     // guards m_source's pointer against interrupt()
    std::mutex m_call_mutex;               // one read at a time; close() waits for it
    std::atomic<bool> m_interrupted{false};
    std::atomic<bool> m_closed{false};

    std::shared_ptr<const Schema> m_schema;  // of the last writer attached (kept when it goes)
    std::string m_mismatch;
    std::string m_waiting_reason;  // the last probe's (Connection::why)
    ReaderState m_state = ReaderState::waiting_for_writer;
    std::uint64_t m_last_returned = 0;
    std::uint64_t m_draining_from = 0;  // the frame handed out last from a gone writer (pump)
    std::uint64_t m_last_session = 0;  // of the last source attached
    std::chrono::steady_clock::time_point m_last_probe{};
    bool m_spin_spent = false;  // spun since the last frame returned: sleep at once
    ReaderStats m_stats;
    std::shared_ptr<const Wakeup> m_wake;  // wakeup()
    const FrameSource* m_armed = nullptr;  // the source ready(true) left asleep (found nothing)
    Reader* m_owner = nullptr;
    std::mutex m_hooks_mutex;  // close() may run in another thread
    std::vector<std::pair<const void*, std::function<void()>>> m_close_hooks;
    OwnerProcess m_process;
};

}  // namespace smx::detail
