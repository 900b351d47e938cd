// Typed frames (smx/typed.hpp): the schema a struct of Tensors gives, Tensor's value semantics
// and index checks, and a typed writer and reader in one process (the cross-process and
// cross-language checks are in tests/python/test_interop.py with the test peer's typed roles).

#include "unit_support.hpp"

#include <smx/smx.hpp>
#include <smx/typed.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <numeric>

namespace app {
struct Camera {
    smx::Tensor<std::uint8_t, 48, 64, 3> color;
    smx::Tensor<std::uint16_t, 48, 64> depth;
    smx::Tensor<double, 4, 4> extrinsics;
    smx::Tensor<double> exposure;  // no dimensions: numpy's shape ()
};
SMX_FRAME(Camera, color, depth, extrinsics, exposure);

struct NarrowDepth {
    smx::Tensor<std::uint16_t, 48, 60> depth;
};
SMX_FRAME(NarrowDepth, depth);

// The fields users ask for in their first week: strings, and up to N rows.
struct Detections {
    smx::String<16> frame_id;
    smx::Tensor<smx::FixedString<8>, 3> labels;
    smx::Bounded<float, 10, 4> boxes;
    smx::Bounded<std::uint32_t, 5> ids;
};
SMX_FRAME(Detections, frame_id, labels, boxes, ids);
}  // namespace app

namespace {

using namespace std::chrono_literals;

TEST(Typed, the_schema_lists_the_fields_in_declaration_order_with_their_dtypes_and_shapes) {
    const smx::Schema expected{
        {"color", smx::DType::Kind::u1, {48, 64, 3}},
        {"depth", smx::DType::Kind::u2, {48, 64}},
        {"extrinsics", smx::DType::Kind::f8, {4, 4}},
        {"exposure", smx::DType::Kind::f8, {}},
    };
    EXPECT_EQ(smx::schema_of<app::Camera>(), expected) << smx::schema_of<app::Camera>().to_string();
    static_assert(smx::is_frame_type_v<app::Camera>);
    static_assert(!smx::is_frame_type_v<int>);
    static_assert(smx::Tensor<std::uint16_t, 48, 64>::count == 48 * 64);
    static_assert(smx::Tensor<double>::rank == 0 && smx::Tensor<double>::count == 1);
}

TEST(Typed, a_tensor_of_its_own_is_zeroed_copies_deeply_and_assignment_copies_elements) {
    app::Camera a;
    EXPECT_TRUE(std::all_of(a.depth.begin(), a.depth.end(), [](std::uint16_t v) { return v == 0; }));
    a.depth(47, 63) = 7;
    app::Camera b = a;  // its own storage
    EXPECT_NE(b.depth.data(), a.depth.data());
    EXPECT_EQ(b.depth(47, 63), 7);
    b.depth(47, 63) = 9;
    EXPECT_EQ(a.depth(47, 63), 7);
    const std::uint16_t* before = a.depth.data();
    a.depth = b.depth;  // into a's storage, which stays where it was
    EXPECT_EQ(a.depth.data(), before);
    EXPECT_EQ(a.depth(47, 63), 9);
    EXPECT_EQ(a.depth.flat().size(), 48u * 64u);
    EXPECT_EQ(a.depth.view().shape(), (smx::Shape{48, 64}));
    a.exposure() = 0.5;
    EXPECT_EQ(a.exposure[0], 0.5);
}

TEST(Typed, at_checks_every_index_and_names_it) {
    app::Camera c;
    EXPECT_NO_THROW(c.color.at(47, 63, 2));
    try {
        (void)c.color.at(47, 64, 0);
        FAIL() << "at() accepted an index out of range";
    } catch (const smx::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("index 64 of dimension 1 is out of range for shape (48, 64, 3)"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW((void)c.depth.at(-1, 0), smx::InvalidArgument);
}

#ifndef NDEBUG
TEST(TypedDeathTest, operator_call_asserts_on_an_index_out_of_range_in_debug_builds) {
    app::Camera c;
    EXPECT_DEATH((void)c.depth(48, 0), "index out of range");
}
#endif

// One typed writer and reader in this process: a loan's members are views into the slot, the
// reader's are read-only views of the same bytes, and write(const Camera&) copies.
TEST(Typed, a_typed_writer_and_reader_move_frames_through_loans_and_copies) {
    const std::string topic = smx::test::unique_topic("typed_rw");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);
    smx::Participant participant;
    smx::TypedWriter<app::Camera> writer(participant, topic);
    smx::TypedReader<app::Camera> reader(participant, topic);
    ASSERT_TRUE(reader.wait_for_writer(10s));
    EXPECT_EQ(reader.untyped().schema(), smx::schema_of<app::Camera>());

    auto loan = writer.loan();
    ASSERT_TRUE(loan);
    EXPECT_EQ(static_cast<void*>(loan->depth.data()),
              static_cast<void*>(loan.untyped().field<std::uint16_t>("depth").data()))
        << "a loan's member is a view into its slot";
    std::iota(loan->depth.begin(), loan->depth.end(), std::uint16_t{1});
    loan->extrinsics(3, 3) = 1.0;
    loan->exposure() = 0.25;
    ASSERT_TRUE(writer.publish(std::move(loan)));
    EXPECT_FALSE(loan) << "published: the loan is empty";
    EXPECT_THROW((void)loan.untyped(), smx::Closed);

    auto frame = reader.next(10s, smx::Hold::pin);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->depth(0, 0), 1);
    EXPECT_EQ(frame->depth(47, 63), 48 * 64);
    EXPECT_EQ(frame->extrinsics(3, 3), 1.0);
    EXPECT_EQ(frame->exposure(), 0.25);
    EXPECT_EQ(static_cast<const void*>(frame->depth.data()),
              static_cast<const void*>(frame.untyped().field<std::uint16_t>("depth").data()))
        << "a frame's member is a view into the slot (zero copy)";
    app::Camera copy;
    ASSERT_TRUE(frame.copy_to(copy));
    EXPECT_EQ(copy.depth(47, 63), 48 * 64);
    EXPECT_TRUE(frame.valid());
    frame.release();

    copy.depth(1, 1) = 4242;
    copy.color(2, 3, 1) = 200;
    ASSERT_TRUE(writer.write(copy));
    auto second = reader.next(10s, smx::Hold::pin);
    ASSERT_TRUE(second);
    EXPECT_EQ(second.frame_number(), 2u);
    EXPECT_EQ(second->depth(1, 1), 4242);
    EXPECT_EQ(second->color(2, 3, 1), 200);
    EXPECT_TRUE(std::equal(copy.depth.begin(), copy.depth.end(), second->depth.begin()));
    // Moved from, a loan or frame is empty: a stale handle cannot write into (or read) a slot
    // that is no longer its own.
    auto first = writer.loan();
    ASSERT_TRUE(first);
    auto moved = std::move(first);
    EXPECT_FALSE(first);
    EXPECT_THROW((void)first.untyped(), smx::Closed);
    ASSERT_TRUE(moved);
    moved->depth(0, 0) = 77;
    ASSERT_TRUE(writer.publish(std::move(moved)));
    auto held = reader.next(10s, smx::Hold::pin);
    ASSERT_TRUE(held);
    auto taken = std::move(held);
    EXPECT_FALSE(held);
    EXPECT_EQ(taken->depth(0, 0), 77);
    EXPECT_TRUE(taken.valid());
    smx::Tensor<std::uint16_t, 4> owner;
    smx::Tensor<std::uint16_t, 4> thief(std::move(owner));
    EXPECT_EQ(owner.data(), nullptr) << "a moved-from Tensor keeps no pointer into the new owner's storage";
    EXPECT_NE(thief.data(), nullptr);

    const auto none = reader.next(10ms);
    EXPECT_FALSE(none) << "no third frame";
    EXPECT_THROW((void)none.untyped(), smx::Closed);
}

TEST(Typed, strings_and_bounded_fields_have_the_schema_numpy_spells) {
    const smx::Schema expected{
        {"frame_id", smx::DType::string(16), {}},
        {"labels", smx::DType::string(8), {3}},
        {"boxes", smx::DType::Kind::f4, {10, 4}, true},
        {"ids", smx::DType::Kind::u4, {5}, true},
    };
    const smx::Schema schema = smx::schema_of<app::Detections>();
    EXPECT_EQ(schema, expected) << schema.to_string();
    EXPECT_EQ(schema.to_string(), "frame_id |S16 (); labels |S8 (3,); boxes <f4 (<=10, 4); ids <u4 (<=5,)");
    EXPECT_EQ(schema.offset(2) - schema.length_offset(2), smx::FIELD_ALIGNMENT);
    EXPECT_THROW((void)schema.length_offset(0), smx::InvalidArgument);
    EXPECT_NE(schema.hash(), smx::Schema({{"frame_id", smx::DType::string(16), {}},
                                          {"labels", smx::DType::string(8), {3}},
                                          {"boxes", smx::DType::Kind::f4, {10, 4}},
                                          {"ids", smx::DType::Kind::u4, {5}, true}})
                                 .hash())
        << "boundedness is part of the schema";
    static_assert(smx::dtype_of<smx::FixedString<32>>().kind() == smx::DType::Kind::S);
    EXPECT_EQ(smx::dtype_of<smx::FixedString<32>>(), smx::DType::string(32));
    EXPECT_STREQ(smx::dtype_of<smx::FixedString<32>>().typestr(), "|S32");
}

TEST(Typed, a_bounded_field_of_its_own_keeps_its_rows_and_checks_them) {
    app::Detections d;
    EXPECT_EQ(d.boxes.size(), 0u);
    d.boxes.resize(2);
    d.boxes(1, 3) = 7.5f;
    EXPECT_EQ(d.boxes.live_shape(), (smx::Shape{2, 4}));
    EXPECT_EQ(d.boxes.flat().size(), 8u);
    EXPECT_THROW(d.boxes.resize(11), smx::InvalidArgument);
    EXPECT_THROW((void)d.boxes.at(2, 0), smx::InvalidArgument) << "row 2 is beyond the 2 live rows";
    for (std::uint32_t i = 0; i < 5; ++i) d.ids.push_back(i);
    EXPECT_THROW(d.ids.push_back(5), smx::InvalidArgument) << "full";
    app::Detections copy = d;
    EXPECT_EQ(copy.boxes.size(), 2u);
    EXPECT_EQ(copy.boxes(1, 3), 7.5f);
    d.frame_id() = "camera_link";
    EXPECT_EQ(d.frame_id().view(), "camera_link");
    EXPECT_THROW(d.frame_id() = "seventeen bytes!!", smx::InvalidArgument) << "nothing is truncated silently";
    EXPECT_THROW(d.frame_id() = std::string_view("a\0b", 3), smx::InvalidArgument);
    d.labels(2) = "12345678";  // exactly the capacity: no NUL
    EXPECT_EQ(d.labels(2).view(), "12345678");
    d.labels(1) = std::string_view("ab\0\0", 4);  // trailing NULs are padding
    EXPECT_EQ(d.labels(1).view(), "ab");
    try {
        (void)d.boxes.at(-1, 0);
        FAIL() << "a negative row was accepted";
    } catch (const smx::InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("row -1 is not one of the 2 live rows"), std::string::npos) << e.what();
    }
    // Moved from, a field has no elements: using it throws instead of writing through null.
    smx::Bounded<float, 4, 2> source;
    source.resize(2);
    smx::Bounded<float, 4, 2> taken(std::move(source));
    EXPECT_EQ(taken.size(), 2u);
    EXPECT_EQ(source.size(), 0u);
    EXPECT_THROW(source.resize(3), smx::Closed);
    EXPECT_THROW((void)source.at(0, 0), smx::Closed);
    EXPECT_THROW(source = taken, smx::Closed);
    smx::String<8> text;
    smx::String<8> text_taken(std::move(text));
    EXPECT_THROW(text = text_taken, smx::Closed);
    EXPECT_THROW((void)text.at(), smx::Closed);
}

// Strings and bounded fields through a loan, a copy and the untyped API: readers see the live
// rows only, a loan starts at 0 rows, lengths beyond the capacity are refused.
TEST(Typed, strings_and_bounded_fields_travel_through_loans_and_copies) {
    const std::string topic = smx::test::unique_topic("typed_bounded");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);
    smx::Participant participant;
    smx::TypedWriter<app::Detections> writer(participant, topic);
    smx::TypedReader<app::Detections> reader(participant, topic);
    ASSERT_TRUE(reader.wait_for_writer(10s));

    app::Detections d;
    d.frame_id() = "cam0";
    d.labels(0) = "person";
    d.boxes.resize(3);
    d.boxes(2, 1) = 2.5f;
    d.ids.push_back(42);
    ASSERT_TRUE(writer.write(d));
    auto frame = reader.next(10s, smx::Hold::pin);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->frame_id().view(), "cam0");
    EXPECT_EQ(frame->labels(0).view(), "person");
    EXPECT_EQ(frame->labels(1).view(), "");
    EXPECT_EQ(frame->boxes.size(), 3u);
    EXPECT_EQ(frame->boxes(2, 1), 2.5f);
    EXPECT_EQ(frame->ids.size(), 1u);
    EXPECT_EQ(frame->ids(0), 42u);
    const smx::Frame& untyped = frame.untyped();
    EXPECT_EQ(untyped.length(2), 3u);
    EXPECT_EQ(untyped.shape(2), (smx::Shape{3, 4}));
    EXPECT_EQ(untyped.field<float>("boxes").shape(), (smx::Shape{3, 4}));
    EXPECT_EQ(untyped.bytes(2).size(), 3u * 4u * sizeof(float));
    EXPECT_EQ(untyped.length(0), 1u) << "shape (): one element";
    std::vector<std::byte> buffer(untyped.schema()[2].nbytes());
    std::uint64_t rows = 0;
    EXPECT_TRUE(untyped.copy_field_into(2, buffer, rows));
    EXPECT_EQ(rows, 3u) << "the rows copied";
    float copied = 0;
    std::memcpy(&copied, buffer.data() + (2 * 4 + 1) * sizeof(float), sizeof copied);
    EXPECT_EQ(copied, 2.5f);
    app::Detections back;
    ASSERT_TRUE(frame.copy_to(back));
    EXPECT_EQ(back.boxes.size(), 3u);
    EXPECT_EQ(back.frame_id().view(), "cam0");
    frame.release();

    auto loan = writer.loan();
    ASSERT_TRUE(loan);
    EXPECT_EQ(loan->boxes.size(), 0u) << "a loan starts at 0 rows, whatever the slot held";
    EXPECT_EQ(loan.untyped().length(2), 0u);
    EXPECT_THROW(loan.untyped().set_length("boxes", 11), smx::InvalidArgument);
    EXPECT_THROW(loan.untyped().set_length("frame_id", 1), smx::InvalidArgument);
    loan->boxes.resize(10);
    loan->boxes(9, 3) = -1.0f;
    loan->frame_id() = "cam1";
    ASSERT_TRUE(writer.publish(std::move(loan)));
    auto second = reader.next(10s, smx::Hold::pin);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->boxes.size(), 10u);
    EXPECT_EQ(second->boxes(9, 3), -1.0f);
    EXPECT_EQ(second->ids.size(), 0u);
    EXPECT_EQ(second->frame_id().view(), "cam1");
    second.release();

    // The untyped writer: a bounded field takes 0..capacity rows, nothing more.
    smx::Writer& w = writer.untyped();
    const std::array<std::uint32_t, 6> six{1, 2, 3, 4, 5, 6};
    const std::array<float, 4> box{1, 2, 3, 4};
    const smx::FixedString<16> id{"cam2"};
    const std::array<smx::FixedString<8>, 3> labels{};
    auto refs = [&](std::uint64_t ids) {
        return std::vector<smx::ArrayRef>{
            smx::ArrayRef(&id, smx::DType::string(16), smx::Shape{}),
            smx::ArrayRef(labels.data(), smx::DType::string(8), smx::Shape{3}),
            smx::array_ref(box.data(), smx::Shape{1, 4}),
            smx::array_ref(six.data(), smx::Shape{ids}),
        };
    };
    EXPECT_THROW((void)w.write(refs(6)), smx::InvalidArgument) << "6 rows into a capacity of 5";
    ASSERT_TRUE(w.write(refs(0)));
    auto third = reader.next(10s);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->boxes.size(), 1u);
    EXPECT_EQ(third->ids.size(), 0u);
    EXPECT_EQ(third->frame_id().view(), "cam2");
    EXPECT_TRUE(third.valid());
}

// A typed reader of another layout is refused as an untyped one with a template is.
TEST(Typed, a_typed_reader_of_another_schema_is_refused_naming_the_difference) {
    const std::string topic = smx::test::unique_topic("typed_mismatch");
    smx::unit::ShmCleanup cleanup(smx::test::shm_prefix() + topic);
    smx::Participant participant;
    smx::Writer writer(participant, topic, smx::Schema{{"depth", smx::DType::Kind::u2, {48, 64}}});
    smx::TypedReader<app::NarrowDepth> reader(participant, topic);
    try {
        (void)reader.wait_for_writer(10s);
        FAIL() << "a reader of another shape attached";
    } catch (const smx::SchemaMismatch& e) {
        EXPECT_NE(std::string(e.what()).find("depth: shape (48, 60) vs (48, 64)"), std::string::npos) << e.what();
    }
}

}  // namespace
