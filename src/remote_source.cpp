#include "remote_source.hpp"

#include "shm/wakeup.hpp"

#include "codec.hpp"

#include <smx/error.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <vector>

namespace smx::detail {

namespace {

// The schema an info announces, or nullptr if its fields do not make one (or do not add up to
// the frame size, offsets and hash it claims).
std::shared_ptr<const Schema> announced_schema(const SessionInfo& info) {
    try {
        std::vector<Field> fields;
        for (const FieldDescription& f : info.fields) fields.push_back(Field{f.name, DType::parse(f.dtype), Shape(f.shape), f.bounded});
        auto schema = std::make_shared<const Schema>(std::move(fields));
        if (schema->frame_size() != info.frame_size || schema->hash() != info.schema_hash) return nullptr;
        for (std::size_t i = 0; i < info.fields.size(); ++i)
            if (schema->offset(i) != info.fields[i].offset) return nullptr;
        return schema;
    } catch (const Error&) {
        return nullptr;
    }
}

// Frames as received: buffers of the reader's own, reused. A buffer is rewritten only when no
// Frame holds it, so every frame handed out stays as received (views never tear remotely;
// ReaderCore holds views too, see FrameStore::views_hold). Buffers are made when first needed —
// nothing is allocated for a source whose template check fails — and four of them (at least) serve a
// reader that lets its frames go; one that keeps more gets more, up to MAX_BUFFERS frames, and
// then lets new frames go until it lets one go (docs/network.md). A writer that keeps more
// frames for remote readers (NetworkOptions::depth) gets as many buffers plus one, so that the
// frames DDS kept for a reader that fell behind are all there for next().
class RemoteStore final : public FrameStore {
public:
    static constexpr std::uint32_t MIN_BUFFERS = 4;
    static constexpr std::uint32_t MAX_BUFFERS = 16;

    struct Buffer {
        // One byte more than a frame: a sample that fills it is too large (Cyclone cuts a
        // sample to the room it is given; see DdsPayloadSubscriber::take).
        std::vector<std::byte> bytes;
        std::atomic<std::uint64_t> stamp{0};  // 0: empty; else the receive count of its frame
        std::atomic<std::int32_t> holds{0};   // Frames holding it (taken by the reader's thread only)
        std::uint64_t frame_number = 0;
        std::int64_t timestamp_ns = 0;
    };

    RemoteStore(std::shared_ptr<const Schema> schema, std::shared_ptr<FrameCounters> counters, std::uint32_t depth)
        : m_schema(std::move(schema)), m_counters(std::move(counters)),
          m_buffers_kept(std::clamp<std::uint32_t>(depth + 1, MIN_BUFFERS, MAX_BUFFERS)) {}

    const Schema& schema() const noexcept override { return *m_schema; }
    const std::byte* data(std::uint32_t slot) const noexcept override { return m_buffers[slot]->bytes.data(); }
    bool unchanged(std::uint32_t slot, std::uint64_t seq) const noexcept override {
        return m_buffers[slot]->stamp.load(std::memory_order_acquire) == seq;
    }
    bool pin(std::uint32_t slot, std::uint64_t seq) noexcept override {
        Buffer& b = *m_buffers[slot];
        if (b.stamp.load(std::memory_order_acquire) != seq) return false;
        b.holds.fetch_add(1, std::memory_order_acq_rel);
        return true;
    }
    void unpin(std::uint32_t slot) noexcept override {
        if (owned_here()) m_buffers[slot]->holds.fetch_sub(1, std::memory_order_acq_rel);
    }
    FrameCounters& counters() const noexcept override { return *m_counters; }
    bool views_hold() const noexcept override { return true; }
    Transport transport() const noexcept override { return Transport::dds; }

    // A buffer nobody holds, other than `keep` (the newest frame): an empty one first (a sample
    // dropped into it left it so: refused samples never make buffers grow), then the oldest
    // frame's (the newer ones are what next() still wants), a new one while fewer than m_buffers_kept
    // exist or all are held; nullopt if all MAX_BUFFERS are held or memory ran out.
    std::optional<std::uint32_t> free_buffer(std::optional<std::uint32_t> keep) noexcept {
        std::optional<std::uint32_t> best;
        for (std::uint32_t i = 0; i < m_count; ++i) {
            if (keep && *keep == i) continue;
            const Buffer& b = *m_buffers[i];
            if (b.holds.load(std::memory_order_acquire) != 0) continue;
            if (b.stamp.load(std::memory_order_acquire) == 0) return i;
            if (!best || b.frame_number < m_buffers[*best]->frame_number) best = i;
        }
        if (best && m_count >= m_buffers_kept) return best;
        if (m_count == MAX_BUFFERS) return best;
        try {
            auto fresh = std::make_unique<Buffer>();
            fresh->bytes.resize(static_cast<std::size_t>(m_schema->frame_size()) + 1);
            m_buffers[m_count] = std::move(fresh);  // published before m_count: readers of slot < m_count only
            return m_count++;
        } catch (const std::bad_alloc&) {
            return best;
        }
    }

    std::uint32_t count() const noexcept { return m_count; }
    Buffer& buffer(std::uint32_t i) noexcept { return *m_buffers[i]; }
    const Buffer& buffer(std::uint32_t i) const noexcept { return *m_buffers[i]; }

private:
    std::shared_ptr<const Schema> m_schema;
    std::shared_ptr<FrameCounters> m_counters;
    // Made one by one and never moved: a Frame on another thread reads its own slot's entry
    // while the reader's thread adds another.
    std::array<std::unique_ptr<Buffer>, MAX_BUFFERS> m_buffers;
    std::uint32_t m_count = 0;  // the reader's thread only
    std::uint32_t m_buffers_kept;  // made before reusing the oldest
};

// How long a new source waits for the payload writer to match before taking the writer for
// gone (discovery over a network takes a moment; a writer that never matches is not there).
constexpr auto MATCH_GRACE = std::chrono::seconds(5);

class RemoteFrameSource final : public FrameSource {
public:
    RemoteFrameSource(const SessionInfo& info, std::shared_ptr<const Schema> schema,
                      std::unique_ptr<PayloadSubscriber> subscriber, std::shared_ptr<FrameCounters> counters)
        : m_session(info.session), m_writer_pid(info.pid), m_schema(std::move(schema)),
          m_subscriber(std::move(subscriber)), m_counters(counters),
          m_store(std::make_shared<RemoteStore>(m_schema, std::move(counters), info.payload_depth)),
          m_created(std::chrono::steady_clock::now()),
          m_encoding(known_encoding(info.payload_encoding) ? static_cast<Encoding>(info.payload_encoding)
                                                           : Encoding::raw) {
        // Only the payload writer of the participant that announced the session is read.
        m_subscriber->accept_only(info.publisher);
    }

    std::uint64_t session() const noexcept override { return m_session; }
    std::int64_t writer_pid() const noexcept override { return m_writer_pid; }
    std::shared_ptr<const Schema> schema() const noexcept override { return m_schema; }
    std::shared_ptr<FrameStore> store() const noexcept override { return m_store; }

    std::uint32_t generation() const noexcept override {
        receive();
        return static_cast<std::uint32_t>(m_received);
    }

    std::optional<FrameRef> newest() const noexcept override {
        receive();
        if (!m_newest) return std::nullopt;
        return ref(*m_newest);
    }

    std::optional<FrameRef> oldest_after(std::uint64_t frame_number) const noexcept override {
        receive();
        std::optional<std::uint32_t> best;
        for (std::uint32_t i = 0; i < m_store->count(); ++i) {
            const auto& b = m_store->buffer(i);
            if (b.stamp.load(std::memory_order_relaxed) == 0 || b.frame_number <= frame_number) continue;
            if (!best || b.frame_number < m_store->buffer(*best).frame_number) best = i;
        }
        if (!best) return std::nullopt;
        return ref(*best);
    }

    WaitEnd wait(std::uint32_t seen, std::chrono::nanoseconds timeout, std::chrono::nanoseconds) override {
        if (generation() != seen) return WaitEnd::woken;
        m_subscriber->wait(timeout);
        return generation() != seen ? WaitEnd::woken : WaitEnd::timeout;
    }

    // Alive while the payload writer is matched; a new source gives discovery MATCH_GRACE.
    bool writer_alive() noexcept override {
        if (m_subscriber->writers_matched() > 0) return true;
        if (m_subscriber->ever_matched()) return false;
        return std::chrono::steady_clock::now() - m_created < MATCH_GRACE;
    }

    void nudge() noexcept override { m_subscriber->interrupt(); }

    // The transport's thread signals every sample; the reader's own waits stay on DDS's waitset.
    void set_wake(std::shared_ptr<const Wakeup> wakeup) override {
        if (!wakeup) return m_subscriber->set_notify({});
        m_subscriber->set_notify([wakeup] { wakeup->notify(); });
    }
    void mark_asleep(bool) noexcept override {}

private:
    FrameRef ref(std::uint32_t i) const noexcept {
        const auto& b = m_store->buffer(i);
        return FrameRef{i, b.stamp.load(std::memory_order_relaxed), b.frame_number, b.timestamp_ns};
    }

    // Takes every waiting sample into a free buffer. A sample of another session or publisher, of
    // the wrong size or older than the newest frame is dropped and counted. With every buffer
    // held (or no memory for one), waiting samples are taken and let go: left with DDS they
    // would wake the reader's wait again at once. Their frames count as missed, as frames a
    // local reader's writer overwrote.
    void receive() const noexcept {
        const auto frame_size = static_cast<std::size_t>(m_schema->frame_size());
        for (;;) {
            const auto target = m_store->free_buffer(m_newest);
            if (!target) {
                if (!discard_one()) return;
                continue;
            }
            auto& b = m_store->buffer(*target);
            b.stamp.store(0, std::memory_order_release);  // being rewritten: no frame
            // A compressing writer's samples are staged in m_wire (made at the first one).
            const bool staged = m_encoding != Encoding::raw;
            if (staged && m_wire.empty()) {
                try {
                    m_wire.resize(std::max(frame_size, encode_bound(m_encoding, frame_size)) + 1);
                } catch (const std::bad_alloc&) {
                    return;
                }
            }
            const std::span<std::byte> into = staged ? std::span<std::byte>(m_wire) : std::span<std::byte>(b.bytes);
            PayloadHeader h;
            std::size_t length = 0;
            PayloadSubscriber::Take t;
            try {
                t = m_subscriber->take(into, h, length);
            } catch (...) {
                return;
            }
            if (t == PayloadSubscriber::Take::none) return;
            const std::uint64_t newest_fn = m_newest ? m_store->buffer(*m_newest).frame_number : 0;
            const std::span<std::byte> frame(b.bytes.data(), frame_size);
            if (t == PayloadSubscriber::Take::dropped || h.session != m_session || h.frame_size != frame_size ||
                h.frame_number <= newest_fn || !unpack(h, into.first(length), frame)) {
                m_counters->dropped_samples.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            b.frame_number = h.frame_number;
            b.timestamp_ns = h.timestamp_ns;
            b.stamp.store(++m_received, std::memory_order_release);
            m_newest = *target;
        }
    }

    // Takes one waiting sample and lets it go; false if none was waiting.
    bool discard_one() const noexcept {
        PayloadHeader h;
        std::size_t length = 0;
        try {
            return m_subscriber->take(std::span<std::byte>(), h, length) != PayloadSubscriber::Take::none;
        } catch (...) {
            return false;
        }
    }

    // The frame's bytes from what was taken (`got`, in m_wire or already in `frame`).
    bool unpack(const PayloadHeader& h, std::span<const std::byte> got, std::span<std::byte> frame) const noexcept {
        if (h.encoding == static_cast<std::uint32_t>(Encoding::raw)) {
            if (got.size() != frame.size()) return false;
            if (got.data() != frame.data()) std::memcpy(frame.data(), got.data(), got.size());
            return true;
        }
        if (m_encoding == Encoding::raw || !known_encoding(h.encoding)) return false;
        return decode(static_cast<Encoding>(h.encoding), got, frame);
    }

    std::uint64_t m_session;
    std::int64_t m_writer_pid;
    std::shared_ptr<const Schema> m_schema;
    std::unique_ptr<PayloadSubscriber> m_subscriber;
    std::shared_ptr<FrameCounters> m_counters;
    std::shared_ptr<RemoteStore> m_store;
    std::chrono::steady_clock::time_point m_created;
    // Receiving happens in the reader's calls (its thread), including the const ones.
    mutable std::uint64_t m_received = 0;
    // A writer that compresses sends samples smaller than a frame, or (a frame that does not
    // shrink) raw ones: they land in m_wire first. Raw writers' samples go straight into the
    // frame buffers. Unknown encodings are dropped per sample.
    Encoding m_encoding;
    mutable std::vector<std::byte> m_wire;
    mutable std::optional<std::uint32_t> m_newest;
};

class RemoteConnector final : public Connector {
public:
    RemoteConnector(std::string topic, SubscriberFactory subscribe, std::shared_ptr<FrameCounters> counters)
        : m_topic(std::move(topic)), m_subscribe(std::move(subscribe)), m_counters(std::move(counters)) {}

    Connection connect(const SessionInfo& info) override {
        if (info.topic != m_topic) return {nullptr, ReaderState::waiting_for_writer, true};
        auto schema = announced_schema(info);
        if (!schema) return {nullptr, ReaderState::waiting_for_writer, true};
        // The writer's QoS (a forged depth is bounded by set_payload_qos).
        auto subscriber = m_subscribe(PayloadQos{info.payload_reliable, info.payload_depth});
        return {std::make_unique<RemoteFrameSource>(info, std::move(schema), std::move(subscriber), m_counters),
                ReaderState::attached};
    }

    // Nothing to look at without being told: a remote writer is known by its info only.
    Connection probe() override { return {nullptr, ReaderState::waiting_for_writer}; }

private:
    std::string m_topic;
    SubscriberFactory m_subscribe;
    std::shared_ptr<FrameCounters> m_counters;
};

}  // namespace

std::unique_ptr<Connector> make_remote_connector(std::string topic, SubscriberFactory subscribe,
                                                 std::shared_ptr<FrameCounters> counters) {
    return std::make_unique<RemoteConnector>(std::move(topic), std::move(subscribe), std::move(counters));
}

}  // namespace smx::detail
