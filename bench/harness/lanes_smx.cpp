// smx's own lanes: loan + publish -> next(Hold::pin) (zero copy, the reader blocking at once or
// spinning first), write -> copy_next (copy), and loan + publish -> a reader on the network path
// (Transport::dds), the writer compressing or not.

#include "lanes.hpp"
#include "os.hpp"
#include "scene.hpp"
#include "stamp.hpp"

#include <cstring>
#include <vector>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A loan source that also keeps idle writers of `idle` more topics alive (the wait set lane).
class SmxIdleWriters {
public:
    SmxIdleWriters(const Participant& p, const std::string& topic, unsigned idle) {
        const Schema small{{"x", DType::Kind::u4, {1}}};
        for (unsigned i = 0; i < idle; ++i) m_writers.push_back(std::make_unique<Writer>(p, waitset_idle_topic(topic, i), small));
    }

private:
    std::vector<std::unique_ptr<Writer>> m_writers;
};

WriterOptions smx_writer_options(Compression compression = Compression::none) {
    WriterOptions o;
    o.network.compression = compression;
    o.slots = SLOTS;
    // Throughput runs with pinning readers: wait for a release rather than fail at once.
    o.when_full = WhenFull::wait;
    o.full_wait = 100ms;
    return o;
}

// loan + publish: the producer fills the slot in place (here: the stamps only, or for the
// network lanes camera-like content first, since compression depends on it; filling is the
// producer's own work, excluded from the cost). The timestamp is taken as publish starts.
class SmxLoanSource final : public Source {
public:
    SmxLoanSource(const Participant& p, const std::string& topic, const Schema& schema,
                  Compression compression = Compression::none, bool camera_content = false)
        : m_writer(p, topic, schema, smx_writer_options(compression)) {
        init(schema, camera_content);
    }
    // The wait set lane's writer: the frames' writer, and idle writers of `idle` more topics.
    SmxLoanSource(const Participant& p, const std::string& topic, const Schema& schema, unsigned idle)
        : m_writer(p, topic, schema, smx_writer_options()), m_idle(std::make_unique<SmxIdleWriters>(p, topic, idle)) {}

    void init(const Schema& schema, bool camera_content) {
        if (!camera_content) return;
        m_content.resize(schema.frame_size());
        fill_scene(schema, m_content);
    }

    Published publish() override {
        const auto t0 = Clock::now();
        std::optional<Loan> loan = m_writer.loan();
        const auto t1 = Clock::now();
        if (!loan) return {};
        const std::uint64_t n = loan->frame_number();
        const Schema& schema = m_writer.schema();
        for (std::size_t i = 0; i < schema.size(); ++i) {
            const std::span<std::byte> field = loan->bytes(i);
            if (!m_content.empty()) std::memcpy(field.data(), m_content.data() + schema.offset(i), field.size());
            baseline::stamp(field, n);
        }
        loan->set_timestamp_ns(baseline::realtime_ns());
        const auto t2 = Clock::now();
        const PublishResult r = m_writer.publish(std::move(*loan));
        const auto t3 = Clock::now();
        return {r ? r.frame_number : 0, ns_between(t0, t1) + ns_between(t2, t3)};
    }

private:
    Writer m_writer;
    std::unique_ptr<SmxIdleWriters> m_idle;
    std::vector<std::byte> m_content;  // empty: stamps only
};

// write: copies the caller's arrays (one pre-faulted buffer in the slot layout) into a slot.
class SmxWriteSource final : public Source {
public:
    SmxWriteSource(const Participant& p, const std::string& topic, const Schema& schema)
        : m_writer(p, topic, schema, smx_writer_options()), m_frame(schema.frame_size()) {
        for (std::size_t i = 0; i < m_frame.size(); ++i) m_frame[i] = static_cast<std::byte>(i * 131 + 7);
        for (std::size_t i = 0; i < schema.size(); ++i)
            m_fields.emplace_back(m_frame.data() + schema.offset(i), schema[i].dtype, schema[i].shape,
                                  m_writer.schema()[i].name);  // the writer's schema outlives these views
    }

    std::int64_t floor_copy() override {
        if (m_floor.empty())
            for (std::uint32_t i = 0; i < SLOTS; ++i) m_floor.push_back(std::make_unique<Prefaulted>(m_frame.size()));
        std::byte* dst = m_floor[m_next_floor++ % m_floor.size()]->data();
        const auto t0 = Clock::now();
        std::memcpy(dst, m_frame.data(), m_frame.size());
        const auto t1 = Clock::now();
        m_sink = dst[m_frame.size() - 1];
        return ns_between(t0, t1);
    }

    Published publish() override {
        const std::uint64_t n = m_writer.frames_published() + 1;
        stamp_fields(m_writer.schema(), m_frame.data(), n);
        const std::int64_t ts = baseline::realtime_ns();
        const auto t0 = Clock::now();
        const PublishResult r = m_writer.write(std::span<const ArrayRef>(m_fields), ts);
        const auto t1 = Clock::now();
        return {r ? r.frame_number : 0, ns_between(t0, t1)};
    }

private:
    Writer m_writer;
    std::vector<std::byte> m_frame;
    std::vector<ArrayRef> m_fields;
    std::vector<std::unique_ptr<Prefaulted>> m_floor;
    std::size_t m_next_floor = 0;
    volatile std::byte m_sink{};
};

// next(Hold::pin): the frame is ours, unchanged, the moment next() returns.
class SmxPinSink final : public Sink {
public:
    SmxPinSink(const Participant& p, const std::string& topic, const Schema& schema, ReaderOptions options = {})
        : m_reader(p, topic, schema, options) {}
    bool wait_ready(std::chrono::nanoseconds timeout) override { return m_reader.wait_for_writer(timeout); }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        std::optional<Frame> f = m_reader.next(timeout, Hold::pin);
        if (!f) return std::nullopt;
        const std::int64_t held = baseline::realtime_ns();
        bool intact = true;
        for (std::size_t i = 0; i < f->schema().size() && intact; ++i)
            intact = baseline::stamped(f->bytes(i), f->frame_number());
        return Got{f->frame_number(), f->timestamp_ns(), held, intact};  // the pin is released here
    }
    std::uint64_t missed() const override { return m_reader.stats().missed; }
    void interrupt() noexcept override { m_reader.interrupt(); }

private:
    Reader m_reader;
};

// A wait set over this lane's reader and `idle` more readers (of the idle writers' topics the
// source made): wait, then next(Hold::pin) of the reader it names. What a loop over many topics
// pays per frame beside a reader blocked in next() alone.
class SmxWaitSetSink final : public Sink {
public:
    SmxWaitSetSink(const Participant& p, const std::string& topic, const Schema& schema, unsigned idle)
        : m_reader(p, topic, schema) {
        m_set.attach(m_reader);
        for (unsigned i = 0; i < idle; ++i) {
            m_idle.push_back(std::make_unique<Reader>(p, waitset_idle_topic(topic, i)));
            m_set.attach(*m_idle.back());
        }
    }
    bool wait_ready(std::chrono::nanoseconds timeout) override {
        if (!m_reader.wait_for_writer(timeout)) return false;
        for (auto& r : m_idle)
            if (!r->wait_for_writer(timeout)) return false;
        return true;
    }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (std::optional<Frame> f = m_reader.next(0ns, Hold::pin)) {
                const std::int64_t held = baseline::realtime_ns();
                bool intact = true;
                for (std::size_t i = 0; i < f->schema().size() && intact; ++i)
                    intact = baseline::stamped(f->bytes(i), f->frame_number());
                return Got{f->frame_number(), f->timestamp_ns(), held, intact};
            }
            const auto now = Clock::now();
            if (now >= deadline) return std::nullopt;
            const WaitResult r = m_set.wait(deadline - now);
            if (r.woken) return std::nullopt;  // interrupt()
        }
    }
    std::uint64_t missed() const override { return m_reader.stats().missed; }
    void interrupt() noexcept override { m_set.wake(); }

private:
    Reader m_reader;
    std::vector<std::unique_ptr<Reader>> m_idle;
    WaitSet m_set;  // declared last: destroyed before the readers it holds
};

// copy_next: a consistent copy in our own (pre-faulted) memory.
class SmxCopySink final : public Sink {
public:
    SmxCopySink(const Participant& p, const std::string& topic, const Schema& schema)
        : m_reader(p, topic, schema), m_schema(schema), m_copy(schema.frame_size(), std::byte{1}) {}
    bool wait_ready(std::chrono::nanoseconds timeout) override { return m_reader.wait_for_writer(timeout); }
    std::optional<Got> next(std::chrono::nanoseconds timeout) override {
        const CopyResult r = m_reader.copy_next(m_copy, timeout);
        if (!r) return std::nullopt;
        const std::int64_t held = baseline::realtime_ns();
        return Got{r.info.frame_number, r.info.timestamp_ns, held,
                   fields_stamped(m_schema, m_copy.data(), r.info.frame_number)};
    }
    std::uint64_t missed() const override { return m_reader.stats().missed; }
    void interrupt() noexcept override { m_reader.interrupt(); }

private:
    Reader m_reader;
    Schema m_schema;
    std::vector<std::byte> m_copy;
};

}  // namespace

std::string waitset_idle_topic(const std::string& topic, unsigned i) { return topic + "_idle" + std::to_string(i); }

std::unique_ptr<Source> make_smx_source(const LaneContext& c, const Lane& lane, const std::string& topic) {
    const Schema schema = lane.payload.schema();
    if (lane.path == Path::smx_copy) return std::make_unique<SmxWriteSource>(c.participant, topic, schema);
    if (is_remote(lane.path)) {
        const Compression compression = lane.path == Path::smx_remote_lz4    ? Compression::lz4
                                        : lane.path == Path::smx_remote_zstd ? Compression::zstd
                                                                             : Compression::none;
        return std::make_unique<SmxLoanSource>(c.participant, topic, schema, compression, true);
    }
    if (lane.path == Path::smx_waitset_8) return std::make_unique<SmxLoanSource>(c.participant, topic, schema, WAITSET_IDLE_TOPICS);
    return std::make_unique<SmxLoanSource>(c.participant, topic, schema);
}

std::unique_ptr<Sink> make_smx_sink(const LaneContext& c, const Lane& lane, const std::string& topic) {
    const Schema schema = lane.payload.schema();
    if (lane.path == Path::smx_zero_copy_spin) {
        ReaderOptions spinning;
        spinning.spin = c.spin;
        return std::make_unique<SmxPinSink>(c.participant, topic, schema, spinning);
    }
    if (is_remote(lane.path)) {
        ReaderOptions remote;
        remote.transport = Transport::dds;  // as a reader on another host: frames whole over DDS
        return std::make_unique<SmxPinSink>(c.participant, topic, schema, remote);
    }
    if (lane.path == Path::smx_waitset_1) return std::make_unique<SmxWaitSetSink>(c.participant, topic, schema, 0);
    if (lane.path == Path::smx_waitset_8)
        return std::make_unique<SmxWaitSetSink>(c.participant, topic, schema, WAITSET_IDLE_TOPICS);
    // Measuring the writer's cost, a reader that copies would compete for memory bandwidth.
    if (lane.path == Path::smx_copy && c.mode != Mode::cost)
        return std::make_unique<SmxCopySink>(c.participant, topic, schema);
    return std::make_unique<SmxPinSink>(c.participant, topic, schema);
}

}  // namespace smx::cli::bench
