// A segment truncated under a live writer and its reader (by anyone who may write the file):
// nobody dies of SIGBUS, a pinned frame stops claiming to be valid, the reader lets go of the
// writer, and the writer's next call says what happened.

#include "unit_support.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(Truncation, writer_reader_and_pinned_frame_of_a_truncated_segment_survive_and_say_so) {
    const std::string topic = smx::test::unique_topic("trunc_api");
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
