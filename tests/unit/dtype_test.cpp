// DType: numpy typestr spellings parse both ways, with item sizes, and unsupported spellings
// are refused with a message that lists the accepted ones.

#include "unit_support.hpp"

#include <smx/dtype.hpp>
#include <smx/error.hpp>

#include <gtest/gtest.h>

using smx::DType;
using smx::unit::message_of;
using K = smx::DType::Kind;

namespace {

struct Spelling {
    K kind;
    const char* typestr;
    std::size_t itemsize;
};

const Spelling EVERY_DTYPE[] = {
    {K::b1, "|b1", 1}, {K::i1, "|i1", 1}, {K::u1, "|u1", 1},  {K::i2, "<i2", 2},  {K::u2, "<u2", 2},
    {K::i4, "<i4", 4}, {K::u4, "<u4", 4}, {K::i8, "<i8", 8},  {K::u8, "<u8", 8},  {K::f2, "<f2", 2},
    {K::f4, "<f4", 4}, {K::f8, "<f8", 8}, {K::c8, "<c8", 8},  {K::c16, "<c16", 16},
};

const std::string ACCEPTED = "(|b1 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 <f2 <f4 <f8 <c8 <c16) or a byte string |S1..|S65535";

std::string parse_error(std::string_view typestr) {
    return message_of<smx::InvalidArgument>([&] { DType::parse(typestr); });
}

}  // namespace

TEST(DType, every_supported_typestr_parses_to_its_kind_and_spells_back_the_same) {
    for (const Spelling& s : EVERY_DTYPE) {
        const DType d = DType::parse(s.typestr);
        EXPECT_EQ(d.kind(), s.kind) << s.typestr;
        EXPECT_STREQ(d.typestr(), s.typestr);
        EXPECT_EQ(d.itemsize(), s.itemsize) << s.typestr;
        EXPECT_TRUE(DType::is_valid(s.typestr)) << s.typestr;
        EXPECT_STREQ(DType(s.kind).typestr(), s.typestr);
    }
}

TEST(DType, native_order_and_one_byte_spellings_that_numpy_also_accepts_parse) {
    EXPECT_EQ(DType::parse("=u2"), DType(K::u2));
    EXPECT_EQ(DType::parse("=f8"), DType(K::f8));
    EXPECT_EQ(DType::parse("=c16"), DType(K::c16));
    EXPECT_EQ(DType::parse("<u1"), DType(K::u1));
    EXPECT_EQ(DType::parse("=b1"), DType(K::b1));
    EXPECT_EQ(DType::parse("<i1"), DType(K::i1));
}

TEST(DType, cpp_element_types_map_to_their_numpy_spelling) {
    EXPECT_STREQ(smx::dtype_of<bool>().typestr(), "|b1");
    EXPECT_STREQ(smx::dtype_of<std::uint8_t>().typestr(), "|u1");
    EXPECT_STREQ(smx::dtype_of<const std::int16_t>().typestr(), "<i2");
    EXPECT_STREQ(smx::dtype_of<std::uint16_t>().typestr(), "<u2");
    EXPECT_STREQ(smx::dtype_of<std::int64_t>().typestr(), "<i8");
    EXPECT_STREQ(smx::dtype_of<smx::float16>().typestr(), "<f2");
    EXPECT_STREQ(smx::dtype_of<float>().typestr(), "<f4");
    EXPECT_STREQ(smx::dtype_of<double>().typestr(), "<f8");
    EXPECT_STREQ(smx::dtype_of<std::complex<float>>().typestr(), "<c8");
    EXPECT_STREQ(smx::dtype_of<std::complex<double>>().typestr(), "<c16");
}

TEST(DType, big_endian_types_are_refused_listing_the_accepted_spellings) {
    EXPECT_EQ(parse_error(">u2"),
              "unsupported dtype '>u2': use a little-endian fixed-size numeric numpy typestr " + ACCEPTED);
    EXPECT_EQ(parse_error(">f8"),
              "unsupported dtype '>f8': use a little-endian fixed-size numeric numpy typestr " + ACCEPTED);
    EXPECT_FALSE(DType::is_valid(">u2"));
}

TEST(DType, strings_objects_and_variable_size_types_are_refused) {
    for (const char* t : {"U10", "<U10", "O", "|O", "V8", "<M8[ns]", "<m8[s]", "|S0", "|S65536", "|S01", "S4", "|S", ">S4", "|S4 "}) {
        EXPECT_EQ(parse_error(t), std::string("unsupported dtype '") + t +
                                      "': use a little-endian fixed-size numeric numpy typestr " + ACCEPTED);
        EXPECT_FALSE(DType::is_valid(t)) << t;
    }
}

TEST(DType, byte_strings_of_1_to_65535_bytes_are_numpy_S_types) {
    for (const auto& [text, size] : {std::pair{"|S1", 1}, {"|S32", 32}, {"<S32", 32}, {"=S7", 7}, {"|S65535", 65535}}) {
        const DType d = DType::parse(text);
        EXPECT_TRUE(d.is_string()) << text;
        EXPECT_EQ(d.itemsize(), static_cast<std::size_t>(size)) << text;
        EXPECT_EQ(d, DType::string(static_cast<std::size_t>(size))) << text;
        EXPECT_EQ(std::string(d.typestr()), "|S" + std::to_string(size)) << text;
    }
    EXPECT_NE(DType::string(4), DType::string(5));
    EXPECT_NE(DType::string(1), DType(DType::Kind::u1));
    EXPECT_THROW((void)DType::string(0), smx::InvalidArgument);
    EXPECT_THROW((void)DType::string(65536), smx::InvalidArgument);
}

TEST(DType, numpy_names_and_malformed_spellings_are_refused) {
    for (const char* t : {"uint16", "float32", "u2", "<u3", "<f16", "|u2", "", "<", "<u22", "<u1 "}) {
        EXPECT_FALSE(DType::is_valid(t)) << "'" << t << "'";
        EXPECT_EQ(parse_error(t), std::string("unsupported dtype '") + t +
                                      "': use a little-endian fixed-size numeric numpy typestr " + ACCEPTED);
    }
}
