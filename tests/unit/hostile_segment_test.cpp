// Hostile segments: every way a file at a segment's name can be broken or foreign gives a
// specific SegmentCorrupt (never a crash), and attaching leaves nothing open or mapped. A writer
// never removes a file that is not an smx segment.

#include "unit_support.hpp"

#include <smx/inspect.hpp>

#include "shm/layout.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"
#include "support.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>

using namespace std::chrono_literals;
using smx::detail::FieldRecord;
using smx::detail::Segment;
using smx::detail::SegmentConfig;
using smx::detail::SegmentHeader;
using smx::test::shm_entries_containing;
using smx::test::unique_topic;
using smx::unit::held_by_this_process;
using smx::unit::message_of;
using smx::unit::ShmCleanup;
using smx::unit::stat_shm;
using smx::unit::tamper;
using smx::unit::tamper_value;
using K = smx::DType::Kind;

namespace {

const smx::Schema SMALL{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}};

constexpr std::uint64_t field_offset(std::size_t index, std::size_t member_offset) {
    return offsetof(SegmentHeader, fields) + index * sizeof(FieldRecord) + member_offset;
}

// A complete, valid segment file at the topic's name that no writer holds (what a dead writer
// leaves behind), for the test to tamper with through its own descriptor.
class HostileSegment : public ::testing::Test {
protected:
    void SetUp() override {
        topic = unique_topic("hostile");
        name = smx::test::shm_prefix() + topic;
        cleanup = std::make_unique<ShmCleanup>(name);
        SegmentConfig c;
        c.domain_id = smx::test::test_domain();
        c.topic = topic;
        c.session = 42;
        {
            auto seg = Segment::create(c, SMALL);
            std::memcpy(static_cast<void*>(&header), &seg->header(), sizeof header);
            bytes = smx::unit::read_file(smx::unit::shm_path(name));
        }
        ASSERT_EQ(bytes.size(), header.segment_size);
        smx::unit::write_shm_file(name, bytes.data(), bytes.size());
    }

    void TearDown() override {
        EXPECT_TRUE(held_by_this_process(name.substr(1)).empty())
            << "a failed attach left a descriptor or mapping: " << ::testing::PrintToString(held_by_this_process(name.substr(1)));
        EXPECT_TRUE(stat_shm(name)) << "a reader never removes a segment";
        EXPECT_EQ(shm_entries_containing(topic), std::vector<std::string>{name.substr(1)})
            << "nothing but the tampered file may exist";
    }

    // The message a reader attaching for `for_topic` gets (and a failure if it does not throw).
    std::string attach_error(const std::string& for_topic) {
        return message_of<smx::SegmentCorrupt>([&] { Segment::attach(name, for_topic); });
    }
    std::string attach_error() { return attach_error(topic); }

    // What every SegmentCorrupt of this segment says around the reason.
    std::string expected(const std::string& why) const {
        return "segment '" + name + "' of topic '" + topic + "' " + why + "; if no writer uses it, remove it (rm /dev/shm" +
               name + ") and restart the writer";
    }

    void truncate_to(std::uint64_t size) {
        ASSERT_EQ(::truncate(smx::unit::shm_path(name).c_str(), static_cast<off_t>(size)), 0);
    }

    std::string topic, name;
    std::unique_ptr<ShmCleanup> cleanup;
    SegmentHeader header{};
    std::vector<char> bytes;
};

}  // namespace

TEST_F(HostileSegment, the_untampered_copy_attaches_so_the_other_cases_test_only_their_tampering) {
    auto seg = Segment::attach(name, topic);
    ASSERT_TRUE(seg);
    EXPECT_EQ(*seg->schema(), SMALL);
    EXPECT_EQ(seg->session(), 42u);
    seg.reset();
}

TEST_F(HostileSegment, a_file_truncated_below_the_header_is_reported_as_truncated) {
    truncate_to(100);
    EXPECT_EQ(attach_error(),
              expected("is truncated: 100 bytes, a header needs " + std::to_string(sizeof(SegmentHeader))));
}

TEST_F(HostileSegment, a_file_truncated_inside_the_payload_is_reported_with_both_sizes) {
    truncate_to(header.segment_size - 4096);
    EXPECT_EQ(attach_error(), expected("is " + std::to_string(header.segment_size - 4096) +
                                       " bytes but its header says " + std::to_string(header.segment_size) +
                                       " (truncated, grown or overwritten)"));
}

TEST_F(HostileSegment, an_empty_file_is_not_an_smx_segment) {
    truncate_to(0);
    EXPECT_EQ(attach_error(), expected("is not an smx segment (it is only 0 bytes, without the smx magic)"));
}

TEST_F(HostileSegment, a_wrong_magic_is_reported_with_its_value) {
    tamper(name, 0, "NOTSMX!!", 8);
    EXPECT_EQ(attach_error(), expected("is not an smx segment (it starts with 0x2121584d53544f4e instead of the "
                                       "smx magic 0x3130474553584d53)"));
}

TEST_F(HostileSegment, another_smx_magic_is_reported_as_another_layout) {
    tamper(name, 6, "99", 2);  // "SMXSEG99"
    EXPECT_EQ(attach_error(), expected("has magic 0x3939474553584d53 instead of 0x3130474553584d53 (another smx "
                                       "layout or overwritten)"));
}

TEST_F(HostileSegment, a_wrong_layout_version_is_reported_with_both_versions) {
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, layout_version), 7);
    EXPECT_EQ(attach_error(), expected("has layout version 7, this smx reads " + std::to_string(smx::detail::LAYOUT_VERSION) + " (upgrade the older side)"));
}

TEST_F(HostileSegment, a_segment_of_the_layout_before_the_doorbell_is_refused_by_version) {
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, layout_version), 1);
    EXPECT_EQ(attach_error(), expected("has layout version 1, this smx reads " + std::to_string(smx::detail::LAYOUT_VERSION) + " (upgrade the older side)"));
}

TEST_F(HostileSegment, a_segment_of_the_layout_before_the_liveness_locks_is_refused_by_version) {
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, layout_version), 2);
    EXPECT_EQ(attach_error(), expected("has layout version 2, this smx reads " + std::to_string(smx::detail::LAYOUT_VERSION) + " (upgrade the older side)"));
}

TEST_F(HostileSegment, a_segment_of_the_layout_before_the_release_counts_is_refused_by_version) {
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, layout_version), 3);
    EXPECT_EQ(attach_error(), expected("has layout version 3, this smx reads " + std::to_string(smx::detail::LAYOUT_VERSION) +
                                       " (upgrade the older side)"));
}

TEST_F(HostileSegment, a_missing_ready_word_means_the_segment_was_never_completed) {
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, ready), 0);
    EXPECT_EQ(attach_error(), expected("was never completed (no ready mark)"));
}

TEST_F(HostileSegment, a_payload_offset_past_the_end_is_named) {
    tamper_value<std::uint64_t>(name, offsetof(SegmentHeader, payload_offset), header.segment_size + 4096);
    EXPECT_EQ(attach_error(), expected("has payload_offset " + std::to_string(header.segment_size + 4096) +
                                       " where its layout needs " + std::to_string(header.payload_offset) +
                                       " (past the end or overlapping)"));
}

TEST_F(HostileSegment, a_slot_stride_reaching_past_the_end_is_named) {
    tamper_value<std::uint64_t>(name, offsetof(SegmentHeader, slot_stride), header.slot_stride * 1000);
    EXPECT_EQ(attach_error(), expected("has slot_stride " + std::to_string(header.slot_stride * 1000) +
                                       " where its layout needs " + std::to_string(header.slot_stride) +
                                       " (past the end or overlapping)"));
}

TEST_F(HostileSegment, an_overlapping_reader_table_is_named) {
    tamper_value<std::uint64_t>(name, offsetof(SegmentHeader, reader_table_offset), header.slot_table_offset);
    EXPECT_EQ(attach_error(), expected("has reader_table_offset " + std::to_string(header.slot_table_offset) +
                                       " where its layout needs " + std::to_string(header.reader_table_offset) +
                                       " (past the end or overlapping)"));
}

TEST_F(HostileSegment, a_segment_size_that_disagrees_with_the_file_is_reported) {
    tamper_value<std::uint64_t>(name, offsetof(SegmentHeader, segment_size), 1ull << 40);
    EXPECT_EQ(attach_error(), expected("is " + std::to_string(header.segment_size) +
                                       " bytes but its header says 1099511627776 (truncated, grown or overwritten)"));
}

TEST_F(HostileSegment, a_field_shape_whose_product_overflows_is_named) {
    tamper_value<std::uint32_t>(name, field_offset(0, offsetof(FieldRecord, ndim)), 2);
    const std::uint64_t dims[2] = {1ull << 33, 1ull << 33};
    tamper(name, field_offset(0, offsetof(FieldRecord, shape)), dims, sizeof dims);
    EXPECT_EQ(attach_error(), expected("has field 'a' whose shape product overflows"));
}

TEST_F(HostileSegment, a_field_larger_than_the_frame_limit_is_an_invalid_schema) {
    tamper_value<std::uint64_t>(name, field_offset(0, offsetof(FieldRecord, shape)), 1ull << 40);
    EXPECT_EQ(attach_error(), expected("holds an invalid schema (field 'a' of shape (1099511627776,) and dtype <i4 "
                                       "is larger than the limit of 1099511627776 bytes)"));
}

TEST_F(HostileSegment, a_zero_dimension_is_an_invalid_schema) {
    tamper_value<std::uint64_t>(name, field_offset(1, offsetof(FieldRecord, shape)), 0);
    EXPECT_EQ(attach_error(), expected("holds an invalid schema (field 'b' has shape (0, 3): every dimension must "
                                       "be at least 1)"));
}

TEST_F(HostileSegment, too_many_dimensions_make_a_malformed_field_record) {
    tamper_value<std::uint32_t>(name, field_offset(1, offsetof(FieldRecord, ndim)), 9);
    EXPECT_EQ(attach_error(), expected("has a malformed record for field 1"));
}

TEST_F(HostileSegment, an_unknown_dtype_is_named) {
    tamper(name, field_offset(1, offsetof(FieldRecord, dtype)), ">f4", 4);
    EXPECT_EQ(attach_error(), expected("has field 'b' of unknown dtype '>f4'"));
}

TEST_F(HostileSegment, a_field_offset_that_disagrees_with_the_schema_is_named) {
    tamper_value<std::uint64_t>(name, field_offset(1, offsetof(FieldRecord, offset)), 8);
    EXPECT_EQ(attach_error(), expected("has a wrong offset or size for field 'b'"));
}

TEST_F(HostileSegment, a_schema_hash_that_disagrees_with_the_fields_is_reported) {
    tamper_value<std::uint64_t>(name, offsetof(SegmentHeader, schema_hash), 0xdeadbeef);
    EXPECT_EQ(attach_error(), expected("has a frame size or schema hash that does not match its fields"));
}

TEST_F(HostileSegment, impossible_counts_are_named) {
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, slot_count), 0);
    EXPECT_EQ(attach_error(), expected("has a slot count of 0"));
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, slot_count), header.slot_count);
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, reader_capacity), 1u << 30);
    EXPECT_EQ(attach_error(), expected("has a reader capacity of 1073741824"));
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, reader_capacity), header.reader_capacity);
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, field_count), 65);
    EXPECT_EQ(attach_error(), expected("has 65 fields"));
}

TEST_F(HostileSegment, an_unterminated_topic_string_is_reported) {
    const std::vector<char> filler(sizeof(header.topic), 'x');
    tamper(name, offsetof(SegmentHeader, topic), filler.data(), filler.size());
    EXPECT_EQ(attach_error(), expected("has unterminated strings"));
}

// A topic cut to a hash suffix can, very rarely, map to another topic's segment name: the full
// topic in the header catches it, and the advice is not to delete the other topic's segment.
TEST_F(HostileSegment, a_segment_of_another_topic_at_the_name_is_a_topic_mismatch) {
    const std::string other = "other_topic_with_a_colliding_name";
    EXPECT_EQ(attach_error(other), "segment '" + name + "' was expected to hold topic '" + other +
                                       "' but belongs to topic '" + topic +
                                       "' (both names map to this segment name); rename one of the two topics");
}

// A topic rewritten in the header is corruption, not a collision of two topic names.
TEST_F(HostileSegment, a_tampered_header_topic_is_reported_as_tampering_not_as_a_name_collision) {
    tamper(name, offsetof(SegmentHeader, topic), "evil", 5);
    EXPECT_EQ(attach_error(), expected("claims to hold topic 'evil' of domain " + std::to_string(smx::test::test_domain()) + ", which is not stored under this name "
                                       "(overwritten or tampered with)"));
}

// ---- foreign files ------------------------------------------------------------------------

class ForeignFile : public ::testing::Test {
protected:
    void SetUp() override {
        topic = unique_topic("foreign");
        name = smx::test::shm_prefix() + topic;
        path = smx::unit::shm_path(name);
        cleanup = std::make_unique<ShmCleanup>(name);
    }
    void put(const std::string& content) { smx::unit::write_shm_file(name, content.data(), content.size()); }

    std::string writer_refusal(const std::string& reason) const {
        return "topic '" + topic + "' in domain " + std::to_string(smx::test::test_domain()) + ": " + path + " exists but is not an smx segment (" + reason +
               "); smx replaces only its own segments: if nothing uses that file, remove it (rm " + path +
               "), or use another topic";
    }

    // The writer refused, the foreign file is exactly as it was, and no temporary remains.
    void expect_untouched(const std::string& content, ino_t inode) {
        const auto st = stat_shm(name);
        ASSERT_TRUE(st) << "the writer removed a file that is not an smx segment";
        EXPECT_EQ(st->st_ino, inode);
        const auto now = smx::unit::read_file(path);
        EXPECT_EQ(std::string(now.begin(), now.end()), content);
        EXPECT_EQ(shm_entries_containing(topic), std::vector<std::string>{name.substr(1)});
        EXPECT_TRUE(held_by_this_process(name.substr(1)).empty());
    }

    smx::detail::SegmentConfig config() const {
        smx::detail::SegmentConfig c;
        c.domain_id = smx::test::test_domain();
        c.topic = topic;
        return c;
    }

    std::string topic, name, path;
    std::unique_ptr<ShmCleanup> cleanup;
};

TEST_F(ForeignFile, a_reader_attaching_to_a_foreign_file_gets_SegmentCorrupt_naming_it) {
    put("hello, this is somebody else's shared memory\n");
    EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::attach(name, topic); }),
              "segment '" + name + "' of topic '" + topic +
                  "' is not an smx segment (it starts with 0x74202c6f6c6c6568 instead of the smx magic "
                  "0x3130474553584d53); if no writer uses it, remove it (rm " + path + ") and restart the writer");
    EXPECT_TRUE(held_by_this_process(name.substr(1)).empty());
    EXPECT_TRUE(stat_shm(name));
}

TEST_F(ForeignFile, a_writer_refuses_to_replace_a_foreign_file_and_names_the_path_and_the_fix) {
    const std::string content = "hello, this is somebody else's shared memory\n";
    put(content);
    const auto inode = stat_shm(name)->st_ino;
    EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::create(config(), SMALL); }),
              writer_refusal("it starts with 0x74202c6f6c6c6568 instead of the smx magic 0x3130474553584d53"));
    expect_untouched(content, inode);
}

TEST_F(ForeignFile, a_fifo_at_the_name_is_refused_by_writer_reader_and_inspection_without_blocking_any_of_them) {
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
    const std::string reason = "it is not a regular file but a FIFO";
    EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::create(config(), SMALL); }), writer_refusal(reason));
    EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::attach(name, topic); }),
              "segment '" + name + "' of topic '" + topic + "' is not an smx segment (" + reason +
                  "); if no writer uses it, remove it (rm " + path + ") and restart the writer");
    const auto info = smx::inspect_topic(smx::test::test_domain(), topic);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->error_code, smx::ErrorCode::segment_corrupt) << info->error;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));  // left alone
}

// shm_open neither follows symbolic links nor opens sockets; the messages say what is there.
TEST_F(ForeignFile, a_symbolic_link_or_a_socket_at_the_name_is_named_as_such_by_writer_and_reader) {
    for (const std::string kind : {"symbolic link", "socket"}) {
        if (kind == "symbolic link") {
            // Dangling: not even stat() sees it, only lstat().
            ASSERT_EQ(::symlink("/nonexistent/smx-target", path.c_str()), 0) << std::strerror(errno);
        } else {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            ASSERT_GE(fd, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
            ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
            ::close(fd);
        }
        const std::string what = path + " is a " + kind + ", not an smx segment; smx never follows or removes it: "
                                 "if nothing uses it, remove it (rm " + path + ")";
        EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::create(config(), SMALL); }),
                  "topic '" + topic + "' in domain " + std::to_string(smx::test::test_domain()) + ": " + what);
        EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::attach(name, topic); }), "topic '" + topic + "': " + what);
        const auto info = smx::inspect_topic(smx::test::test_domain(), topic);  // smx list / info show it
        ASSERT_TRUE(info) << kind << " is invisible to inspection";
        EXPECT_EQ(info->error_code, smx::ErrorCode::segment_corrupt) << info->error;
        {  // a waiting reader says what it found instead of a bare "no writer"
            smx::Participant participant;
            smx::Reader reader(participant, topic);
            EXPECT_FALSE(reader.wait_for_writer(std::chrono::milliseconds(400)));
            EXPECT_NE(reader.waiting_reason().find(path + " is a " + kind), std::string::npos)
                << reader.waiting_reason();
        }
        struct stat st {};
        ASSERT_EQ(::lstat(path.c_str(), &st), 0) << kind << " was removed";
        EXPECT_TRUE(kind == "socket" ? S_ISSOCK(st.st_mode) : S_ISLNK(st.st_mode));
        ASSERT_EQ(::unlink(path.c_str()), 0);
    }
}

TEST_F(ForeignFile, a_writer_refuses_to_replace_an_empty_foreign_file) {
    put("");
    const auto inode = stat_shm(name)->st_ino;
    EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::create(config(), SMALL); }),
              writer_refusal("it is only 0 bytes, without the smx magic"));
    expect_untouched("", inode);
}

TEST_F(ForeignFile, a_writer_refuses_a_foreign_file_even_while_someone_holds_a_lock_on_it) {
    const std::string content(4096, '\xab');
    put(content);
    const auto inode = stat_shm(name)->st_ino;
    const int held = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
    EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { Segment::create(config(), SMALL); }),
              writer_refusal("it starts with 0xabababababababab instead of the smx magic 0x3130474553584d53"));
    ::close(held);
    expect_untouched(content, inode);
}

TEST_F(ForeignFile, the_public_writer_refuses_a_foreign_file_with_the_same_message) {
    const std::string content = "not smx";
    put(content);
    const auto inode = stat_shm(name)->st_ino;
    smx::Participant participant;
    EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { smx::Writer w(participant, topic, SMALL); }),
              writer_refusal("it is only 7 bytes, without the smx magic"));
    expect_untouched(content, inode);
}

TEST_F(ForeignFile, a_stale_segment_of_another_smx_layout_is_still_replaced_by_a_writer) {
    // Built as a real segment, then marked as another layout: it is smx's own, so it may go.
    {
        auto seg = Segment::create(config(), SMALL);
        const auto b = smx::unit::read_file(path);
        seg.reset();
        smx::unit::write_shm_file(name, b.data(), b.size());
    }
    tamper(name, 6, "02", 2);
    tamper_value<std::uint32_t>(name, offsetof(SegmentHeader, layout_version), 2);
    const auto inode = stat_shm(name)->st_ino;
    auto seg = Segment::create(config(), SMALL);
    EXPECT_NE(stat_shm(name)->st_ino, inode);
    EXPECT_EQ(shm_entries_containing(topic), std::vector<std::string>{name.substr(1)});
}

// ---- end to end ---------------------------------------------------------------------------

TEST(HostileSegmentEndToEnd, a_reader_of_a_live_writer_whose_segment_was_overwritten_gets_SegmentCorrupt) {
    const std::string topic = unique_topic("hostile_e2e");
    const std::string name = smx::test::shm_prefix() + topic;
    ShmCleanup cleanup(name);
    smx::test::Child writer(
        {smx::test::helper_path("smx_test_peer"), "writer", "--topic", topic, "--schema", "small", "--frames", "2", "--linger"});
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED ", 20s)) << writer.transcript();
    tamper(name, 0, "garbage!", 8);
    {
        smx::Participant participant;
        smx::Reader reader(participant, topic);
        EXPECT_EQ(message_of<smx::SegmentCorrupt>([&] { reader.wait_for_writer(20s); }),
                  "segment '" + name + "' of topic '" + topic +
                      "' is not an smx segment (it starts with 0x2165676162726167 instead of the smx magic "
                      "0x3130474553584d53); if no writer uses it, remove it (rm /dev/shm" + name +
                      ") and restart the writer");
        EXPECT_NE(reader.state(), smx::ReaderState::attached);
    }
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(20s), 0) << writer.transcript();
    EXPECT_TRUE(shm_entries_containing(topic).empty()) << "the writer removes its segment when it closes";
}

// A sparse file with a valid header: mapping it would allocate its holes page by page as they
// are read (a host-wide tmpfs attack), then die of SIGBUS once tmpfs is full.
TEST_F(HostileSegment, a_sparse_file_with_a_valid_header_is_refused_without_allocating_its_holes) {
    ASSERT_EQ(::shm_unlink(name.c_str()), 0);
    const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(bytes.size())), 0);
    ASSERT_EQ(::pwrite(fd, bytes.data(), header.payload_offset, 0), static_cast<ssize_t>(header.payload_offset));
    ::close(fd);
    const auto blocks_before = stat_shm(name)->st_blocks;
    ASSERT_LT(static_cast<std::uint64_t>(blocks_before) * 512u, bytes.size()) << "the file is not sparse";
    EXPECT_NE(attach_error().find("is sparse: only " + std::to_string(blocks_before * 512) + " of its " +
                                  std::to_string(bytes.size()) + " bytes are allocated"),
              std::string::npos)
        << attach_error();
    EXPECT_NE(message_of<smx::SegmentCorrupt>([&] { Segment::inspect(name); }).find("is sparse"), std::string::npos);
    EXPECT_EQ(stat_shm(name)->st_blocks, blocks_before) << "attaching allocated the holes";
}

namespace {
// Runs `body` in a forked child and expects it to return 0 (not to die of SIGBUS).
void expect_child_survives(const std::function<int(int)>& body) {
    smx::unit::ForkedChild child(body);
    const auto status = child.wait(30s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << smx::unit::describe_status(status) << " (1..9: an expectation in the child failed)";
}
}  // namespace

// Anyone who may write the file may shrink it under the processes that map it.
TEST_F(HostileSegment, a_reader_whose_segment_is_truncated_under_it_reads_zeros_and_knows_it_instead_of_dying) {
    expect_child_survives([&](int) {
        auto seg = Segment::attach(name, topic);
        if (!seg || seg->truncated()) return 1;
        if (::truncate(smx::unit::shm_path(name).c_str(), 0) != 0) return 2;
        if (seg->header().magic != 0) return 3;  // SIGBUS here without the guard
        if (seg->slot(0).seq.load() != 0) return 4;
        if (seg->payload(1)[10] != std::byte{0}) return 5;
        if (!seg->truncated()) return 6;
        return 0;
    });
}

TEST_F(HostileSegment, a_tool_inspecting_a_segment_truncated_under_it_survives) {
    expect_child_survives([&](int) {
        auto seg = Segment::inspect(name);
        if (!seg) return 1;
        if (::truncate(smx::unit::shm_path(name).c_str(), 0) != 0) return 2;
        const auto regs = smx::detail::registrations(*seg);  // reads the reader table
        if (!regs.empty() || !seg->truncated()) return 3;
        return 0;
    });
}

TEST(Truncation, a_writer_whose_segment_is_truncated_under_it_keeps_running_and_knows_it) {
    const std::string topic = unique_topic("trunc_writer");
    const std::string name = smx::test::shm_prefix() + topic;
    ShmCleanup cleanup(name);
    expect_child_survives([&](int) {
        SegmentConfig c;
        c.domain_id = smx::test::test_domain();
        c.topic = topic;
        c.session = 7;
        auto seg = Segment::create(c, SMALL);
        smx::detail::SlotWriter writer(*seg);
        if (::truncate(smx::unit::shm_path(name).c_str(), 0) != 0) return 2;
        const auto slot = writer.acquire(0ns);
        if (!slot) return 3;
        std::memset(seg->payload(*slot), 0xab, SMALL.frame_size());  // SIGBUS here without the guard
        writer.commit(*slot, 1, 1);
        if (!seg->truncated()) return 4;
        return 0;
    });
}
