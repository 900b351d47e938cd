// Inspection (smx/inspect.hpp, Segment::inspect): what tools read about a domain's segments,
// read-only and without registering; broken or foreign files are reported, not fatal.

#include "unit_support.hpp"

#include "shm/layout.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"
#include "support.hpp"

#include <smx/inspect.hpp>
#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <unistd.h>

using smx::detail::ReaderRegistration;
using smx::detail::Segment;
using smx::detail::SegmentConfig;
using smx::detail::SegmentHeader;
using smx::detail::SlotWriter;
using smx::test::unique_topic;
using smx::unit::held_by_this_process;
using smx::unit::ShmCleanup;
using K = smx::DType::Kind;

namespace {

const smx::Schema SMALL{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}};

std::unique_ptr<Segment> create(const std::string& topic) {
    SegmentConfig c;
    c.domain_id = smx::test::test_domain();
    c.topic = topic;
    c.session = 0xfeedface12345678ull;
    return Segment::create(c, SMALL);
}

void publish(Segment& seg, std::uint64_t frame, std::int64_t timestamp) {
    SlotWriter writer(seg);
    const auto slot = writer.acquire(std::chrono::nanoseconds(0));
    ASSERT_TRUE(slot);
    writer.commit(*slot, frame, timestamp);
}

const smx::SegmentInfo* find_topic(const std::vector<smx::SegmentInfo>& all, const std::string& topic) {
    for (const auto& s : all)
        if (s.error.empty() && s.topic == topic) return &s;
    return nullptr;
}

}  // namespace

TEST(Inspect, reports_schema_writer_session_slots_and_newest_frame_of_a_segment) {
    const std::string topic = unique_topic("insp_basic");
    auto seg = create(topic);
    ShmCleanup cleanup(seg->name());
    publish(*seg, 1, 1000);
    publish(*seg, 2, 2000);

    const auto info = smx::inspect_topic(smx::test::test_domain(), topic);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->error, "");
    EXPECT_EQ(info->topic, topic);
    EXPECT_EQ(info->segment_name, smx::test::shm_prefix() + topic);
    EXPECT_EQ(info->path, "/dev/shm" + smx::test::shm_prefix() + topic);
    EXPECT_EQ(info->size_bytes, seg->header().segment_size);
    EXPECT_EQ(info->mode, 0600u);
    EXPECT_EQ(info->owner_uid, ::getuid());
    EXPECT_EQ(info->session, 0xfeedface12345678ull);
    EXPECT_EQ(info->writer.pid, ::getpid());
    EXPECT_TRUE(info->writer.alive);
    EXPECT_GT(info->writer_started_ns, 0);
    ASSERT_TRUE(info->schema);
    EXPECT_EQ(*info->schema, SMALL);
    EXPECT_EQ(info->slot_count, 3u);
    EXPECT_EQ(info->reader_capacity, 64u);
    EXPECT_EQ(info->newest_frame, 2u);
    EXPECT_EQ(info->newest_timestamp_ns, 2000);
    EXPECT_TRUE(info->readers.empty());
    EXPECT_TRUE(info->live());

    const auto all = smx::inspect_domain(smx::test::test_domain());
    const smx::SegmentInfo* listed = find_topic(all, topic);
    ASSERT_NE(listed, nullptr);
    EXPECT_EQ(listed->newest_frame, 2u);
}

TEST(Inspect, lists_reader_registrations_with_pid_and_pins_without_adding_one) {
    const std::string topic = unique_topic("insp_readers");
    auto seg = create(topic);
    ShmCleanup cleanup(seg->name());
    publish(*seg, 1, 1000);
    {
        ReaderRegistration reg(*seg, topic);
        std::uint32_t slot = 0;
        while (seg->slot(slot).frame_number.load() != 1) ++slot;
        ASSERT_TRUE(reg.pin(slot, seg->slot(slot).seq.load()));
        const auto info = smx::inspect_topic(smx::test::test_domain(), topic);
        ASSERT_TRUE(info);
        ASSERT_EQ(info->readers.size(), 1u) << "inspection registers no reader of its own";
        EXPECT_EQ(info->readers[0].process.pid, ::getpid());
        EXPECT_TRUE(info->readers[0].process.alive);
        EXPECT_EQ(info->readers[0].pins, 1u);
        EXPECT_EQ(info->live_reader_count(), 1u);
        reg.unpin(slot);
    }
    EXPECT_TRUE(smx::inspect_topic(smx::test::test_domain(), topic)->readers.empty());
}

TEST(Inspect, maps_only_the_control_part_read_only_and_keeps_nothing_open) {
    const std::string topic = unique_topic("insp_ro");
    auto seg = create(topic);
    ShmCleanup cleanup(seg->name());
    const std::string needle = seg->name().substr(1);
    const std::size_t held_by_writer = held_by_this_process(needle).size();
    {
        const auto inspected = Segment::inspect(seg->name());
        ASSERT_TRUE(inspected);
        const auto held = held_by_this_process(needle);
        std::size_t readonly_maps = 0, writable_maps = 0;
        for (const auto& h : held) {
            if (h.rfind("map: ", 0) != 0) continue;
            // "map: start-end perms offset ..." — inspection adds one read-only shared mapping.
            const std::string perms = h.substr(h.find(' ', 5) + 1, 4);
            (perms == "r--s" ? readonly_maps : writable_maps) += 1;
        }
        EXPECT_EQ(readonly_maps, 1u) << ::testing::PrintToString(held);
        EXPECT_EQ(inspected->header().slot_count, 3u);
        EXPECT_FALSE(inspected->is_owner());
    }
    EXPECT_EQ(held_by_this_process(needle).size(), held_by_writer) << "inspection released everything";
    EXPECT_TRUE(smx::unit::stat_shm(seg->name())) << "inspection never removes a segment";
}

TEST(Inspect, a_foreign_file_is_listed_with_its_reason_instead_of_failing_the_listing) {
    const std::string topic = unique_topic("insp_foreign");
    const std::string name = smx::test::shm_prefix() + topic;
    ShmCleanup cleanup(name);
    const char junk[] = "not a segment at all, just some bytes";
    smx::unit::write_shm_file(name, junk, sizeof junk);
    const auto all = smx::inspect_domain(smx::test::test_domain());
    const auto it = std::find_if(all.begin(), all.end(), [&](const smx::SegmentInfo& s) { return s.segment_name == name; });
    ASSERT_NE(it, all.end());
    EXPECT_EQ(it->error_code, smx::ErrorCode::segment_corrupt);
    EXPECT_NE(it->error.find("is not an smx segment"), std::string::npos) << it->error;
    EXPECT_EQ(it->size_bytes, sizeof junk);
    EXPECT_FALSE(it->live());
    EXPECT_TRUE(smx::unit::stat_shm(name)) << "never removed";
}

TEST(Inspect, skips_the_temporaries_of_writers_being_created) {
    const std::string topic = unique_topic("insp_tmp");
    const std::string name = smx::test::shm_prefix() + topic + "~t0123456789abcdef";
    ShmCleanup cleanup(name);
    const char junk[] = "half-built";
    smx::unit::write_shm_file(name, junk, sizeof junk);
    for (const auto& s : smx::inspect_domain(smx::test::test_domain())) EXPECT_EQ(s.segment_name.find(topic), std::string::npos) << s.segment_name;
    EXPECT_FALSE(smx::inspect_topic(smx::test::test_domain(), topic));
}

TEST(Inspect, a_segment_copied_under_another_name_is_not_taken_for_that_topic) {
    const std::string topic = unique_topic("insp_copy");
    const std::string copy = smx::test::shm_prefix() + topic + "_copy";
    ShmCleanup cleanup(copy);
    {
        auto seg = create(topic);
        ShmCleanup original(seg->name());
        const auto bytes = smx::unit::read_file(smx::unit::shm_path(seg->name()));
        smx::unit::write_shm_file(copy, bytes.data(), bytes.size());
    }
    const auto info = smx::inspect_topic(smx::test::test_domain(), topic + "_copy");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->error_code, smx::ErrorCode::segment_corrupt);
    EXPECT_NE(info->error.find("claims domain " + std::to_string(smx::test::test_domain()) + ", whose segment for this topic is '" + smx::test::shm_prefix() + topic + "'"),
              std::string::npos)
        << info->error;
}

TEST(Inspect, a_segment_whose_writer_is_gone_is_reported_dead) {
    const std::string topic = unique_topic("insp_dead");
    const std::string name = smx::test::shm_prefix() + topic;
    ShmCleanup cleanup(name);
    std::vector<char> bytes;
    {
        auto seg = create(topic);
        bytes = smx::unit::read_file(smx::unit::shm_path(seg->name()));
    }
    smx::unit::write_shm_file(name, bytes.data(), bytes.size());
    // Our own pid with another start time: a process that reused the writer's pid.
    smx::unit::tamper_value<std::uint64_t>(name, offsetof(SegmentHeader, writer_start_time), 1);
    const auto info = smx::inspect_topic(smx::test::test_domain(), topic);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->error, "");
    EXPECT_EQ(info->writer.pid, ::getpid());
    EXPECT_FALSE(info->writer.alive);
    EXPECT_FALSE(info->live());
}

TEST(Inspect, an_absent_topic_is_nullopt_and_bad_arguments_throw) {
    EXPECT_FALSE(smx::inspect_topic(smx::test::test_domain(), unique_topic("insp_none")));
    EXPECT_THROW(smx::inspect_domain(231), smx::InvalidArgument);
    EXPECT_THROW(smx::inspect_topic(smx::test::test_domain(), ""), smx::InvalidArgument);
    EXPECT_EQ(smx::segment_name_of(3, "a.b"), "/smx.3.a.2eb");
}
