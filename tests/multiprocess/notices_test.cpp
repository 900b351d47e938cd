// Local readers learn of frames from the segment's doorbell and pick them from the slot table:
// notices on DDS are for other consumers (tools, other languages), sent only while one is
// matched, and nothing anyone publishes on the notice topic can disturb a local reader.

#include "multiprocess.hpp"
#include "pattern.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <cstdio>

using namespace std::chrono_literals;
using smx::test::Child;
using smx::test::write_frame;
using smx::test::hex;

namespace {


}  // namespace

TEST(Notices, forged_notices_never_reach_a_local_reader_which_keeps_reading_every_real_frame) {
    const std::string topic = smx::test::unique_topic("notices");
    smx::test::ShmGuard guard(topic);
    constexpr std::uint64_t FRAMES = 30;
    smx::Participant participant;
    smx::WriterOptions options;
    options.slots = 3;
    smx::Writer writer(participant, topic, smx::pattern::rgbd_schema(160, 120), options);
    const std::uint64_t session = writer.session();

    Child reader({smx::test::peer(), "reader", "--topic", topic, "--mode", "view", "--until", std::to_string(FRAMES),
                  "--print-frames", "--timeout-ms", "15000"});
    ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
    ASSERT_TRUE(write_frame(writer));
    const auto first = reader.wait_for_line("FRAME 1 ", 10s);
    ASSERT_TRUE(first) << reader.transcript();
    EXPECT_EQ(*first, "FRAME 1 ok=1 ignored=0 missed=0");

    // It matches nobody: local readers subscribe to no notices (the writer's own notice writer
    // is not a reader either), so the forgeries go nowhere.
    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    const std::uint64_t stale = session ^ 0x5a5a000000000000ull;
    const std::vector<std::string> bogus = {
        "notice " + hex(session) + " 3 2 2",           // slot == slot count: out of range
        "notice " + hex(session) + " 4000000000 2 2",  // far out of range
        "notice " + hex(stale) + " 0 2 1000",          // another (stale) session
        "notice " + hex(0) + " 1 4 5",                 // no session at all
        "notice " + hex(session) + " 1 3 2",           // odd seq: a slot being written
    };
    for (const auto& n : bogus) injector.send_line(n);
    ASSERT_TRUE(injector.wait_for_line("SENT " + std::to_string(bogus.size()), 10s)) << injector.transcript();

    // The real frames still arrive, one by one, each intact; none is skipped or duplicated.
    for (std::uint64_t n = 2; n <= FRAMES; ++n) {
        ASSERT_TRUE(write_frame(writer)) << n;
        const auto line = reader.wait_for_line("FRAME " + std::to_string(n) + " ", 10s);
        ASSERT_TRUE(line) << reader.transcript();
        EXPECT_EQ(*line, "FRAME " + std::to_string(n) + " ok=1 ignored=0 missed=0");
    }
    const auto result = reader.wait_for_line("RESULT", 10s);
    ASSERT_TRUE(result) << reader.transcript();
    auto r = smx::test::values(*result);
    EXPECT_EQ(r["ignored"], 0u) << *result;
    EXPECT_EQ(r["accepted"], FRAMES) << *result;
    EXPECT_EQ(r["delivered"], FRAMES) << *result;
    EXPECT_EQ(r["missed"], 0u) << *result;
    EXPECT_EQ(r["bad"], 0u) << *result;
    EXPECT_EQ(r["last"], FRAMES) << *result;
    EXPECT_EQ(reader.exit_code(10s), 0) << reader.transcript();

    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0) << injector.transcript();
    writer.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(Notices, the_writer_sends_notices_only_while_a_notice_reader_is_matched) {
    const std::string topic = smx::test::unique_topic("notices_on_demand");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    smx::Writer writer(participant, topic, smx::pattern::rgbd_schema(64, 48));
    // With only a local reader, frames go out without any notice (none would be in the
    // notice writer's transient-local history for a late notice reader to receive).
    smx::Reader local(participant, topic);
    ASSERT_TRUE(local.wait_for_writer(10s));
    constexpr std::uint64_t BEFORE = 5;
    for (std::uint64_t n = 1; n <= BEFORE; ++n) {
        ASSERT_TRUE(write_frame(writer));
        const auto f = local.next(5s);
        ASSERT_TRUE(f) << n;
        EXPECT_EQ(f->frame_number(), n);
    }

    Child listener({smx::test::injector(), "--topic", topic, "--listen", "1", "--timeout-ms", "10000"});
    ASSERT_TRUE(listener.wait_for_line("READY", 15s)) << listener.transcript();
    // The writer learns of the match on Cyclone's own thread, a moment after the listener does:
    // publish until the first notice arrives, then every frame must follow in order.
    std::optional<std::string> first;
    for (int tries = 0; tries < 100 && !first; ++tries) {
        ASSERT_TRUE(write_frame(writer));
        first = listener.wait_for_line("NOTICE ", 100ms);
    }
    ASSERT_TRUE(first) << listener.transcript();
    const std::uint64_t first_frame = std::stoull(first->substr(7));
    EXPECT_GT(first_frame, BEFORE) << "a notice was sent while nobody read them";
    const std::uint64_t last = writer.frames_published();
    for (int k = 0; k < 5; ++k) ASSERT_TRUE(write_frame(writer));
    for (std::uint64_t n = first_frame + 1; n <= last + 5; ++n) {
        const auto line = listener.wait_for_line("NOTICE ", 10s);
        ASSERT_TRUE(line) << n << "\n" << listener.transcript();
        EXPECT_EQ(*line, "NOTICE " + std::to_string(n));
    }
    writer.close();
}

TEST(ForgedInfo, a_reader_reads_the_live_writer_whatever_forged_session_info_says_and_follows_its_successor) {
    const std::string topic = smx::test::unique_topic("forged_info");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    const smx::Schema small{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    auto first = std::make_unique<smx::Writer>(participant, topic, small);
    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    // Info naming other objects (a system file, another domain's segment of this topic) or
    // another layout: keyless and keep-last 1, each replaces the writer's own info in a
    // reader's cache. They must neither hide the live writer nor make reads throw.
    const std::string other_domain = "/smx.7." + first->segment_name().substr(first->segment_name().find('.', 5) + 1);
    injector.send_line("info 00000000deadbeef /etc/passwd 1 .");
    injector.send_line("info 00000000deadbee2 " + other_domain + " 2 .");
    // And the right segment name with a layout nobody has: the segment itself decides.
    injector.send_line("info 00000000deadbee4 " + first->segment_name() + " 99 .");
    ASSERT_TRUE(injector.wait_for_line("SENT 3", 10s)) << injector.transcript();

    Child reader(smx::test::waiter(topic));
    ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
    ASSERT_TRUE(write_frame(*first));
    const auto f1 = reader.wait_for_line("FRAME ", 10s);
    ASSERT_TRUE(f1) << reader.transcript();
    EXPECT_EQ(*f1, "FRAME 1 session=" + hex(first->session()) + " ok=1 schema=" + small.to_string());

    // Forged again while attached: ignored now, and still harmless once the writer leaves.
    injector.send_line("info 00000000deadbee3 /etc/passwd 1 .");
    ASSERT_TRUE(injector.wait_for_line("SENT 4", 10s)) << injector.transcript();
    smx::test::expect_waiter_follows_a_new_writer(*first, participant, topic, reader);
    EXPECT_EQ(reader.transcript().find("EXCEPTION"), std::string::npos) << reader.transcript();
    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0);
}

// Any local user on the domain can speak on the info topic: a new session id for the right
// segment name, then a dispose (what a closing writer sends). Liveness and ownership come from
// the segment, so an attached reader keeps reading its live writer.
TEST(ForgedInfo, neither_a_forged_new_session_nor_a_forged_dispose_cuts_a_reader_off_its_live_writer) {
    const std::string topic = smx::test::unique_topic("forged_dispose");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    const smx::Schema small{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    smx::Writer writer(participant, topic, small);
    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    Child reader(smx::test::waiter(topic, "3"));
    ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
    ASSERT_TRUE(write_frame(writer));
    const std::string session = hex(writer.session());
    ASSERT_EQ(reader.wait_for_line("FRAME ", 10s), "FRAME 1 session=" + session + " ok=1 schema=" + small.to_string())
        << reader.transcript();

    injector.send_line("info 00000000deadbee5 " + writer.segment_name() + " 3 .");
    injector.send_line("dispose");
    ASSERT_TRUE(injector.wait_for_line("SENT 2", 10s)) << injector.transcript();
    for (std::uint64_t n = 2; n <= 3; ++n) {
        ASSERT_TRUE(write_frame(writer));
        EXPECT_EQ(reader.wait_for_line("FRAME ", 10s),
                  "FRAME " + std::to_string(n) + " session=" + session + " ok=1 schema=" + small.to_string())
            << reader.transcript();
    }
    const auto result = reader.wait_for_line("RESULT", 10s);
    ASSERT_TRUE(result) << reader.transcript();
    EXPECT_EQ(reader.transcript().find("EXCEPTION"), std::string::npos) << reader.transcript();
    EXPECT_EQ(reader.exit_code(10s), 0);
    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0);
}

// Info forged to name a writer on another machine, with a payload writer behind it so that it
// looks alive, puts a waiting reader on the network path. The topic's local writer still wins:
// a writer this process can map beats whatever DDS says.
TEST(ForgedInfo, a_reader_sent_to_the_network_by_forged_info_goes_to_its_local_writer_once_there) {
    const std::string topic = smx::test::unique_topic("forged_remote");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    smx::Reader reader(participant, topic);
    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    injector.send_line("remote-info 00000000deadbee6");
    ASSERT_TRUE(injector.wait_for_line("SENT 1", 10s)) << injector.transcript();
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (reader.transport() != smx::Transport::dds && std::chrono::steady_clock::now() < deadline)
        (void)reader.next(100ms);
    ASSERT_EQ(reader.transport(), smx::Transport::dds) << "the forged remote writer was not taken for one";

    const smx::Schema small{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    smx::Writer writer(participant, topic, small);
    ASSERT_TRUE(write_frame(writer));
    std::optional<smx::Frame> f;
    deadline = std::chrono::steady_clock::now() + 10s;
    while (!f && std::chrono::steady_clock::now() < deadline) f = reader.next(100ms);
    ASSERT_TRUE(f) << "the reader stayed with the forged remote writer";
    EXPECT_EQ(f->transport(), smx::Transport::shm);
    EXPECT_EQ(f->info().session, writer.session());
    EXPECT_TRUE(smx::pattern::check_all(*f, 1));
    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0);
}
