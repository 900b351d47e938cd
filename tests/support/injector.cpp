// smx_test_injector: publishes raw DDS Notice samples on an smx topic's notice topic, behind the
// writer's back, so that tests can check that readers ignore (and count) bogus notices.
// White-box: it names the DDS topic with smx::detail::dds_topic_name and joins the domain
// through smx::Participant, so it uses exactly the library's names and DDS configuration.
//
//   smx_test_injector --topic T [--matches K] [--timeout-ms MS]
//       waits until its DDS writer matches K notice readers (default 1), prints "READY"; then for
//       each stdin line "notice <session hex> <slot> <seq> <frame>" writes one Notice and prints
//       "SENT <count>"; for each line "info <session hex> <shm name> <layout version> <host|.>"
//       writes one forged Info (no fields; "." = this host) on the topic's info topic and
//       prints "SENT <count>"; "dispose" disposes the (keyless) info instance, as a retiring
//       writer does, and prints "SENT <count>"; "remote-info <session hex>" poses as a writer on
//       another machine: a complete, consistent info (schema "a" u1 [4], machine "elsewhere")
//       and a payload writer, so that readers take the network path to it; prints "SENT
//       <count>"; "payload <session hex> <frame number> <bytes>" publishes one forged frame
//       (zeros) on the payload topic from this process's own participant and prints "SENT
//       <count>"; exits on "quit" or EOF.
//   smx_test_injector --topic T --listen 1 [--timeout-ms MS]
//   smx_test_injector --topic T --foreign-reader HEX
//       a DataReader of the topic's payload topic whose USER_DATA is the bytes HEX spells ("-":
//       none), as a foreign program or a forger would make one: prints "READY", exits on "quit"
//       or EOF.
//   --domain D (every form): the DDS domain to join (default: SMX_DOMAIN, else 0).
//       reads the notice topic as a plain DDS reader would (a tool, another language): prints
//       "READY" once it matched the writer, then "NOTICE <frame number>" per sample received;
//       prints "QUIET" and exits after MS without a sample.

#include "dds/dds_channel.hpp"
#include "dds/dds_payload.hpp"
#include "dds/domain.hpp"
#include "shm/process.hpp"
#include "smx_wire.h"

#include <smx/participant.hpp>
#include <smx/schema.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

int g_domain = -1;  // --domain; -1: smx::default_domain()

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

// The QoS a reader of notices requests: reliable and transient-local, like the writer's.
dds_qos_t* notice_qos() {
    dds_qos_t* q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 64);
    dds_qset_destination_order(q, DDS_DESTINATIONORDER_BY_RECEPTION_TIMESTAMP);
    return q;
}

// Waits (bounded, on a waitset) until `entity`'s matched count reaches `matches`.
bool wait_matched(dds_entity_t pp, dds_entity_t entity, bool writer, std::uint32_t matches,
                  std::chrono::milliseconds timeout) {
    using smx::detail::dds_check;
    dds_check(dds_set_status_mask(entity, writer ? DDS_PUBLICATION_MATCHED_STATUS : DDS_SUBSCRIPTION_MATCHED_STATUS),
              "status mask");
    const dds_entity_t ws = dds_check(dds_create_waitset(pp), "waitset");
    dds_check(dds_waitset_attach(ws, entity, 0), "attach");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::uint32_t count = 0;
        if (writer) {
            dds_publication_matched_status_t st{};
            dds_check(dds_get_publication_matched_status(entity, &st), "matched status");
            count = st.current_count;
        } else {
            dds_subscription_matched_status_t st{};
            dds_check(dds_get_subscription_matched_status(entity, &st), "matched status");
            count = st.current_count;
        }
        if (count >= matches) break;
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::nanoseconds::zero()) {
            say("ERROR matched " + std::to_string(count) + " of " + std::to_string(matches));
            dds_delete(ws);
            return false;
        }
        dds_waitset_wait(ws, nullptr, 0, std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
    }
    dds_delete(ws);
    return true;
}

dds_entity_t notice_topic(dds_entity_t pp, const std::string& topic) {
    const std::string name = smx::detail::dds_topic_name("notice", topic);
    return smx::detail::dds_check(dds_create_topic(pp, &smx_wire_Notice_desc, name.c_str(), nullptr, nullptr),
                                  "creating topic " + name);
}

int listen(const std::string& topic, std::chrono::milliseconds timeout) {
    using smx::detail::dds_check;
    smx::Participant participant(g_domain < 0 ? smx::default_domain() : g_domain);
    const dds_entity_t pp = participant.impl()->entity();
    const dds_entity_t t = notice_topic(pp, topic);
    dds_qos_t* q = notice_qos();
    const dds_entity_t r = dds_create_reader(pp, t, q, nullptr);
    dds_delete_qos(q);
    dds_check(r, "creating the notice reader");
    if (!wait_matched(pp, r, false, 1, timeout)) return 2;
    say("READY");
    const dds_entity_t ws = dds_check(dds_create_waitset(pp), "waitset");
    const dds_entity_t cond = dds_check(dds_create_readcondition(r, DDS_ANY_STATE), "read condition");
    dds_check(dds_waitset_attach(ws, cond, 0), "attach");
    for (;;) {
        if (dds_waitset_wait(ws, nullptr, 0, std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count()) <= 0)
            break;
        void* samples[16] = {};
        dds_sample_info_t infos[16];
        const dds_return_t n = dds_take(r, samples, infos, 16, 16);
        for (dds_return_t i = 0; i < n; ++i)
            if (infos[i].valid_data)
                say("NOTICE " + std::to_string(static_cast<const smx_wire_Notice*>(samples[i])->frame_number));
        if (n > 0) dds_return_loan(r, samples, n);
    }
    say("QUIET");
    return 0;
}

int run(const std::string& topic, std::uint32_t matches, std::chrono::milliseconds timeout) {
    using smx::detail::dds_check;
    smx::Participant participant(g_domain < 0 ? smx::default_domain() : g_domain);
    const dds_entity_t pp = participant.impl()->entity();
    const dds_entity_t t = notice_topic(pp, topic);
    dds_qos_t* q = notice_qos();
    dds_qset_writer_data_lifecycle(q, false);
    const dds_entity_t w = dds_create_writer(pp, t, q, nullptr);
    dds_delete_qos(q);
    dds_check(w, "creating the notice writer");
    if (!wait_matched(pp, w, true, matches, timeout)) return 2;
    const std::string info_name = smx::detail::dds_topic_name("info", topic);
    const dds_entity_t it = dds_check(dds_create_topic(pp, &smx_wire_Info_desc, info_name.c_str(), nullptr, nullptr),
                                      "creating topic " + info_name);
    dds_qos_t* iq = notice_qos();
    dds_qset_history(iq, DDS_HISTORY_KEEP_LAST, 1);
    dds_qset_writer_data_lifecycle(iq, false);
    const dds_entity_t iw = dds_create_writer(pp, it, iq, nullptr);
    dds_delete_qos(iq);
    dds_check(iw, "creating the info writer");
    say("READY");

    std::uint64_t sent = 0;
    std::unique_ptr<smx::detail::PayloadPublisher> remote_payload;  // remote-info
    std::unique_ptr<smx::detail::Announcer> remote_announcer;
    std::unique_ptr<smx::detail::PayloadPublisher> forged_payload;  // payload
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "quit") break;
        std::istringstream in(line);
        std::string verb, session;
        if (line.rfind("remote-info ", 0) == 0) {
            in >> verb >> session;
            const smx::Schema schema{{"a", smx::DType::Kind::u1, {4}}};
            smx::detail::SessionInfo info;
            info.session = std::stoull(session, nullptr, 16);
            info.host = smx::detail::host_name();  // the same name: only the machine differs
            info.machine = "elsewhere/0:0";
            info.pid = 1;
            info.topic = topic;
            info.shm_name = "/forged";
            info.slot_count = 3;
            info.reader_capacity = 64;
            info.layout_version = 3;
            info.frame_size = schema.frame_size();
            info.schema_hash = schema.hash();
            info.fields.push_back({"a", schema[0].dtype.typestr(), {4}, schema.offset(0)});
            remote_payload = smx::detail::make_dds_payload_publisher(participant.impl(), topic, {});
            remote_announcer = smx::detail::make_dds_announcer(participant.impl(), info);
            say("SENT " + std::to_string(++sent));
            continue;
        }
        if (line.rfind("payload ", 0) == 0) {
            std::uint64_t frame_number = 0, bytes = 0;
            in >> verb >> session >> frame_number >> bytes;
            if (!forged_payload)
                forged_payload = smx::detail::make_dds_payload_publisher(participant.impl(), topic, {});
            const std::vector<std::byte> zeros(bytes);
            const smx::detail::PayloadHeader h{std::stoull(session, nullptr, 16), frame_number, 1, 0, bytes};
            (void)forged_payload->publish(h, zeros);
            say("SENT " + std::to_string(++sent));
            continue;
        }
        if (line == "dispose") {
            smx_wire_Info info{};
            info.host = const_cast<char*>("");
            info.machine = const_cast<char*>("");
            info.topic = const_cast<char*>(topic.c_str());
            info.shm_name = const_cast<char*>("");
            dds_check(dds_dispose(iw, &info), "disposing the info instance");
            say("SENT " + std::to_string(++sent));
            continue;
        }
        if (line.rfind("info ", 0) == 0) {
            std::string shm_name, host;
            smx_wire_Info info{};
            if (!(in >> verb >> session >> shm_name >> info.layout_version >> host)) {
                say("ERROR cannot parse '" + line + "'");
                continue;
            }
            // "." is this host: its name, and the machine id that makes readers attach locally.
            std::string machine = host == "." ? smx::detail::machine_id() : "elsewhere/0:0";
            if (host == ".") host = smx::detail::host_name();
            info.session = std::stoull(session, nullptr, 16);
            info.host = host.data();
            info.machine = machine.data();
            info.pid = 1;
            info.topic = const_cast<char*>(topic.c_str());
            info.shm_name = shm_name.data();
            info.slot_count = 3;
            info.reader_capacity = 64;
            dds_check(dds_write(iw, &info), "writing an info");
            say("SENT " + std::to_string(++sent));
            continue;
        }
        smx_wire_Notice n{};
        if (!(in >> verb >> session >> n.slot >> n.seq >> n.frame_number) || verb != "notice") {
            say("ERROR cannot parse '" + line + "'");
            continue;
        }
        n.session = std::stoull(session, nullptr, 16);
        n.timestamp_ns = 1;
        dds_check(dds_write(w, &n), "writing a notice");
        say("SENT " + std::to_string(++sent));
    }
    return 0;
}

// A payload DataReader with the user data `hex` spells, until stdin says "quit" or closes.
int run_foreign_reader(const std::string& topic, const std::string& hex) {
    std::string user_data;
    for (std::size_t i = 0; hex != "-" && i + 1 < hex.size(); i += 2)
        user_data += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    smx::Participant participant(g_domain < 0 ? smx::default_domain() : g_domain);
    const auto reader = smx::detail::make_dds_payload_subscriber(participant.impl(), topic, {}, user_data);
    say("READY");
    std::string line;
    while (std::getline(std::cin, line) && line != "quit") {
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string topic;
    std::uint32_t matches = 1;
    long long timeout_ms = 10000;
    bool listening = false;
    std::optional<std::string> foreign_reader;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--topic") topic = argv[i + 1];
        else if (k == "--matches") matches = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
        else if (k == "--timeout-ms") timeout_ms = std::stoll(argv[i + 1]);
        else if (k == "--listen") listening = std::string(argv[i + 1]) == "1";
        else if (k == "--domain") g_domain = std::stoi(argv[i + 1]);
        else if (k == "--foreign-reader") foreign_reader = argv[i + 1];
    }
    if (topic.empty()) {
        std::fprintf(stderr, "usage: smx_test_injector --topic T [--matches K | --listen 1] [--timeout-ms MS] [--domain D]\n");
        return 64;
    }
    try {
        if (listening) return listen(topic, std::chrono::milliseconds(timeout_ms));
        if (foreign_reader) return run_foreign_reader(topic, *foreign_reader);
        return run(topic, matches, std::chrono::milliseconds(timeout_ms));
    } catch (const std::exception& e) {
        say(std::string("EXCEPTION ") + e.what());
        return 5;
    }
}
