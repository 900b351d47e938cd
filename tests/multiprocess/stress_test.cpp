// Torn-read stress: a writer process at full speed, three reader processes (view + valid(),
// consistent copy, pin) checking every byte of every frame they accept. And the control that
// shows the checker does see tears when a reader skips valid().

#include "multiprocess.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

using namespace std::chrono_literals;
using smx::test::Child;

namespace {
constexpr const char* MIB_FRAMES = "blob:1048576";
}

namespace {
// A writer of 1 MiB frames at full speed (`writer_extra`: how it writes), and a view + valid(),
// a copy and a pin reader process checking every byte of every frame they accept.
void expect_no_torn_frame_accepted(const std::string& topic, std::uint64_t frames,
                                   const std::vector<std::string>& writer_extra,
                                   const std::vector<std::string>& reader_extra = {}) {
    const std::vector<std::string> modes = {"view", "copy", "pin"};
    std::vector<std::unique_ptr<Child>> readers;
    for (const auto& mode : modes) {
        std::vector<std::string> args = {smx::test::peer(), "reader", "--topic", topic, "--schema", MIB_FRAMES,
                                         "--mode", mode, "--until", std::to_string(frames), "--timeout-ms", "30000"};
        args.insert(args.end(), reader_extra.begin(), reader_extra.end());
        readers.push_back(std::make_unique<Child>(args));
    }
    // No --rate: the writer goes as fast as it can; it starts once all three readers registered.
    std::vector<std::string> args = {smx::test::peer(), "writer", "--topic", topic, "--schema", MIB_FRAMES,
                                     "--frames", std::to_string(frames), "--slots", "3", "--wait-readers", "3",
                                     "--linger"};
    args.insert(args.end(), writer_extra.begin(), writer_extra.end());
    Child writer(args);
    ASSERT_TRUE(writer.wait_for_line("READY", 10s)) << writer.transcript();
    for (auto& r : readers) ASSERT_TRUE(r->wait_for_line("ATTACHED", 15s)) << r->transcript();
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED", 120s)) << writer.transcript();

    for (std::size_t i = 0; i < readers.size(); ++i) {
        const auto line = readers[i]->wait_for_line("RESULT", 60s);
        ASSERT_TRUE(line) << modes[i] << ": " << readers[i]->transcript();
        std::cout << "[ " << modes[i] << " ] " << *line << "\n";
        auto r = smx::test::values(*line);
        EXPECT_EQ(r["bad"], 0u) << modes[i] << " accepted an inconsistent frame: " << *line;
        EXPECT_EQ(r["last"], frames) << *line;
        // Every published frame is accounted for exactly once: handed out or reported missed.
        EXPECT_EQ(r["delivered"] + r["missed"], frames) << *line;
        // A handed-out frame was either accepted or detected as torn (and skipped).
        EXPECT_EQ(r["accepted"] + r["torn_detected"] + r["bad"], r["delivered"]) << *line;
        EXPECT_EQ(r["accepted"] + r["torn_detected"] + r["missed"], frames) << *line;
        EXPECT_GT(r["accepted"], 0u) << *line;
        EXPECT_EQ(r["torn_views"], r["torn_detected"]) << *line;
        if (modes[i] != "view") {
            // A consistent copy or a pinned frame is never torn; torn copies are retried and end
            // up as missed frames.
            EXPECT_EQ(r["torn_detected"], 0u) << modes[i] << ": " << *line;
        }
        EXPECT_EQ(readers[i]->exit_code(10s), 0) << readers[i]->transcript();
    }
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
}  // namespace

TEST(Stress, no_reader_accepts_a_torn_frame_from_a_full_speed_writer_of_1_mib_frames) {
    const std::string topic = smx::test::unique_topic("stress");
    smx::test::ShmGuard guard(topic);
    expect_no_torn_frame_accepted(topic, 20000, {});
}

// Every other frame, a loan is filled half-way and dropped (an exception in the application's
// fill code): the half-written slot must never be taken for the frame it held before. The
// readers work 1 ms per frame, so they are behind and do look at older slots.
TEST(Stress, no_reader_accepts_a_half_written_abandoned_loan_as_the_frame_its_slot_held_before) {
    const std::string topic = smx::test::unique_topic("stress_abandon");
    smx::test::ShmGuard guard(topic);
    expect_no_torn_frame_accepted(topic, 10000, {"--loan", "--abandon", "2"}, {"--work-us", "1000"});
}

TEST(Stress, the_checker_sees_torn_frames_when_a_reader_uses_views_without_checking_valid) {
    const std::string topic = smx::test::unique_topic("stress_control");
    smx::test::ShmGuard guard(topic);
    // Two slots: frame n+2 is written into frame n's slot. The reader checks each frame's content
    // when it gets it and again once it has seen frame n+2 (a slow consumer), never asking valid().
    Child reader({smx::test::peer(), "reader", "--topic", topic, "--schema", MIB_FRAMES, "--mode", "novalidate",
                  "--recheck-gap", "2", "--until", "300", "--timeout-ms", "10000"});
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", MIB_FRAMES, "--slots", "2",
                  "--forever", "--wait-readers", "2"});
    ASSERT_TRUE(writer.wait_for_line("READY", 10s)) << writer.transcript();
    ASSERT_TRUE(reader.wait_for_line("ATTACHED", 15s)) << reader.transcript();
    const auto line = reader.wait_for_line("RESULT", 60s);
    ASSERT_TRUE(line) << reader.transcript();
    std::cout << "[ novalidate ] " << *line << "\n";
    auto r = smx::test::values(*line);
    EXPECT_GT(r["bad"], 0u) << "the checker never saw a torn frame: " << *line;
    EXPECT_EQ(r["accepted"] + r["bad"], r["delivered"]) << *line;
    EXPECT_EQ(reader.exit_code(10s), 0) << reader.transcript();
    writer.send_line("quit");
    EXPECT_TRUE(writer.wait_for_line("PUBLISHED", 10s)) << writer.transcript();
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
