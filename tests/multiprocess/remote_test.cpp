// The network path on one host: a reader told to take it (ReaderOptions::transport = dds)
// receives a peer writer's frames whole over DDS, content-exact and in order, while a local
// reader of the same writer stays on shared memory.

#include "multiprocess.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using smx::test::Child;

namespace {

smx::ReaderOptions over_the_network() {
    smx::ReaderOptions o;
    o.transport = smx::Transport::dds;
    return o;
}

}  // namespace

TEST(Remote, a_reader_on_the_network_path_gets_every_frame_content_exact_while_a_local_one_stays_on_shm) {
    // 10 Hz: slow enough that this reader, checking every byte of each frame, keeps up under
    // the sanitizers too (at 30 Hz under TSan it did not, and frames were rightly skipped).
    constexpr std::uint64_t FRAMES = 40;
    const std::string topic = smx::test::unique_topic("remote_basic");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    const smx::Schema rgbd = smx::pattern::rgbd_schema();  // the peer's "rgbd": 848x480
    smx::Reader remote(participant, topic, rgbd, over_the_network());
    smx::Reader local(participant, topic, rgbd);
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "rgbd", "--frames", std::to_string(FRAMES),
                  "--rate", "10", "--linger"});
    ASSERT_TRUE(writer.wait_for_line("READY", 15s)) << writer.transcript();
    ASSERT_TRUE(remote.wait_for_writer(10s));
    ASSERT_TRUE(local.wait_for_writer(10s));

    std::uint64_t first = 0, last = 0, received = 0;
    while (last < FRAMES) {
        auto f = remote.next(5s);
        ASSERT_TRUE(f) << "no frame over the network after frame " << last << "; " << writer.transcript();
        EXPECT_EQ(f->transport(), smx::Transport::dds);
        EXPECT_TRUE(f->valid());
        EXPECT_TRUE(smx::pattern::check_all(*f, f->frame_number())) << "frame " << f->frame_number();
        if (first == 0) {
            first = f->frame_number();
        } else {
            EXPECT_EQ(f->frame_number(), last + 1) << "a frame was lost while the reader kept up";
        }
        last = f->frame_number();
        ++received;
        if (auto l = local.latest()) {
            EXPECT_EQ(l->transport(), smx::Transport::shm);
        }
    }
    // The first frame may come a frame or two late: the writer's catch-up sends what the slot
    // table holds when the reader matches, but a frame sent before the reader's side of the
    // match is not always repaired (issue 9, open). After it, nothing may be lost.
    EXPECT_LE(first, 5u) << "the network path took half a second to start";
    EXPECT_EQ(received, FRAMES - first + 1);
    EXPECT_EQ(remote.stats().dropped_samples, 0u);
    EXPECT_EQ(remote.stats().missed, first - 1) << "frames were lost after the first";
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    // The writer's close reaches the remote reader too.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (remote.state() != smx::ReaderState::writer_gone && std::chrono::steady_clock::now() < deadline)
        (void)remote.next(100ms);
    EXPECT_EQ(remote.state(), smx::ReaderState::writer_gone);
}

// A writer's network options reach its remote readers: compressed frames (lz4, zstd) arrive
// content-exact, and a best-effort writer is read as well.
TEST(Remote, compressed_and_best_effort_frames_arrive_content_exact) {
    const smx::Schema rgbd = smx::pattern::rgbd_schema();
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{"--compression", "lz4"}, {"--compression", "zstd"}, {"--best-effort"}}) {
        SCOPED_TRACE(extra.back());
        const std::string topic = smx::test::unique_topic("remote_options");
        smx::test::ShmGuard guard(topic);
        smx::Participant participant;
        smx::Reader remote(participant, topic, rgbd, over_the_network());
        std::vector<std::string> argv{smx::test::peer(), "writer", "--topic", topic, "--schema", "rgbd",
                                      "--frames",        "15",     "--rate",  "10",  "--linger"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        Child writer(argv);
        ASSERT_TRUE(writer.wait_for_line("READY", 15s)) << writer.transcript();
        std::uint64_t last = 0, received = 0;
        while (last < 15) {
            auto f = remote.next(5s);
            ASSERT_TRUE(f) << "no frame over the network after frame " << last << "; " << writer.transcript();
            EXPECT_EQ(f->transport(), smx::Transport::dds);
            EXPECT_TRUE(smx::pattern::check_all(*f, f->frame_number())) << "frame " << f->frame_number();
            EXPECT_GT(f->frame_number(), last);
            last = f->frame_number();
            ++received;
        }
        EXPECT_GE(received, 10u) << "most frames should arrive on loopback, best effort included";
        EXPECT_EQ(remote.stats().dropped_samples, 0u);
        writer.send_line("netstats");
        const auto net = writer.wait_for_line("NET ", 10s);
        ASSERT_TRUE(net) << writer.transcript();
        const auto v = smx::test::values(*net);
        // The test pattern has two constant bytes in eight: zstd's entropy coding shrinks it
        // (lz4 finds no matches in it and sends frames as they are: see the codec unit test).
        if (extra.back() == "zstd") {
            EXPECT_LT(v.at("bytes"), v.at("sent") * rgbd.frame_size()) << *net;
        }
        writer.send_line("quit");
        EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    }
}

// Another DDS participant publishing on the payload topic — the right session, a frame number
// far ahead, a sample one byte too large — feeds a remote reader nothing: its samples are
// dropped and counted, and the genuine frames keep coming in order.
TEST(Remote, forged_payload_samples_of_another_participant_are_dropped_and_the_stream_goes_on) {
    const std::string topic = smx::test::unique_topic("remote_forged");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    const smx::Schema small{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};  // peer's "small"
    smx::Reader remote(participant, topic, small, over_the_network());
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "20"});
    const auto ready = writer.wait_for_line("READY", 15s);
    ASSERT_TRUE(ready) << writer.transcript();
    const std::string session = smx::test::words(*ready).at(3);
    auto first = remote.next(10s);
    ASSERT_TRUE(first) << writer.transcript();

    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    // One at a time: each must arrive, be dropped and counted, while genuine frames go on.
    std::uint64_t last = first->frame_number();
    first.reset();
    const std::vector<std::string> forgeries{
        "payload " + session + " 18446744073709551615 " + std::to_string(small.frame_size()),
        "payload " + session + " 1000000 " + std::to_string(small.frame_size() + 1)};
    for (std::size_t k = 0; k < forgeries.size(); ++k) {
        injector.send_line(forgeries[k]);
        ASSERT_TRUE(injector.wait_for_line("SENT " + std::to_string(k + 1), 10s)) << injector.transcript();
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        int frames_after = 0;  // a few genuine frames after the drop: the stream goes on
        while (frames_after < 5 && std::chrono::steady_clock::now() < deadline) {
            auto f = remote.next(2s);
            ASSERT_TRUE(f) << "the stream stopped after frame " << last << " (" << forgeries[k] << ")";
            EXPECT_TRUE(smx::pattern::check_all(*f, f->frame_number())) << "frame " << f->frame_number();
            EXPECT_EQ(f->frame_number(), last + 1) << "a forged or lost frame after " << forgeries[k];
            last = f->frame_number();
            if (remote.stats().dropped_samples > k) ++frames_after;
        }
        EXPECT_EQ(remote.stats().dropped_samples, k + 1) << forgeries[k];
    }
    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0);
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
}
