#include "names.hpp"

#include <smx/error.hpp>

#include <gtest/gtest.h>
#include <set>

using namespace smx::detail;

TEST(Names, segment_name_never_contains_a_slash_after_the_first) {
    const std::string n = segment_name(0, "a/b/c");
    EXPECT_EQ(n.find('/', 1), std::string::npos);
    EXPECT_EQ(n, "/smx.0.a.2fb.2fc");
}

TEST(Names, escaping_is_injective_on_tricky_topics) {
    const std::vector<std::string> topics = {"a.b", "a_b", "a.2eb", "a/b", "a-b", "a b", ".", "..", "a.2fb", "a__b", "a_5fb"};
    std::set<std::string> shm, dds;
    for (const auto& t : topics) {
        EXPECT_TRUE(shm.insert(segment_name(0, t)).second) << t;
        EXPECT_TRUE(dds.insert(dds_escape_topic(t)).second) << t;
    }
}

TEST(Names, domain_is_part_of_the_segment_name) { EXPECT_NE(segment_name(0, "x"), segment_name(1, "x")); }

TEST(Names, very_long_topics_get_a_hash_suffix_and_stay_short_and_distinct) {
    const std::string a(250, 'a');
    std::string b = a;
    b.back() = 'b';
    const auto na = segment_name(0, a), nb = segment_name(0, b);
    EXPECT_NE(na, nb);
    EXPECT_LT(na.size(), 200u);
    EXPECT_NE(na.find('~'), std::string::npos);
    EXPECT_NE(dds_escape_topic(a), dds_escape_topic(b));
    EXPECT_LT(dds_escape_topic(a).size(), 200u);
}

TEST(Names, dds_names_use_only_letters_digits_and_underscores) {
    for (char c : dds_escape_topic("we/ird.na-me with spaces~%"))
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_') << c;
}

// Found by fuzz/names.cpp: an escape of exactly 161 bytes is cut to as many, and its '~' stayed
// (Cyclone refuses the DDS topic, so no writer or reader of such a topic could be made).
TEST(Names, dds_names_of_every_length_around_the_cut_use_only_letters_digits_and_underscores) {
    for (std::size_t n = 150; n <= 170; ++n)
        for (char c : dds_escape_topic(std::string(n, 'a')))
            EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_') << n << ": " << c;
}

TEST(Names, empty_or_control_character_topics_are_refused) {
    EXPECT_THROW(segment_name(0, ""), smx::InvalidArgument);
    EXPECT_THROW(segment_name(0, std::string("a\nb")), smx::InvalidArgument);
    EXPECT_THROW(segment_name(0, std::string(300, 'x')), smx::InvalidArgument);
}
