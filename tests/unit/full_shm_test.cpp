// A full /dev/shm: in a private mount namespace with a 4 MiB tmpfs on /dev/shm, a writer whose
// segment does not fit fails at creation with OutOfSpace naming the topic, the size and the fix,
// and leaves nothing in /dev/shm (no temporary, no half-built segment).

#include "shm/segment.hpp"
#include "support.hpp"

#include "pattern.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <unistd.h>

using namespace std::chrono_literals;
using smx::test::Child;
using smx::test::unique_topic;

namespace {

// posix_spawn does not search PATH.
std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin:/usr/sbin:/sbin";
    dirs += ":/usr/bin:/bin:/usr/sbin:/sbin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string candidate = dirs.substr(start, end - start) + "/" + name;
        if (!candidate.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return {};
}

// Runs `script` under `sh -c` in a private mount namespace with a 4 MiB tmpfs on /dev/shm;
// $0 is the test peer, $1 the topic.
std::vector<std::string> in_small_shm(const std::string& unshare, const std::string& script, const std::string& topic,
                                      const std::string& options = "size=4m") {
    return {unshare, "-m", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs -o " + options + " tmpfs /dev/shm || { echo MOUNT_FAILED; exit 90; }; " + script,
            smx::test::helper_path("smx_test_peer"), topic};
}

}  // namespace

TEST(FullShm, a_writer_whose_segment_does_not_fit_fails_with_OutOfSpace_and_leaves_nothing_behind) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs on /dev/shm in a private namespace needs root";
    const std::string unshare = find_program("unshare");
    if (unshare.empty()) GTEST_SKIP() << "unshare(1) is not installed";
    {
        Child probe(in_small_shm(unshare, "echo PROBE_OK", "unused"));
        const auto ok = probe.wait_for_line("PROBE_OK", 20s);
        if (!ok) GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here: " << probe.transcript();
        EXPECT_EQ(probe.exit_code(20s), 0);
    }

    const std::string topic = unique_topic("full_shm");
    const std::uint64_t big = 2'000'000;  // 3 slots of ~2 MB: more than the 4 MiB tmpfs
    const auto geometry = smx::detail::SegmentGeometry::compute(smx::pattern::blob_schema(big), 3, 64);
    ASSERT_GT(geometry.segment_size, 4u << 20);
    Child run(in_small_shm(unshare,
                           // A writer that fits proves the namespace works; then the one that does not.
                           "\"$0\" writer --topic \"$1\" --schema blob:100000 --frames 1; echo SMALL_DONE $?; "
                           "\"$0\" writer --topic \"$1\" --schema blob:" + std::to_string(big) +
                               "; echo BIG_DONE $?; "
                               "echo \"SHM_LEFT [$(ls -A /dev/shm | tr '\\n' ' ')]\"",
                           topic));
    ASSERT_TRUE(run.wait_for_line("SMALL_DONE 0", 30s)) << run.transcript();
    const auto error = run.wait_for_line("EXCEPTION ", 30s);
    ASSERT_TRUE(error) << run.transcript();
    const std::string name = smx::test::shm_prefix() + topic;
    const std::string size = std::to_string(geometry.segment_size);
    const std::regex expected(
        "EXCEPTION out_of_space topic '" + topic + "' in domain " + std::to_string(smx::test::test_domain()) + ": segment '" + name + "' of " + size + " bytes \\(3 slots of " +
        std::to_string(geometry.slot_stride) + " bytes, mode 0600\\) does not fit: cannot reserve " + size +
        " bytes for '" + name + "~t[0-9a-f]{16}' in /dev/shm: No space left on device \\(free space in /dev/shm or use "
        "fewer/smaller slots\\)");
    EXPECT_TRUE(std::regex_match(*error, expected)) << *error;
    EXPECT_TRUE(run.wait_for_line("BIG_DONE 5", 30s)) << run.transcript();
    const auto left = run.wait_for_line("SHM_LEFT ", 30s);
    ASSERT_TRUE(left) << run.transcript();
    EXPECT_EQ(*left, "SHM_LEFT []") << "the failed writer left something in /dev/shm";
    EXPECT_EQ(run.exit_code(30s), 0) << run.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty()) << "nothing leaked into the real /dev/shm";
}

// Out of inodes (a tmpfs of 2: its root and one file already there): the message names the topic
// and what to look at, not only "No space left on device".
TEST(FullShm, a_writer_that_finds_dev_shm_out_of_inodes_fails_with_OutOfSpace_naming_the_topic) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs on /dev/shm in a private namespace needs root";
    const std::string unshare = find_program("unshare");
    if (unshare.empty()) GTEST_SKIP() << "unshare(1) is not installed";
    const std::string topic = unique_topic("full_inodes");
    Child run(in_small_shm(unshare,
                           "touch /dev/shm/other && \"$0\" writer --topic \"$1\" --schema blob:4096; echo DONE $?; "
                           "echo \"SHM_LEFT [$(ls -A /dev/shm | tr '\\n' ' ')]\"",
                           topic, "size=4m,nr_inodes=2"));
    const auto error = run.wait_for_line("EXCEPTION ", 30s);
    ASSERT_TRUE(error) << run.transcript();
    const std::string prefix = "EXCEPTION out_of_space topic '" + topic + "' in domain " + std::to_string(smx::test::test_domain()) + ": cannot create segment '" + smx::test::shm_prefix() +
                               topic + "' (";
    EXPECT_EQ(error->rfind(prefix, 0), 0u) << *error;
    EXPECT_NE(error->find("No space left on device"), std::string::npos) << *error;
    EXPECT_NE(error->find("/dev/shm is out of space or of inodes (df -i /dev/shm)"), std::string::npos) << *error;
    EXPECT_TRUE(run.wait_for_line("DONE 5", 30s)) << run.transcript();
    const auto left = run.wait_for_line("SHM_LEFT ", 30s);
    ASSERT_TRUE(left) << run.transcript();
    EXPECT_EQ(*left, "SHM_LEFT [other ]");
    EXPECT_EQ(run.exit_code(30s), 0) << run.transcript();
}
