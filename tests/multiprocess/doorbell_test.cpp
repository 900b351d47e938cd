// Readers blocked on the segment's doorbell (next() with a long timeout, one call) in their own
// processes: they see the writer close, crash and restart, are woken by interrupt(), leave
// nothing behind that costs the writer when they die asleep, and never miss a wake-up.

#include "multiprocess.hpp"
#include "pattern.hpp"

#include <smx/inspect.hpp>
#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <thread>

using namespace std::chrono_literals;
using smx::test::Child;
using smx::test::write_frame;
using smx::test::hex;
using smx::test::waiter;

namespace {


// Re-checks `done` every 2 ms up to `timeout`: the state looked at (another process's sleep,
// its registration) has no notification of its own.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

std::vector<smx::RegisteredReader> registrations(int domain, const std::string& topic) {
    const auto info = smx::inspect_topic(domain, topic);
    if (!info || !info->error.empty()) return {};
    return info->readers;
}

bool one_reader_asleep(int domain, const std::string& topic) {
    const auto r = registrations(domain, topic);
    return r.size() == 1 && r[0].sleeping;
}

}  // namespace

TEST(Doorbell, a_blocked_reader_lets_go_of_a_closed_writer_at_once_and_takes_the_next_writers_frames_and_schema) {
    const std::string topic = smx::test::unique_topic("bell_close");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    const smx::Schema small{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    auto first = std::make_unique<smx::Writer>(participant, topic, small);
    Child reader(waiter(topic));
    ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
    ASSERT_TRUE(write_frame(*first));
    const auto f1 = reader.wait_for_line("FRAME ", 10s);
    ASSERT_TRUE(f1) << reader.transcript();
    EXPECT_EQ(*f1, "FRAME 1 session=" + hex(first->session()) + " ok=1 schema=" + small.to_string());
    ASSERT_TRUE(eventually([&] { return one_reader_asleep(participant.domain_id(), topic); }, 10s));

    // This process stays alive: only the writer's close (its ring) can tell the reader it left.
    smx::test::expect_waiter_follows_a_new_writer(*first, participant, topic, reader);
}

TEST(Doorbell, a_blocked_reader_sees_a_killed_writer_within_the_liveness_bound_and_follows_its_restart) {
    const std::string topic = smx::test::unique_topic("bell_kill");
    smx::test::ShmGuard guard(topic);
    const int domain = smx::Participant().domain_id();
    Child first({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--frames", "1", "--wait-readers",
                 "1", "--linger"});
    Child reader(waiter(topic));
    ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
    ASSERT_TRUE(reader.wait_for_line("FRAME 1 ", 15s)) << reader.transcript();
    ASSERT_TRUE(eventually([&] { return one_reader_asleep(domain, topic); }, 10s));

    first.signal(SIGKILL);
    ASSERT_EQ(first.exit_code(10s), -SIGKILL);
    // The dead writer's segment stays until the next writer replaces it: the reader's
    // registration there goes when it lets go. Documented bound: 200 ms (two 100 ms liveness
    // slices); 2 s leaves room for a loaded machine, while a reader that slept on would hold
    // it for its whole 20 s timeout.
    const auto killed = std::chrono::steady_clock::now();
    ASSERT_TRUE(eventually([&] { return registrations(domain, topic).empty(); }, 2s)) << reader.transcript();
    const auto seen_after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
    std::printf("the reader let go of the killed writer after %lld ms\n", static_cast<long long>(seen_after.count()));

    Child second({smx::test::peer(), "writer", "--topic", topic, "--schema", "rgbd640", "--frames", "1", "--linger"});
    const auto f = reader.wait_for_line("FRAME ", 20s);
    ASSERT_TRUE(f) << reader.transcript();
    EXPECT_NE(f->find("FRAME 1 "), std::string::npos) << *f;
    EXPECT_NE(f->find(" ok=1 schema=" + smx::pattern::rgbd_schema(640, 480).to_string()), std::string::npos) << *f;
    second.send_line("quit");
    EXPECT_EQ(second.exit_code(10s), 0) << second.transcript();
}

TEST(Doorbell, interrupt_wakes_a_reader_blocked_on_the_doorbell_and_it_reads_on_afterwards) {
    const std::string topic = smx::test::unique_topic("bell_interrupt");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    smx::Writer writer(participant, topic, smx::pattern::rgbd_schema(64, 48));
    Child reader(waiter(topic, "2", "60000"));
    ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
    ASSERT_TRUE(write_frame(writer));
    ASSERT_TRUE(reader.wait_for_line("FRAME 1 ", 10s)) << reader.transcript();
    ASSERT_TRUE(eventually([&] { return one_reader_asleep(participant.domain_id(), topic); }, 10s));

    reader.send_line("interrupt");
    // Its next() would otherwise sleep for 60 s.
    ASSERT_TRUE(reader.wait_for_line("INTERRUPTED", 10s)) << reader.transcript();
    ASSERT_TRUE(write_frame(writer));
    ASSERT_TRUE(reader.wait_for_line("FRAME 2 ", 10s)) << reader.transcript();
    const auto result = reader.wait_for_line("RESULT", 10s);
    ASSERT_TRUE(result) << reader.transcript();
    EXPECT_EQ(smx::test::values(*result)["bad"], 0u) << *result;
    EXPECT_EQ(reader.exit_code(10s), 0);
}

TEST(Doorbell, a_reader_killed_while_asleep_leaves_no_mark_that_costs_the_writer_a_wake_up_call) {
    const std::string topic = smx::test::unique_topic("bell_dead_sleeper");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    const int domain = participant.domain_id();
    smx::Writer writer(participant, topic, smx::pattern::rgbd_schema(64, 48));
    {
        Child reader(waiter(topic));
        ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
        ASSERT_TRUE(write_frame(writer));
        ASSERT_TRUE(reader.wait_for_line("FRAME 1 ", 10s)) << reader.transcript();
        ASSERT_TRUE(eventually([&] { return one_reader_asleep(domain, topic); }, 10s));
        reader.signal(SIGKILL);
        ASSERT_EQ(reader.exit_code(10s), -SIGKILL);
    }
    // Its sleeping mark would make every ring a system call; the writer's rings notice that
    // nobody wakes and sweep dead readers (every 250 ms at most), which clears the mark.
    ASSERT_FALSE(registrations(domain, topic).empty());
    const bool cleared = eventually(
        [&] {
            EXPECT_TRUE(write_frame(writer));
            return registrations(domain, topic).empty();
        },
        5s);
    EXPECT_TRUE(cleared);
    EXPECT_EQ(writer.reader_count(), 0u);
}

TEST(Doorbell, four_reader_processes_follow_10000_full_speed_frames_without_a_lost_wake_up) {
    const std::string topic = smx::test::unique_topic("bell_flood");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    smx::WriterOptions options;
    options.slots = 8;  // 4 readers pin at most 4 slots, the latest is never reused: room left
    options.when_full = smx::WhenFull::wait;
    options.full_wait = 5s;
    const smx::Schema small{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
    smx::Writer writer(participant, topic, small, options);
    constexpr std::uint64_t FRAMES = 10000;
    std::vector<std::unique_ptr<Child>> readers;
    for (int i = 0; i < 4; ++i) {
        // A lost wake-up would leave a reader asleep until its 10 s timeout ("TIMEOUT").
        readers.push_back(std::make_unique<Child>(waiter(topic, std::to_string(FRAMES), "10000")));
        ASSERT_TRUE(readers.back()->wait_for_line("ATTACHED", 15s)) << readers.back()->transcript();
    }
    for (std::uint64_t n = 1; n <= FRAMES; ++n) ASSERT_TRUE(write_frame(writer)) << n;
    std::uint64_t sleeps = 0;
    for (auto& r : readers) {
        const auto result = r->wait_for_line("RESULT", 30s);
        ASSERT_TRUE(result) << r->transcript().substr(0, 2000);
        auto v = smx::test::values(*result);
        EXPECT_EQ(v["last"], FRAMES) << *result;
        EXPECT_EQ(v["bad"], 0u) << *result;
        EXPECT_EQ(v["unnoticed"], 0u) << *result;
        EXPECT_EQ(v["accepted"] + v["missed"], FRAMES) << *result;
        sleeps += v["sleeps"];
        EXPECT_EQ(r->exit_code(10s), 0);
    }
    std::printf("4 readers slept %llu times in all\n", static_cast<unsigned long long>(sleeps));
    EXPECT_GT(sleeps, 0u);  // they did sleep on the doorbell, and were woken every time
}
