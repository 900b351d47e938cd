// Writer and readers in separate processes, real shared memory, real DDS.

#include "multiprocess.hpp"

#include <gtest/gtest.h>

#include <memory>

using namespace std::chrono_literals;
using smx::test::Child;
using smx::test::peer;

TEST(Roundtrip, rgbd_frames_arrive_byte_exact_at_three_reader_processes) {
    const std::string topic = smx::test::unique_topic("roundtrip");
    smx::test::ShmGuard guard(topic);  // even when an assertion ends the test early
    const int frames = 60;
    std::vector<std::unique_ptr<Child>> readers;
    for (int i = 0; i < 3; ++i)
        readers.push_back(std::make_unique<Child>(std::vector<std::string>{
            peer(), "reader", "--topic", topic, "--schema", "rgbd", "--mode", i == 0 ? "view" : i == 1 ? "copy" : "pin",
            "--until", std::to_string(frames), "--timeout-ms", "10000"}));
    Child writer({peer(), "writer", "--topic", topic, "--schema", "rgbd", "--frames", std::to_string(frames),
                  "--rate", "100", "--wait-readers", "3", "--linger"});
    ASSERT_TRUE(writer.wait_for_line("READY", 10s)) << writer.transcript();
    for (auto& r : readers) ASSERT_TRUE(r->wait_for_line("ATTACHED", 15s)) << r->transcript();
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED", 30s)) << writer.transcript();
    for (auto& r : readers) {
        const auto line = r->wait_for_line("RESULT", 30s);
        ASSERT_TRUE(line) << r->transcript();
        auto res = smx::test::values(*line);
        EXPECT_EQ(res["bad"], 0u) << *line;
        EXPECT_EQ(res["last"], static_cast<std::uint64_t>(frames)) << *line;
        EXPECT_EQ(res["accepted"] + res["torn_detected"] + res["missed"], static_cast<std::uint64_t>(frames)) << *line;
        EXPECT_GT(res["accepted"], 0u) << *line;
        EXPECT_EQ(r->exit_code(10s), 0);
    }
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0);
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
