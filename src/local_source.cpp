#include "local_source.hpp"

#include "attachment.hpp"
#include "shm/doorbell.hpp"
#include "shm/layout.hpp"
#include "shm/process.hpp"

namespace smx::detail {

namespace {

// How often a reader checks that the writer's process still exists: a crashed writer rings
// no bell (the reader core wakes at least this often).
constexpr auto LIVENESS_CHECK = std::chrono::milliseconds(100);

FrameRef to_ref(const SlotSnapshot& s) { return FrameRef{s.slot, s.seq, s.frame_number, s.timestamp_ns}; }

std::optional<FrameRef> to_ref(const std::optional<SlotSnapshot>& s) {
    if (!s) return std::nullopt;
    return to_ref(*s);
}

class LocalFrameSource final : public FrameSource {
public:
    explicit LocalFrameSource(std::shared_ptr<Attachment> attachment)
        : m_attachment(std::move(attachment)), m_doorbell(m_attachment->segment()),
          m_writer_pid(static_cast<pid_t>(m_attachment->segment().header().writer_pid)),
          m_writer_start(m_attachment->segment().header().writer_start_time),
          m_last_check(std::chrono::steady_clock::now()) {}

    std::uint64_t session() const noexcept override { return m_attachment->segment().session(); }
    std::shared_ptr<const Schema> schema() const noexcept override { return m_attachment->segment().schema(); }
    std::shared_ptr<FrameStore> store() const noexcept override { return m_attachment; }
    std::uint32_t generation() const noexcept override { return m_doorbell.value(); }
    std::optional<FrameRef> newest() const noexcept override { return to_ref(m_attachment->slots().newest()); }
    std::optional<FrameRef> oldest_after(std::uint64_t frame_number) const noexcept override {
        return to_ref(m_attachment->slots().oldest_after(frame_number));
    }

    WaitEnd wait(std::uint32_t seen, std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin) override {
        if (m_doorbell.closed()) return WaitEnd::woken;
        switch (m_attachment->registration().wait(seen, timeout, spin)) {
            case Doorbell::Wake::rung: return WaitEnd::woken;
            case Doorbell::Wake::timeout: return WaitEnd::timeout;
            case Doorbell::Wake::unnoticed: return WaitEnd::unnoticed;
        }
        return WaitEnd::woken;
    }

    bool writer_alive() noexcept override {
        if (m_doorbell.closed()) return false;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last_check < LIVENESS_CHECK) return true;
        m_last_check = now;
        return process_alive(m_writer_pid, m_writer_start);
    }

    void nudge() noexcept override { m_doorbell.nudge(); }

private:
    std::shared_ptr<Attachment> m_attachment;
    Doorbell m_doorbell;
    pid_t m_writer_pid;
    std::uint64_t m_writer_start;
    std::chrono::steady_clock::time_point m_last_check;
};

class LocalConnector final : public Connector {
public:
    LocalConnector(std::string topic, std::shared_ptr<FrameCounters> counters)
        : m_topic(std::move(topic)), m_counters(std::move(counters)) {}

    Connection connect(const SessionInfo& info) override {
        check_layout(info);
        if (info.host != host_name()) return {nullptr, ReaderState::waiting_for_writer, false};
        std::unique_ptr<Segment> segment = open(info);
        if (!segment) return {nullptr, ReaderState::writer_gone, false};  // removed: the writer left
        const SegmentHeader& h = segment->header();
        if (!process_alive(static_cast<pid_t>(h.writer_pid), h.writer_start_time) ||
            h.writer_closed.load(std::memory_order_acquire) != 0)
            return {nullptr, ReaderState::writer_gone, false};  // announced until its lease expires
        if (segment->session() != info.session)
            // Another session holds the name: a newer writer (its info is on its way) or the
            // stale info of an older one. Keep the info; the next pump retries or replaces it.
            return {nullptr, ReaderState::waiting_for_writer, true};
        auto attachment = std::make_shared<Attachment>(std::move(segment), m_topic, m_counters);
        return {std::make_unique<LocalFrameSource>(std::move(attachment)), ReaderState::attached, false};
    }

private:
    void check_layout(const SessionInfo& info) const {
        if (info.layout_version != LAYOUT_VERSION)
            throw SegmentCorrupt("topic '" + m_topic + "': the writer (pid " + std::to_string(info.pid) + ", host " +
                                 info.host + ") uses segment layout " + std::to_string(info.layout_version) +
                                 ", this smx reads " + std::to_string(LAYOUT_VERSION) + "; upgrade the older side");
    }

    std::unique_ptr<Segment> open(const SessionInfo& info) const {
        try {
            return Segment::attach(info.shm_name, m_topic);
        } catch (const PermissionDenied& e) {
            throw PermissionDenied("topic '" + m_topic + "': cannot open the writer's segment (" + e.what() +
                                   "); run the reader as the writer's user or give the writer a wider mode");
        }
    }

    std::string m_topic;
    std::shared_ptr<FrameCounters> m_counters;
};

}  // namespace

std::unique_ptr<Connector> make_local_connector(std::string topic, std::shared_ptr<FrameCounters> counters) {
    return std::make_unique<LocalConnector>(std::move(topic), std::move(counters));
}

}  // namespace smx::detail
