#include <smx/reader.hpp>

#include "attachment.hpp"
#include "channel.hpp"
#include "dds/dds_channel.hpp"
#include "shm/layout.hpp"
#include "names.hpp"
#include "shm/process.hpp"

#include <cstring>
#include <deque>

namespace smx::detail {

namespace {
// How often a waiting reader checks that the writer process still exists: a crashed writer
// sends nothing, and DDS only notices after its lease expires.
constexpr auto LIVENESS_CHECK = std::chrono::milliseconds(250);
constexpr int COPY_ATTEMPTS = 8;

struct SlotSnapshot {
    std::uint32_t slot = 0;
    std::uint64_t seq = 0;
    std::uint64_t frame_number = 0;
    std::int64_t timestamp_ns = 0;
};
}  // namespace

class ReaderImpl {
public:
    ReaderImpl(const Participant& participant, std::string topic, std::optional<Schema> expected)
        : m_participant(participant.impl()), m_topic(std::move(topic)), m_expected(std::move(expected)) {
        validate_topic(m_topic);
        m_source = make_dds_notice_source(m_participant, m_topic);
    }

    // ---- session tracking -------------------------------------------------------------------

    void check_open() const {
        if (!m_source) throw Closed("reader of topic '" + m_topic + "' is closed");
    }

    // Takes everything DDS has without blocking; (re)attaches on a new session.
    void pump() {
        check_open();
        if (auto info = m_source->take_info()) on_info(*info);
        if (m_source->writer_gone() && m_state == ReaderState::attached) detach(ReaderState::writer_gone);
        if (!m_mismatch.empty()) throw SchemaMismatch(m_mismatch);
        m_scratch.clear();
        m_source->take_notices(m_scratch);
        for (const Notice& n : m_scratch) on_notice(n);
    }

    void on_info(const SessionInfo& info) {
        if (m_attachment && info.session == m_attachment->segment().session()) return;
        detach(ReaderState::waiting_for_writer);
        m_mismatch.clear();
        m_pending_info = info;
        try_attach();
    }

    void try_attach() {
        if (!m_pending_info) return;
        const SessionInfo& info = *m_pending_info;
        if (info.layout_version != LAYOUT_VERSION)
            throw SegmentCorrupt("topic '" + m_topic + "': the writer (pid " + std::to_string(info.pid) + ", host " +
                                 info.host + ") uses segment layout " + std::to_string(info.layout_version) +
                                 ", this smx reads " + std::to_string(LAYOUT_VERSION) + "; upgrade the older side");
        if (info.host != host_name()) {
            // Shared memory is local; the distributed path will carry frames for such readers.
            m_pending_info.reset();
            m_state = ReaderState::waiting_for_writer;
            return;
        }
        std::unique_ptr<Segment> segment;
        try {
            segment = Segment::attach(info.shm_name, m_topic);
        } catch (const PermissionDenied& e) {
            throw PermissionDenied("topic '" + m_topic + "': cannot open the writer's segment (" + e.what() +
                                   "); run the reader as the writer's user or give the writer a wider mode");
        }
        if (segment && !process_alive(static_cast<pid_t>(segment->header().writer_pid),
                                      segment->header().writer_start_time)) {
            // A crashed writer's segment, announced by DDS until its lease expires.
            m_pending_info.reset();
            m_state = ReaderState::writer_gone;
            return;
        }
        if (!segment || segment->session() != info.session) {
            // The announced writer is gone (its segment removed or replaced): wait for the next.
            m_state = segment ? ReaderState::waiting_for_writer : ReaderState::writer_gone;
            if (!segment) m_pending_info.reset();
            return;
        }
        if (m_expected) {
            const auto diffs = m_expected->differences(*segment->schema());
            if (!diffs.empty()) {
                std::string msg = "topic '" + m_topic + "': the reader's template differs from the writer's schema "
                                  "(template vs writer, writer pid " + std::to_string(info.pid) + "): ";
                for (std::size_t i = 0; i < diffs.size(); ++i) msg += (i ? "; " : "") + diffs[i];
                m_mismatch = msg;
                m_pending_info.reset();
                throw SchemaMismatch(m_mismatch);
            }
        }
        m_writer_pid = static_cast<pid_t>(segment->header().writer_pid);
        m_writer_start = segment->header().writer_start_time;
        m_attachment = std::make_shared<Attachment>(std::move(segment), m_topic, m_counters);
        m_schema = m_attachment->segment().schema();
        m_pending_info.reset();
        m_state = ReaderState::attached;
        ++m_stats.attachments;
        // Frames already in the segment when we arrived are history, not "missed"; the newest
        // of them is still new to us (transient-local: a late joiner gets it at once).
        const auto newest = newest_in_slots();
        m_last_returned = newest ? newest->frame_number - 1 : 0;
        m_floor = newest ? newest->frame_number : 0;
        // Queue the newest ourselves: its DDS notice may have arrived before the session info
        // and been dropped while we were not attached yet (DDS does not order the two topics).
        // Should that notice still come, it is skipped as already returned.
        if (newest)
            m_pending.push_back(Notice{m_attachment->segment().session(), newest->slot, newest->seq,
                                       newest->frame_number, newest->timestamp_ns});
        m_last_liveness_check = std::chrono::steady_clock::now();
    }

    void detach(ReaderState state) {
        m_attachment.reset();  // frames still out keep the mapping alive
        m_pending.clear();
        m_state = state;
    }

    void on_notice(const Notice& n) {
        if (!m_attachment || n.session != m_attachment->segment().session()) {
            ++m_stats.notices_ignored;
            return;
        }
        if (n.slot >= m_attachment->segment().slot_count() || n.seq == 0 || (n.seq & 1) != 0) {
            ++m_stats.notices_ignored;
            return;
        }
        if (n.frame_number < m_floor) return;  // history from before we attached
        m_pending.push_back(n);
        // Older notices than the slot count can no longer point at their frame: bound memory.
        while (m_pending.size() > m_attachment->segment().slot_count()) m_pending.pop_front();
    }

    void check_writer_alive() {
        if (m_state != ReaderState::attached) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last_liveness_check < LIVENESS_CHECK) return;
        m_last_liveness_check = now;
        if (!process_alive(m_writer_pid, m_writer_start)) detach(ReaderState::writer_gone);
    }

    // ---- picking frames ---------------------------------------------------------------------

    // The published frame in the slots that `better` prefers, from seqlock-consistent
    // snapshots of each slot's metadata (frames being written are skipped).
    template <class Better>
    std::optional<SlotSnapshot> pick_from_slots(Better&& better) const {
        std::optional<SlotSnapshot> best;
        const Segment& seg = m_attachment->segment();
        for (std::uint32_t s = 0; s < seg.slot_count(); ++s) {
            const SlotRecord& rec = seg.slot(s);
            const std::uint64_t q = rec.seq.load(std::memory_order_acquire);
            if (q == 0 || (q & 1)) continue;
            SlotSnapshot snap{s, q, rec.frame_number.load(std::memory_order_relaxed),
                              rec.timestamp_ns.load(std::memory_order_relaxed)};
            if (!slot_unchanged(rec, q) || snap.frame_number == 0) continue;
            if (!best || better(snap, *best)) best = snap;
        }
        return best;
    }

    std::optional<SlotSnapshot> newest_in_slots() const {
        return pick_from_slots([](const SlotSnapshot& a, const SlotSnapshot& b) { return a.frame_number > b.frame_number; });
    }

    // Tries to hold the frame described; on success it is recorded as returned.
    std::optional<Frame> hold(const SlotSnapshot& s, Hold how) {
        const Segment& seg = m_attachment->segment();
        if (how == Hold::pin) {
            if (!m_attachment->registration().pin(s.slot, s.seq)) return std::nullopt;
        } else if (!slot_unchanged(seg.slot(s.slot), s.seq)) {
            return std::nullopt;
        }
        return Frame(m_attachment, FrameInfo{seg.session(), s.frame_number, s.timestamp_ns, s.slot, s.seq},
                     how == Hold::pin);
    }

    void record_returned(std::uint64_t frame_number, bool count_missed) {
        if (frame_number <= m_last_returned) return;
        if (count_missed) m_stats.missed += frame_number - m_last_returned - 1;
        m_last_returned = frame_number;
        ++m_stats.delivered;
        while (!m_pending.empty() && m_pending.front().frame_number <= frame_number) m_pending.pop_front();
    }

    std::optional<Frame> latest(Hold how) {
        pump();
        for (int attempt = 0; m_attachment && attempt < COPY_ATTEMPTS; ++attempt) {
            const auto newest = newest_in_slots();
            if (!newest) return std::nullopt;
            if (auto f = hold(*newest, how)) {
                record_returned(newest->frame_number, false);
                return f;
            }
        }
        return std::nullopt;
    }

    // The oldest pending notice not returned yet whose slot still holds that frame. A notice
    // whose seq matches the slot but whose frame number does not is forged or corrupt: a
    // slot's seq determines the frame written with it. It is ignored, so it can never make
    // the reader skip genuine frames.
    std::optional<Notice> pop_pending() {
        while (m_attachment && !m_pending.empty()) {
            const Notice n = m_pending.front();
            m_pending.pop_front();
            if (n.frame_number <= m_last_returned) continue;
            const SlotRecord& rec = m_attachment->segment().slot(n.slot);
            const std::uint64_t frame_number = rec.frame_number.load(std::memory_order_relaxed);
            if (!slot_unchanged(rec, n.seq)) {  // overwritten: counted as missed later
                m_overtaken = true;
                continue;
            }
            if (frame_number != n.frame_number) {
                ++m_stats.notices_ignored;
                continue;
            }
            return n;
        }
        return std::nullopt;
    }

    // The oldest frame not returned yet that is still in the slots, if the writer has overtaken
    // this reader (a pending notice pointed at an overwritten slot): its own notice may still be
    // on its way, and waiting for it would only let the writer overwrite it too.
    std::optional<SlotSnapshot> overtaken_fallback() {
        if (!m_overtaken || !m_attachment) return std::nullopt;
        m_overtaken = false;
        const std::uint64_t last = m_last_returned;
        auto oldest = pick_from_slots([last](const SlotSnapshot& a, const SlotSnapshot& b) {
            return a.frame_number > last && (b.frame_number <= last || a.frame_number < b.frame_number);
        });
        if (oldest && oldest->frame_number <= last) return std::nullopt;
        return oldest;
    }

    // The oldest pending frame this reader can still hold, skipping overwritten ones.
    std::optional<Frame> pop_next(Hold how) {
        m_overtaken = false;
        while (const auto n = pop_pending()) {
            if (auto f = hold(SlotSnapshot{n->slot, n->seq, n->frame_number, n->timestamp_ns}, how)) {
                record_returned(n->frame_number, true);
                return f;
            }
        }
        if (const auto s = overtaken_fallback()) {
            if (auto f = hold(*s, how)) {
                record_returned(s->frame_number, true);
                return f;
            }
        }
        return std::nullopt;
    }

    template <class Try>
    auto wait_loop(std::chrono::nanoseconds timeout, Try&& attempt) -> decltype(attempt()) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            pump();
            if (auto r = attempt()) return r;
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) return decltype(attempt())();
            const auto slice = std::min<std::chrono::nanoseconds>(deadline - now, LIVENESS_CHECK);
            const ChannelEvent ev = m_source->wait(slice);
            if (ev == ChannelEvent::interrupted) return decltype(attempt())();
            if (ev == ChannelEvent::timeout) check_writer_alive();
        }
    }

    std::optional<Frame> next(std::chrono::nanoseconds timeout, Hold how) {
        return wait_loop(timeout, [&] { return pop_next(how); });
    }

    bool wait_for_writer(std::chrono::nanoseconds timeout) {
        return wait_loop(timeout, [&] { return m_state == ReaderState::attached; });
    }

    void check_buffer(std::span<std::byte> dst) const {
        const std::uint64_t need = m_attachment->schema().frame_size();
        if (dst.size() < need)
            throw InvalidArgument("topic '" + m_topic + "': copy buffer of " + std::to_string(dst.size()) +
                                  " bytes is smaller than a frame (" + std::to_string(need) + " bytes)");
    }

    CopyResult copy_from(const SlotSnapshot& s, std::span<std::byte> dst) {
        const Segment& seg = m_attachment->segment();
        std::memcpy(dst.data(), seg.payload(s.slot), m_attachment->schema().frame_size());
        if (!slot_unchanged(seg.slot(s.slot), s.seq)) return {ReadStatus::torn, {}};
        return {ReadStatus::ok, FrameInfo{seg.session(), s.frame_number, s.timestamp_ns, s.slot, s.seq}};
    }

    CopyResult copy_latest(std::span<std::byte> dst) {
        pump();
        if (!m_attachment) return {};
        check_buffer(dst);
        for (int attempt = 0; attempt < COPY_ATTEMPTS; ++attempt) {
            const auto newest = newest_in_slots();
            if (!newest) return {};
            CopyResult r = copy_from(*newest, dst);
            if (r) {
                record_returned(newest->frame_number, false);
                return r;
            }
            ++m_stats.torn_copies;
        }
        return {ReadStatus::torn, {}};
    }

    CopyResult copy_next(std::span<std::byte> dst, std::chrono::nanoseconds timeout) {
        struct Outcome {
            CopyResult r;
            explicit operator bool() const { return r.status == ReadStatus::ok; }
        };
        const Outcome o = wait_loop(timeout, [&]() -> Outcome {
            if (m_attachment) check_buffer(dst);
            m_overtaken = false;
            while (const auto n = pop_pending()) {
                CopyResult r = copy_from(SlotSnapshot{n->slot, n->seq, n->frame_number, n->timestamp_ns}, dst);
                if (r) {
                    record_returned(n->frame_number, true);
                    return {r};
                }
                ++m_stats.torn_copies;
            }
            if (const auto s = overtaken_fallback()) {
                CopyResult r = copy_from(*s, dst);
                if (r) {
                    record_returned(s->frame_number, true);
                    return {r};
                }
                ++m_stats.torn_copies;
            }
            return {};
        });
        return o.r;
    }

    ReaderStats stats() const noexcept {
        ReaderStats s = m_stats;
        s.torn_views = m_counters->torn_views.load(std::memory_order_relaxed);
        return s;
    }

    void close() noexcept {
        m_attachment.reset();
        m_source.reset();
        m_pending.clear();
    }

    std::shared_ptr<ParticipantImpl> m_participant;
    std::string m_topic;
    std::optional<Schema> m_expected;
    std::unique_ptr<NoticeSource> m_source;
    std::shared_ptr<FrameCounters> m_counters = std::make_shared<FrameCounters>();
    std::shared_ptr<Attachment> m_attachment;
    std::shared_ptr<const Schema> m_schema;  // of the last writer attached (kept when it goes)
    std::optional<SessionInfo> m_pending_info;
    std::string m_mismatch;
    ReaderState m_state = ReaderState::waiting_for_writer;
    std::deque<Notice> m_pending;
    std::vector<Notice> m_scratch;
    std::uint64_t m_last_returned = 0;
    std::uint64_t m_floor = 0;
    bool m_overtaken = false;  // a pending notice was dropped because its slot was rewritten
    pid_t m_writer_pid = 0;
    std::uint64_t m_writer_start = 0;
    std::chrono::steady_clock::time_point m_last_liveness_check{};
    ReaderStats m_stats;
};

}  // namespace smx::detail

namespace smx {

Reader::Reader(const Participant& participant, std::string topic)
    : m_impl(std::make_unique<detail::ReaderImpl>(participant, std::move(topic), std::nullopt)) {}
Reader::Reader(const Participant& participant, std::string topic, Schema expected)
    : m_impl(std::make_unique<detail::ReaderImpl>(participant, std::move(topic), std::move(expected))) {}
Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

bool Reader::wait_for_writer(std::chrono::nanoseconds timeout) { return m_impl->wait_for_writer(timeout); }
std::optional<Frame> Reader::latest(Hold hold) { return m_impl->latest(hold); }
std::optional<Frame> Reader::next(std::chrono::nanoseconds timeout, Hold hold) { return m_impl->next(timeout, hold); }
CopyResult Reader::copy_latest(std::span<std::byte> dst) { return m_impl->copy_latest(dst); }
CopyResult Reader::copy_next(std::span<std::byte> dst, std::chrono::nanoseconds timeout) {
    return m_impl->copy_next(dst, timeout);
}
ReaderState Reader::state() const noexcept { return m_impl->m_state; }

std::shared_ptr<const Schema> Reader::schema_if_known() const noexcept {
    return m_impl->m_schema;
}

const Schema& Reader::schema() const {
    auto s = schema_if_known();
    if (!s)
        throw NoWriter("topic '" + m_impl->m_topic +
                       "': no writer attached yet, so its schema is unknown; call wait_for_writer() first");
    return *s;
}

const std::string& Reader::topic() const noexcept { return m_impl->m_topic; }
ReaderStats Reader::stats() const noexcept { return m_impl->stats(); }
void Reader::interrupt() noexcept {
    if (m_impl->m_source) m_impl->m_source->interrupt();
}
void Reader::close() noexcept { m_impl->close(); }

}  // namespace smx
