// A remote reader's identity in its DDS user data (reader_identity.hpp): what a reader writes
// parses back; anything else — forged, cut, foreign or garbage bytes from the network — is "not
// an smx reader", never a crash, and is shown only as bounded printable text. And the payload
// topic's DDS name tells its smx topic back (names.hpp), except for cut or foreign names.

#include "names.hpp"
#include "reader_identity.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using smx::detail::display_bytes;
using smx::detail::format_reader_identity;
using smx::detail::parse_reader_identity;
using smx::detail::ReaderIdentity;

namespace {

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::optional<ReaderIdentity> parse(const std::string& s) { return parse_reader_identity(bytes(s)); }

}  // namespace

TEST(ReaderIdentity, what_a_reader_writes_parses_back) {
    const ReaderIdentity id{"robot-2", 4242, "0b6e4a3c-5d1f-4c2b-9a8e-7f6d5c4b3a21/0:25"};
    const std::string text = format_reader_identity(id);
    EXPECT_EQ(text, "smx-reader host=robot-2 pid=4242 machine=0b6e4a3c-5d1f-4c2b-9a8e-7f6d5c4b3a21/0:25");
    const auto back = parse(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->host, "robot-2");
    EXPECT_EQ(back->pid, 4242);
    EXPECT_EQ(back->machine, id.machine);
}

TEST(ReaderIdentity, this_process_identity_round_trips) {
    const ReaderIdentity id = smx::detail::this_reader_identity();
    const auto back = parse(format_reader_identity(id));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->host, id.host);
    EXPECT_EQ(back->pid, id.pid);
    EXPECT_EQ(back->machine, id.machine);
}

TEST(ReaderIdentity, spaces_percent_and_bytes_outside_ascii_are_encoded_and_long_values_cut) {
    const ReaderIdentity id{"my host%", 7, std::string(200, 'm')};
    const std::string text = format_reader_identity(id);
    EXPECT_EQ(text.substr(0, 36), "smx-reader host=my%20host%25 pid=7 m");
    EXPECT_LE(text.size(), smx::detail::MAX_READER_IDENTITY_BYTES);
    const auto back = parse(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->host, "my host%");
    EXPECT_EQ(back->machine, std::string(smx::detail::MAX_IDENTITY_VALUE_BYTES, 'm'));
    // A worst case still fits: every byte encoded.
    const std::string worst(300, '\xff');
    EXPECT_LE(format_reader_identity({worst, 2147483647, worst}).size(), smx::detail::MAX_READER_IDENTITY_BYTES);
    // Decoded non-printable bytes are not an identity (a host name is printable).
    EXPECT_FALSE(parse(format_reader_identity({"a\xff", 1, "m"})));
}

TEST(ReaderIdentity, later_versions_words_are_ignored) {
    const auto id = parse("smx-reader host=h pid=1 uid=1000 machine=m transport=dds");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->host, "h");
    EXPECT_EQ(id->machine, "m");
}

TEST(ReaderIdentity, forged_and_garbage_user_data_is_not_an_identity) {
    const std::vector<std::string> bad = {
        "",
        "smx-reader",
        "smx-reader ",
        "hello world",
        "SMX-READER host=h pid=1 machine=m",
        "smx-readerX host=h pid=1 machine=m",
        "smx-reader host=h pid=1",                   // machine missing
        "smx-reader host=h machine=m",               // pid missing
        "smx-reader pid=1 machine=m",                // host missing
        "smx-reader host= pid=1 machine=m",          // empty value
        "smx-reader host=h pid=1 machine=m ",        // trailing space
        "smx-reader host=h  pid=1 machine=m",        // double space
        "smx-reader host=h pid=1 machine=m junk",    // not key=value
        "smx-reader host=h pid=1 machine=m =x",      // empty key
        "smx-reader host=h host=g pid=1 machine=m",  // twice
        "smx-reader host=h pid=1 pid=2 machine=m",
        "smx-reader host=h pid=0 machine=m",  // pid out of range
        "smx-reader host=h pid=-1 machine=m",
        "smx-reader host=h pid=+1 machine=m",
        "smx-reader host=h pid=01 machine=m",
        "smx-reader host=h pid=2147483648 machine=m",
        "smx-reader host=h pid=99999999999999999999 machine=m",
        "smx-reader host=h pid=1x machine=m",
        "smx-reader host=h%0a pid=1 machine=m",     // encoded newline
        "smx-reader host=h%1b[2J pid=1 machine=m",  // encoded escape sequence
        "smx-reader host=h% pid=1 machine=m",       // cut escape
        "smx-reader host=h%4 pid=1 machine=m",
        "smx-reader host=h%zz pid=1 machine=m",
        std::string("smx-reader host=h\0 pid=1 machine=m", 34),           // raw NUL
        "smx-reader host=h\x1b pid=1 machine=m",                          // raw control byte
        "smx-reader host=h\xc3\xa9 pid=1 machine=m",                      // raw non-ASCII
        "smx-reader host=" + std::string(600, 'h') + " pid=1 machine=m",  // too long
    };
    for (const std::string& s : bad) EXPECT_FALSE(parse(s)) << display_bytes(bytes(s), 80);
}

TEST(ReaderIdentity, random_bytes_never_crash_the_parser) {
    std::mt19937_64 rng(9);
    const std::string alphabet = "smx-reader hostpidmachine=%0123456789abcdefXYZ \x01\xff";
    for (int i = 0; i < 20000; ++i) {
        std::string s = i % 2 ? "smx-reader " : "";
        const std::size_t n = rng() % 80;
        for (std::size_t k = 0; k < n; ++k)
            s += i % 3 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() & 0xff);
        const auto id = parse(s);
        if (id) {  // whatever was accepted is printable and complete
            EXPECT_FALSE(id->host.empty());
            EXPECT_FALSE(id->machine.empty());
            EXPECT_GE(id->pid, 1);
            for (char c : id->host + id->machine) EXPECT_TRUE(c >= ' ' && c <= '~') << display_bytes(bytes(s), 80);
        }
    }
}

TEST(ReaderIdentity, untrusted_bytes_are_shown_printable_and_bounded) {
    EXPECT_EQ(display_bytes(bytes("plain text"), 64), "plain text");
    EXPECT_EQ(display_bytes(bytes(std::string("a\0b\x1b[2J\n\xff\"\\", 11)), 64), "a\\x00b\\x1b[2J\\x0a\\xff\\\"\\\\");
    EXPECT_EQ(display_bytes(bytes(std::string(100, 'x')), 8), "xxxxxxxx...");
    EXPECT_EQ(display_bytes({}, 8), "");
}

TEST(DdsTopicName, the_payload_topics_name_tells_its_topic_back) {
    for (const std::string topic : {"camera", "frame_data", "a.b/c d", "__", "caf\xc3\xa9", "x"}) {
        const auto back = smx::detail::dds_unescape_topic(smx::detail::dds_escape_topic(topic));
        ASSERT_TRUE(back) << topic;
        EXPECT_EQ(*back, topic);
    }
}

TEST(DdsTopicName, cut_foreign_and_control_names_tell_no_topic) {
    const std::string long_topic(200, 'q');
    const std::string cut = smx::detail::dds_escape_topic(long_topic);
    EXPECT_FALSE(smx::detail::dds_unescape_topic(cut)) << cut;
    for (const std::string name : {"", "_", "_4", "_zz", "_41", "a-b", "a_", "_0a", "_1b", "_7f", "x_00"})
        EXPECT_FALSE(smx::detail::dds_unescape_topic(name)) << name;
}
