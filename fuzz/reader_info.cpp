// Fuzz target: what a reader does with session info — the reader core (src/reader_core.cpp)
// with the real local connector (make_local_connector: LocalConnector::connect, attaching,
// the doorbell, the slot table), fed announced infos of any content, while the slot table,
// reader table, doorbell words and header of a live writer's segment hold hostile values
// (written before it attaches and between its calls, as any process that can map the
// segment could). Whatever it is told or finds, the reader ignores, attaches, or throws an
// smx::Error; it never crashes, and an info that names another segment never attaches.
//
// Input: flags (1 byte), up to three session infos, then operations (1 byte each plus their
// arguments) on the reader: reads of each kind, hostile writes into the segment's control
// part, a frame published by the writer, dropping or using the frames held.
//
// The writer is this process: one segment per process (3 slots, 4 registrations) made once,
// its control part restored before each input.

#include "fuzz_support.hpp"

#include "channel.hpp"
#include "local_source.hpp"
#include "names.hpp"
#include "reader_core.hpp"
#include "shm/layout.hpp"
#include "shm/process.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"

#include <smx/error.hpp>
#include <smx/frame.hpp>

#include <deque>
#include <memory>
#include <optional>

namespace {

using namespace smx;
using namespace smx::detail;
using namespace std::chrono_literals;
using smx::fuzz::check;

constexpr int DOMAIN = 230;
const Schema WRITER_SCHEMA{{"a", DType::Kind::i4, {4}}, {"b", DType::Kind::f4, {2, 3}}};
const Schema OTHER_SCHEMA{{"a", DType::Kind::i4, {5}}};

enum Flag : std::uint8_t {
    ABSENT = 1,         // the reader's topic has no segment
    TEMPLATE = 2,       // the reader expects a schema: the writer's ...
    OTHER_TEMPLATE = 4, // ... or one that differs from it
};

// Which parts of an info are taken from the input; the others are what the writer would say.
enum InfoFlag : std::uint8_t {
    OWN_SHM_NAME = 1,
    OWN_TOPIC = 2,
    OWN_HOST = 4,
    OWN_LAYOUT = 8,
};

struct Writer {
    std::string topic, absent_topic;
    std::unique_ptr<Segment> segment;
    std::vector<std::byte> pristine;  // the control part as created
};

Writer& writer() {
    static Writer* w = [] {
        smx::fuzz::remove_stale_objects();
        auto* made = new Writer;
        made->topic = smx::fuzz::process_tag() + "-reader";
        made->absent_topic = smx::fuzz::process_tag() + "-absent";
        SegmentConfig c;
        c.domain_id = DOMAIN;
        c.topic = made->topic;
        c.slots = 3;
        c.reader_capacity = 4;
        c.session = 7;
        made->segment = Segment::create(c, WRITER_SCHEMA);
        const auto* control = reinterpret_cast<const std::byte*>(&made->segment->header());
        made->pristine.assign(control, control + made->segment->header().payload_offset);
        std::atexit([] { writer().segment->unlink(); });  // a crash leaves it: see remove_stale_objects
        return made;
    }();
    return *w;
}

// The segment's control part (header, slot table, reader table) as the writer maps it.
std::byte* control() { return reinterpret_cast<std::byte*>(&writer().segment->header()); }

void restore() {
    std::memcpy(static_cast<void*>(control()), writer().pristine.data(), writer().pristine.size());
}

// A write of up to 16 bytes anywhere in the control part; mostly into the slot and reader
// tables and the doorbell (what changes while a writer runs), sometimes into the header.
void hostile_write(smx::fuzz::Input& in) {
    // The bounds are the writer's own (the pristine header): the live one may be hostile by now.
    const auto& h = *reinterpret_cast<const SegmentHeader*>(writer().pristine.data());
    const std::uint64_t control_size = writer().pristine.size();
    const std::uint8_t where = in.u8();
    const std::uint16_t at = in.u16();
    const std::string bytes = in.bytes(in.u8() % 17);
    constexpr std::uint64_t doorbell = offsetof(SegmentHeader, pin_release_epoch);
    std::uint64_t offset = 0;
    switch (where % 4) {
        case 0: offset = h.slot_table_offset + at % (control_size - h.slot_table_offset); break;
        case 1: offset = doorbell + at % (sizeof(SegmentHeader) - doorbell); break;
        case 2: offset = h.slot_table_offset + at % (sizeof(SlotRecord) * h.slot_count); break;
        default: offset = at % control_size; break;
    }
    const std::size_t n = std::min<std::size_t>(bytes.size(), control_size - offset);
    std::memcpy(static_cast<void*>(control() + offset), bytes.data(), n);
}

SessionInfo read_info(smx::fuzz::Input& in, const std::string& topic) {
    const std::uint8_t own = in.u8();
    SessionInfo info;
    info.session = in.u64();
    info.pid = static_cast<std::int32_t>(in.u32());
    info.host = (own & OWN_HOST) ? in.str() : host_name();
    info.topic = (own & OWN_TOPIC) ? in.str() : topic;
    info.shm_name = (own & OWN_SHM_NAME) ? in.str() : segment_name(DOMAIN, topic);
    info.layout_version = (own & OWN_LAYOUT) ? in.u32() : LAYOUT_VERSION;
    info.slot_count = in.u32();
    info.reader_capacity = in.u32();
    info.frame_size = in.u64();
    info.schema_hash = in.u64();
    for (std::size_t i = in.u8() % 4; i > 0; --i) {
        FieldDescription f;
        f.name = in.str();
        f.dtype = in.str(8);
        for (std::size_t d = in.u8() % 10; d > 0; --d) f.shape.push_back(in.u64());
        f.offset = in.u64();
        info.fields.push_back(std::move(f));
    }
    return info;
}

// Session info as the DDS channel would hand it over: one per take_info(), in order.
class Infos final : public SessionSource {
public:
    explicit Infos(std::deque<SessionInfo> infos) : m_infos(std::move(infos)) {}
    ChannelEvent wait(std::chrono::nanoseconds) override {
        return m_infos.empty() ? ChannelEvent::timeout : ChannelEvent::info;
    }
    std::optional<SessionInfo> take_info() override {
        if (m_infos.empty()) return std::nullopt;
        SessionInfo info = std::move(m_infos.front());
        m_infos.pop_front();
        return info;
    }
    void interrupt() noexcept override {}
    void set_notify(std::function<void()>) override {}

private:
    std::deque<SessionInfo> m_infos;
};

// Whether an info can attach a reader of `topic` at all (the connector's first check).
bool names_this_segment(const SessionInfo& info, const std::string& topic) {
    return info.topic == topic && info.shm_name == segment_name(DOMAIN, topic);
}

void use(const Frame& f, std::vector<std::byte>& buffer) {
    (void)f.valid();
    buffer.resize(f.schema().frame_size());
    (void)f.copy_into(buffer);
    for (std::size_t i = 0; i < f.schema().size(); ++i) (void)f.bytes(i);
    (void)f.field<std::int32_t>("a");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)writer();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Writer& w = writer();
    restore();
    smx::fuzz::Input in(data, size);
    const std::uint8_t flags = in.u8();
    const std::string topic = (flags & ABSENT) ? w.absent_topic : w.topic;
    std::optional<Schema> expected;
    if (flags & TEMPLATE) expected = (flags & OTHER_TEMPLATE) ? OTHER_SCHEMA : WRITER_SCHEMA;

    std::deque<SessionInfo> infos;
    for (std::size_t i = in.u8() % 4; i > 0; --i) infos.push_back(read_info(in, topic));
    const auto foreign = static_cast<std::uint64_t>(
        std::count_if(infos.begin(), infos.end(), [&](const SessionInfo& i) { return !names_this_segment(i, topic); }));
    std::size_t writes = in.u8() % 4;
    bool hostile = writes > 0;
    for (; writes > 0; --writes) hostile_write(in);  // before the reader comes

    auto counters = std::make_shared<FrameCounters>();
    std::optional<ReaderCore> core;
    core.emplace(topic, expected, ReaderOptions{}, std::make_unique<Infos>(std::move(infos)),
                 make_local_connector(DOMAIN, topic, counters), counters);
    std::vector<Frame> held;
    std::vector<std::byte> buffer;
    const CopyBuffer copy_buffer = [&](const std::shared_ptr<const Schema>& s) {
        buffer.resize(s->frame_size());
        return std::span<std::byte>(buffer);
    };
    const CopyBuffer small_buffer = [&](const std::shared_ptr<const Schema>&) {
        buffer.resize(1);
        return std::span<std::byte>(buffer);
    };
    // The writer publishes as it would (its slot choice reads the hostile pins and marks too).
    SlotWriter slots(*w.segment);
    std::uint64_t published = 0;
    using smx::fuzz::note;
    for (int ops = 0; ops < 16 && in.remaining() > 0; ++ops) {
        try {
            std::optional<Frame> f;
            const int op = in.u8() % 12;
            note("op " + std::to_string(op));
            switch (op) {
                case 0: f = core->latest(Hold::view); break;
                case 1: f = core->latest(Hold::pin); break;
                case 2: f = core->next(0ns, Hold::view); break;
                case 3: f = core->next(0ns, Hold::pin); break;
                case 4: (void)core->copy_latest(copy_buffer); break;
                case 5: (void)core->copy_next(copy_buffer, 0ns); break;
                case 6: (void)core->copy_latest(small_buffer); break;
                case 7: (void)core->wait_for_writer(0ns); break;
                case 8:
                    hostile_write(in);
                    hostile = true;
                    break;
                case 9: held.clear(); break;
                case 10:
                    if (const auto slot = slots.acquire(0ns)) {
                        ++published;
                        slots.commit(*slot, published, 1000 * static_cast<std::int64_t>(published));
                    }
                    break;
                default:
                    for (const Frame& h : held) use(h, buffer);
                    break;
            }
            if (f) {
                note("frame " + std::to_string(f->frame_number()) + (f->pinned() ? " pinned" : ""));
                check(f->schema() == *core->schema(), "a frame has the schema of the writer attached");
                use(*f, buffer);
                if (held.size() < 8) held.push_back(std::move(*f));
            }
        } catch (const smx::Error& e) {
            // What the reader reports to its user: allowed, whatever the input.
            note(std::string("error: ") + e.what());
        }
        const ReaderStats stats = core->stats();
        note("state " + std::to_string(static_cast<int>(core->state())) + ", attachments " +
             std::to_string(stats.attachments) + ", ignored " + std::to_string(stats.notices_ignored) +
             ", delivered " + std::to_string(stats.delivered));
        check(!(flags & ABSENT) || (stats.attachments == 0 && core->state() != ReaderState::attached),
              "attached to a topic without a segment");
        check(stats.notices_ignored <= foreign, "only infos naming another segment are ignored");
        if (!hostile && core->state() == ReaderState::attached)
            check(*core->schema() == WRITER_SCHEMA, "an untouched segment's schema is the writer's");
    }
    held.clear();
    core.reset();
    if (!hostile) {
        // Gone with the reader: its registration, its pins and its marks.
        const Segment& seg = *w.segment;
        for (std::uint32_t r = 0; r < seg.reader_capacity(); ++r) {
            check(seg.reader(r).pid.load() == 0, "a registration left behind");
            for (std::uint32_t s = 0; s < seg.slot_count(); ++s) check(seg.reader(r).pins()[s].load() == 0, "a pin left behind");
        }
        check(seg.header().registered[0].load() == 0 && seg.header().sleeping[0].load() == 0, "a mark left behind");
    }
    return 0;
}
