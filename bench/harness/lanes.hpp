#pragma once
// The lanes of a scenario as its processes see them: a Source publishes one frame over a path
// and times the writer's own calls; a Sink takes the next frame and says when it held it. One
// implementation per path; make_source and make_sink pick it.

#include "scenario.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace smx::cli::bench {

/// One frame the writer published.
struct Published {
    std::uint64_t frame_number = 0;  ///< 0: nothing was published (every slot held, DDS refused)
    std::int64_t cost_ns = 0;        ///< the writer's own calls, filling excluded
};

/// The writer's end of a lane.
class Source {
public:
    virtual ~Source() = default;
    /// Publishes the next frame, stamped with its number and the writer's clock.
    virtual Published publish() = 0;
    /// The memcpy floor beside the writer's own calls: the same bytes copied once into this
    /// process's pre-faulted memory; its time in ns, or -1 if this source has no such copy.
    virtual std::int64_t floor_copy() { return -1; }
};

/// One frame a reader got.
struct Got {
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;  ///< the writer's, at the start of its call
    std::int64_t held_ns = 0;       ///< ours, when we held the consistent frame (or copy)
    bool intact = true;             ///< the stamps name the frame
};

/// A reader's end of a lane.
class Sink {
public:
    virtual ~Sink() = default;
    /// Waits up to `timeout` until frames published from now on will reach this sink.
    virtual bool wait_ready(std::chrono::nanoseconds timeout) = 0;
    /// The next frame, waiting up to `timeout`.
    virtual std::optional<Got> next(std::chrono::nanoseconds timeout) = 0;
    /// Frames skipped because the writer overtook this reader (smx's Reader::stats).
    virtual std::uint64_t missed() const { return 0; }
    /// Ends a wait in next() early (from another thread).
    virtual void interrupt() noexcept {}
};

/// What the sources and sinks of one process share.
struct LaneContext {
    const Participant& participant;  ///< created first: plain DDS then joins smx's domain configuration
    int domain = 0;
    Mode mode = Mode::latency;
    std::chrono::nanoseconds spin{0};  ///< the spinning lane's ReaderOptions::spin
};

/// The writer's end of `lane` on `topic`. Throws if the path cannot be set up.
std::unique_ptr<Source> make_source(const LaneContext& context, const Lane& lane, const std::string& topic);
/// A reader's end of `lane` on `topic`; nullptr for a path no reader receives (the memcpy floor).
std::unique_ptr<Sink> make_sink(const LaneContext& context, const Lane& lane, const std::string& topic);

// Per family of paths (lanes_smx.cpp, lanes_baselines.cpp, lanes_iceoryx.cpp).
std::unique_ptr<Source> make_smx_source(const LaneContext& context, const Lane& lane, const std::string& topic);
std::unique_ptr<Sink> make_smx_sink(const LaneContext& context, const Lane& lane, const std::string& topic);
std::unique_ptr<Source> make_baseline_source(const LaneContext& context, const Lane& lane, const std::string& topic);
std::unique_ptr<Sink> make_baseline_sink(const LaneContext& context, const Lane& lane, const std::string& topic);
std::unique_ptr<Source> make_iceoryx_source(const LaneContext& context, const Lane& lane, const std::string& topic);
std::unique_ptr<Sink> make_iceoryx_sink(const LaneContext& context, const Lane& lane, const std::string& topic);

/// The shared block of the futex floor of the lane on `topic` (the supervisor removes it too,
/// should its writer have been killed).
std::string futex_block_name(const std::string& topic);

/// The smx-waitset-8 lane's extra topics: one idle writer each (real topics, attached).
inline constexpr unsigned WAITSET_IDLE_TOPICS = 7;
/// The name of extra topic `i` of the wait set lane on `topic`.
std::string waitset_idle_topic(const std::string& topic, unsigned i);

/// The name of the iceoryx runtime of the bench process `pid` (unique on the host while it lives).
std::string iceoryx_runtime_name(int pid);

/// Stamps the first and last 8 bytes of every field of a frame in the slot layout with `n`.
void stamp_fields(const Schema& schema, std::byte* frame, std::uint64_t n);
/// True if every field of a frame in the slot layout carries the stamp of `n`.
bool fields_stamped(const Schema& schema, const std::byte* frame, std::uint64_t n);

}  // namespace smx::cli::bench
