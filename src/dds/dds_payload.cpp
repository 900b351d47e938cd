#include "dds/dds_payload.hpp"

#include "dds/dds_channel.hpp"
#include "dds/entity.hpp"
#include "smx_wire.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

namespace smx::detail {

namespace {

// The writer's choice of reliability and keep-last depth (PayloadQos), the same on both sides:
// a reader that cannot keep up gets the newest frames, never a growing queue. Volatile: DDS's
// history would give a reader that joins the last frames *sent*, which may be minutes old (sent
// to a reader that left since); the sender sends a joining reader what the slot table holds
// now instead (remote_sender.hpp), as a local reader finds it. Reliable writes may block (in
// the sender's thread, never the writer's) while frames are not yet acknowledged; so the link
// sets the pace.
void set_payload_qos(const Qos& q, const PayloadQos& qos) {
    dds_qset_reliability(q.get(), qos.reliable ? DDS_RELIABILITY_RELIABLE : DDS_RELIABILITY_BEST_EFFORT, DDS_SECS(1));
    dds_qset_durability(q.get(), DDS_DURABILITY_VOLATILE);
    const std::uint32_t depth = std::clamp<std::uint32_t>(qos.depth, 1, PayloadQos::MAX_DEPTH);
    dds_qset_history(q.get(), DDS_HISTORY_KEEP_LAST, static_cast<std::int32_t>(depth));
}

class DdsPayloadPublisher final : public PayloadPublisher {
public:
    DdsPayloadPublisher(std::shared_ptr<ParticipantImpl> participant, const std::string& topic, const PayloadQos& qos)
        : m_participant(std::move(participant)), m_smx_topic(topic) {
        const dds_entity_t pp = m_participant->entity();
        m_topic = make_topic(pp, &smx_wire_Payload_desc, dds_topic_name("payload", topic), topic);
        Qos q;
        set_payload_qos(q, qos);
        dds_qset_writer_data_lifecycle(q.get(), false);
        m_listener = dds_create_listener(this);
        dds_lset_publication_matched(m_listener, &DdsPayloadPublisher::on_matched);
        m_writer = Entity(dds_check(dds_create_writer(pp, m_topic.get(), q.get(), m_listener),
                                    "creating the payload writer of topic '" + topic + "'"));
    }

    ~DdsPayloadPublisher() override {
        m_writer = Entity();  // before the listener it calls
        if (m_listener) dds_delete_listener(m_listener);
    }

    std::int32_t readers() const noexcept override { return m_readers.load(std::memory_order_relaxed); }

    void on_new_reader(std::function<void()> callback) override {
        std::lock_guard lock(m_callback_mutex);
        m_on_new_reader = std::move(callback);
    }

    bool publish(const PayloadHeader& h, std::span<const std::byte> bytes) override {
        smx_wire_Payload s{};
        s.session = h.session;
        s.frame_number = h.frame_number;
        s.timestamp_ns = h.timestamp_ns;
        s.encoding = h.encoding;
        s.frame_size = h.frame_size;
        // Serialised from where the bytes are: Cyclone copies them into its message.
        s.data._maximum = s.data._length = static_cast<std::uint32_t>(bytes.size());
        s.data._buffer = reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(bytes.data()));
        s.data._release = false;
        return dds_write(m_writer.get(), &s) == DDS_RETCODE_OK;
    }

private:
    static void on_matched(dds_entity_t, const dds_publication_matched_status_t status, void* self) {
        auto* me = static_cast<DdsPayloadPublisher*>(self);
        me->m_readers.store(static_cast<std::int32_t>(status.current_count), std::memory_order_relaxed);
        if (status.current_count_change > 0) {
            std::lock_guard lock(me->m_callback_mutex);
            if (me->m_on_new_reader) me->m_on_new_reader();
        }
    }

    std::shared_ptr<ParticipantImpl> m_participant;
    std::string m_smx_topic;
    std::atomic<std::int32_t> m_readers{0};
    std::mutex m_callback_mutex;
    std::function<void()> m_on_new_reader;
    dds_listener_t* m_listener = nullptr;
    Entity m_topic, m_writer;
};

class DdsPayloadSubscriber final : public PayloadSubscriber {
public:
    DdsPayloadSubscriber(std::shared_ptr<ParticipantImpl> participant, const std::string& topic, const PayloadQos& qos,
                         const std::string& user_data)
        : m_participant(std::move(participant)), m_smx_topic(topic) {
        const dds_entity_t pp = m_participant->entity();
        m_topic = make_topic(pp, &smx_wire_Payload_desc, dds_topic_name("payload", topic), topic);
        {
            Qos q;
            set_payload_qos(q, qos);  // bounded (MAX_DEPTH) whatever the info claims
            // Discovery carries it to every participant: tools list remote readers with it.
            if (!user_data.empty()) dds_qset_userdata(q.get(), user_data.data(), user_data.size());
            m_listener = dds_create_listener(this);
            dds_lset_subscription_matched(m_listener, &DdsPayloadSubscriber::on_matched);
            dds_lset_data_available(m_listener, &DdsPayloadSubscriber::on_data);
            m_reader = Entity(dds_check(dds_create_reader(pp, m_topic.get(), q.get(), m_listener),
                                        "creating the payload reader of topic '" + topic + "'"));
        }
        m_cond = Entity(dds_check(dds_create_readcondition(m_reader.get(), DDS_ANY_STATE),
                                  "creating a read condition for topic '" + topic + "'"));
        m_guard = Entity(dds_check(dds_create_guardcondition(pp), "creating a guard condition"));
        m_waitset = Entity(dds_check(dds_create_waitset(pp), "creating a waitset"));
        dds_check(dds_waitset_attach(m_waitset.get(), m_cond.get(), 1), "attaching to a waitset");
        dds_check(dds_waitset_attach(m_waitset.get(), m_guard.get(), 2), "attaching to a waitset");
    }

    ~DdsPayloadSubscriber() override {
        m_waitset = Entity();  // before the conditions attached to it
        m_cond = Entity();
        m_reader = Entity();  // before the listener it calls
        if (m_listener) dds_delete_listener(m_listener);
    }

    Take take(std::span<std::byte> dst, PayloadHeader& header, std::size_t& length) override {
        // Deserialised straight into dst when the sample fits it; Cyclone allocates otherwise.
        smx_wire_Payload s{};
        s.data._buffer = reinterpret_cast<std::uint8_t*>(dst.data());
        s.data._maximum = static_cast<std::uint32_t>(dst.size());
        s.data._release = false;
        void* samples[1] = {&s};
        dds_sample_info_t info{};
        const dds_return_t n = dds_take(m_reader.get(), samples, &info, 1, 1);
        if (n <= 0) return Take::none;
        const bool in_place = s.data._buffer == reinterpret_cast<std::uint8_t*>(dst.data());
        if (!in_place) {
            if (s.data._release) dds_free(s.data._buffer);
            return info.valid_data ? Take::dropped : Take::none;
        }
        if (!info.valid_data) return Take::none;  // a state change (writer gone), not a frame
        if (!accepted(info.publication_handle)) return Take::dropped;
        length = s.data._length;
        header = PayloadHeader{s.session, s.frame_number, s.timestamp_ns, s.encoding, s.frame_size};
        return Take::frame;
    }

    void wait(std::chrono::nanoseconds timeout) override {
        dds_attach_t triggered[2];
        const dds_duration_t t = timeout.count() < 0 ? 0 : static_cast<dds_duration_t>(timeout.count());
        const dds_return_t n = dds_waitset_wait(m_waitset.get(), triggered, 2, t);
        for (dds_return_t i = 0; i < n; ++i) {
            if (triggered[i] == 2) {
                bool was = false;
                dds_take_guardcondition(m_guard.get(), &was);
            }
        }
    }

    void interrupt() noexcept override { dds_set_guardcondition(m_guard.get(), true); }

    void set_notify(std::function<void()> fn) override { m_notify.set(std::move(fn)); }

    void accept_only(std::uint64_t participant) override {
        m_only = participant;
        m_allowed.clear();
        m_refused.clear();
        m_counted_at.reset();
    }

    // With accept_only(), the payload writers of that participant only: another participant's
    // (a forger's, or a second writer of the topic elsewhere) must not keep a dead writer alive.
    // Counted again only when the matches changed.
    std::int32_t writers_matched() const noexcept override {
        if (m_only == 0) return m_writers.load(std::memory_order_acquire);
        const std::uint64_t changes = m_changes.load(std::memory_order_acquire);
        if (m_counted_at != changes) {
            m_counted_at = changes;
            m_counted = count_accepted();
            if (m_counted > 0) m_ever_accepted = true;
        }
        return m_counted;
    }
    bool ever_matched() const noexcept override {
        if (m_only == 0) return m_ever.load(std::memory_order_acquire);
        (void)writers_matched();
        return m_ever_accepted;
    }

private:
    // Whether a sample of `publication` is from the participant accept_only() named: asked of
    // DDS once per payload writer (a handful: they are remembered, up to a bound).
    bool accepted(dds_instance_handle_t publication) {
        if (m_only == 0) return true;
        if (std::find(m_allowed.begin(), m_allowed.end(), publication) != m_allowed.end()) return true;
        if (std::find(m_refused.begin(), m_refused.end(), publication) != m_refused.end()) return false;
        const bool ok = participant_of_publication(m_reader.get(), publication) == m_only;
        auto& list = ok ? m_allowed : m_refused;
        if (list.size() >= 64) list.clear();  // many forgers: ask again rather than grow
        list.push_back(publication);
        return ok;
    }

    std::int32_t count_accepted() const noexcept {
        std::vector<dds_instance_handle_t> handles(8);
        for (;;) {
            const dds_return_t n = dds_get_matched_publications(m_reader.get(), handles.data(), handles.size());
            if (n < 0) return 0;
            if (static_cast<std::size_t>(n) <= handles.size()) {
                handles.resize(static_cast<std::size_t>(n));
                break;
            }
            if (handles.size() >= 4096) return 1;  // a matched flood: do not call the writer dead for it
            handles.resize(static_cast<std::size_t>(n));
        }
        std::int32_t accepted = 0;
        for (dds_instance_handle_t h : handles)
            if (participant_of_publication(m_reader.get(), h) == m_only) ++accepted;
        return accepted;
    }

    static void on_matched(dds_entity_t, const dds_subscription_matched_status_t status, void* self) {
        auto* me = static_cast<DdsPayloadSubscriber*>(self);
        me->m_writers.store(static_cast<std::int32_t>(status.current_count), std::memory_order_release);
        if (status.current_count > 0) me->m_ever.store(true, std::memory_order_release);
        me->m_changes.fetch_add(1, std::memory_order_acq_rel);
        me->m_notify();
    }

    static void on_data(dds_entity_t, void* self) { static_cast<DdsPayloadSubscriber*>(self)->m_notify(); }

    std::shared_ptr<ParticipantImpl> m_participant;
    std::string m_smx_topic;
    std::atomic<std::int32_t> m_writers{0};
    std::atomic<bool> m_ever{false};
    std::atomic<std::uint64_t> m_changes{0};  // matches changed (the listener's count)
    // The reader's thread only: the accepted participant's writers, counted at m_counted_at.
    mutable std::optional<std::uint64_t> m_counted_at;
    mutable std::int32_t m_counted = 0;
    mutable bool m_ever_accepted = false;
    dds_listener_t* m_listener = nullptr;
    Notify m_notify;
    std::uint64_t m_only = 0;  // accept_only()
    std::vector<dds_instance_handle_t> m_allowed, m_refused;
    Entity m_topic, m_reader, m_cond, m_guard, m_waitset;
};

}  // namespace

std::unique_ptr<PayloadPublisher> make_dds_payload_publisher(std::shared_ptr<ParticipantImpl> participant,
                                                             const std::string& topic, const PayloadQos& qos) {
    return std::make_unique<DdsPayloadPublisher>(std::move(participant), topic, qos);
}

std::unique_ptr<PayloadSubscriber> make_dds_payload_subscriber(std::shared_ptr<ParticipantImpl> participant,
                                                               const std::string& topic, const PayloadQos& qos,
                                                               const std::string& user_data) {
    return std::make_unique<DdsPayloadSubscriber>(std::move(participant), topic, qos, user_data);
}

}  // namespace smx::detail
