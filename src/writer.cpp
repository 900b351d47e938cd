#include <smx/writer.hpp>

#include <smx/log.hpp>

#include "channel.hpp"
#include "dds/dds_channel.hpp"
#include "dds/dds_payload.hpp"
#include "fork.hpp"
#include "shm/layout.hpp"
#include "names.hpp"
#include "remote_sender.hpp"
#include "shm/process.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"
#include "shm/termination.hpp"

#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace smx::detail {

namespace {

// Copies an N-d strided array into contiguous memory, innermost contiguous runs by memcpy.
void strided_copy(std::byte* dst, const std::byte* src, const Shape& shape, const std::int64_t* strides,
                  std::size_t itemsize) {
    const std::size_t nd = shape.ndim();
    if (nd == 0) {
        std::memcpy(dst, src, itemsize);
        return;
    }
    const std::uint64_t inner = shape[nd - 1];
    const bool inner_contiguous = strides[nd - 1] == static_cast<std::int64_t>(itemsize);
    std::array<std::uint64_t, MAX_DIMS> index{};
    const std::uint64_t rows = shape.element_count() / inner;
    for (std::uint64_t row = 0; row < rows; ++row) {
        std::int64_t offset = 0;
        for (std::size_t d = 0; d + 1 < nd; ++d) offset += static_cast<std::int64_t>(index[d]) * strides[d];
        const std::byte* s = src + offset;
        if (inner_contiguous) {
            std::memcpy(dst, s, inner * itemsize);
            dst += inner * itemsize;
        } else {
            for (std::uint64_t i = 0; i < inner; ++i, dst += itemsize)
                std::memcpy(dst, s + static_cast<std::int64_t>(i) * strides[nd - 1], itemsize);
        }
        for (std::size_t d = nd - 1; d-- > 0;) {  // odometer over the outer dimensions
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
}

Encoding encoding_of(Compression c) {
    switch (c) {
        case Compression::none: return Encoding::raw;
        case Compression::lz4: return Encoding::lz4;
        case Compression::zstd: return Encoding::zstd;
    }
    return Encoding::raw;
}

bool is_contiguous(const ArrayRef& a) {
    if (!a.has_strides) return true;
    std::int64_t expected = static_cast<std::int64_t>(a.dtype.itemsize());
    for (std::size_t d = a.shape.ndim(); d-- > 0;) {
        if (a.shape[d] != 1 && a.strides[d] != expected) return false;
        expected *= static_cast<std::int64_t>(a.shape[d]);
    }
    return true;
}

}  // namespace

class WriterImpl : public std::enable_shared_from_this<WriterImpl> {
public:
    WriterImpl(const Participant& participant, std::string topic, Schema schema, const WriterOptions& options)
        : m_participant(participant.impl()), m_topic(std::move(topic)), m_schema(std::move(schema)),
          m_options(options) {
        validate_topic(m_topic);
        if (options.mode & ~07777u)
            throw InvalidArgument("writer of topic '" + m_topic + "': mode " + std::to_string(options.mode) +
                                  " has bits outside 07777");
        check_mode(options.mode);
        if (options.full_wait.count() < 0)
            throw InvalidArgument("writer of topic '" + m_topic + "': full_wait must not be negative");
        if (options.pin_lease.count() <= 0)
            throw InvalidArgument("writer of topic '" + m_topic + "': pin_lease must be positive "
                                  "(std::chrono::nanoseconds::max() never breaks a pin)");
        check_network(options.network);
        SegmentConfig cfg;
        cfg.domain_id = m_participant->domain_id();
        cfg.topic = m_topic;
        cfg.slots = options.slots;
        cfg.reader_capacity = options.reader_capacity;
        cfg.mode = options.mode;
        cfg.session = random_u64() | 1;  // never 0
        try {
            m_segment = Segment::create(cfg, m_schema);
        } catch (const InvalidArgument& e) {
            throw InvalidArgument("writer of topic '" + m_topic + "': " + e.what());
        }
        m_segment_name = m_segment->name();
        m_slots.emplace(*m_segment, options.pin_lease);

        SessionInfo info;
        info.session = cfg.session;
        info.host = host_name();
        info.machine = machine_id();
        info.pid = static_cast<std::int32_t>(::getpid());
        info.topic = m_topic;
        info.shm_name = m_segment->name();
        info.slot_count = cfg.slots;
        info.reader_capacity = cfg.reader_capacity;
        info.layout_version = LAYOUT_VERSION;
        info.frame_size = m_schema.frame_size();
        info.schema_hash = m_schema.hash();
        for (std::size_t i = 0; i < m_schema.size(); ++i) {
            const Field& f = m_schema[i];
            info.fields.push_back({f.name, f.dtype.typestr(), f.shape.to_vector(), m_schema.offset(i), f.bounded});
        }
        const NetworkOptions& net = options.network;
        const Encoding encoding = encoding_of(net.compression);
        info.payload_reliable = net.reliable;
        info.payload_depth = net.depth;
        info.payload_encoding = static_cast<std::uint32_t>(encoding);
        m_sender.emplace(*m_segment,
                         make_dds_payload_publisher(m_participant, m_topic, PayloadQos{net.reliable, net.depth}),
                         encoding, net.compression_level, net.depth - 1);
        m_announcer = make_dds_announcer(m_participant, info);  // on failure m_segment unlinks itself
        m_watch = termination::watch(*m_segment);  // last: nothing below can fail
    }

    ~WriterImpl() { close(); }

    void check_network(const NetworkOptions& n) const {
        const std::string who = "writer of topic '" + m_topic + "': ";
        if (n.depth < 1 || n.depth > PayloadQos::MAX_DEPTH)
            throw InvalidArgument(who + "network.depth " + std::to_string(n.depth) + " is outside 1.." +
                                  std::to_string(PayloadQos::MAX_DEPTH));
        if (n.compression != Compression::none && n.compression != Compression::lz4 && n.compression != Compression::zstd)
            throw InvalidArgument(who + "network.compression is none of none, lz4, zstd");
        if (n.compression == Compression::zstd && (n.compression_level < 1 || n.compression_level > 19))
            throw InvalidArgument(who + "network.compression_level " + std::to_string(n.compression_level) +
                                  " is outside zstd's 1..19");
    }

    // Readers open the segment read-write (registration, pins, doorbell): read access alone is
    // of no use to them, but would let its holders take read locks that disturb the liveness and
    // registration locks (docs/reliability.md, "Threat model"). So each class gets both or none.
    void check_mode(std::uint32_t mode) const {
        const auto rw = [mode](int shift) { return (mode >> shift) & 06u; };
        const bool ok = rw(6) == 06u && (rw(3) == 0u || rw(3) == 06u) && (rw(0) == 0u || rw(0) == 06u);
        if (ok) return;
        char buf[8];
        std::snprintf(buf, sizeof buf, "%04o", mode);
        throw InvalidArgument("writer of topic '" + m_topic + "': mode " + buf +
                              " gives read access without write access (or none to the owner); readers need "
                              "both (they register and pin in the segment), so use 0600 (this user only, the "
                              "default), 0660 (also the file's group) or 0666 (every local user: all of them "
                              "can then write frames too)");
    }

    void close() noexcept {
        // In a forked child nothing shared is touched (fork.hpp): the parent still writes.
        termination::forget(m_watch);
        m_watch = -1;
        if (m_process.is_current()) {
            // Unlink first: the name is free for the next writer at once, even while DDS lingers
            // for acknowledgements below, and a loan's memory_owner() may keep the mapping (and
            // the lock) a while longer.
            if (m_segment) m_segment->unlink();
            if (m_slots) m_slots->close();  // wakes local readers: they see the writer gone at once
            if (m_announcer) m_announcer->retire();
        }
        m_sender.reset();  // before the segment it copies from
        m_announcer.reset();
        m_slots.reset();
        m_segment.reset();
    }

    void check_open() const {
        if (!m_process.is_current()) throw Closed(m_process.inherited_message("the writer of topic '" + m_topic + "'"));
        if (!m_segment) throw Closed("writer of topic '" + m_topic + "' is closed");
    }

    // A truncation is noticed when the writer's own access hits the missing part (bus_guard.hpp):
    // checked before a loan is handed out and after a slot was filled, before it is published.
    void check_intact() const {
        if (m_segment->truncated())
            throw SegmentCorrupt("writer of topic '" + m_topic + "': segment '" + m_segment_name +
                                 "' was truncated by another process while in use, so readers lost it; close this "
                                 "writer and create a new one (and find who writes to " + shm_directory() +
                                 m_segment_name + ")");
    }

    void check_fields(std::span<const ArrayRef> fields) const {
        if (fields.size() != m_schema.size())
            throw InvalidArgument("write to topic '" + m_topic + "': got " + std::to_string(fields.size()) +
                                  " arrays, the schema has " + std::to_string(m_schema.size()) + " fields (" +
                                  m_schema.to_string() + ")");
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const Field& f = m_schema[i];
            const ArrayRef& a = fields[i];
            // Built only when a check fails: this runs on every write.
            const auto where = [&] { return "write to topic '" + m_topic + "', field '" + f.name + "': "; };
            if (!a.name.empty() && a.name != f.name)
                throw InvalidArgument(where() + "got an array named '" + std::string(a.name) +
                                      "' in its place; pass arrays in schema order (" + m_schema.to_string() + ")");
            if (!(a.dtype == f.dtype))
                throw InvalidArgument(where() + "expected dtype " + f.dtype.typestr() + ", got " + a.dtype.typestr());
            if (f.bounded ? !fits_bounded(a.shape, f.shape) : !(a.shape == f.shape))
                throw InvalidArgument(where() + "expected shape " + f.shape_string() + ", got " + a.shape.to_string() +
                                      (f.bounded ? " (a bounded field takes 0.." + std::to_string(f.shape[0]) +
                                                       " rows of the rest of its shape)"
                                                 : std::string()));
            if (a.data == nullptr && a.shape.element_count() != 0) throw InvalidArgument(where() + "data pointer is null");
        }
    }

    // A bounded field takes any number of rows up to its capacity, the other dimensions as declared.
    static bool fits_bounded(const Shape& given, const Shape& field) noexcept {
        if (given.ndim() != field.ndim() || given[0] > field[0]) return false;
        for (std::size_t d = 1; d < field.ndim(); ++d)
            if (given[d] != field[d]) return false;
        return true;
    }

    void store_length(std::uint32_t slot, std::size_t index, std::uint64_t rows) const {
        *reinterpret_cast<std::uint64_t*>(m_segment->payload(slot) + m_schema.length_offset(index)) = rows;
    }

    std::optional<std::uint32_t> acquire() {
        const auto wait = m_options.when_full == WhenFull::wait ? m_options.full_wait : std::chrono::nanoseconds(0);
        const auto slot = m_slots->acquire(wait);
        m_stats.pins_broken = m_slots->pins_broken();
        for (const BrokenPin& b : m_slots->take_broken())
            log(LogLevel::warning,
                "topic '" + m_topic + "': the writer broke the pin of reader pid " + std::to_string(b.pid) +
                    " on slot " + std::to_string(b.slot) + ", which had held it up for longer than its pin lease (" +
                    seconds_text(m_options.pin_lease) + "); that reader's frame is no longer valid. Release frames "
                    "sooner, or raise the writer's pin_lease");
        if (!slot) report_all_slots_held();
        return slot;
    }

    // A writer whose every usable slot is pinned loses frames: say so at once, then at most every
    // HELD_LOG_PERIOD, naming who holds it up.
    void report_all_slots_held() {
        static constexpr auto HELD_LOG_PERIOD = std::chrono::seconds(10);
        const std::uint64_t total = ++m_stats.all_slots_held;
        const auto now = std::chrono::steady_clock::now();
        if (total > 1 && now - m_last_held_log < HELD_LOG_PERIOD) return;
        m_last_held_log = now;
        std::string pids;
        for (const std::uint64_t pid : m_slots->pinning_pids()) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
        std::string msg = "topic '" + m_topic + "': every slot the writer could use is pinned by readers (pid" +
                          (pids.find(',') == std::string::npos ? " " : "s ") + (pids.empty() ? "unknown" : pids) +
                          "), so a frame was not written (" + std::to_string(total) + " so far); readers must release "
                          "pinned frames sooner, or the writer needs more slots (it has " +
                          std::to_string(m_segment->slot_count()) + ")";
        if (m_options.pin_lease != NO_PIN_LEASE)
            msg += "; a pin holding it up for longer than " + seconds_text(m_options.pin_lease) + " is broken";
        log(LogLevel::warning, msg);
    }

    static std::string seconds_text(std::chrono::nanoseconds d) {
        char text[32];
        std::snprintf(text, sizeof text, "%g s", std::chrono::duration<double>(d).count());
        return text;
    }

    PublishResult write(std::span<const ArrayRef> fields, std::optional<std::int64_t> timestamp_ns) {
        const std::int64_t ts = timestamp_ns ? *timestamp_ns : realtime_ns();
        check_open();
        if (m_loan_out)
            throw InvalidArgument("write to topic '" + m_topic + "': a loan is outstanding; publish or drop it first");
        check_fields(fields);
        const auto slot = acquire();
        if (!slot) return {PublishStatus::all_slots_held, 0};
        std::byte* base = m_segment->payload(*slot);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const ArrayRef& a = fields[i];
            const Field& f = m_schema[i];
            std::byte* dst = base + m_schema.offset(i);
            if (f.bounded) store_length(*slot, i, a.shape[0]);
            if (a.shape.element_count() == 0) continue;  // a bounded field of no rows
            if (is_contiguous(a))
                std::memcpy(dst, a.data, f.bounded ? a.shape[0] * f.row_bytes() : f.nbytes());
            else
                strided_copy(dst, static_cast<const std::byte*>(a.data), a.shape, a.strides.data(), a.dtype.itemsize());
        }
        check_intact();
        return commit(*slot, m_published + 1, ts);
    }

    PublishResult commit(std::uint32_t slot, std::uint64_t frame_number, std::int64_t ts) {
        const std::uint64_t seq = m_slots->commit(slot, frame_number, ts);
        m_published = frame_number;
        m_announcer->announce(Notice{m_segment->session(), slot, seq, frame_number, ts});
        m_sender->offer();
        return {PublishStatus::published, frame_number};
    }

    std::optional<Loan> loan() {
        check_open();
        check_intact();
        if (m_loan_out)
            throw InvalidArgument("loan on topic '" + m_topic + "': a loan is already outstanding; publish it first");
        const std::int64_t ts = realtime_ns();
        const auto slot = acquire();
        if (!slot) return std::nullopt;
        m_loan_out = true;
        if (m_schema.has_bounded())
            for (std::size_t i = 0; i < m_schema.size(); ++i)
                if (m_schema[i].bounded) store_length(*slot, i, 0);
        return Loan(shared_from_this(), m_segment, *slot, m_published + 1, ts);
    }

    PublishResult publish(std::uint32_t slot, std::uint64_t frame_number, std::int64_t ts) {
        m_loan_out = false;
        check_open();
        check_intact();
        return commit(slot, frame_number, ts);
    }

    void abandon(std::uint32_t slot) noexcept {
        m_loan_out = false;
        if (m_slots && m_process.is_current()) m_slots->abandon(slot);
    }

    std::byte* slot_data(std::uint32_t slot) const {
        check_open();
        return m_segment->payload(slot);
    }

    std::shared_ptr<ParticipantImpl> m_participant;
    std::string m_topic;
    Schema m_schema;
    WriterOptions m_options;
    std::shared_ptr<Segment> m_segment;  // shared with loans' memory_owner()
    std::optional<SlotWriter> m_slots;
    std::unique_ptr<Announcer> m_announcer;
    std::optional<RemoteSender> m_sender;  // the network path (remote_sender.hpp)
    std::uint64_t m_published = 0;
    WriterStats m_stats;
    std::chrono::steady_clock::time_point m_last_held_log{};
    bool m_loan_out = false;
    std::string m_segment_name;  // kept after close(), for messages and tools
    OwnerProcess m_process;
    int m_watch = -1;  // termination.hpp
};

}  // namespace smx::detail

namespace smx {

Loan::Loan(std::shared_ptr<detail::WriterImpl> writer, std::shared_ptr<const void> memory, std::uint32_t slot,
           std::uint64_t frame_number, std::int64_t timestamp_ns) noexcept
    : m_writer(std::move(writer)), m_memory(std::move(memory)), m_slot(slot), m_frame_number(frame_number),
      m_timestamp_ns(timestamp_ns) {}

Loan::Loan(Loan&& o) noexcept
    : m_writer(std::move(o.m_writer)), m_memory(std::move(o.m_memory)), m_slot(o.m_slot),
      m_frame_number(o.m_frame_number), m_timestamp_ns(o.m_timestamp_ns) {}

Loan& Loan::operator=(Loan&& o) noexcept {
    if (this != &o) {
        if (m_writer) m_writer->abandon(m_slot);
        m_writer = std::move(o.m_writer);
        m_memory = std::move(o.m_memory);
        m_slot = o.m_slot;
        m_frame_number = o.m_frame_number;
        m_timestamp_ns = o.m_timestamp_ns;
    }
    return *this;
}

// A closed writer's abandon() touches nothing: the loan may outlive it.
Loan::~Loan() {
    if (m_writer) m_writer->abandon(m_slot);
}

detail::WriterImpl& Loan::writer() const {
    if (!m_writer) throw Closed("loan was published or moved from");
    return *m_writer;
}

const Schema& Loan::schema() const { return writer().m_schema; }

void* Loan::data(std::size_t index) {
    detail::WriterImpl& w = writer();
    if (index >= w.m_schema.size())
        throw InvalidArgument("field index " + std::to_string(index) + " is out of range (schema has " +
                              std::to_string(w.m_schema.size()) + " fields)");
    return w.slot_data(m_slot) + w.m_schema.offset(index);
}

void Loan::set_length(std::size_t index, std::uint64_t rows) {
    detail::WriterImpl& w = writer();
    w.check_open();
    const Schema& s = w.m_schema;
    if (index >= s.size())
        throw InvalidArgument("field index " + std::to_string(index) + " is out of range (schema has " +
                              std::to_string(s.size()) + " fields)");
    const Field& f = s[index];
    if (!f.bounded)
        throw InvalidArgument("loan on topic '" + w.m_topic + "': field '" + f.name + "' has the fixed shape " +
                              f.shape_string() + "; only a bounded field (shape (<=N, ...)) has a length to set");
    if (rows > f.shape[0])
        throw InvalidArgument("loan on topic '" + w.m_topic + "': field '" + f.name + "' holds at most " +
                              std::to_string(f.shape[0]) + " rows, not " + std::to_string(rows));
    w.store_length(m_slot, index, rows);
}

void Loan::set_length(std::string_view name, std::uint64_t rows) {
    const int index = schema().index_of(name);
    if (index < 0) {
        try {
            (void)schema().field(name);  // its message lists the fields
        } catch (const InvalidArgument& e) {
            throw InvalidArgument("loan on topic '" + writer().m_topic + "': " + e.what());
        }
    }
    set_length(static_cast<std::size_t>(index), rows);
}

std::uint64_t Loan::length(std::size_t index) const {
    detail::WriterImpl& w = writer();
    const Field& f = w.m_schema[index];
    if (!f.bounded) return f.shape.ndim() == 0 ? 1 : f.shape[0];
    return *reinterpret_cast<const std::uint64_t*>(w.slot_data(m_slot) + w.m_schema.length_offset(index));
}

std::shared_ptr<const void> Loan::memory_owner() const {
    detail::WriterImpl& w = writer();
    w.check_open();
    return w.m_segment;
}

std::size_t Loan::checked_index(std::string_view name, DType dtype) const {
    const Schema& s = schema();
    const Field& f = s.field(name);
    if (!(f.dtype == dtype))
        throw InvalidArgument("field '" + f.name + "' has dtype " + f.dtype.typestr() + ", not " + dtype.typestr());
    return static_cast<std::size_t>(s.index_of(name));
}

Writer::Writer(const Participant& participant, std::string topic, Schema schema, WriterOptions options)
    : m_impl(std::make_shared<detail::WriterImpl>(participant, std::move(topic), std::move(schema), options)) {}

// Loans may keep the implementation alive: it is closed here, not when the last one goes.
Writer::~Writer() { close(); }
Writer::Writer(Writer&&) noexcept = default;
Writer& Writer::operator=(Writer&& o) noexcept {
    if (this != &o) {
        close();
        m_impl = std::move(o.m_impl);
    }
    return *this;
}

const detail::WriterImpl& Writer::impl() const {
    if (!m_impl) throw Closed("writer was moved from");
    return *m_impl;
}

PublishResult Writer::write(const ArrayRef* fields, std::size_t count, std::optional<std::int64_t> timestamp_ns) {
    if (!m_impl) throw Closed("writer was moved from");
    return m_impl->write(std::span<const ArrayRef>(fields, count), timestamp_ns);
}

std::optional<Loan> Writer::loan() {
    if (!m_impl) throw Closed("writer was moved from");
    return m_impl->loan();
}

PublishResult Writer::publish(Loan&& loan) {
    if (!m_impl) throw Closed("writer was moved from");
    if (!loan.m_writer) throw Closed("publish: the loan was already published or moved from");
    if (loan.m_writer != m_impl)
        throw InvalidArgument("publish: the loan does not belong to this writer (or was already published)");
    loan.m_writer.reset();
    return m_impl->publish(loan.m_slot, loan.m_frame_number, loan.m_timestamp_ns);
}

void Writer::close() noexcept {
    if (m_impl) m_impl->close();
}

const std::string& Writer::topic() const { return impl().m_topic; }
const Schema& Writer::schema() const { return impl().m_schema; }
const std::string& Writer::segment_name() const { return impl().m_segment_name; }
std::uint64_t Writer::session() const noexcept {
    return m_impl && m_impl->m_segment ? m_impl->m_segment->session() : 0;
}
std::uint32_t Writer::reader_count() const noexcept {
    return m_impl && m_impl->m_slots ? m_impl->m_slots->reader_count() : 0;
}
std::uint64_t Writer::frames_published() const noexcept { return m_impl ? m_impl->m_published : 0; }
WriterStats Writer::stats() const noexcept { return m_impl ? m_impl->m_stats : WriterStats{}; }
std::vector<std::int64_t> Writer::pinning_pids() const {
    std::vector<std::int64_t> out;
    if (m_impl && m_impl->m_slots)
        for (const std::uint64_t pid : m_impl->m_slots->pinning_pids()) out.push_back(static_cast<std::int64_t>(pid));
    return out;
}
NetworkStats Writer::network_stats() const noexcept {
    if (!m_impl || !m_impl->m_sender) return {};
    const detail::RemoteSender& s = *m_impl->m_sender;
    return {s.readers(), s.sent(), s.skipped(), s.bytes_sent()};
}

}  // namespace smx
