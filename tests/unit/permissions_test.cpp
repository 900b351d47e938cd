// Permissions: the segment's mode is 0600 unless the writer asks otherwise (whatever the
// umask), another user is refused with PermissionDenied, and a reader's payload view is
// read-only: writing through it kills the writing process, not everyone's data.

#include "unit_support.hpp"

#include "local_source.hpp"
#include "shm/layout.hpp"
#include "shm/process.hpp"
#include "shm/segment.hpp"
#include "support.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

using namespace std::chrono_literals;
using smx::detail::Segment;
using smx::detail::SegmentConfig;
using smx::test::unique_topic;
using smx::unit::describe_status;
using smx::unit::ForkedChild;
using smx::unit::ShmCleanup;
using smx::unit::stat_shm;
using K = smx::DType::Kind;

namespace {

const smx::Schema SMALL{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}};

// Sets the umask for one scope.
class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : m_old(::umask(mask)) {}
    ~ScopedUmask() { ::umask(m_old); }

private:
    mode_t m_old;
};

std::unique_ptr<Segment> create(const std::string& topic, std::optional<std::uint32_t> mode = std::nullopt) {
    SegmentConfig c;
    c.domain_id = smx::test::test_domain();
    c.topic = topic;
    if (mode) c.mode = *mode;
    return Segment::create(c, SMALL);
}

mode_t mode_of(const std::string& shm_name) {
    const auto st = stat_shm(shm_name);
    return st ? (st->st_mode & 07777) : 0;
}

constexpr uid_t NOBODY = 65534;

}  // namespace

TEST(Permissions, a_segment_is_created_0600_by_default_whatever_the_umask) {
    for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}, mode_t{0777}}) {
        ScopedUmask umask(mask);
        auto seg = create(unique_topic("perm_default"));
        ShmCleanup cleanup(seg->name());
        EXPECT_EQ(mode_of(seg->name()), 0600u) << "umask " << std::oct << mask;
    }
}

TEST(Permissions, the_mode_option_is_applied_exactly_even_under_a_restrictive_umask) {
    ScopedUmask umask(0077);
    for (std::uint32_t mode : {0640u, 0644u, 0660u, 0666u, 0400u}) {
        auto seg = create(unique_topic("perm_mode"), mode);
        ShmCleanup cleanup(seg->name());
        EXPECT_EQ(mode_of(seg->name()), mode) << std::oct << mode;
    }
}

TEST(Permissions, the_public_writer_applies_its_mode_option_to_the_segment) {
    ScopedUmask umask(0077);
    const std::string topic = unique_topic("perm_writer");
    smx::Participant participant;
    smx::WriterOptions options;
    options.mode = 0660;
    {
        smx::Writer writer(participant, topic, SMALL, options);
        EXPECT_EQ(mode_of(writer.segment_name()), 0660u);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(Permissions, another_user_cannot_open_a_0600_segment_and_is_told_so) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user (uid " << NOBODY << ")";
    const std::string topic = unique_topic("perm_other_user");
    auto seg = create(topic);
    ShmCleanup cleanup(seg->name());
    const std::string name = seg->name();
    ForkedChild child([&](int report) {
        if (::setgid(NOBODY) != 0 || ::setuid(NOBODY) != 0) return 2;
        try {
            Segment::attach(name, topic);
        } catch (const smx::PermissionDenied& e) {
            const std::string msg = e.what();
            return ::write(report, msg.data(), msg.size()) == static_cast<ssize_t>(msg.size()) ? 0 : 3;
        } catch (...) {
            return 4;
        }
        return 5;
    });
    const std::string message = child.read_text(20s);
    const auto status = child.wait(20s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_status(status);
    EXPECT_EQ(message, "shm_open '" + name + "' (read-write): Permission denied");
}

TEST(Permissions, another_user_can_read_a_segment_made_0666) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user (uid " << NOBODY << ")";
    const std::string topic = unique_topic("perm_shared");
    auto seg = create(topic, 0666);
    ShmCleanup cleanup(seg->name());
    const std::string name = seg->name();
    ForkedChild child([&](int) {
        if (::setgid(NOBODY) != 0 || ::setuid(NOBODY) != 0) return 2;
        auto s = Segment::attach(name, topic);
        return s && *s->schema() == SMALL ? 0 : 3;
    });
    const auto status = child.wait(20s);
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_status(status);
}

TEST(Permissions, writing_through_an_attached_segments_payload_kills_the_writing_child_with_SIGSEGV) {
    const std::string topic = unique_topic("perm_ro");
    auto seg = create(topic);
    ShmCleanup cleanup(seg->name());
    std::memset(seg->payload(0), 0x11, 64);
    const std::string name = seg->name();
    ForkedChild child([&](int report) {
        auto reader = Segment::attach(name, topic);
        if (!reader) return 2;
        if (::write(report, "a", 1) != 1) return 3;
        std::signal(SIGSEGV, SIG_DFL);  // the kernel's verdict, not a handler's (ASan installs one)
        *reinterpret_cast<volatile std::byte*>(reader->payload(0)) = std::byte{0x5a};
        return 0;  // the write went through: the payload was writable
    });
    ASSERT_EQ(child.read_report(20s), 'a') << describe_status(child.wait(0ms));
    const auto status = child.wait(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGSEGV) << describe_status(status);
    EXPECT_EQ(static_cast<unsigned char>(seg->payload(0)[0]), 0x11u) << "the writer's data is untouched";
}

TEST(Permissions, writing_through_a_public_readers_frame_view_kills_the_writing_child_with_SIGSEGV) {
    const std::string topic = unique_topic("perm_ro_public");
    ShmCleanup cleanup(smx::test::shm_prefix() + topic);
    smx::test::Child writer({smx::test::helper_path("smx_test_peer"), "writer", "--topic", topic, "--schema", "small",
                             "--frames", "1", "--linger"});
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED ", 20s)) << writer.transcript();
    {
        // The child is the only process here that uses DDS: this test starts none in its own.
        ForkedChild child([&](int report) {
            smx::Participant participant;
            smx::Reader reader(participant, topic);
            if (!reader.wait_for_writer(20s)) return 2;
            auto frame = reader.next(20s);
            if (!frame) return 3;
            if (::write(report, "v", 1) != 1) return 4;
            auto* p = const_cast<std::byte*>(frame->bytes(0).data());
            std::signal(SIGSEGV, SIG_DFL);  // the kernel's verdict, not a handler's (ASan installs one)
            *reinterpret_cast<volatile std::byte*>(p) = std::byte{0x5a};
            return 0;
        });
        ASSERT_EQ(child.read_report(30s), 'v') << describe_status(child.wait(0ms));
        const auto status = child.wait(20s);
        ASSERT_TRUE(status);
        EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGSEGV) << describe_status(status);
    }
    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(20s), 0) << writer.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// Another local user creates a segment at the topic's name before any writer (a squatter): a
// reader must not take its frames for the topic's. Trusting that user explicitly lets it in.
TEST(Permissions, a_reader_refuses_a_segment_at_its_topics_name_owned_by_an_untrusted_user) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user (uid " << NOBODY << ")";
    const std::string topic = unique_topic("perm_squat");
    ShmCleanup cleanup(smx::test::shm_prefix() + topic);
    ForkedChild squatter([&](int report) {
        if (::setgid(NOBODY) != 0 || ::setuid(NOBODY) != 0) return 2;
        auto seg = create(topic, 0644);  // readable by everyone, as a lure
        if (::write(report, "p", 1) != 1) return 3;
        for (int i = 0; i < 600; ++i) ::usleep(100'000);  // killed by the test
        return 0;
    });
    ASSERT_EQ(squatter.read_report(20s), 'p') << describe_status(squatter.wait(0ms));

    smx::Participant participant;
    smx::Reader reader(participant, topic);
    EXPECT_FALSE(reader.wait_for_writer(1s)) << "the reader attached to another user's segment";
    EXPECT_EQ(reader.state(), smx::ReaderState::waiting_for_writer);
    // Refused before anything of it was mapped (a large squatter would cost every look), and
    // the waiting reader says why.
    {
        std::ifstream maps("/proc/self/maps");
        const std::string all((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
        EXPECT_EQ(all.find(smx::test::shm_prefix().substr(1) + topic), std::string::npos) << "the untrusted segment was mapped";
    }
    EXPECT_NE(reader.waiting_reason().find("is owned by user 65534"), std::string::npos) << reader.waiting_reason();

    // Announced by (forged) session info, the refusal names the owner and the fix.
    smx::detail::SessionInfo info;
    info.topic = topic;
    info.shm_name = smx::test::shm_prefix() + topic;
    info.host = smx::detail::host_name();
    info.machine = smx::detail::machine_id();
    info.layout_version = smx::detail::LAYOUT_VERSION;
    auto connector = smx::detail::make_local_connector(smx::test::test_domain(), topic, std::make_shared<smx::detail::FrameCounters>());
    const std::string msg = smx::unit::message_of<smx::PermissionDenied>([&] { connector->connect(info); });
    EXPECT_NE(msg.find("topic '" + topic + "': segment '" + smx::test::shm_prefix() + topic + "' is owned by user 65534"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("trusted_uids"), std::string::npos) << msg;

    smx::ReaderOptions trusting;
    trusting.trusted_uids = {NOBODY};
    smx::Reader trusted(participant, topic, trusting);
    EXPECT_TRUE(trusted.wait_for_writer(5s)) << "trusted_uids did not let the user's writer in";
}

// Readers open the segment read-write (they register and pin): a mode granting read without
// write helps no reader, and would let its holders take read locks on the liveness bytes.
TEST(Permissions, a_writer_refuses_a_mode_that_grants_read_without_write_and_says_which_to_use) {
    const std::string topic = unique_topic("perm_badmode");
    smx::Participant participant;
    for (std::uint32_t mode : {0644u, 0640u, 0604u, 0664u, 0400u, 0200u, 0620u}) {
        smx::WriterOptions options;
        options.mode = mode;
        const std::string msg =
            smx::unit::message_of<smx::InvalidArgument>([&] { smx::Writer(participant, topic, SMALL, options); });
        EXPECT_NE(msg.find("writer of topic '" + topic + "': mode 0"), std::string::npos) << std::oct << mode << msg;
        EXPECT_NE(msg.find("0660"), std::string::npos) << msg;
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
    for (std::uint32_t mode : {0600u, 0660u, 0606u, 0666u}) {
        smx::WriterOptions options;
        options.mode = mode;
        smx::Writer writer(participant, topic, SMALL, options);
        EXPECT_EQ(mode_of(writer.segment_name()), mode);
    }
}

// A writer running as a user who may not remove another user's dead segment (/dev/shm is sticky)
// is told whose it is and what to do, whether or not it can open it.
TEST(Permissions, a_writer_facing_another_users_dead_segment_is_told_whose_it_is_and_the_fix) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user (uid " << NOBODY << ")";
    for (std::uint32_t mode : {0600u, 0666u}) {
        const std::string topic = unique_topic("perm_dead_other");
        ShmCleanup cleanup(smx::test::shm_prefix() + topic);
        // A writer of root's that dies without cleaning up: its lock goes, its file stays.
        ForkedChild dead([&](int) {
            auto seg = create(topic, mode);
            ::_exit(0);
            return 0;
        });
        ASSERT_TRUE(dead.wait(20s));
        ASSERT_TRUE(stat_shm(smx::test::shm_prefix() + topic));
        ForkedChild other([&](int report) {
            if (::setgid(NOBODY) != 0 || ::setuid(NOBODY) != 0) return 2;
            try {
                create(topic);
            } catch (const smx::PermissionDenied& e) {
                const std::string msg = e.what();
                return ::write(report, msg.data(), msg.size()) == static_cast<ssize_t>(msg.size()) ? 0 : 3;
            } catch (const std::exception& e) {
                const std::string msg = std::string("other error: ") + e.what();
                return ::write(report, msg.data(), msg.size()) > 0 ? 4 : 5;
            }
            return 6;
        });
        const std::string message = other.read_text(20s);
        const auto status = other.wait(20s);
        EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_status(status) << message;
        EXPECT_NE(message.find("topic '" + topic + "' in domain " + std::to_string(smx::test::test_domain()) + ": /dev/shm" + smx::test::shm_prefix() + topic + " belongs to user 0"),
                  std::string::npos) << std::oct << mode << " " << message;
        EXPECT_NE(message.find("rm /dev/shm" + smx::test::shm_prefix() + topic), std::string::npos) << message;
        EXPECT_TRUE(stat_shm(smx::test::shm_prefix() + topic)) << "root's file was removed by another user";
    }
}
