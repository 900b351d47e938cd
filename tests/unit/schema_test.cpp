// Schema: validation with messages that name the field and the rule, the slot layout, the stable
// hash, and differences() in words.

#include "unit_support.hpp"

#include <smx/error.hpp>
#include <smx/schema.hpp>

#include <gtest/gtest.h>

using smx::DType;
using smx::Field;
using smx::Schema;
using smx::Shape;
using smx::unit::message_of;
using K = smx::DType::Kind;

namespace {

Schema rgbd(std::uint64_t width) {
    return Schema{
        {"timestamp", K::f8, {1}},
        {"color", K::u1, {480, width, 3}},
        {"depth", K::u2, {480, width}},
    };
}

std::string schema_error(std::vector<Field> fields) {
    return message_of<smx::InvalidArgument>([&] { Schema s(std::move(fields)); });
}

}  // namespace

// ---- validation ---------------------------------------------------------------------------

TEST(Schema, a_schema_without_fields_is_refused) {
    EXPECT_EQ(schema_error({}), "schema has no fields: give at least one array field");
}

TEST(Schema, a_duplicate_field_name_is_refused_naming_the_field) {
    EXPECT_EQ(schema_error({{"depth", K::u2, {2}}, {"color", K::u1, {2}}, {"depth", K::u2, {2}}}),
              "field name 'depth' appears twice");
}

TEST(Schema, an_empty_field_name_is_refused) {
    EXPECT_EQ(schema_error({{"", K::u1, {2}}}), "field name '' must be 1..63 bytes long");
}

TEST(Schema, a_field_name_with_a_space_or_control_character_is_refused) {
    EXPECT_EQ(schema_error({{"my field", K::u1, {2}}}),
              "field name 'my field' must consist of printable ASCII characters without spaces");
    EXPECT_EQ(schema_error({{std::string("tab\there"), K::u1, {2}}}),
              "field name 'tab\there' must consist of printable ASCII characters without spaces");
    EXPECT_EQ(schema_error({{std::string("caf\xc3\xa9"), K::u1, {2}}}),
              "field name 'caf\xc3\xa9' must consist of printable ASCII characters without spaces");
}

TEST(Schema, a_field_name_longer_than_the_limit_is_refused_and_one_at_the_limit_accepted) {
    const std::string at_limit(smx::MAX_FIELD_NAME, 'n');
    EXPECT_NO_THROW(Schema({{at_limit, K::u1, {1}}}));
    const std::string too_long(smx::MAX_FIELD_NAME + 1, 'n');
    EXPECT_EQ(schema_error({{too_long, K::u1, {1}}}), "field name '" + too_long + "' must be 1..63 bytes long");
}

TEST(Schema, a_dimension_of_zero_is_refused_naming_the_field_and_shape) {
    EXPECT_EQ(schema_error({{"depth", K::u2, {480, 0}}}),
              "field 'depth' has shape (480, 0): every dimension must be at least 1");
}

TEST(Schema, a_shape_with_more_than_the_maximum_dimensions_is_refused) {
    EXPECT_NO_THROW(Shape({1, 2, 3, 4, 5, 6, 7, 8}));
    const std::string msg = message_of<smx::InvalidArgument>([] { Shape s({1, 2, 3, 4, 5, 6, 7, 8, 9}); });
    EXPECT_EQ(msg, "shape has 9 dimensions; at most 8 are supported");
    const std::string from_vector =
        message_of<smx::InvalidArgument>([] { Shape s(std::vector<std::uint64_t>(12, 1)); });
    EXPECT_EQ(from_vector, "shape has 12 dimensions; at most 8 are supported");
}

TEST(Schema, more_than_the_maximum_number_of_fields_is_refused_and_the_maximum_accepted) {
    std::vector<Field> fields;
    for (std::size_t i = 0; i < smx::MAX_FIELDS; ++i) fields.push_back({"f" + std::to_string(i), K::u1, {1}});
    EXPECT_NO_THROW(Schema{fields});
    fields.push_back({"one_too_many", K::u1, {1}});
    EXPECT_EQ(schema_error(fields), "schema has 65 fields; at most 64 are supported");
}

TEST(Schema, a_field_whose_size_overflows_64_bits_is_refused) {
    // 2^32 * 2^32 elements overflow before the item size is even applied.
    EXPECT_EQ(schema_error({{"huge", K::u1, {1ull << 32, 1ull << 32}}}),
              "field 'huge' of shape (4294967296, 4294967296) and dtype |u1 is larger than the limit of "
              "1099511627776 bytes");
    // Elements fit, bytes do not: 2^62 elements of 8 bytes.
    EXPECT_EQ(schema_error({{"wide", K::f8, {1ull << 62}}}),
              "field 'wide' of shape (4611686018427387904,) and dtype <f8 is larger than the limit of "
              "1099511627776 bytes");
}

TEST(Schema, a_field_over_the_frame_limit_is_refused_and_one_at_the_limit_accepted) {
    EXPECT_NO_THROW(Schema({{"tib", K::u1, {smx::MAX_FRAME_BYTES}}}));
    EXPECT_EQ(schema_error({{"big", K::u2, {smx::MAX_FRAME_BYTES / 2 + 1}}}),
              "field 'big' of shape (549755813889,) and dtype <u2 is larger than the limit of 1099511627776 bytes");
}

TEST(Schema, fields_that_together_exceed_the_frame_limit_are_refused) {
    const std::uint64_t half = smx::MAX_FRAME_BYTES / 2;
    EXPECT_NO_THROW(Schema({{"a", K::u1, {half}}, {"b", K::u1, {half}}}));
    EXPECT_EQ(schema_error({{"a", K::u1, {half}}, {"b", K::u1, {half}}, {"c", K::u1, {1}}}),
              "schema is larger than the limit of 1099511627776 bytes per frame");
    // The alignment padding counts too: 'a' ends one byte past a 64-byte boundary.
    EXPECT_EQ(schema_error({{"a", K::u1, {half + 1}}, {"b", K::u1, {half - 1}}}),
              "schema is larger than the limit of 1099511627776 bytes per frame");
}

// ---- layout -------------------------------------------------------------------------------

TEST(Schema, every_field_starts_64_byte_aligned_without_overlapping_the_previous_one) {
    const Schema s{{"a", K::u1, {3}}, {"b", K::f8, {7}}, {"c", K::u2, {65}}, {"d", K::c16, {1}}, {"e", K::b1, {1}}};
    std::uint64_t end = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        EXPECT_EQ(s.offset(i) % smx::FIELD_ALIGNMENT, 0u) << s[i].name;
        EXPECT_GE(s.offset(i), end) << s[i].name;
        EXPECT_LT(s.offset(i), end + smx::FIELD_ALIGNMENT) << s[i].name << " is padded more than needed";
        end = s.offset(i) + s[i].nbytes();
    }
    EXPECT_EQ(s.frame_size(), end);
    EXPECT_EQ(s.offset(0), 0u);
    EXPECT_EQ(s.offset(1), 64u);
    EXPECT_EQ(s.offset(2), 128u);
    EXPECT_EQ(s.offset(3), 320u);  // 128 + 130 bytes, rounded up
    EXPECT_EQ(s.offset(4), 384u);
    EXPECT_EQ(s.frame_size(), 385u);
}

TEST(Schema, nbytes_is_elements_times_itemsize) {
    const Schema s = rgbd(848);
    EXPECT_EQ(s.field("color").nbytes(), 480u * 848u * 3u);
    EXPECT_EQ(s.field("depth").nbytes(), 480u * 848u * 2u);
    EXPECT_EQ(s.field("timestamp").nbytes(), 8u);
}

TEST(Schema, an_unknown_field_name_is_refused_listing_the_fields) {
    const Schema s = rgbd(848);
    EXPECT_EQ(s.index_of("ir"), -1);
    EXPECT_EQ(s.index_of("depth"), 2);
    EXPECT_EQ(message_of<smx::InvalidArgument>([&] { s.field("ir"); }),
              "no field 'ir' in the schema (fields: timestamp, color, depth)");
}

TEST(Schema, to_string_uses_numpy_spellings) {
    EXPECT_EQ(rgbd(848).to_string(), "timestamp <f8 (1,); color |u1 (480, 848, 3); depth <u2 (480, 848)");
}

// ---- hash ---------------------------------------------------------------------------------

// The hash is stored in every segment header and a reader recomputes it from the fields: a
// reader built with another hash rejects the segment, so changing it is a layout change. If this
// value changes, bump LAYOUT_VERSION.
TEST(Schema, hash_of_a_fixed_schema_is_a_fixed_known_value) {
    const Schema s{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}};
    EXPECT_EQ(s.hash(), 0xbd9904f686a3d172ull);
    EXPECT_EQ(rgbd(848).hash(), 0x297580431b3c28b7ull);
    EXPECT_EQ(Schema({{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}}).hash(), s.hash());
}

TEST(Schema, hash_differs_when_a_name_dtype_shape_or_order_differs) {
    const Schema base{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}};
    const std::vector<Schema> others = {
        Schema{{"A", K::i4, {4}}, {"b", K::f4, {2, 3}}},
        Schema{{"a", K::u4, {4}}, {"b", K::f4, {2, 3}}},
        Schema{{"a", K::i4, {4}}, {"b", K::f4, {3, 2}}},
        Schema{{"a", K::i4, {4}}, {"b", K::f4, {6}}},
        Schema{{"a", K::i4, {4}}, {"b", K::f4, {2, 3, 1}}},
        Schema{{"b", K::f4, {2, 3}}, {"a", K::i4, {4}}},
        Schema{{"a", K::i4, {4}}},
        Schema{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}, {"c", K::u1, {1}}},
    };
    for (const Schema& o : others) {
        EXPECT_NE(o.hash(), base.hash()) << o.to_string();
        EXPECT_FALSE(o == base) << o.to_string();
    }
    EXPECT_NE(rgbd(848).hash(), rgbd(640).hash());
}

TEST(Schema, names_containing_separators_do_not_make_two_schemas_hash_alike) {
    // With a naive "name:dtype:shape;" text these two would share one canonical string.
    const Schema one{{"x:|u1:(1,);y", K::u1, {1}}};
    const Schema two{{"x", K::u1, {1}}, {"y", K::u1, {1}}};
    EXPECT_NE(one.hash(), two.hash());
}

// ---- differences --------------------------------------------------------------------------

TEST(Schema, equal_schemas_have_no_differences) {
    EXPECT_TRUE(rgbd(848).differences(rgbd(848)).empty());
    EXPECT_TRUE(rgbd(848) == rgbd(848));
}

TEST(Schema, differences_name_every_shape_difference_in_words) {
    EXPECT_EQ(rgbd(848).differences(rgbd(640)),
              (std::vector<std::string>{"color: shape (480, 848, 3) vs (480, 640, 3)",
                                        "depth: shape (480, 848) vs (480, 640)"}));
}

TEST(Schema, differences_name_a_dtype_difference) {
    const Schema expected{{"depth", K::u2, {480, 848}}};
    const Schema actual{{"depth", K::f4, {480, 848}}};
    EXPECT_EQ(expected.differences(actual), (std::vector<std::string>{"depth: dtype <u2 vs <f4"}));
}

TEST(Schema, differences_name_missing_and_extra_fields) {
    const Schema expected{{"color", K::u1, {4, 4, 3}}, {"ir", K::u1, {4, 4}}};
    const Schema actual{{"color", K::u1, {4, 4, 3}}, {"points", K::f4, {100, 3}}};
    EXPECT_EQ(expected.differences(actual),
              (std::vector<std::string>{"ir: missing in the writer's schema (expected |u1 (4, 4))",
                                        "points: only in the writer's schema (<f4 (100, 3))"}));
}

TEST(Schema, differences_name_a_different_field_order) {
    const Schema expected{{"color", K::u1, {4}}, {"depth", K::u2, {4}}};
    const Schema actual{{"depth", K::u2, {4}}, {"color", K::u1, {4}}};
    EXPECT_EQ(expected.differences(actual),
              (std::vector<std::string>{"field order: [color, depth] vs [depth, color]"}));
}

TEST(Schema, differences_list_every_difference_at_once) {
    const Schema expected{
        {"timestamp", K::f8, {1}}, {"color", K::u1, {480, 848, 3}}, {"depth", K::u2, {480, 848}}, {"ir", K::u1, {480, 848}}};
    const Schema actual{
        {"depth", K::f4, {480, 640}}, {"timestamp", K::f8, {1}}, {"color", K::u1, {480, 848, 3}}, {"pose", K::f8, {4, 4}}};
    EXPECT_EQ(expected.differences(actual), (std::vector<std::string>{
                                                "depth: dtype <u2 vs <f4",
                                                "depth: shape (480, 848) vs (480, 640)",
                                                "ir: missing in the writer's schema (expected |u1 (480, 848))",
                                                "pose: only in the writer's schema (<f8 (4, 4))",
                                                "field order: [timestamp, color, depth] vs [depth, timestamp, color]",
                                            }));
}
