#include "remote_sender.hpp"

#include "shm/segment.hpp"
#include "shm/seqlock_copy.hpp"
#include "shm/slots.hpp"

#include <utility>

namespace smx::detail {

RemoteSender::RemoteSender(const Segment& segment, std::unique_ptr<PayloadPublisher> publisher, Encoding encoding,
                           int level, std::uint64_t backlog)
    : m_backlog(backlog), m_segment(segment), m_publisher(std::move(publisher)),
      m_buffer(static_cast<std::size_t>(segment.schema()->frame_size())), m_encoding(encoding), m_level(level),
      m_wire(encoding == Encoding::raw ? 0 : encode_bound(encoding, m_buffer.size())),
      m_handover(std::make_unique<Handover>()),
      m_thread(std::make_unique<std::thread>([this] { run(); })) {
    m_publisher->on_new_reader([h = m_handover.get()] {
        {
            std::lock_guard lock(h->mutex);
            h->catch_up = true;
        }
        h->cv.notify_one();
    });
}

RemoteSender::~RemoteSender() {
    if (!m_process.is_current()) {
        // The thread and the hand-over are the parent's (see Handover); the publisher touches no
        // DDS state in a child (entity.hpp).
        (void)m_thread.release();
        (void)m_handover.release();
        return;
    }
    {
        std::lock_guard lock(m_handover->mutex);
        m_handover->stop = true;
    }
    m_handover->cv.notify_one();
    m_thread->join();
    m_publisher->on_new_reader({});
    m_publisher.reset();  // its matching callback uses the hand-over
}

void RemoteSender::hand_over() noexcept {
    Handover& h = *m_handover;
    bool wake;
    {
        std::lock_guard lock(h.mutex);
        h.pending = true;
        wake = !h.busy;
    }
    if (wake) h.cv.notify_one();
}

void RemoteSender::run() {
    for (;;) {
        bool catch_up = false;
        {
            Handover& h = *m_handover;
            std::unique_lock lock(h.mutex);
            h.busy = false;
            h.cv.wait(lock, [&] { return h.stop || h.pending || h.catch_up; });
            if (h.stop) return;
            h.pending = false;
            catch_up = std::exchange(h.catch_up, false);
            h.busy = true;
        }
        send_from_table(catch_up);
    }
}

void RemoteSender::send_from_table(bool catch_up) {
    const SlotReader slots(m_segment);
    // A new reader gets the whole table once; after that the sender may jump when behind.
    std::uint64_t whole_until = 0;
    if (catch_up)
        if (const auto newest = slots.newest()) whole_until = newest->frame_number;
    // Frames jumped over count as skipped, but not those published before a catch-up's first
    // frame: no remote reader was there, they were never due.
    bool due = !catch_up;
    for (;;) {
        const auto newest = slots.newest();
        if (!newest || newest->frame_number <= m_last_sent) return;
        auto next = slots.oldest_after(m_last_sent);
        if (m_last_sent >= whole_until && newest->frame_number - m_last_sent > m_backlog + 1) next = newest;
        if (!next) return;
        if (due && m_last_sent != 0 && next->frame_number > m_last_sent + 1)
            m_skipped.fetch_add(next->frame_number - m_last_sent - 1, std::memory_order_relaxed);
        due = true;
        send(Offer{next->slot, next->seq, next->frame_number, next->timestamp_ns});
    }
}

void RemoteSender::send(const Offer& o) {
    m_last_sent = o.frame_number;  // tried, sent or not: never tried again
    // The seqlock check, as any reader's: a slot rewritten during the copy is not sent.
    seqlock_copy(m_buffer.data(), m_segment.payload(o.slot), m_buffer.size());
    if (!SlotReader(m_segment).unchanged(o.slot, o.seq) || m_segment.truncated()) {
        ++m_skipped;
        return;
    }
    PayloadHeader h{m_segment.session(), o.frame_number, o.timestamp_ns, 0, m_buffer.size()};
    std::span<const std::byte> bytes = m_buffer;
    if (m_encoding != Encoding::raw) {
        if (const std::size_t n = encode(m_encoding, m_level, m_buffer, m_wire); n > 0) {
            h.encoding = static_cast<std::uint32_t>(m_encoding);
            bytes = std::span<const std::byte>(m_wire.data(), n);
        }
    }
    bool ok = false;
    try {
        ok = m_publisher->publish(h, bytes);
    } catch (...) {
    }
    if (ok) {
        ++m_sent;
        m_bytes.fetch_add(bytes.size(), std::memory_order_relaxed);
    } else {
        ++m_skipped;
    }
}

}  // namespace smx::detail
