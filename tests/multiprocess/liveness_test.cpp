// Liveness comes from the segment's locks, not from pids or from blocking calls: a writer ended by
// SIGTERM or SIGKILL leaves nothing behind for long, a polling reader sees it gone, and writers
// and readers in different PID namespaces (containers sharing /dev/shm) do not take each other
// for dead.

#include "multiprocess.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using smx::test::Child;

namespace {

const smx::Schema SMALL{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};

std::vector<std::string> writer_args(const std::string& topic, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {smx::test::peer(), "writer", "--topic", topic, "--schema", "small",
                                     "--frames", "2", "--linger"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// The same command as PID 1 of a new PID namespace (with its own /proc, sharing /dev/shm).
std::vector<std::string> in_new_pid_namespace(std::vector<std::string> argv) {
    std::vector<std::string> out = {"/usr/bin/unshare", "--pid", "--fork", "--kill-child", "--mount-proc"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

// Reads until the reader sees the writer gone; how long that took.
std::optional<std::chrono::milliseconds> time_to_writer_gone(smx::Reader& reader, bool polling,
                                                             std::chrono::steady_clock::time_point since) {
    const auto deadline = since + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (polling) {
            (void)reader.latest();  // the seed's loop: never blocks
            std::this_thread::sleep_for(5ms);  // the application's own work between polls
        } else {
            (void)reader.next(200ms);
        }
        if (reader.state() == smx::ReaderState::writer_gone)
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since);
    }
    return std::nullopt;
}

// A peer writer of `topic` (it published frames 1 and 2, then lingers) and a reader of this
// process attached to it; nothing of the topic is left in /dev/shm afterwards.
struct AttachedReader {
    AttachedReader(const std::string& topic_, const std::vector<std::string>& writer_argv)
        : topic(topic_), guard(topic_), writer(writer_argv), reader(participant, topic_) {}

    ::testing::AssertionResult ready() {
        if (!writer.wait_for_line("PUBLISHED", 15s)) return ::testing::AssertionFailure() << writer.transcript();
        if (!reader.wait_for_writer(10s)) return ::testing::AssertionFailure() << "the reader did not attach to the live writer";
        return ::testing::AssertionSuccess();
    }

    std::string topic;
    smx::test::ShmGuard guard;
    Child writer;
    smx::Participant participant;
    smx::Reader reader;
};

}  // namespace

TEST(Liveness, a_writer_ended_by_SIGTERM_closes_for_its_readers_and_removes_its_segment) {
    const std::string topic = smx::test::unique_topic("live_term");
    AttachedReader run(topic, writer_args(topic));
    ASSERT_TRUE(run.ready());
    Child& writer = run.writer;
    smx::Reader& reader = run.reader;
    writer.signal(SIGTERM);
    EXPECT_EQ(writer.exit_code(10s), -SIGTERM) << "the process must still end by its signal";
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty()) << "SIGTERM left the segment";
    // The handler closed the writer: no liveness check needed, the reader learns it at its next look.
    (void)reader.latest();
    EXPECT_EQ(reader.state(), smx::ReaderState::writer_gone);
}

TEST(Liveness, a_writer_whose_application_handles_SIGTERM_keeps_its_segment_while_it_lives) {
    const std::string topic = smx::test::unique_topic("live_term_app");
    smx::test::ShmGuard guard(topic);
    Child writer(writer_args(topic, {"--handle-sigterm"}));
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED", 15s)) << writer.transcript();
    writer.signal(SIGTERM);
    writer.send_line("status");
    ASSERT_TRUE(writer.wait_for_line("SIGTERMS 1", 10s)) << writer.transcript();
    EXPECT_FALSE(smx::test::shm_entries_containing(topic).empty()) << "a live writer lost its segment";
    smx::Participant participant;
    smx::Reader reader(participant, topic);
    EXPECT_TRUE(reader.wait_for_writer(10s));
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(Liveness, a_reader_that_finds_a_SIGKILLed_writer_dead_removes_its_segment) {
    const std::string topic = smx::test::unique_topic("live_kill");
    AttachedReader run(topic, writer_args(topic));
    ASSERT_TRUE(run.ready());
    Child& writer = run.writer;
    smx::Reader& reader = run.reader;
    writer.signal(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    ASSERT_EQ(writer.exit_code(10s), -SIGKILL);
    ASSERT_FALSE(smx::test::shm_entries_containing(topic).empty()) << "nothing to remove: the test tests nothing";
    const auto gone = time_to_writer_gone(reader, false, killed);
    ASSERT_TRUE(gone) << "the blocked reader never saw the writer gone";
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty()) << "the reader left the dead writer's segment";
    // A new writer of the topic starts at once, and the reader follows it.
    smx::Writer second(run.participant, topic, SMALL);
    ASSERT_TRUE(smx::test::write_frame(second));
    const auto f = reader.next(10s);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->info().session, second.session());
}

TEST(Liveness, a_polling_reader_sees_a_SIGKILLed_writer_gone_within_a_second) {
    const std::string topic = smx::test::unique_topic("live_poll");
    AttachedReader run(topic, writer_args(topic));
    ASSERT_TRUE(run.ready());
    Child& writer = run.writer;
    smx::Reader& reader = run.reader;
    ASSERT_TRUE(reader.latest());
    writer.signal(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    const auto gone = time_to_writer_gone(reader, true, killed);
    ASSERT_TRUE(gone) << "a polling reader never saw the writer gone";
    EXPECT_LT(gone->count(), 1000) << "ms";
    EXPECT_FALSE(reader.latest()) << "a dead writer's last frame is still handed out";
}

// Containers sharing /dev/shm but not a PID namespace: the writer's pid means nothing here.
TEST(Liveness, a_writer_in_another_pid_namespace_is_read_as_live_and_seen_gone_when_killed) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare --pid";
    const std::string topic = smx::test::unique_topic("live_pidns_w");
    AttachedReader run(topic, in_new_pid_namespace(writer_args(topic)));
    ASSERT_TRUE(run.ready()) << "the writer in another PID namespace was taken for dead";
    Child& writer = run.writer;
    smx::Reader& reader = run.reader;
    const auto f = reader.latest();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->frame_number(), 2u);
    EXPECT_TRUE(smx::pattern::check_all(*f, 2));
    // Still attached after several liveness checks.
    EXPECT_FALSE(reader.next(500ms));
    EXPECT_EQ(reader.state(), smx::ReaderState::attached);
    writer.signal(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    ASSERT_TRUE(writer.exit_code(10s).has_value());
    EXPECT_TRUE(time_to_writer_gone(reader, false, killed));
}

TEST(Liveness, a_pinning_reader_in_another_pid_namespace_keeps_its_pins) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare --pid";
    const std::string topic = smx::test::unique_topic("live_pidns_r");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    smx::WriterOptions options;
    options.slots = 3;
    options.when_full = smx::WhenFull::fail;
    smx::Writer writer(participant, topic, SMALL, options);
    ASSERT_TRUE(smx::test::write_frame(writer));
    Child pinner(in_new_pid_namespace({smx::test::peer(), "pinner", "--topic", topic, "--pins", "2"}));
    ASSERT_TRUE(pinner.wait_for_line("PIN ", 15s)) << pinner.transcript();
    ASSERT_TRUE(smx::test::write_frame(writer));
    ASSERT_TRUE(pinner.wait_for_line("PINNED 2", 15s)) << pinner.transcript();
    ASSERT_TRUE(smx::test::write_frame(writer));  // the third slot
    // Two slots pinned, the third the latest: nothing may be overwritten, the pinner is alive.
    EXPECT_EQ(smx::test::write_frame(writer).status, smx::PublishStatus::all_slots_held);
    pinner.send_line("check");
    const auto checked = pinner.wait_for_line("CHECKED", 10s);
    ASSERT_TRUE(checked) << pinner.transcript();
    EXPECT_EQ(*checked, "CHECKED ok=2 bad=0 pinned=2");
    pinner.send_line("quit");
    EXPECT_TRUE(pinner.exit_code(10s).has_value());
}

// A process that may only read the segment can take read locks on it, but a read lock is not
// a writer: it neither keeps a SIGKILLed writer "alive" nor stops its successor.
TEST(Liveness, a_read_lock_on_the_writers_lock_byte_neither_fakes_a_dead_writers_life_nor_blocks_a_successor) {
    const std::string topic = smx::test::unique_topic("live_rdlock");
    AttachedReader run(topic, writer_args(topic));
    ASSERT_TRUE(run.ready());
    const std::string path = "/dev/shm" + smx::test::shm_prefix() + topic;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    run.writer.signal(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    ASSERT_EQ(run.writer.exit_code(10s), -SIGKILL);
    struct flock lock {};
    lock.l_type = F_RDLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = static_cast<off_t>(std::uint64_t{1} << 52);  // WRITER_LOCK_BYTE (src/shm/layout.hpp)
    lock.l_len = 1;
    ASSERT_EQ(::fcntl(fd, F_OFD_SETLK, &lock), 0) << std::strerror(errno);
    EXPECT_TRUE(time_to_writer_gone(run.reader, false, killed)) << "a read lock kept a dead writer alive";
    smx::Writer successor(run.participant, topic, SMALL);  // must not be refused as a second writer
    ASSERT_TRUE(smx::test::write_frame(successor));
    const auto f = run.reader.next(10s);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->info().session, successor.session());
    ::close(fd);
}

// interrupt() rings the topic's shared doorbell; readers must not take those rings for a live
// writer's frames.
TEST(Liveness, a_sibling_readers_interrupts_do_not_hide_a_SIGKILLed_writer) {
    const std::string topic = smx::test::unique_topic("live_nudge");
    AttachedReader run(topic, writer_args(topic));
    ASSERT_TRUE(run.ready());
    smx::Reader sibling(run.participant, topic);
    ASSERT_TRUE(sibling.wait_for_writer(10s));
    std::atomic<bool> stop{false};
    std::thread nudger([&] {
        while (!stop.load()) {
            sibling.interrupt();
            std::this_thread::sleep_for(20ms);
        }
    });
    run.writer.signal(SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    const auto gone = time_to_writer_gone(run.reader, false, killed);
    stop = true;
    nudger.join();
    ASSERT_TRUE(gone) << "interrupts of another reader kept a dead writer alive";
    EXPECT_LT(gone->count(), 1000) << "ms";
}

// The first process of a PID namespace ignores SIGTERM while its action is the default, so smx
// installs no handler there: the writer must go on working, not be closed by a signal that then
// does not end the process.
TEST(Liveness, a_writer_that_is_pid_1_of_its_namespace_keeps_working_through_a_SIGTERM_it_ignores) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare --pid";
    const std::string topic = smx::test::unique_topic("live_pid1");
    AttachedReader run(topic, in_new_pid_namespace(writer_args(topic)));
    ASSERT_TRUE(run.ready());
    // unshare --fork: the writer is unshare's only child, PID 1 inside.
    std::ifstream children("/proc/" + std::to_string(run.writer.pid()) + "/task/" +
                           std::to_string(run.writer.pid()) + "/children");
    pid_t init = 0;
    ASSERT_TRUE(children >> init) << "no child of unshare";
    ASSERT_TRUE(run.reader.next(1s));  // the newest frame, read before the signal
    ASSERT_EQ(::kill(init, SIGTERM), 0);
    run.writer.send_line("status");  // answered only by a live process: the signal was handled (or not)
    ASSERT_TRUE(run.writer.wait_for_line("SIGTERMS 0", 10s)) << run.writer.transcript();
    EXPECT_FALSE(run.reader.next(300ms));
    EXPECT_EQ(run.reader.state(), smx::ReaderState::attached) << "the writer was closed by a signal it survived";
    EXPECT_FALSE(smx::test::shm_entries_containing(topic).empty());
    run.writer.send_line("quit");
    EXPECT_EQ(run.writer.exit_code(10s), 0) << run.writer.transcript();
}

// The SIGTERM handler removes the name only if it is still its writer's object: after someone
// removed it and a new writer took the topic, the name is the new writer's.
TEST(Liveness, a_SIGTERMed_writer_whose_name_was_taken_over_leaves_the_new_writers_segment) {
    const std::string topic = smx::test::unique_topic("live_term_succ");
    smx::test::ShmGuard guard(topic);
    Child first(writer_args(topic));
    ASSERT_TRUE(first.wait_for_line("PUBLISHED", 15s)) << first.transcript();
    ASSERT_EQ(::unlink(("/dev/shm" + smx::test::shm_prefix() + topic).c_str()), 0);  // a careless rm
    smx::Participant participant;
    smx::Writer second(participant, topic, SMALL);
    first.signal(SIGTERM);
    EXPECT_EQ(first.exit_code(10s), -SIGTERM);
    EXPECT_EQ(smx::test::shm_entries_containing(topic).size(), 1u) << "the old writer removed its successor's segment";
    smx::Reader reader(participant, topic);
    ASSERT_TRUE(reader.wait_for_writer(10s));
    ASSERT_TRUE(smx::test::write_frame(second));
    EXPECT_TRUE(reader.next(10s));
}
