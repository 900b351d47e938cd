// Object lifetimes of the public types: a loan that outlives its writer, and every call on a
// moved-from Frame, Writer, Reader or Loan throws Closed (or is a documented no-op) instead of
// touching freed or null memory.

#include "unit_support.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <optional>

using namespace std::chrono_literals;

namespace {

smx::Schema small_schema() { return smx::Schema{{"v", smx::DType::Kind::u4, {4}}}; }

}  // namespace

TEST(Lifetime, a_loan_that_outlives_its_writer_throws_Closed_and_its_destruction_touches_nothing) {
    const std::string topic = smx::test::unique_topic("life_loan");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);  // even when the test fails half-way
    smx::Participant participant;
    std::optional<smx::Loan> loan;
    std::shared_ptr<const void> owner;
    {
        smx::Writer writer(participant, topic, small_schema());
        loan = writer.loan();
        ASSERT_TRUE(loan);
        owner = loan->memory_owner();
    }
    EXPECT_THROW((void)loan->bytes(0), smx::Closed);
    EXPECT_THROW((void)loan->field<std::uint32_t>("v"), smx::Closed);
    EXPECT_THROW((void)loan->memory_owner(), smx::Closed);
    EXPECT_EQ(loan->schema(), small_schema());  // what it was a loan of stays known
    loan.reset();                                // abandons nothing: the writer is gone
    owner.reset();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(Lifetime, a_loan_outliving_a_moved_from_writer_follows_the_writer_it_was_moved_to) {
    const std::string topic = smx::test::unique_topic("life_loan_move");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);  // even when the test fails half-way
    smx::Participant participant;
    smx::Writer first(participant, topic, small_schema());
    auto loan = first.loan();
    ASSERT_TRUE(loan);
    smx::Writer second = std::move(first);
    loan->field<std::uint32_t>("v")[0] = 7;
    EXPECT_TRUE(second.publish(std::move(*loan)));
    EXPECT_EQ(second.frames_published(), 1u);
}

TEST(Lifetime, every_call_on_a_moved_from_writer_throws_Closed) {
    const std::string topic = smx::test::unique_topic("life_writer");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);  // even when the test fails half-way
    smx::Participant participant;
    smx::Writer writer(participant, topic, small_schema());
    smx::Writer other = std::move(writer);
    EXPECT_THROW((void)writer.topic(), smx::Closed);
    EXPECT_THROW((void)writer.schema(), smx::Closed);
    EXPECT_THROW((void)writer.segment_name(), smx::Closed);
    EXPECT_THROW((void)writer.loan(), smx::Closed);
    std::uint32_t v[4] = {};
    const smx::ArrayRef ref(v, smx::DType(smx::DType::Kind::u4), smx::Shape({4}));
    EXPECT_THROW((void)writer.write({&ref, 1}), smx::Closed);
    EXPECT_EQ(writer.session(), 0u);
    EXPECT_EQ(writer.reader_count(), 0u);
    EXPECT_EQ(writer.frames_published(), 0u);
    writer.close();  // a no-op
    EXPECT_EQ(other.topic(), topic);
}

TEST(Lifetime, every_call_on_a_moved_from_reader_throws_Closed) {
    const std::string topic = smx::test::unique_topic("life_reader");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);  // even when the test fails half-way
    smx::Participant participant;
    smx::Reader reader(participant, topic);
    smx::Reader other = std::move(reader);
    EXPECT_THROW((void)reader.topic(), smx::Closed);
    EXPECT_THROW((void)reader.latest(), smx::Closed);
    EXPECT_THROW((void)reader.next(1ms), smx::Closed);
    EXPECT_THROW((void)reader.wait_for_writer(1ms), smx::Closed);
    EXPECT_THROW((void)reader.schema(), smx::Closed);
    std::byte buf[16];
    EXPECT_THROW((void)reader.copy_latest(buf), smx::Closed);
    EXPECT_THROW((void)reader.copy_next(buf, 1ms), smx::Closed);
    EXPECT_EQ(reader.state(), smx::ReaderState::closed);
    EXPECT_EQ(reader.schema_if_known(), nullptr);
    EXPECT_EQ(reader.stats().delivered, 0u);
    reader.interrupt();  // no-ops
    reader.close();
    EXPECT_EQ(other.topic(), topic);
}

TEST(Lifetime, every_call_on_a_moved_from_frame_throws_Closed) {
    const std::string topic = smx::test::unique_topic("life_frame");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);  // even when the test fails half-way
    smx::Participant participant;
    smx::Writer writer(participant, topic, small_schema());
    smx::Reader reader(participant, topic);
    auto loan = writer.loan();
    ASSERT_TRUE(loan);
    ASSERT_TRUE(writer.publish(std::move(*loan)));
    auto frame = reader.next(10s, smx::Hold::pin);
    ASSERT_TRUE(frame);
    smx::Frame kept = std::move(*frame);
    EXPECT_TRUE(kept.pinned());
    EXPECT_THROW((void)frame->schema(), smx::Closed);
    EXPECT_THROW((void)frame->field<std::uint32_t>("v"), smx::Closed);
    EXPECT_THROW((void)frame->data(0), smx::Closed);
    EXPECT_THROW((void)frame->bytes(0), smx::Closed);
    std::byte buf[16];
    EXPECT_THROW((void)frame->copy_into(buf), smx::Closed);
    EXPECT_THROW((void)frame->copy_field_into(0, buf), smx::Closed);
    EXPECT_FALSE(frame->valid());
    EXPECT_FALSE(frame->pinned());
    frame->release();  // a no-op
    EXPECT_TRUE(kept.valid());
    EXPECT_EQ(kept.field<std::uint32_t>("v").size(), 4u);
}
