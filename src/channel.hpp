#pragma once
// The narrow interface between the core (writer/reader over shared memory) and the transport
// that carries session info and frame notices (DDS in production, see src/dds/).

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

/// Writer side: announce a session once, then one notice per frame.
class Announcer {
public:
    virtual ~Announcer() = default;
    virtual void announce(const Notice& notice) = 0;
    /// Tells readers the session ended (clean close).
    virtual void retire() noexcept = 0;
};

/// What a wait returned.
enum class ChannelEvent { notice, info, interrupted, timeout };

/// Reader side: the latest session info and the notices, in order, with a blocking wait.
class NoticeSource {
public:
    virtual ~NoticeSource() = default;
    /// Blocks until a notice or info change is pending, interrupt() is called, or the timeout.
    virtual ChannelEvent wait(std::chrono::nanoseconds timeout) = 0;
    /// The newest session info received since the last call, if any.
    virtual std::optional<SessionInfo> take_info() = 0;
    /// True once the session's writer disposed its info or lost liveliness.
    virtual bool writer_gone() = 0;
    /// Appends pending notices, oldest first, to `out`; returns how many.
    virtual std::size_t take_notices(std::vector<Notice>& out) = 0;
    virtual void interrupt() noexcept = 0;
};

}  // namespace smx::detail
