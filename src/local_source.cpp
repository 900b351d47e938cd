#include "local_source.hpp"

#include "attachment.hpp"
#include "fork.hpp"
#include "names.hpp"
#include "shm/doorbell.hpp"
#include "shm/layout.hpp"
#include "shm/process.hpp"
#include "shm/wakeup.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <unistd.h>

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
          m_last_check(std::chrono::steady_clock::now()) {}

    std::uint64_t session() const noexcept override { return m_attachment->segment().session(); }
    std::int64_t writer_pid() const noexcept override { return m_writer_pid; }
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

    // The closed flag on every call; the writer's liveness lock once per LIVENESS_CHECK (one
    // system call per 100 ms, whatever the frame rate; the bell is no proof, any reader's
    // interrupt() rings it). A writer found dead without having closed (SIGKILL, a crash) leaves
    // its segment behind: the reader removes it. (Skipping the lock while the slots' sequences
    // moved saved that call but doubled the time to notice a death: the sequences of the last
    // frames before it count as progress at the next look.)
    bool writer_alive() noexcept override {
        if (m_doorbell.closed() || m_attachment->segment().truncated()) return false;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last_check < LIVENESS_CHECK) return true;
        m_last_check = now;
        if (m_attachment->segment().writer_alive()) return true;
        m_attachment->segment().remove_if_abandoned();
        return false;
    }

    void nudge() noexcept override {
        m_doorbell.nudge();
        if (m_wakeup) m_wakeup->notify();  // a reader asleep on its wake-up eventfd
    }

    ~LocalFrameSource() override { set_wake(nullptr); }

    // The writer gets the reader's eventfd through its inbox, an abstract socket name, which
    // belongs to the writer's network namespace. A reader in another one that shares /dev/shm (a
    // container with the host's IPC but its own network), or one whose writer has no inbox, gets
    // a relay instead: one thread that sleeps on the futex as this registration and passes every
    // ring on to the eventfd.
    void set_wake(std::shared_ptr<const Wakeup> wakeup) override {
        stop_relay();
        m_attachment->registration().set_wake(nullptr);
        m_wakeup = std::move(wakeup);
        m_missed_wakes = 0;
        if (!m_wakeup) return;
        // Handed in before the token is stored: a writer that finds the token finds the eventfd.
        if (m_wakeup->offer_to(m_attachment->segment().session())) {
            m_attachment->registration().set_wake(m_wakeup.get());
            return;
        }
        start_relay();
    }

    // Two sleeps in a row that nothing woke although a frame came: the writer does not hold this
    // reader's eventfd (it dropped it: its descriptor limit, no memory), so relay instead.
    void wake_result(bool woken) noexcept override {
        if (!m_wakeup || m_relay.joinable()) return;
        if (woken) {
            m_missed_wakes = 0;
            return;
        }
        if (++m_missed_wakes < 2) return;
        m_attachment->registration().set_wake(nullptr);
        start_relay();
    }

    void mark_asleep(bool asleep) noexcept override {
        if (!m_wakeup || m_relay.joinable()) return;  // the relay sleeps as the registration
        if (asleep)
            m_attachment->registration().mark_asleep();
        else
            m_attachment->registration().mark_awake();
    }

private:
    void start_relay() noexcept {
        m_relay_stop.store(false, std::memory_order_release);
        try {
            m_relay = std::thread([this] { relay(); });
        } catch (...) {
            // No thread: the wait set's 100 ms tick still finds this reader's frames.
        }
    }

    void relay() noexcept {
        std::uint32_t seen = m_doorbell.value();
        while (!m_relay_stop.load(std::memory_order_acquire)) {
            (void)m_attachment->registration().wait(seen, LIVENESS_CHECK, std::chrono::nanoseconds::zero());
            const std::uint32_t now = m_doorbell.value();
            if (now != seen) m_wakeup->notify();
            seen = now;
        }
    }

    void stop_relay() noexcept {
        if (!m_relay.joinable()) return;
        if (!m_process.is_current()) {
            // A forked child: the thread is the parent's; its handle here must not be joined
            // (nothing to join) nor destroyed joinable (std::terminate).
            (void)new std::thread(std::move(m_relay));
            return;
        }
        m_relay_stop.store(true, std::memory_order_release);
        m_doorbell.nudge();
        m_relay.join();
    }

    std::shared_ptr<Attachment> m_attachment;
    Doorbell m_doorbell;
    std::shared_ptr<const Wakeup> m_wakeup;
    std::thread m_relay;
    std::atomic<bool> m_relay_stop{false};
    int m_missed_wakes = 0;
    OwnerProcess m_process;
    pid_t m_writer_pid;
    std::chrono::steady_clock::time_point m_last_check;
};

class LocalConnector final : public Connector {
public:
    LocalConnector(int domain_id, std::string topic, std::shared_ptr<FrameCounters> counters,
                   std::vector<std::uint32_t> trusted_uids)
        : m_topic(std::move(topic)), m_name(segment_name(domain_id, m_topic)), m_counters(std::move(counters)),
          m_trusted(std::move(trusted_uids)) {
        m_trusted.push_back(static_cast<std::uint32_t>(::geteuid()));
        m_trusted.push_back(0);  // root can read and write every segment anyway
    }

    Connection connect(const SessionInfo& info) override {
        // The segment's name follows from domain and topic: info naming another object is not
        // about this topic's writer (a forgery, or another domain's writer), whatever it says.
        if (info.shm_name != m_name || info.topic != m_topic) return {nullptr, ReaderState::waiting_for_writer, true};
        if (info.machine != machine_id()) return {nullptr, ReaderState::waiting_for_writer};
        if (info.layout_version != LAYOUT_VERSION) {
            // Forged, or a writer of another smx version: the segment at the name decides. Only if
            // nothing readable is there is the version the user's problem.
            if (Connection c = probe(); c.source) return c;
            check_layout(info);
        }
        // If the live writer at the name is not the one announced, that info was stale (or
        // forged): reading the live one is right all the same.
        return attach(open());
    }

    Connection probe() override {
        try {
            return attach(open());
        } catch (const Error& e) {
            return {nullptr, ReaderState::waiting_for_writer, false, e.what()};
        }
    }

private:
    void check_layout(const SessionInfo& info) const {
        if (info.layout_version != LAYOUT_VERSION)
            throw SegmentCorrupt("topic '" + m_topic + "': the writer (pid " + std::to_string(info.pid) + ", host " +
                                 info.host + ") uses segment layout " + std::to_string(info.layout_version) +
                                 ", this smx reads " + std::to_string(LAYOUT_VERSION) + "; upgrade the older side");
    }

    // The name is the topic's, but anyone may create a file there before the writer does:
    // only a trusted user's object can be the topic's writer.
    void check_owner(std::uint32_t uid) const {
        if (std::find(m_trusted.begin(), m_trusted.end(), uid) != m_trusted.end()) return;
        const auto self = static_cast<std::uint32_t>(::geteuid());
        const std::string trusted = self == 0 ? "root" : "its own user " + user_label(self) + " and root";
        throw PermissionDenied("topic '" + m_topic + "': segment '" + m_name + "' is owned by user " +
                               user_label(uid) + ", whom this reader does not trust (it trusts " + trusted +
                               "); if that user's writer is genuine, add uid " + std::to_string(uid) +
                               " to ReaderOptions::trusted_uids (Python: trusted_uids=[" + std::to_string(uid) +
                               "]), otherwise remove " + shm_directory() + m_name);
    }

    // A live, open, trusted writer's segment becomes a source; anything else says why not.
    Connection attach(std::unique_ptr<Segment> segment) const {
        if (!segment) return {nullptr, ReaderState::writer_gone};  // removed: the writer left
        if (segment->header().writer_closed.load(std::memory_order_acquire) != 0)
            return {nullptr, ReaderState::writer_gone};
        if (!segment->writer_alive()) {
            segment->remove_if_abandoned();
            return {nullptr, ReaderState::writer_gone};
        }
        auto attachment = std::make_shared<Attachment>(std::move(segment), m_topic, m_counters);
        return {std::make_unique<LocalFrameSource>(std::move(attachment)), ReaderState::attached};
    }

    std::unique_ptr<Segment> open() const {
        bool untrusted = false;
        try {
            // Before anything of it is read or mapped: an untrusted user's object costs nothing.
            return Segment::attach(m_name, m_topic, [&](std::uint32_t uid) {
                untrusted = true;
                check_owner(uid);
                untrusted = false;
            });
        } catch (const PermissionDenied& e) {
            if (untrusted) throw;
            throw PermissionDenied("topic '" + m_topic + "': cannot open the writer's segment (" + e.what() +
                                   "); run the reader as the writer's user, or give the writer mode 0660 and "
                                   "this user its group (WriterOptions::mode; Python: mode=0o660)");
        }
    }

    std::string m_topic;
    std::string m_name;  // the segment name of (domain, topic)
    std::shared_ptr<FrameCounters> m_counters;
    std::vector<std::uint32_t> m_trusted;
};

}  // namespace

std::unique_ptr<Connector> make_local_connector(int domain_id, std::string topic,
                                                std::shared_ptr<FrameCounters> counters,
                                                std::vector<std::uint32_t> trusted_uids) {
    return std::make_unique<LocalConnector>(domain_id, std::move(topic), std::move(counters), std::move(trusted_uids));
}

}  // namespace smx::detail
