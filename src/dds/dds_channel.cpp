#include "dds/dds_channel.hpp"

#include "dds/entity.hpp"
#include "dds/wire.hpp"
#include "fork.hpp"
#include "names.hpp"
#include "smx_wire.h"

#include <smx/error.hpp>

#include <atomic>
#include <cstring>

namespace smx::detail {

namespace {

// reliable, transient-local, keep-last `depth`; writers do not dispose on unregister so that
// only an explicit retire() (or a lost writer) reads as "gone".
void set_common_qos(const Qos& q, std::int32_t depth) {
    dds_qset_reliability(q.get(), DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    dds_qset_durability(q.get(), DDS_DURABILITY_TRANSIENT_LOCAL);
    dds_qset_history(q.get(), DDS_HISTORY_KEEP_LAST, depth);
    dds_qset_destination_order(q.get(), DDS_DESTINATIONORDER_BY_RECEPTION_TIMESTAMP);
}

// A C string owned by `storage` for the lifetime of the sample being written.
char* cstr(const std::string& s) { return const_cast<char*>(s.c_str()); }

class DdsAnnouncer final : public Announcer {
public:
    DdsAnnouncer(std::shared_ptr<ParticipantImpl> participant, const SessionInfo& info)
        : m_participant(std::move(participant)), m_topic(info.topic), m_info(info) {
        const dds_entity_t pp = m_participant->entity();
        m_info_topic = make_topic(pp, &smx_wire_Info_desc, dds_topic_name("info", info.topic), info.topic);
        m_notice_topic = make_topic(pp, &smx_wire_Notice_desc, dds_topic_name("notice", info.topic), info.topic);
        {
            Qos q;
            set_common_qos(q, 1);
            dds_qset_writer_data_lifecycle(q.get(), false);
            m_info_writer = Entity(dds_check(dds_create_writer(pp, m_info_topic.get(), q.get(), nullptr),
                                             "creating the info writer of topic '" + m_topic + "'"));
        }
        {
            Qos q;
            set_common_qos(q, static_cast<std::int32_t>(info.slot_count));
            dds_qset_writer_data_lifecycle(q.get(), false);
            m_listener = dds_create_listener(this);
            dds_lset_publication_matched(m_listener, &DdsAnnouncer::on_publication_matched);
            m_notice_writer = Entity(dds_check(dds_create_writer(pp, m_notice_topic.get(), q.get(), m_listener),
                                               "creating the notice writer of topic '" + m_topic + "'"));
        }
        fill_info_sample();
        dds_check(dds_write(m_info_writer.get(), &m_info_sample), "announcing topic '" + m_topic + "'");
    }

    ~DdsAnnouncer() override {
        retire();
        if (m_listener) dds_delete_listener(m_listener);
    }

    void announce(const Notice& n) override {
        // Kept current by Cyclone's listener thread: one relaxed load per frame, and no
        // serialisation, no sendmsg and no wake-up of anyone while nobody reads notices.
        if (m_notice_readers.load(std::memory_order_relaxed) <= 0) return;
        smx_wire_Notice s{};
        s.session = n.session;
        s.slot = n.slot;
        s.seq = n.seq;
        s.frame_number = n.frame_number;
        s.timestamp_ns = n.timestamp_ns;
        dds_check(dds_write(m_notice_writer.get(), &s),
                  "publishing frame " + std::to_string(n.frame_number) + " of topic '" + m_topic + "'");
    }

    void retire() noexcept override {
        if (m_retired) return;
        m_retired = true;
        if (!m_process.is_current()) return;  // the parent's writer speaks for the topic, not a forked child
        // Disposing the (keyless) info instance is what readers see as "writer gone".
        dds_dispose(m_info_writer.get(), &m_info_sample);
        m_notice_writer = Entity();
        m_info_writer = Entity();
    }

private:
    OwnerProcess m_process;
    static void on_publication_matched(dds_entity_t, const dds_publication_matched_status_t status, void* self) {
        static_cast<DdsAnnouncer*>(self)->m_notice_readers.store(static_cast<std::int32_t>(status.current_count),
                                                                 std::memory_order_relaxed);
    }

    void fill_info_sample() {
        m_fields.resize(m_info.fields.size());
        for (std::size_t i = 0; i < m_info.fields.size(); ++i) {
            const FieldDescription& f = m_info.fields[i];
            smx_wire_FieldInfo& w = m_fields[i];
            w.name = cstr(f.name);
            w.dtype = cstr(f.dtype);
            w.shape._maximum = w.shape._length = static_cast<std::uint32_t>(f.shape.size());
            w.shape._buffer = const_cast<std::uint64_t*>(f.shape.data());
            w.shape._release = false;
            w.offset = f.offset;
            w.bounded = f.bounded;
        }
        smx_wire_Info& s = m_info_sample;
        s.session = m_info.session;
        s.host = cstr(m_info.host);
        s.machine = cstr(m_info.machine);
        s.pid = m_info.pid;
        s.topic = cstr(m_info.topic);
        s.shm_name = cstr(m_info.shm_name);
        s.slot_count = m_info.slot_count;
        s.reader_capacity = m_info.reader_capacity;
        s.layout_version = m_info.layout_version;
        s.frame_size = m_info.frame_size;
        s.schema_hash = m_info.schema_hash;
        s.payload_reliable = m_info.payload_reliable;
        s.payload_depth = m_info.payload_depth;
        s.payload_encoding = m_info.payload_encoding;
        s.fields._maximum = s.fields._length = static_cast<std::uint32_t>(m_fields.size());
        s.fields._buffer = m_fields.data();
        s.fields._release = false;
    }

    std::shared_ptr<ParticipantImpl> m_participant;
    std::string m_topic;
    SessionInfo m_info;
    std::vector<smx_wire_FieldInfo> m_fields;
    smx_wire_Info m_info_sample{};
    std::atomic<std::int32_t> m_notice_readers{0};
    dds_listener_t* m_listener = nullptr;  // outlives the notice writer (deleted after it)
    Entity m_info_topic, m_notice_topic, m_info_writer, m_notice_writer;
    bool m_retired = false;
};

// Session info only: local readers learn of frames from the segment's doorbell, so they
// create no notice reader (and the writer, seeing none matched, sends no notices).
class DdsSessionSource final : public SessionSource {
public:
    DdsSessionSource(std::shared_ptr<ParticipantImpl> participant, const std::string& topic)
        : m_participant(std::move(participant)), m_topic(topic) {
        const dds_entity_t pp = m_participant->entity();
        m_info_topic = make_topic(pp, &smx_wire_Info_desc, dds_topic_name("info", topic), topic);
        {
            Qos q;
            set_common_qos(q, 1);
            m_listener = dds_create_listener(this);
            dds_lset_data_available(m_listener, &DdsSessionSource::on_data);
            m_info_reader = Entity(dds_check(dds_create_reader(pp, m_info_topic.get(), q.get(), m_listener),
                                             "creating the info reader of topic '" + topic + "'"));
        }
        m_info_cond = Entity(dds_check(dds_create_readcondition(m_info_reader.get(), DDS_ANY_STATE),
                                       "creating a read condition for topic '" + topic + "'"));
        m_guard = Entity(dds_check(dds_create_guardcondition(pp), "creating a guard condition"));
        m_waitset = Entity(dds_check(dds_create_waitset(pp), "creating a waitset"));
        dds_check(dds_waitset_attach(m_waitset.get(), m_info_cond.get(), INFO_TOKEN), "attaching to a waitset");
        dds_check(dds_waitset_attach(m_waitset.get(), m_guard.get(), GUARD_TOKEN), "attaching to a waitset");
    }

    ~DdsSessionSource() override {
        // The waitset must go before the conditions attached to it, the reader before its listener.
        m_waitset = Entity();
        m_info_cond = Entity();
        m_info_reader = Entity();
        if (m_listener) dds_delete_listener(m_listener);
    }

    ChannelEvent wait(std::chrono::nanoseconds timeout) override {
        dds_attach_t triggered[2];
        const dds_duration_t t = timeout.count() < 0 ? 0 : static_cast<dds_duration_t>(timeout.count());
        const dds_return_t n = dds_check(dds_waitset_wait(m_waitset.get(), triggered, 2, t),
                                         "waiting for the writer of topic '" + m_topic + "'");
        ChannelEvent ev = ChannelEvent::timeout;
        for (dds_return_t i = 0; i < n; ++i) {
            if (triggered[i] == GUARD_TOKEN) {
                bool was = false;
                dds_take_guardcondition(m_guard.get(), &was);
                return ChannelEvent::interrupted;
            }
            ev = ChannelEvent::info;
        }
        return ev;
    }

    std::optional<SessionInfo> take_info() override {
        std::optional<SessionInfo> newest;
        for (;;) {
            void* samples[4] = {};
            dds_sample_info_t infos[4];
            const dds_return_t n = dds_take(m_info_reader.get(), samples, infos, 4, 4);
            if (n <= 0) break;
            for (dds_return_t i = 0; i < n; ++i) {
                if (!infos[i].valid_data) continue;
                newest = session_info_from_wire(*static_cast<const smx_wire_Info*>(samples[i]));
                newest->publisher = participant_of_publication(m_info_reader.get(), infos[i].publication_handle);
            }
            dds_return_loan(m_info_reader.get(), samples, n);
        }
        return newest;
    }

    void interrupt() noexcept override { dds_set_guardcondition(m_guard.get(), true); }

    void set_notify(std::function<void()> fn) override { m_notify.set(std::move(fn)); }

private:
    static constexpr dds_attach_t INFO_TOKEN = 1, GUARD_TOKEN = 2;

    static void on_data(dds_entity_t, void* self) { static_cast<DdsSessionSource*>(self)->m_notify(); }

    std::shared_ptr<ParticipantImpl> m_participant;
    std::string m_topic;
    dds_listener_t* m_listener = nullptr;  // outlives the info reader (deleted after it)
    Notify m_notify;
    // Declaration order is destruction order reversed: waitset last declared, first destroyed.
    Entity m_info_topic, m_info_reader, m_info_cond, m_guard, m_waitset;
};

}  // namespace

SessionInfo session_info_from_wire(const smx_wire_Info& s) {
    SessionInfo info;
    info.session = s.session;
    info.host = s.host ? s.host : "";
    info.machine = s.machine ? s.machine : "";
    info.pid = s.pid;
    info.topic = s.topic ? s.topic : "";
    info.shm_name = s.shm_name ? s.shm_name : "";
    info.slot_count = s.slot_count;
    info.reader_capacity = s.reader_capacity;
    info.layout_version = s.layout_version;
    info.frame_size = s.frame_size;
    info.schema_hash = s.schema_hash;
    info.payload_reliable = s.payload_reliable;
    info.payload_depth = s.payload_depth;
    info.payload_encoding = s.payload_encoding;
    for (std::uint32_t i = 0; i < s.fields._length; ++i) {
        const smx_wire_FieldInfo& f = s.fields._buffer[i];
        FieldDescription d;
        d.name = f.name ? f.name : "";
        d.dtype = f.dtype ? f.dtype : "";
        d.shape.assign(f.shape._buffer, f.shape._buffer + f.shape._length);
        d.offset = f.offset;
        d.bounded = f.bounded;
        info.fields.push_back(std::move(d));
    }
    return info;
}

std::string dds_topic_name(const char* kind, const std::string& topic) {
    return std::string("smx_") + kind + "_" + dds_escape_topic(topic);
}

std::unique_ptr<Announcer> make_dds_announcer(std::shared_ptr<ParticipantImpl> participant, const SessionInfo& info) {
    return std::make_unique<DdsAnnouncer>(std::move(participant), info);
}

std::unique_ptr<SessionSource> make_dds_session_source(std::shared_ptr<ParticipantImpl> participant,
                                                      const std::string& topic) {
    return std::make_unique<DdsSessionSource>(std::move(participant), topic);
}

}  // namespace smx::detail
