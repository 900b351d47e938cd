#pragma once
// The narrow interface between the core (writer/reader) and the transport that carries
// session info and, for readers that ask for them, frame notices (DDS, see src/dds/).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace smx::detail {

struct FieldDescription {
    std::string name;
    std::string dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t offset = 0;
    bool bounded = false;
};

/// A writer session as announced to readers.
struct SessionInfo {
    std::uint64_t session = 0;
    std::string host;
    std::string machine;  ///< machine_id() of the writer: equal means its segment can be mapped
    std::int32_t pid = 0;
    std::string topic;
    std::string shm_name;
    std::uint32_t slot_count = 0;
    std::uint32_t reader_capacity = 0;
    std::uint32_t layout_version = 0;
    std::uint64_t frame_size = 0;
    std::uint64_t schema_hash = 0;
    std::vector<FieldDescription> fields;
    /// Not on the wire: the DDS participant that announced it (an instance handle; 0: unknown).
    /// A remote reader takes frames from that participant's payload writer only.
    std::uint64_t publisher = 0;
    bool payload_reliable = true;      ///< the network path's QoS (PayloadQos)
    std::uint32_t payload_depth = 3;
    std::uint32_t payload_encoding = 0;  ///< codec.hpp's Encoding
};

/// QoS of the payload topic, the writer's choice (WriterOptions::network), announced in info.
struct PayloadQos {
    bool reliable = true;
    std::uint32_t depth = 3;  ///< keep-last, 1..MAX_DEPTH
    static constexpr std::uint32_t MAX_DEPTH = 16;
};

/// "Frame F is ready in slot S with sequence Q."
struct Notice {
    std::uint64_t session = 0;
    std::uint32_t slot = 0;
    std::uint64_t seq = 0;
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;
};

/// Writer side: announce a session once, then offer each frame to the transport's readers.
class Announcer {
public:
    virtual ~Announcer() = default;
    /// Called per frame; costs nothing (no system call) while no reader needs notices.
    virtual void announce(const Notice& notice) = 0;
    /// Tells readers the session ended (clean close).
    virtual void retire() noexcept = 0;
};

/// What a wait returned.
enum class ChannelEvent { info, interrupted, timeout };

/// Reader side: the latest session info, with a blocking wait for the next.
class SessionSource {
public:
    virtual ~SessionSource() = default;
    /// Blocks until session info changed, interrupt() is called, or the timeout.
    virtual ChannelEvent wait(std::chrono::nanoseconds timeout) = 0;
    /// The newest session info received since the last call, if any.
    virtual std::optional<SessionInfo> take_info() = 0;
    /// Wakes wait() from another thread; the next wait() returns `interrupted` at once if none
    /// is running. Thread-safe.
    virtual void interrupt() noexcept = 0;
    /// `fn` runs (on a transport thread) whenever session info may have arrived: how a wait set
    /// learns it without a thread of its own. Empty: no more calls (returns once none runs).
    virtual void set_notify(std::function<void()> fn) = 0;
};

/// A frame on the network path (the payload topic), apart from its bytes.
struct PayloadHeader {
    std::uint64_t session = 0;
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;
    std::uint32_t encoding = 0;    ///< 0: the bytes as they are
    std::uint64_t frame_size = 0;  ///< of the decoded frame
};

/// Writer side of the network path: whole frames for readers that cannot map the segment.
class PayloadPublisher {
public:
    virtual ~PayloadPublisher() = default;
    /// True while at least one such reader is matched: one relaxed load.
    bool wanted() const noexcept { return readers() > 0; }
    /// Such readers matched now.
    virtual std::int32_t readers() const noexcept = 0;
    /// Sends one frame. May block while the transport is congested (call it from a thread of
    /// its own, never the writer's); false if the transport gave up on it.
    virtual bool publish(const PayloadHeader& header, std::span<const std::byte> bytes) = 0;
    /// `callback` runs (on a transport thread) whenever a new reader matches. Set it once,
    /// before frames are published; it must outlive the publisher's matching (clear it with {}).
    virtual void on_new_reader(std::function<void()> callback) = 0;
};

/// Reader side of the network path.
class PayloadSubscriber {
public:
    virtual ~PayloadSubscriber() = default;
    enum class Take {
        none,    ///< nothing waiting
        frame,   ///< a sample's bytes are in dst; `header` describes it
        dropped  ///< a sample larger than dst was discarded (dst may have been written)
    };
    /// Takes the oldest waiting sample into `dst`: `frame` when its bytes (`length` of them,
    /// at most dst.size()) are in dst; `dropped` when they did not fit.
    virtual Take take(std::span<std::byte> dst, PayloadHeader& header, std::size_t& length) = 0;
    /// Blocks until a sample may be waiting, interrupt(), or the timeout.
    virtual void wait(std::chrono::nanoseconds timeout) = 0;
    /// Wakes wait() from another thread. Thread-safe.
    virtual void interrupt() noexcept = 0;
    /// `fn` runs (on a transport thread) whenever a sample may be waiting or the matched writers
    /// changed. Empty: no more calls (returns once none runs).
    virtual void set_notify(std::function<void()> fn) = 0;
    /// From now on, samples of other DDS participants' payload writers are dropped (0: any).
    virtual void accept_only(std::uint64_t participant) = 0;
    /// Writers of the payload topic matched now, and whether any ever was.
    virtual std::int32_t writers_matched() const noexcept = 0;
    virtual bool ever_matched() const noexcept = 0;
};

}  // namespace smx::detail
