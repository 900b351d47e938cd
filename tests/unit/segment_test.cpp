// Segment create/attach: the writer's lock, refusal of a second writer, replacement of stale
// segments, no temporaries left, unlink on destruction.

#include "unit_support.hpp"

#include "names.hpp"
#include "shm/process.hpp"
#include "shm/segment.hpp"
#include "support.hpp"

#include <smx/error.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <sys/file.h>
#include <thread>

using namespace std::chrono_literals;
using smx::detail::Segment;
using smx::detail::SegmentConfig;
using smx::test::Child;
using smx::test::shm_entries_containing;
using smx::test::unique_topic;
using smx::unit::message_of;
using smx::unit::ShmCleanup;
using smx::unit::stat_shm;
using K = smx::DType::Kind;

namespace {

const smx::Schema SMALL{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}};

SegmentConfig config_for(const std::string& topic, std::uint32_t slots = 3) {
    SegmentConfig c;
    c.domain_id = smx::test::test_domain();
    c.topic = topic;
    c.slots = slots;
    c.session = 0x1234567890abcdefull;
    return c;
}

std::string peer() { return smx::test::helper_path("smx_test_peer"); }

}  // namespace

TEST(Segment, create_places_the_segment_under_its_final_name_and_leaves_no_temporary) {
    const std::string topic = unique_topic("seg_final");
    auto seg = Segment::create(config_for(topic), SMALL);
    ShmCleanup cleanup(seg->name());
    EXPECT_EQ(seg->name(), smx::test::shm_prefix() + topic);
    EXPECT_TRUE(seg->is_owner());
    EXPECT_EQ(shm_entries_containing(topic), std::vector<std::string>{smx::test::shm_prefix().substr(1) + topic});
    const auto st = stat_shm(seg->name());
    ASSERT_TRUE(st);
    EXPECT_EQ(static_cast<std::uint64_t>(st->st_size), seg->header().segment_size);
}

TEST(Segment, the_layout_keeps_payload_page_aligned_and_slots_a_page_multiple_apart) {
    const std::string topic = unique_topic("seg_layout");
    auto seg = Segment::create(config_for(topic, 4), SMALL);
    ShmCleanup cleanup(seg->name());
    const auto& h = seg->header();
    const auto page = smx::detail::page_size();
    EXPECT_EQ(h.payload_offset % page, 0u);
    EXPECT_EQ(h.slot_stride % page, 0u);
    EXPECT_GE(h.slot_stride, SMALL.frame_size());
    EXPECT_EQ(h.segment_size, h.payload_offset + 4 * h.slot_stride);
    EXPECT_EQ(h.slot_table_offset % smx::detail::CACHE_LINE, 0u);
    EXPECT_GE(h.reader_table_offset, h.slot_table_offset + 4 * sizeof(smx::detail::SlotRecord));
    EXPECT_GE(h.payload_offset, h.reader_table_offset + h.reader_capacity * h.reader_stride);
    EXPECT_EQ(seg->payload(1) - seg->payload(0), static_cast<std::ptrdiff_t>(h.slot_stride));
}

TEST(Segment, the_writer_holds_an_exclusive_flock_for_its_whole_life) {
    const std::string topic = unique_topic("seg_flock");
    std::string name;
    {
        auto seg = Segment::create(config_for(topic), SMALL);
        name = seg->name();
        const int fd = ::open(smx::unit::shm_path(name).c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), -1);
        EXPECT_EQ(errno, EWOULDBLOCK);
        EXPECT_EQ(::flock(fd, LOCK_SH | LOCK_NB), -1) << "not even a shared lock may be taken";
        ::close(fd);
    }
    EXPECT_FALSE(stat_shm(name)) << "destroying the owner removes the segment";
}

TEST(Segment, a_second_create_on_the_same_topic_throws_WriterExists_naming_pid_and_host) {
    const std::string topic = unique_topic("seg_twice");
    auto first = Segment::create(config_for(topic), SMALL);
    ShmCleanup cleanup(first->name());
    const auto inode = stat_shm(first->name())->st_ino;
    const std::string msg = message_of<smx::WriterExists>([&] { Segment::create(config_for(topic), SMALL); });
    EXPECT_EQ(msg, "topic '" + topic + "' in domain " + std::to_string(smx::test::test_domain()) + " already has a live writer (pid " + std::to_string(::getpid()) +
                       ", host " + smx::detail::host_name() + "); stop that writer first or use another topic");
    EXPECT_EQ(stat_shm(first->name())->st_ino, inode) << "the live writer's segment is untouched";
    EXPECT_EQ(shm_entries_containing(topic).size(), 1u) << "the refused writer leaves no temporary";
}

TEST(Segment, a_live_writer_in_another_process_is_refused_naming_its_pid) {
    const std::string topic = unique_topic("seg_peer");
    Child writer({peer(), "writer", "--topic", topic, "--schema", "small", "--linger"});
    const auto ready = writer.wait_for_line("READY ", 20s);
    ASSERT_TRUE(ready) << writer.transcript();
    ShmCleanup cleanup(smx::test::shm_prefix() + topic);
    const std::string msg = message_of<smx::WriterExists>([&] { Segment::create(config_for(topic), SMALL); });
    EXPECT_EQ(msg, "topic '" + topic + "' in domain " + std::to_string(smx::test::test_domain()) + " already has a live writer (pid " +
                       std::to_string(writer.pid()) + ", host " + smx::detail::host_name() +
                       "); stop that writer first or use another topic");
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(20s), 0) << writer.transcript();
    EXPECT_TRUE(shm_entries_containing(topic).empty()) << "the peer removes its segment when it closes";
}

TEST(Segment, a_stale_segment_of_a_killed_writer_is_replaced_by_a_new_inode) {
    const std::string topic = unique_topic("seg_stale");
    const std::string name = smx::test::shm_prefix() + topic;
    ShmCleanup cleanup(name);
    Child writer({peer(), "writer", "--topic", topic, "--schema", "small", "--linger"});
    ASSERT_TRUE(writer.wait_for_line("READY ", 20s)) << writer.transcript();
    const auto old_inode = stat_shm(name)->st_ino;
    writer.signal(SIGKILL);
    ASSERT_EQ(writer.exit_code(20s), -SIGKILL);
    ASSERT_TRUE(stat_shm(name)) << "a killed writer leaves its segment behind";

    auto seg = Segment::create(config_for(topic), SMALL);
    const auto st = stat_shm(name);
    ASSERT_TRUE(st);
    EXPECT_NE(st->st_ino, old_inode);
    EXPECT_EQ(seg->header().writer_pid, ::getpid());
    EXPECT_EQ(shm_entries_containing(topic), std::vector<std::string>{smx::test::shm_prefix().substr(1) + topic});
    seg.reset();
    EXPECT_TRUE(shm_entries_containing(topic).empty());
}

TEST(Segment, a_stale_segment_with_another_schema_is_replaced_and_a_mapping_of_it_keeps_working) {
    const std::string topic = unique_topic("seg_stale_schema");
    const std::string name = smx::test::shm_prefix() + topic;
    ShmCleanup cleanup(name);
    // An unlocked copy of a complete segment is exactly what a dead writer leaves behind.
    std::vector<char> bytes;
    {
        auto old = Segment::create(config_for(topic), smx::Schema{{"old", K::u1, {100000}}});
        bytes = smx::unit::read_file(smx::unit::shm_path(name));
    }
    smx::unit::write_shm_file(name, bytes.data(), bytes.size());
    auto stale_reader = Segment::attach(name, topic);
    ASSERT_TRUE(stale_reader);
    const auto old_inode = stat_shm(name)->st_ino;

    auto seg = Segment::create(config_for(topic), SMALL);
    EXPECT_NE(stat_shm(name)->st_ino, old_inode);
    EXPECT_EQ(*seg->schema(), SMALL);
    // A reader still mapping the old object reads it to its end: it was unlinked, not shrunk.
    volatile std::byte last = stale_reader->payload(2)[99999];
    (void)last;
    EXPECT_EQ(stale_reader->schema()->field("old").nbytes(), 100000u);
    auto fresh = Segment::attach(name, topic);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(*fresh->schema(), SMALL);
}

TEST(Segment, a_temporary_left_by_a_crashed_creator_is_removed_but_a_locked_one_is_kept) {
    const std::string topic = unique_topic("seg_tmp");
    const std::string final_name = smx::test::shm_prefix() + topic;
    const std::string crashed = smx::detail::temporary_segment_name(final_name, 0x1111111111111111ull);
    const std::string building = smx::detail::temporary_segment_name(final_name, 0x2222222222222222ull);
    ShmCleanup c1(crashed), c2(building);
    smx::unit::write_shm_file(crashed, "x", 1);
    smx::unit::write_shm_file(building, "y", 1);
    // Another writer still building its temporary holds its lock.
    const int held = ::open(smx::unit::shm_path(building).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);

    auto seg = Segment::create(config_for(topic), SMALL);
    EXPECT_FALSE(stat_shm(crashed)) << "the crashed creator's temporary is gone";
    EXPECT_TRUE(stat_shm(building)) << "a temporary that is still locked is not ours to remove";
    ::close(held);
}

TEST(Segment, destruction_unlinks_the_segment) {
    const std::string topic = unique_topic("seg_unlink");
    auto seg = Segment::create(config_for(topic), SMALL);
    const std::string name = seg->name();
    ASSERT_TRUE(stat_shm(name));
    seg.reset();
    EXPECT_FALSE(stat_shm(name));
    EXPECT_TRUE(shm_entries_containing(topic).empty());
}

TEST(Segment, the_owner_never_unlinks_a_successors_segment) {
    const std::string topic = unique_topic("seg_successor");
    auto first = Segment::create(config_for(topic), SMALL);
    const std::string name = first->name();
    ShmCleanup cleanup(name);
    // Someone removed the name (e.g. rm /dev/shm/...), and a new writer took the topic.
    ASSERT_EQ(::shm_unlink(name.c_str()), 0);
    auto second = Segment::create(config_for(topic), SMALL);
    const auto inode = stat_shm(name)->st_ino;
    first.reset();
    ASSERT_TRUE(stat_shm(name)) << "the first owner removed its successor's segment";
    EXPECT_EQ(stat_shm(name)->st_ino, inode);
    second.reset();
    EXPECT_FALSE(stat_shm(name));
}

TEST(Segment, attach_returns_nothing_when_no_segment_exists) {
    const std::string topic = unique_topic("seg_none");
    EXPECT_EQ(Segment::attach(smx::test::shm_prefix() + topic, topic), nullptr);
}

TEST(Segment, attach_sees_the_writers_schema_session_and_geometry_but_does_not_own_it) {
    const std::string topic = unique_topic("seg_attach");
    auto config = config_for(topic, 5);
    config.reader_capacity = 7;
    auto seg = Segment::create(config, SMALL);
    ShmCleanup cleanup(seg->name());
    {
        auto reader = Segment::attach(seg->name(), topic);
        ASSERT_TRUE(reader);
        EXPECT_FALSE(reader->is_owner());
        EXPECT_EQ(*reader->schema(), SMALL);
        EXPECT_EQ(reader->session(), config.session);
        EXPECT_EQ(reader->slot_count(), 5u);
        EXPECT_EQ(reader->reader_capacity(), 7u);
        EXPECT_EQ(reader->header().writer_pid, ::getpid());
        EXPECT_STREQ(reader->header().topic, topic.c_str());
    }
    EXPECT_TRUE(stat_shm(seg->name())) << "a reader going away leaves the segment alone";
}

TEST(Segment, bad_slot_counts_and_reader_capacities_are_refused_before_anything_is_created) {
    const std::string topic = unique_topic("seg_bad_config");
    EXPECT_EQ(message_of<smx::InvalidArgument>([&] { Segment::create(config_for(topic, 1), SMALL); }),
              "slot count 1 is out of range 2..1024");
    EXPECT_EQ(message_of<smx::InvalidArgument>([&] { Segment::create(config_for(topic, 1025), SMALL); }),
              "slot count 1025 is out of range 2..1024");
    auto config = config_for(topic);
    config.reader_capacity = 0;
    EXPECT_EQ(message_of<smx::InvalidArgument>([&] { Segment::create(config, SMALL); }),
              "reader capacity 0 is out of range 1..4096");
    EXPECT_TRUE(shm_entries_containing(topic).empty());
}

// Writers starting at the same moment: exactly one wins, every other one is told that the topic
// has a live writer (never an odd system error), and no temporary survives.
TEST(Segment, of_writers_racing_for_one_topic_exactly_one_wins_and_the_others_get_WriterExists) {
    constexpr int ROUNDS = 200, RACERS = 4;
    for (int round = 0; round < ROUNDS; ++round) {
        const std::string topic = unique_topic("seg_race");
        ShmCleanup cleanup(smx::test::shm_prefix() + topic);
        std::atomic<int> go{0};
        std::vector<std::unique_ptr<Segment>> won(RACERS);
        std::vector<std::string> lost(RACERS);
        std::vector<std::thread> racers;
        for (int i = 0; i < RACERS; ++i)
            racers.emplace_back([&, i] {
                go.fetch_add(1);
                while (go.load() < RACERS) {
                }
                try {
                    won[i] = Segment::create(config_for(topic), SMALL);
                } catch (const smx::WriterExists&) {
                    lost[i] = "WriterExists";
                } catch (const std::exception& e) {
                    lost[i] = std::string(typeid(e).name()) + ": " + e.what();
                }
            });
        for (auto& t : racers) t.join();
        int winners = 0;
        for (int i = 0; i < RACERS; ++i) {
            if (won[i]) {
                ++winners;
            } else {
                EXPECT_EQ(lost[i], "WriterExists") << "round " << round;
            }
        }
        ASSERT_EQ(winners, 1) << "round " << round;
        EXPECT_EQ(shm_entries_containing(topic), std::vector<std::string>{smx::test::shm_prefix().substr(1) + topic}) << "round " << round;
    }
}
