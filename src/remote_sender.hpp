#pragma once
// The network path, writer side: a thread of the writer's process that sends each published
// frame whole over the payload channel (channel.hpp) while a remote reader is matched. The
// writer's thread only hands it the frame's slot (no copy, no system call unless the sender
// sleeps); the sender copies the slot out with the seqlock check and sends the copy, so neither
// a slow link nor a slow remote reader ever holds a slot or slows the writer and local readers.
// The sender sends every frame in order while it keeps up; a frame or two published while it is
// still sending the previous one are sent after it, from the slot table, so jitter loses
// nothing. Behind by more than its backlog — the writer's network depth less one, what each side
// keeps (and what the slot table still holds) — (a link slower than the writer), it jumps to
// the newest: remote readers of a camera stream want the newest frame, not a growing delay. When
// a remote reader matches, the frames still in the slot table are sent first, oldest first, as a
// local reader that attaches finds them there.

#include "channel.hpp"
#include "codec.hpp"
#include "fork.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace smx::detail {

class Segment;

class RemoteSender {
public:
    /// Frames go out as `encoding` (codec.hpp; level: zstd's), or raw when that does not shrink them.
    /// `backlog`: frames the sender may fall behind the newest before it jumps to it.
    RemoteSender(const Segment& segment, std::unique_ptr<PayloadPublisher> publisher, Encoding encoding, int level,
                 std::uint64_t backlog);
    /// Stops and joins the thread (in a forked child: leaves it, it is not there).
    ~RemoteSender();
    RemoteSender(const RemoteSender&) = delete;
    RemoteSender& operator=(const RemoteSender&) = delete;

    /// Called by the writer after each commit: one relaxed load while no remote reader is matched.
    /// The sender then reads the slot table itself.
    void offer() noexcept {
        if (!m_publisher->wanted()) return;
        hand_over();
    }

    /// Frames sent, and skipped (jumped over when behind, rewritten while copied, or refused by
    /// the transport).
    std::uint64_t sent() const noexcept { return m_sent.load(std::memory_order_relaxed); }
    std::uint64_t skipped() const noexcept { return m_skipped.load(std::memory_order_relaxed); }
    /// Bytes of the frames sent, as sent (compressed or not).
    std::uint64_t bytes_sent() const noexcept { return m_bytes.load(std::memory_order_relaxed); }
    /// Remote readers matched now.
    std::uint32_t readers() const noexcept { return static_cast<std::uint32_t>(std::max(0, m_publisher->readers())); }

private:
    const std::uint64_t m_backlog;  // frames it may fall behind the newest before it jumps (see above)

    struct Offer {
        std::uint32_t slot;
        std::uint64_t seq;
        std::uint64_t frame_number;
        std::int64_t timestamp_ns;
    };
    void hand_over() noexcept;
    void run();
    void send_from_table(bool catch_up);
    void send(const Offer& offer);

    // What the writer and the sender share. On the heap, and leaked in a forked child: the
    // parent's sender may have been waiting on the condition variable at the fork, and
    // destroying it in the child would wait for that waiter forever (pthread_cond_destroy).
    struct Handover {
        std::mutex mutex;
        std::condition_variable cv;
        bool pending = false;  // a frame was published since the sender last looked
        bool busy = false;
        bool stop = false;
        bool catch_up = false;  // a reader matched: send what the slot table still holds
    };

    const Segment& m_segment;
    std::unique_ptr<PayloadPublisher> m_publisher;
    std::vector<std::byte> m_buffer;
    Encoding m_encoding;
    int m_level;
    std::vector<std::byte> m_wire;  // the encoded frame (empty when raw)
    std::unique_ptr<Handover> m_handover;
    std::uint64_t m_last_sent = 0;  // frame number (sender thread only)
    std::atomic<std::uint64_t> m_sent{0}, m_skipped{0}, m_bytes{0};
    std::unique_ptr<std::thread> m_thread;  // leaked in a forked child, as m_handover
    OwnerProcess m_process;
};

}  // namespace smx::detail
