#include "remote_sender.hpp"

#include "shm/segment.hpp"
#include "shm/slots.hpp"

#include <cstring>
#include <utility>

namespace smx::detail {

RemoteSender::RemoteSender(const Segment& segment, std::unique_ptr<PayloadPublisher> publisher)
    : m_segment(segment), m_publisher(std::move(publisher)),
      m_buffer(static_cast<std::size_t>(segment.schema()->frame_size())), m_handover(std::make_unique<Handover>()),
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

void RemoteSender::hand_over(std::uint32_t slot, std::uint64_t seq, std::uint64_t frame_number,
                             std::int64_t timestamp_ns) noexcept {
    Handover& h = *m_handover;
    bool wake;
    {
        std::lock_guard lock(h.mutex);
        if (h.pending) ++m_skipped;  // replaced before the sender got to it
        h.pending = Offer{slot, seq, frame_number, timestamp_ns};
        wake = !h.busy;
    }
    if (wake) h.cv.notify_one();
}

void RemoteSender::run() {
    const SlotReader slots(m_segment);
    for (;;) {
        std::optional<Offer> offer;
        bool catch_up = false;
        {
            Handover& h = *m_handover;
            std::unique_lock lock(h.mutex);
            h.busy = false;
            h.cv.wait(lock, [&] { return h.stop || h.pending || h.catch_up; });
            if (h.stop) return;
            offer.swap(h.pending);
            catch_up = std::exchange(h.catch_up, false);
            h.busy = true;
        }
        if (catch_up) {
            std::uint64_t after = m_last_sent;
            while (const auto s = slots.oldest_after(after)) {
                after = s->frame_number;
                send(Offer{s->slot, s->seq, s->frame_number, s->timestamp_ns});
            }
        }
        if (offer) send(*offer);
    }
}

void RemoteSender::send(const Offer& o) {
    if (o.frame_number <= m_last_sent) return;  // sent already (catching up)
    // The seqlock check, as any reader's: a slot rewritten during the copy is not sent.
    std::memcpy(m_buffer.data(), m_segment.payload(o.slot), m_buffer.size());
    if (!SlotReader(m_segment).unchanged(o.slot, o.seq) || m_segment.truncated()) {
        ++m_skipped;
        return;
    }
    const PayloadHeader h{m_segment.session(), o.frame_number, o.timestamp_ns, 0, m_buffer.size()};
    bool ok = false;
    try {
        ok = m_publisher->publish(h, m_buffer);
    } catch (...) {
    }
    if (ok) {
        ++m_sent;
        m_last_sent = o.frame_number;
    } else {
        ++m_skipped;
    }
}

}  // namespace smx::detail
