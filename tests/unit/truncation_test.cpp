// A segment truncated under a live writer and its reader (by anyone who may write the file):
// nobody dies of SIGBUS, a pinned frame stops claiming to be valid, the reader lets go of the
// writer, and the writer's next call says what happened.

#include "unit_support.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(Truncation, writer_reader_and_pinned_frame_of_a_truncated_segment_survive_and_say_so) {
    const std::string topic = smx::test::unique_topic("trunc_api");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);  // even when the test fails half-way
    const smx::Schema schema{{"v", smx::DType::Kind::u1, {100000}}};
    smx::Participant participant;
    smx::Writer writer(participant, topic, schema);
    smx::Reader reader(participant, topic, schema);
    std::vector<std::uint8_t> bytes(100000, 7);
    const smx::ArrayRef ref(bytes.data(), smx::DType(smx::DType::Kind::u1), smx::Shape({100000}));
    ASSERT_TRUE(writer.write({&ref, 1}));
    auto frame = reader.next(10s, smx::Hold::pin);
    ASSERT_TRUE(frame);
    ASSERT_TRUE(frame->valid());

    ASSERT_EQ(::truncate(smx::unit::shm_path(writer.segment_name()).c_str(), 0), 0);
    EXPECT_EQ(frame->field<std::uint8_t>("v")[99999], 0u);  // SIGBUS here without the guard
    EXPECT_FALSE(frame->valid()) << "a pinned frame whose memory is gone claims to be valid";
    EXPECT_FALSE(reader.next(1s));
    EXPECT_EQ(reader.state(), smx::ReaderState::writer_gone);
    const std::string msg = smx::unit::message_of<smx::SegmentCorrupt>([&] { writer.write({&ref, 1}); });
    EXPECT_NE(msg.find("topic '" + topic + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("was truncated by another process"), std::string::npos) << msg;
    frame.reset();
    reader.close();
    writer.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// Truncated to half its size, a segment keeps its header and slot table: seq values still match,
// but the frames in the cut part read as the guard's zeros. None of view, copy or pin may pass
// those zeros off as the frame (found by the chaos test, tests/chaos).
TEST(Truncation, frames_in_the_cut_part_of_a_segment_truncated_to_half_are_not_valid) {
    const std::string topic = smx::test::unique_topic("trunc_half");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);  // even when the test fails half-way
    const smx::Schema schema{{"v", smx::DType::Kind::u1, {1 << 20}}};
    smx::Participant participant;
    smx::WriterOptions options;
    options.slots = 2;
    smx::Writer writer(participant, topic, schema, options);
    std::vector<std::uint8_t> bytes(1 << 20, 7);
    const smx::ArrayRef ref(bytes.data(), smx::DType(smx::DType::Kind::u1), smx::Shape({1 << 20}));
    ASSERT_TRUE(writer.write({&ref, 1}));
    ASSERT_TRUE(writer.write({&ref, 1}));  // frame 2, in slot 1: the second half of the payload
    const std::string path = smx::unit::shm_path(writer.segment_name());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);

    {  // a view, read after the truncation
        smx::Reader reader(participant, topic, schema);
        auto view = reader.latest();
        ASSERT_TRUE(view);
        ASSERT_EQ(view->info().slot, 1u);
        ASSERT_EQ(::truncate(path.c_str(), st.st_size / 2), 0);
        EXPECT_EQ(view->field<std::uint8_t>("v")[(1 << 20) - 1], 0u);  // the guard's zeros
        EXPECT_FALSE(view->valid()) << "zeros of a truncated segment pass for the frame";
    }
    writer.close();
    smx::Writer second(participant, topic, schema, options);
    ASSERT_TRUE(second.write({&ref, 1}));
    ASSERT_TRUE(second.write({&ref, 1}));
    const std::string path2 = smx::unit::shm_path(second.segment_name());
    {  // a pin held across the truncation, and a copy made after it
        smx::Reader reader(participant, topic, schema);
        auto pinned = reader.latest(smx::Hold::pin);
        ASSERT_TRUE(pinned);
        ASSERT_EQ(pinned->info().slot, 1u);
        smx::Reader copier(participant, topic, schema);
        ASSERT_TRUE(copier.wait_for_writer(10s));
        ASSERT_EQ(::truncate(path2.c_str(), st.st_size / 2), 0);
        EXPECT_EQ(pinned->field<std::uint8_t>("v")[(1 << 20) - 1], 0u);
        EXPECT_FALSE(pinned->valid()) << "a pinned frame whose memory is gone claims to be valid";
        std::vector<std::byte> copy(1 << 20);
        const smx::CopyResult r = copier.copy_latest(copy);
        EXPECT_FALSE(r && std::to_integer<int>(copy[(1 << 20) - 1]) != 7)
            << "copy_latest says ok for a copy of the guard's zeros";
    }
    second.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
