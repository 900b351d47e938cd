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

// Sends `line` through the injector until `arrived()` holds, reading one genuine frame from
// `reader` after each send and handing it to `check`: a sample sent before the reader's side of
// DDS matched the injector's writer never arrives (discovery takes a moment; the payload topic
// is volatile). Call with ASSERT_NO_FATAL_FAILURE.
template <class Arrived, class Check>
void send_until_arrived(Child& injector, int& sent, const std::string& line, smx::Reader& reader, Arrived arrived,
                        Check check) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!arrived() && std::chrono::steady_clock::now() < deadline) {
        injector.send_line(line);
        ASSERT_TRUE(injector.wait_for_line("SENT " + std::to_string(++sent), 10s)) << injector.transcript();
        auto f = reader.next(2s);
        ASSERT_TRUE(f) << "frames stopped after: " << line;
        check(*f);
    }
    ASSERT_TRUE(arrived()) << line << " never arrived";
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
    // 8 slots and 8 frames kept for remote readers: the writer's sender and this reader may each
    // stall for most of a second (sanitizers on a busy machine) and still lose nothing.
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "rgbd", "--frames", std::to_string(FRAMES),
                  "--rate", "10", "--linger", "--slots", "8", "--network-depth", "8"});
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
    // match is not always repaired. After it, nothing may be lost. Frames before the first one
    // received are history when the reader attached before any arrived (not "missed"), and
    // missed when the catch-up had announced them: at most first - 1 either way.
    EXPECT_LE(first, 5u) << "the network path took half a second to start";
    EXPECT_EQ(received, FRAMES - first + 1) << "frames were lost after the first";
    EXPECT_EQ(remote.stats().dropped_samples, 0u);
    EXPECT_LE(remote.stats().missed, first - 1) << "frames were counted missed after the first";
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
    // 10 Hz, 8 slots and 8 frames kept: forged samples share the reader's keep-last window with
    // genuine ones, and a reader or a sender slowed down (sanitizers, a busy machine) must still
    // see every genuine frame for the stream to be checked frame by frame.
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "10",
                  "--network-depth", "8", "--slots", "8"});
    const auto ready = writer.wait_for_line("READY", 15s);
    ASSERT_TRUE(ready) << writer.transcript();
    const std::string session = smx::test::words(*ready).at(3);
    auto first = remote.next(10s);
    ASSERT_TRUE(first) << writer.transcript();

    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    std::uint64_t last = first->frame_number();
    first.reset();
    const std::vector<std::string> forgeries{
        "payload " + session + " 18446744073709551615 " + std::to_string(small.frame_size()),
        "payload " + session + " 1000000 " + std::to_string(small.frame_size() + 1)};
    // One at a time: each must arrive and be dropped, while every genuine frame comes, in order.
    const auto next_in_order = [&last](const smx::Frame& f) {
        EXPECT_TRUE(smx::pattern::check_all(f, f.frame_number())) << "frame " << f.frame_number();
        EXPECT_EQ(f.frame_number(), last + 1) << "a forged or lost frame after frame " << last;
        last = f.frame_number();
    };
    int sent = 0;
    for (const std::string& forgery : forgeries) {
        const std::uint64_t dropped_before = remote.stats().dropped_samples;
        ASSERT_NO_FATAL_FAILURE(send_until_arrived(
            injector, sent, forgery, remote, [&] { return remote.stats().dropped_samples > dropped_before; },
            next_in_order));
        for (int i = 0; i < 5; ++i) {  // the stream goes on
            auto f = remote.next(2s);
            ASSERT_TRUE(f) << "the stream stopped after frame " << last << " (" << forgery << ")";
            next_in_order(*f);
        }
    }
    EXPECT_LE(remote.stats().dropped_samples, static_cast<std::uint64_t>(sent));
    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0);
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
}

// A reader that joins after another remote reader left gets what the writer's slots hold now,
// not the last frames sent to the one that left (which DDS history would replay, minutes old).
TEST(Remote, a_reader_that_joins_later_starts_at_the_writers_current_frames_not_at_old_ones_sent_before) {
    const std::string topic = smx::test::unique_topic("remote_late");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "40"});
    ASSERT_TRUE(writer.wait_for_line("READY", 15s)) << writer.transcript();
    smx::Reader local(participant, topic);
    std::uint64_t last_sent = 0;
    {
        smx::Reader first(participant, topic, over_the_network());
        for (int i = 0; i < 5; ++i) {
            auto f = first.next(10s);
            ASSERT_TRUE(f) << writer.transcript();
            last_sent = f->frame_number();
        }
    }  // the first remote reader leaves; the writer goes on without sending
    // The writer moves well past the last frame sent (seen by a local reader, no sleeping).
    std::uint64_t now = 0;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (now < last_sent + 40 && std::chrono::steady_clock::now() < deadline)
        if (auto f = local.next(2s)) now = f->frame_number();
    ASSERT_GE(now, last_sent + 40);
    smx::Reader second(participant, topic, over_the_network());
    auto f = second.next(10s);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->transport(), smx::Transport::dds);
    EXPECT_GE(f->frame_number(), now - 2) << "a frame sent to the reader that left (" << last_sent
                                          << ") replayed to one that joined at frame " << now;
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
}

// An info that does not describe a usable writer (here: no fields) is ignored and counted; the
// reader goes on with the writer it reads. (It once let go of it and never found it again.)
TEST(Remote, an_unusable_info_is_ignored_and_does_not_cut_a_remote_reader_off_its_writer) {
    const std::string topic = smx::test::unique_topic("remote_garbage_info");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "20"});
    ASSERT_TRUE(writer.wait_for_line("READY", 15s)) << writer.transcript();
    smx::Reader remote(participant, topic, over_the_network());
    ASSERT_TRUE(remote.next(10s)) << writer.transcript();
    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    int sent = 0;
    ASSERT_NO_FATAL_FAILURE(send_until_arrived(
        injector, sent, "info 00000000000004d2 /bogus 3 otherhost", remote,
        [&] { return remote.stats().notices_ignored > 0; }, [](const smx::Frame&) {}));
    for (int i = 0; i < 10; ++i) {
        auto f = remote.next(2s);
        ASSERT_TRUE(f) << "the reader was cut off its writer by an unusable info";
        EXPECT_EQ(f->transport(), smx::Transport::dds);
    }
    EXPECT_EQ(remote.state(), smx::ReaderState::attached);
    EXPECT_EQ(remote.stats().attachments, 1u);
    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0);
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
}

// A reader that holds every buffer it may (16 frames) waits for frames without spinning: samples
// that arrive meanwhile are let go (counted as missed once it reads on), not left with DDS to
// wake it again at once.
TEST(Remote, a_reader_holding_all_its_buffers_waits_without_spinning_and_reads_on_when_it_lets_go) {
    const std::string topic = smx::test::unique_topic("remote_hold16");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "50"});
    ASSERT_TRUE(writer.wait_for_line("READY", 15s)) << writer.transcript();
    smx::Reader remote(participant, topic, over_the_network());
    std::vector<smx::Frame> held;
    while (held.size() < 16) {
        auto f = remote.next(10s);
        ASSERT_TRUE(f) << "held " << held.size();
        held.push_back(std::move(*f));
    }
    const auto sleeps_before = remote.stats().sleeps;
    EXPECT_FALSE(remote.next(1s)) << "a 17th frame while 16 are held";
    EXPECT_LT(remote.stats().sleeps - sleeps_before, 500u) << "the wait spun";
    for (const smx::Frame& f : held) EXPECT_TRUE(smx::pattern::check_all(f, f.frame_number()));
    const std::uint64_t last_held = held.back().frame_number();
    held.clear();
    auto f = remote.next(10s);
    ASSERT_TRUE(f) << "nothing after letting go";
    EXPECT_GT(f->frame_number(), last_held);
    EXPECT_TRUE(smx::pattern::check_all(*f, f->frame_number()));
    EXPECT_GT(remote.stats().missed, 0u) << "frames let go while held are missed";
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
}

// Only the announcing participant's payload writer keeps a remote writer alive: another
// participant's (a forger's, a second writer elsewhere) cannot hide that it closed.
TEST(Remote, another_participants_payload_writer_does_not_keep_a_closed_writer_alive) {
    const std::string topic = smx::test::unique_topic("remote_alive");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "20"});
    const auto ready = writer.wait_for_line("READY", 15s);
    ASSERT_TRUE(ready) << writer.transcript();
    const std::string session = smx::test::words(*ready).at(3);
    smx::Reader remote(participant, topic, over_the_network());
    ASSERT_TRUE(remote.next(10s)) << writer.transcript();
    Child injector({smx::test::injector(), "--topic", topic, "--matches", "0", "--timeout-ms", "10000"});
    ASSERT_TRUE(injector.wait_for_line("READY", 15s)) << injector.transcript();
    // Until the reader refused one: the injector's payload writer is matched with it then.
    int sent = 0;
    ASSERT_NO_FATAL_FAILURE(send_until_arrived(
        injector, sent, "payload " + session + " 1000000 8", remote,
        [&] { return remote.stats().dropped_samples > 0; }, [](const smx::Frame&) {}));
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    const auto deadline = std::chrono::steady_clock::now() + 8s;
    while (remote.state() != smx::ReaderState::writer_gone && std::chrono::steady_clock::now() < deadline)
        (void)remote.next(200ms);
    EXPECT_EQ(remote.state(), smx::ReaderState::writer_gone) << "a forger's payload writer kept the writer alive";
    injector.send_line("quit");
    EXPECT_EQ(injector.exit_code(10s), 0);
}
