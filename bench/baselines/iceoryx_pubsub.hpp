#pragma once
// The iceoryx baseline of `smx bench`: iceoryx 2.0's untyped publisher and subscriber with loaned
// chunks of the frame's size, the frame number and the writer's timestamp in each chunk's user
// header, and a subscriber that blocks on a WaitSet. The publisher keeps the newest chunk as
// history and a subscriber asks for it when it connects (the transient-local of the DDS lanes):
// a subscriber that connects after a frame was published still gets it. iceoryx's headers stay
// in iceoryx_pubsub.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace smx::baseline {

/// Registers this process with the host's RouDi as `name`. iceoryx refuses a second live
/// runtime of one name, so `name` must be unique per process (the pid in it does that). Call
/// once per process, before any IceoryxWriter or IceoryxReader; RouDi must be running (iceoryx
/// waits for one up to a minute, then ends the process).
void iceoryx_join(const std::string& name);

/// The user header of every chunk.
struct IceoryxStamp {
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;  ///< the writer's CLOCK_REALTIME at the start of publish
};

class IceoryxWriter {
public:
    /// A publisher of `bytes`-sized chunks on service ("smx-bench", `topic`, "frame"). Throws
    /// std::runtime_error.
    IceoryxWriter(const std::string& topic, std::size_t bytes);
    ~IceoryxWriter();
    IceoryxWriter(const IceoryxWriter&) = delete;
    IceoryxWriter& operator=(const IceoryxWriter&) = delete;

    /// A chunk for the next frame. Throws std::runtime_error when none is left (RouDi's
    /// mempools are sized so that this never happens with readers that keep up).
    std::span<std::byte> loan();
    /// Writes the chunk's user header.
    static void stamp(std::span<std::byte> chunk, const IceoryxStamp& stamp) noexcept;
    /// Publishes a loaned chunk to every subscriber (and keeps it as history).
    void publish(std::span<std::byte> chunk) noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

class IceoryxReader {
public:
    /// A taken chunk; released to iceoryx when destroyed.
    class Chunk {
    public:
        Chunk(const void* payload, std::size_t bytes, void* subscriber) noexcept;
        ~Chunk();
        Chunk(Chunk&& other) noexcept;
        Chunk& operator=(Chunk&&) = delete;
        const IceoryxStamp& stamp() const noexcept;
        std::span<const std::byte> payload() const noexcept { return {static_cast<const std::byte*>(m_payload), m_bytes}; }

    private:
        const void* m_payload;
        std::size_t m_bytes;
        void* m_subscriber;
    };

    /// A subscriber with a queue of `queue` chunks, waiting on a WaitSet of its own. Throws
    /// std::runtime_error.
    IceoryxReader(const std::string& topic, std::size_t bytes, std::uint64_t queue);
    ~IceoryxReader();
    IceoryxReader(const IceoryxReader&) = delete;
    IceoryxReader& operator=(const IceoryxReader&) = delete;

    /// The next chunk, blocking on the WaitSet up to `timeout`; nullopt on timeout.
    std::optional<Chunk> take(std::chrono::nanoseconds timeout);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace smx::baseline
