#pragma once
// The narrow interface between the core (writer/reader) and the transport that carries
// session info and, for readers that ask for them, frame notices (DDS, see src/dds/).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace smx::detail {

struct FieldDescription {
    std::string name;
    std::string dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t offset = 0;
};

/// A writer session as announced to readers.
struct SessionInfo {
    std::uint64_t session = 0;
    std::string host;
    std::int32_t pid = 0;
    std::string topic;
    std::string shm_name;
    std::uint32_t slot_count = 0;
    std::uint32_t reader_capacity = 0;
    std::uint32_t layout_version = 0;
    std::uint64_t frame_size = 0;
    std::uint64_t schema_hash = 0;
    std::vector<FieldDescription> fields;
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
};

}  // namespace smx::detail
