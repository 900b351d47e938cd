// smx_test_injector: publishes raw DDS Notice samples on an smx topic's notice topic, behind the
// writer's back, so that tests can check that readers ignore (and count) bogus notices.
// White-box: it names the DDS topic with smx::detail::dds_topic_name and joins the domain
// through smx::Participant, so it uses exactly the library's names and DDS configuration.
//
//   smx_test_injector --topic T [--matches K] [--timeout-ms MS]
//       waits until its DDS writer matches K notice readers (default 1), prints "READY"; then for
//       each stdin line "notice <session hex> <slot> <seq> <frame>" writes one Notice and prints
//       "SENT <count>"; exits on "quit" or EOF.

#include "dds/dds_channel.hpp"
#include "dds/domain.hpp"
#include "smx_wire.h"

#include <smx/participant.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

namespace {

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

int run(const std::string& topic, std::uint32_t matches, std::chrono::milliseconds timeout) {
    using smx::detail::dds_check;
    smx::Participant participant;
    const dds_entity_t pp = participant.impl()->entity();
    const std::string name = smx::detail::dds_topic_name("notice", topic);
    const dds_entity_t t = dds_check(dds_create_topic(pp, &smx_wire_Notice_desc, name.c_str(), nullptr, nullptr),
                                     "creating topic " + name);
    // The QoS a reader of notices requests (see dds_channel.cpp): reliable and transient-local.
    dds_qos_t* q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 64);
    dds_qset_destination_order(q, DDS_DESTINATIONORDER_BY_RECEPTION_TIMESTAMP);
    dds_qset_writer_data_lifecycle(q, false);
    const dds_entity_t w = dds_create_writer(pp, t, q, nullptr);
    dds_delete_qos(q);
    dds_check(w, "creating the notice writer");

    // Wait (bounded, on a waitset) until the readers under test have matched.
    dds_check(dds_set_status_mask(w, DDS_PUBLICATION_MATCHED_STATUS), "status mask");
    const dds_entity_t ws = dds_check(dds_create_waitset(pp), "waitset");
    dds_check(dds_waitset_attach(ws, w, 0), "attach");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        dds_publication_matched_status_t st{};
        dds_check(dds_get_publication_matched_status(w, &st), "matched status");
        if (st.current_count >= matches) break;
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::nanoseconds::zero()) {
            say("ERROR matched " + std::to_string(st.current_count) + " of " + std::to_string(matches) + " readers");
            return 2;
        }
        dds_waitset_wait(ws, nullptr, 0, std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
    }
    dds_delete(ws);
    say("READY");

    std::uint64_t sent = 0;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "quit") break;
        std::istringstream in(line);
        std::string verb, session;
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

}  // namespace

int main(int argc, char** argv) {
    std::string topic;
    std::uint32_t matches = 1;
    long long timeout_ms = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--topic") topic = argv[i + 1];
        else if (k == "--matches") matches = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
        else if (k == "--timeout-ms") timeout_ms = std::stoll(argv[i + 1]);
    }
    if (topic.empty()) {
        std::fprintf(stderr, "usage: smx_test_injector --topic T [--matches K] [--timeout-ms MS]\n");
        return 64;
    }
    try {
        return run(topic, matches, std::chrono::milliseconds(timeout_ms));
    } catch (const std::exception& e) {
        say(std::string("EXCEPTION ") + e.what());
        return 5;
    }
}
