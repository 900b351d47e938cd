// Writers and readers coming and going: late joiners, a second writer, writers killed and
// restarted. Every writer that is SIGKILLed runs in a child process.

#include "multiprocess.hpp"
#include "pattern.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <csignal>

using namespace std::chrono_literals;
using smx::test::Child;

TEST(LateJoiner, a_reader_started_after_the_writer_went_idle_gets_the_newest_frame_at_once) {
    const std::string topic = smx::test::unique_topic("late");
    smx::test::ShmGuard guard(topic);
    constexpr std::uint64_t FRAMES = 7;
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "rgbd", "--frames",
                  std::to_string(FRAMES), "--linger"});
    ASSERT_TRUE(writer.wait_for_line("READY", 10s)) << writer.transcript();
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED " + std::to_string(FRAMES), 30s)) << writer.transcript();
    // The writer is idle from here on: whatever a reader gets now comes from what is already there.
    {
        smx::Participant participant;
        smx::Reader by_latest(participant, topic);
        ASSERT_TRUE(by_latest.wait_for_writer(10s));
        auto f = by_latest.latest();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->frame_number(), FRAMES);
        EXPECT_TRUE(smx::pattern::check_all(*f, FRAMES));
        EXPECT_TRUE(f->valid());

        smx::Reader by_next(participant, topic);
        auto g = by_next.next(10s);  // the bound; the frame must be there without a new write
        ASSERT_TRUE(g) << "ignored=" << by_next.stats().notices_ignored << " state=" << static_cast<int>(by_next.state());
        EXPECT_EQ(g->frame_number(), FRAMES);
        EXPECT_TRUE(smx::pattern::check_all(*g, FRAMES));
        EXPECT_TRUE(g->valid());
        // Frames from before it joined are history, not frames it missed.
        EXPECT_EQ(by_next.stats().delivered, 1u);
        EXPECT_EQ(by_next.stats().missed, 0u);
    }
    // The same from another process, started after the writer went idle.
    Child late({smx::test::peer(), "reader", "--topic", topic, "--mode", "view", "--until", std::to_string(FRAMES),
                "--timeout-ms", "10000"});
    const auto line = late.wait_for_line("RESULT", 20s);
    ASSERT_TRUE(line) << late.transcript();
    auto r = smx::test::values(*line);
    EXPECT_EQ(r["last"], FRAMES) << *line;
    EXPECT_EQ(r["accepted"], 1u) << *line;
    EXPECT_EQ(r["delivered"], 1u) << *line;
    EXPECT_EQ(r["missed"], 0u) << *line;
    EXPECT_EQ(r["bad"], 0u) << *line;
    EXPECT_EQ(late.exit_code(10s), 0);

    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// A writer that publishes its last frames and closes at once (smx play at the end of a
// recording): a reader blocked in next() still gets every one of them, then sees it gone.
TEST(WriterLifecycle, frames_published_just_before_the_writer_closes_are_still_delivered) {
    const std::string topic = smx::test::unique_topic("close_drain");
    smx::test::ShmGuard guard(topic);
    constexpr std::uint64_t FRAMES = 3;
    smx::Participant participant;
    smx::Reader reader(participant, topic);
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--frames",
                  std::to_string(FRAMES), "--wait-readers", "1"});  // no --linger: closes after the last
    ASSERT_TRUE(reader.wait_for_writer(20s)) << writer.transcript();
    std::uint64_t got = 0;
    while (got < FRAMES) {
        auto frame = reader.next(20s);
        if (!frame) break;
        EXPECT_EQ(frame->frame_number(), got + 1);
        EXPECT_TRUE(smx::pattern::check_all(*frame, frame->frame_number()));
        got = frame->frame_number();
    }
    EXPECT_EQ(got, FRAMES) << writer.transcript();
    EXPECT_EQ(writer.exit_code(20s), 0) << writer.transcript();
    EXPECT_FALSE(reader.next(200ms)) << "no frame after the last";
    EXPECT_EQ(reader.state(), smx::ReaderState::writer_gone);
    EXPECT_EQ(reader.stats().missed, 0u);
}

TEST(WriterLifecycle, a_second_live_writer_is_refused_naming_the_first_and_takes_over_once_it_is_killed) {
    const std::string topic = smx::test::unique_topic("second");
    smx::test::ShmGuard guard(topic);
    const smx::Schema schema{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    Child first({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--frames", "3", "--linger"});
    ASSERT_TRUE(first.wait_for_line("PUBLISHED", 10s)) << first.transcript();
    const auto before = smx::test::shm_entries_containing(topic);
    ASSERT_EQ(before.size(), 1u);

    smx::Participant participant;
    try {
        smx::Writer second(participant, topic, schema);
        FAIL() << "a second live writer was accepted";
    } catch (const smx::WriterExists& e) {
        EXPECT_EQ(e.code(), smx::ErrorCode::writer_exists);
        const std::string msg = e.what();
        EXPECT_NE(msg.find("already has a live writer"), std::string::npos) << msg;
        EXPECT_NE(msg.find("pid " + std::to_string(first.pid())), std::string::npos) << msg;
        EXPECT_NE(msg.find(topic), std::string::npos) << msg;
    }
    // The refusal left the first writer's segment alone and nothing of its own behind.
    EXPECT_EQ(smx::test::shm_entries_containing(topic), before);
    // The same refusal seen from another process.
    {
        Child third({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--frames", "1"});
        const auto line = third.wait_for_line("EXCEPTION", 10s);
        ASSERT_TRUE(line) << third.transcript();
        EXPECT_NE(line->find("writer_exists"), std::string::npos) << *line;
        EXPECT_NE(line->find("pid " + std::to_string(first.pid())), std::string::npos) << *line;
        EXPECT_NE(third.exit_code(10s), 0);
    }

    first.signal(SIGKILL);
    ASSERT_EQ(first.exit_code(10s), -SIGKILL);
    // Its segment is stale now (lock gone): the next writer replaces it.
    smx::Writer successor(participant, topic, schema);
    for (std::uint64_t n = 1; n <= 2; ++n) {
        auto loan = successor.loan();
        ASSERT_TRUE(loan);
        smx::pattern::fill_all(*loan, loan->frame_number());
        ASSERT_TRUE(successor.publish(std::move(*loan)));
    }
    // A reader in another process gets the successor's frame.
    Child reader({smx::test::peer(), "reader", "--topic", topic, "--schema", "small", "--until", "2",
                  "--timeout-ms", "10000"});
    const auto line = reader.wait_for_line("RESULT", 20s);
    ASSERT_TRUE(line) << reader.transcript();
    EXPECT_EQ(smx::test::values(*line)["last"], 2u) << *line;
    EXPECT_EQ(reader.exit_code(10s), 0);
    successor.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(WriterLifecycle, a_template_less_reader_follows_a_killed_writer_restarted_with_a_new_schema) {
    const std::string topic = smx::test::unique_topic("restart");
    smx::test::ShmGuard guard(topic);
    Child follower({smx::test::peer(), "follow", "--topic", topic, "--attachments", "2", "--timeout-ms", "40000"});
    Child first({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--frames", "3", "--wait-readers",
                 "1", "--linger"});
    ASSERT_TRUE(first.wait_for_line("READY", 10s)) << first.transcript();
    const smx::Schema small{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    const auto attached = follower.wait_for_line("ATTACHED 1 ", 15s);
    ASSERT_TRUE(attached) << follower.transcript();
    EXPECT_EQ(*attached, "ATTACHED 1 " + small.to_string());
    const auto frame = follower.wait_for_line("FRAME", 15s);
    ASSERT_TRUE(frame) << follower.transcript();
    EXPECT_NE(frame->find("ok=1"), std::string::npos) << *frame;

    first.signal(SIGKILL);
    ASSERT_EQ(first.exit_code(10s), -SIGKILL);

    const smx::Schema rgbd640 = smx::pattern::rgbd_schema(640, 480);
    Child second({smx::test::peer(), "writer", "--topic", topic, "--schema", "rgbd640", "--frames", "3", "--linger"});
    ASSERT_TRUE(second.wait_for_line("PUBLISHED", 15s)) << second.transcript();
    const auto reattached = follower.wait_for_line("ATTACHED 2 ", 20s);
    ASSERT_TRUE(reattached) << follower.transcript();
    EXPECT_EQ(*reattached, "ATTACHED 2 " + rgbd640.to_string());
    const auto new_frame = follower.wait_for_line("FRAME", 15s);
    ASSERT_TRUE(new_frame) << follower.transcript();
    EXPECT_NE(new_frame->find("ok=1"), std::string::npos) << *new_frame;
    EXPECT_NE(new_frame->find("schema=" + rgbd640.to_string()), std::string::npos) << *new_frame;
    const auto result = follower.wait_for_line("RESULT", 10s);
    ASSERT_TRUE(result) << follower.transcript();
    auto r = smx::test::values(*result);
    EXPECT_EQ(r["bad"], 0u) << *result;
    EXPECT_EQ(r["attachments"], 2u) << *result;
    EXPECT_EQ(follower.exit_code(10s), 0) << follower.transcript();

    second.send_line("quit");
    EXPECT_EQ(second.exit_code(10s), 0) << second.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
