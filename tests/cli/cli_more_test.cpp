// The `smx` items of a user's first week: --domain before or after the command, `smx bw`,
// `smx clean`, `smx snapshot --scale/--bgr`, `smx echo --pin`, and each command's own --help.
// Real executable, real writer processes (smx_test_peer); every process is ended by pid, every
// wait bounded, every topic unique, nothing left in /dev/shm. The domain is the run's default
// (SMX_DOMAIN), never a fixed one.

#include "cli_support.hpp"

#include <cmath>
#include <fcntl.h>
#include <sys/mman.h>

namespace {

// A domain other than this run's (smx::test::test_domain()).
int other_domain() { return (smx::test::test_domain() + 1) % 231; }

bool has_list_row(const ToolRun& r, const std::string& topic) {
    for (const auto& line : lines_of(r.out))
        if (line.rfind(topic + " ", 0) == 0) return true;
    return false;
}

// "3.3 MB/s" -> 3.3e6 (format_bytes' decimal units).
double bytes_per_second(const std::string& number, const std::string& unit) {
    const std::map<std::string, double> scale{{"B", 1}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}};
    return std::stod(number) * scale.at(unit);
}

// `smx info TOPIC` until `pattern` matches its output, for at most `timeout`; the last output.
std::string info_until(const std::string& topic, const std::regex& pattern, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    do {
        out = run_smx({"info", topic, "--no-dds"}).out;
        if (std::regex_search(out, pattern)) return out;
    } while (std::chrono::steady_clock::now() < deadline);
    return out;
}

}  // namespace

// ---- --domain before or after the command ------------------------------------------------------

TEST(CliDomain, domain_before_or_after_the_command_selects_the_domain) {
    const std::string topic = smx::test::unique_topic("cli_domain");
    ShmGuard guard(topic);
    {
        PeerWriter writer(
            topic, {"--domain", std::to_string(other_domain()), "--frames", "2", "--linger", "--schema", "small"});
        ASSERT_TRUE(writer.wait_published());
        const std::string d = std::to_string(other_domain()), elsewhere = std::to_string(smx::test::test_domain());
        for (const auto& args :
             std::vector<std::vector<std::string>>{{"--domain", d, "list", "--no-dds", "--rate-window", "0"},
                                                   {"list", "--no-dds", "--rate-window", "0", "--domain", d}}) {
            const ToolRun r = run_smx(args);
            ASSERT_EQ(r.status, 0) << describe(r);
            EXPECT_TRUE(has_list_row(r, topic)) << args[0] << " " << args[1] << "\n" << r.out;
        }
        for (const auto& args :
             std::vector<std::vector<std::string>>{{"--domain", elsewhere, "list", "--no-dds", "--rate-window", "0"},
                                                   {"list", "--no-dds", "--rate-window", "0", "--domain", elsewhere},
                                                   {"list", "--no-dds", "--rate-window", "0"}}) {
            const ToolRun r = run_smx(args);
            ASSERT_EQ(r.status, 0) << describe(r);
            EXPECT_FALSE(has_list_row(r, topic)) << "the writer is not in domain " << elsewhere << "\n" << r.out;
        }
        // Over DDS too: echo finds the writer with the domain in either place, and not without it.
        for (const auto& args : std::vector<std::vector<std::string>>{{"--domain", d, "echo", topic, "--count", "1"},
                                                                      {"echo", topic, "--count", "1", "--domain", d}}) {
            const ToolRun r = run_smx(args);
            ASSERT_EQ(r.status, 0) << describe(r);
            EXPECT_EQ(r.out.rfind("frame 2  age ", 0), 0u) << r.out;
        }
        const ToolRun none = run_smx({"echo", topic, "--count", "1", "--timeout", "0.5"});
        EXPECT_EQ(none.status, 3) << describe(none);
        EXPECT_NE(none.err.find("in domain " + elsewhere + " after 0.5 s"), std::string::npos) << none.err;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliDomain, every_command_takes_domain_after_it) {
    for (const std::string command : {"demo", "list", "info", "echo", "hz", "bw", "snapshot", "clean"}) {
        const ToolRun r = run_smx({command, "--help"});
        EXPECT_EQ(r.status, 0) << command << describe(r);
        EXPECT_NE(r.out.find("--domain"), std::string::npos) << command << "\n" << r.out;
    }
    const ToolRun bad = run_smx({"demo", "--domain", "231"});
    EXPECT_EQ(bad.status, 2) << describe(bad);
    EXPECT_EQ(bad.err.rfind("smx: --domain: Value 231 not in range", 0), 0u) << bad.err;
    // Before and after with different values is refused; the same value twice is harmless.
    const ToolRun twice = run_smx({"--domain", "3", "list", "--no-dds", "--rate-window", "0", "--domain", "5"});
    EXPECT_EQ(twice.status, 2) << describe(twice);
    EXPECT_EQ(twice.err, "smx: --domain given twice, 3 before 'list' and 5 after it: give it once\n") << twice.err;
    const ToolRun same = run_smx({"--domain", "3", "list", "--no-dds", "--rate-window", "0", "--domain", "3"});
    EXPECT_EQ(same.status, 0) << describe(same);
    // Decimal wherever it is given, as SMX_DOMAIN is read: "010" is 10, not octal 8.
    const ToolRun zero = run_smx({"--domain", "010", "list", "--no-dds", "--rate-window", "0", "--domain", "10"});
    EXPECT_EQ(zero.status, 0) << describe(zero);
    const ToolRun hex = run_smx({"list", "--domain", "0x10"});
    EXPECT_EQ(hex.status, 2) << describe(hex);
    EXPECT_NE(hex.err.find("not a decimal number"), std::string::npos) << hex.err;
}

// ---- bw --------------------------------------------------------------------------------------

TEST(CliBw, reports_the_bytes_and_frames_per_second_of_a_50_hz_writer) {
    const std::string topic = smx::test::unique_topic("cli_bw");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--forever", "--rate", "50", "--schema", "blob:65536"});
        const ToolRun r = run_smx({"bw", topic, "--count", "3"});
        ASSERT_EQ(r.status, 0) << describe(r);
        const auto lines = lines_of(r.out);
        ASSERT_EQ(lines.size(), 4u) << "three windows and the final line:\n" << r.out;
        const std::regex line(R"(^(final )?bw ([0-9.]+) (B|kB|MB|GB)/s  ([0-9.]+) frames/s  frame size 65\.5 kB  \()");
        for (const auto& l : lines) {
            std::smatch m;
            if (l.rfind("no new frames yet", 0) == 0) continue;  // a slow start: the writer's first frame
            ASSERT_TRUE(std::regex_search(l, m, line)) << l << "\n" << r.out;
            const double fps = std::stod(m[4]);
            EXPECT_NEAR(fps, 50.0, 10.0) << l;
            // Frames written x 65536 bytes: the two numbers agree.
            EXPECT_NEAR(bytes_per_second(m[2], m[3]), fps * 65536, fps * 65536 * 0.03 + 100e3) << l;
        }
        EXPECT_EQ(lines.back().rfind("final bw ", 0), 0u) << r.out;
        EXPECT_NE(lines.back().find(", skipped "), std::string::npos) << r.out;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliBw, measures_several_topics_with_a_line_each) {
    const std::string a = smx::test::unique_topic("cli_bw_a"), b = smx::test::unique_topic("cli_bw_b");
    ShmGuard guard_a(a), guard_b(b);
    {
        PeerWriter wa(a, {"--forever", "--rate", "40", "--schema", "blob:1000"});
        PeerWriter wb(b, {"--forever", "--rate", "20", "--schema", "blob:3000"});
        const ToolRun r = run_smx({"bw", a, b, "--duration", "2.5", "--window", "0.5"});
        ASSERT_EQ(r.status, 0) << describe(r);
        std::smatch m;
        ASSERT_TRUE(std::regex_search(
            r.out, m, std::regex("\n" + a + ": final bw ([0-9.]+) kB/s  ([0-9.]+) frames/s  frame size 1\\.0 kB")))
            << r.out;
        EXPECT_NEAR(std::stod(m[2]), 40.0, 8.0) << r.out;
        ASSERT_TRUE(std::regex_search(
            r.out, m, std::regex("\n" + b + ": final bw ([0-9.]+) kB/s  ([0-9.]+) frames/s  frame size 3\\.0 kB")))
            << r.out;
        EXPECT_NEAR(std::stod(m[2]), 20.0, 4.0) << r.out;
        for (const auto& line : lines_of(r.out))
            EXPECT_TRUE(line.rfind(a + ": ", 0) == 0 || line.rfind(b + ": ", 0) == 0) << line;
        EXPECT_EQ(wa.stop(), 0);
        EXPECT_EQ(wb.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(a).empty());
    EXPECT_TRUE(smx::test::shm_entries_containing(b).empty());
}

TEST(CliBw, says_no_new_frames_and_writer_gone_like_hz) {
    const std::string topic = smx::test::unique_topic("cli_bw_stale");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--frames", "40", "--rate", "50", "--schema", "blob:4096", "--linger"});
        Child bw({SMX, "bw", topic, "--window", "0.5"});
        ASSERT_TRUE(bw.wait_for_line("bw ", 30s)) << bw.transcript();
        ASSERT_TRUE(writer.wait_published());
        ASSERT_TRUE(bw.wait_for_line("no new frames for ", 15s)) << bw.transcript();
        EXPECT_NE(bw.transcript().find("(the writer is idle)"), std::string::npos) << bw.transcript();
        EXPECT_EQ(writer.stop(), 0);
        for (int i = 0; i < 30 && bw.transcript().find("(writer gone)") == std::string::npos; ++i)
            ASSERT_TRUE(bw.wait_for_line("no new frames for ", 5s)) << bw.transcript();
        ASSERT_NE(bw.transcript().find("(writer gone)"), std::string::npos) << bw.transcript();
        bw.signal(SIGINT);
        ASSERT_TRUE(bw.wait_for_line("final bw ", 15s)) << bw.transcript();
        EXPECT_EQ(bw.exit_code(15s), 0);
        const std::string t = bw.transcript();
        EXPECT_EQ(t.find("\nbw ", t.find("no new frames for ")), std::string::npos) << "no stale bandwidth:\n" << t;
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// ---- an unknown command -------------------------------------------------------------------

TEST(CliUnknown, a_misspelt_command_is_named_with_the_real_ones) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"hzz", "camera"}, {"--domain", "3", "lst"}}) {
        const ToolRun r = run_smx(args);
        EXPECT_EQ(r.status, 2) << describe(r);
        const std::string word = args[0] == "--domain" ? args[2] : args[0];
        EXPECT_EQ(r.err.rfind("smx: unknown command '" + word + "' (commands: demo, list, info, echo, hz, bw,", 0), 0u)
            << r.err;
        EXPECT_EQ(r.err.find("demo-writer"), std::string::npos) << "hidden roles are not offered: " << r.err;
    }
}

// ---- clean -----------------------------------------------------------------------------------

TEST(CliClean, removes_a_killed_writers_segment_and_leaves_live_and_foreign_ones) {
    const std::string dead = smx::test::unique_topic("cli_clean_dead");
    const std::string live = smx::test::unique_topic("cli_clean_live");
    const std::string foreign = smx::test::unique_topic("cli_clean_foreign");
    ShmGuard guard_dead(dead), guard_live(live), guard_foreign(foreign);
    // Not an smx segment, at a name like one: never touched.
    const std::string foreign_name = smx::segment_name_of(smx::test::test_domain(), foreign);
    const int fd = ::shm_open(foreign_name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    ASSERT_GE(fd, 0) << foreign_name;
    ASSERT_EQ(::write(fd, "not smx, keep me", 16), 16);
    ::close(fd);
    {
        PeerWriter killed(dead, {"--frames", "2", "--linger", "--schema", "blob:100000"});
        ASSERT_TRUE(killed.wait_published());
        killed.child().signal(SIGKILL);
        ASSERT_TRUE(killed.child().exit_code(10s).has_value());
        ASSERT_EQ(smx::test::shm_entries_containing(dead).size(), 1u) << "a killed writer leaves its segment";
        PeerWriter alive(live, {"--frames", "1", "--linger", "--schema", "small"});
        ASSERT_TRUE(alive.wait_published());
        const std::string removed_line = "/dev/shm" + killed.segment() + "  topic '" + dead + "'  dead writer pid " +
                                         std::to_string(killed.pid()) + "  ";

        // Only this test's topics: a concurrent test may keep a dead writer's segment on purpose.
        const ToolRun dry = run_smx({"clean", "--dry-run", dead, live, foreign});
        ASSERT_EQ(dry.status, 0) << describe(dry);
        EXPECT_NE(dry.out.find("would remove " + removed_line), std::string::npos) << dry.out;
        EXPECT_EQ(smx::test::shm_entries_containing(dead).size(), 1u) << "--dry-run removed it";

        const ToolRun r = run_smx({"clean", dead, live, foreign});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_NE(r.out.find("removed " + removed_line), std::string::npos) << r.out;
        EXPECT_TRUE(std::regex_search(r.out, std::regex("removed 1 segment of dead writers in domain " +
                                                        std::to_string(smx::test::test_domain()) + " for the topics given, ")))
            << r.out;
        EXPECT_NE(r.out.find("cannot be read left alone"), std::string::npos) << "the foreign file is counted\n"
                                                                              << r.out;
        EXPECT_EQ(r.out.find(live), std::string::npos) << r.out;
        EXPECT_TRUE(smx::test::shm_entries_containing(dead).empty()) << r.out;
        EXPECT_EQ(smx::test::shm_entries_containing(live).size(), 1u) << "the live writer's segment was removed";
        EXPECT_EQ(smx::test::shm_entries_containing(foreign).size(), 1u) << "a foreign file was removed";

        const ToolRun again = run_smx({"clean", "--domain", std::to_string(smx::test::test_domain()), dead, live});
        ASSERT_EQ(again.status, 0) << describe(again);
        EXPECT_EQ(again.out.rfind("nothing to clean in domain " + std::to_string(smx::test::test_domain()) + " for the topics given\n", 0), 0u)
            << again.out;
        // The live writer was not disturbed: it still publishes and closes cleanly.
        const ToolRun echo = run_smx({"echo", live, "--count", "1"});
        EXPECT_EQ(echo.status, 0) << describe(echo);
        EXPECT_EQ(alive.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(live).empty());
}

// ---- snapshot --scale, --bgr -----------------------------------------------------------------

TEST(CliSnapshotScale, half_scale_bgr_png_is_the_box_average_with_red_and_blue_swapped) {
    const std::string topic = smx::test::unique_topic("cli_snap_scale");
    ShmGuard guard(topic);
    TempFile png(topic);
    {
        PeerWriter writer(topic, {"--frames", "3", "--linger"});
        ASSERT_TRUE(writer.wait_published());
        const ToolRun r = run_smx({"snapshot", topic, "color", "-o", png.path, "--scale", "0.5", "--bgr"});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_NE(r.out.find("424x240 (scaled 0.5 from 848x480) RGB 8-bit, as written, BGR turned RGB"),
                  std::string::npos)
            << r.out;
        const Png p = read_png(png.path);
        ASSERT_TRUE(p.error.empty()) << p.error;
        ASSERT_EQ(p.width, 424u);
        ASSERT_EQ(p.height, 240u);
        ASSERT_EQ(p.channels, 3);
        EXPECT_EQ(p.text.at("smx.scale"), "0.5");
        const auto bytes = pattern_bytes(smx::pattern::rgbd_schema(), COLOR, snapshot_frame(r.out));
        const auto source = [&](std::size_t x, std::size_t y, std::size_t c) {
            return static_cast<unsigned>(bytes[(y * 848 + x) * 3 + c]);
        };
        std::size_t wrong = 0;
        for (std::size_t y = 0; y < 240; ++y)
            for (std::size_t x = 0; x < 424; ++x)
                for (std::size_t c = 0; c < 3; ++c) {
                    const std::size_t from = 2 - c;  // BGR in the frame
                    const unsigned sum = source(2 * x, 2 * y, from) + source(2 * x + 1, 2 * y, from) +
                                         source(2 * x, 2 * y + 1, from) + source(2 * x + 1, 2 * y + 1, from);
                    if (p.pixels[(y * 424 + x) * 3 + c] != (sum + 2) / 4) ++wrong;
                }
        EXPECT_EQ(wrong, 0u);
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliSnapshotScale, enlarging_repeats_the_nearest_pixel_and_bgr_needs_three_channels) {
    const std::string topic = smx::test::unique_topic("cli_snap_up");
    ShmGuard guard(topic);
    TempFile png(topic);
    {
        PeerWriter writer(topic, {"--frames", "1", "--linger", "--schema", "spec:img:|u1:5x7x3,gray:|u1:5x7"});
        ASSERT_TRUE(writer.wait_published());
        const ToolRun r = run_smx({"snapshot", topic, "img", "-o", png.path, "--scale", "2"});
        ASSERT_EQ(r.status, 0) << describe(r);
        const Png p = read_png(png.path);
        ASSERT_TRUE(p.error.empty()) << p.error;
        ASSERT_EQ(p.width, 14u);
        ASSERT_EQ(p.height, 10u);
        const smx::Schema schema{{"img", smx::DType::Kind::u1, {5, 7, 3}}, {"gray", smx::DType::Kind::u1, {5, 7}}};
        const auto bytes = pattern_bytes(schema, 0, 1);
        for (std::size_t y = 0; y < 10; ++y)
            for (std::size_t x = 0; x < 14; ++x)
                for (std::size_t c = 0; c < 3; ++c)
                    ASSERT_EQ(p.pixels[(y * 14 + x) * 3 + c],
                              static_cast<std::uint8_t>(bytes[((y / 2) * 7 + x / 2) * 3 + c]))
                        << x << "," << y << "," << c;

        const ToolRun gray = run_smx({"snapshot", topic, "gray", "-o", png.path, "--bgr"});
        EXPECT_EQ(gray.status, 2) << describe(gray);
        EXPECT_EQ(gray.err,
                  "smx: --bgr applies to fields of shape (H, W, 3) or (H, W, 4) of |u1; field 'gray' is |u1 (5, 7)\n");
        const ToolRun zero = run_smx({"snapshot", topic, "img", "-o", png.path, "--scale", "0"});
        EXPECT_EQ(zero.status, 2) << describe(zero);
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// ---- echo --pin ------------------------------------------------------------------------------

TEST(CliEchoPin, prints_the_same_values_as_a_checked_copy) {
    const std::string topic = smx::test::unique_topic("cli_echo_pin");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--schema", "small", "--frames", "2", "--linger"});
        ASSERT_TRUE(writer.wait_published());
        const ToolRun pinned = run_smx({"echo", topic, "--count", "1", "--pin"});
        const ToolRun copied = run_smx({"echo", topic, "--count", "1"});
        ASSERT_EQ(pinned.status, 0) << describe(pinned);
        ASSERT_EQ(copied.status, 0) << describe(copied);
        const std::regex age("  age [^ ]+ [a-z]+  ");
        EXPECT_EQ(std::regex_replace(pinned.out, age, "  age -  "), std::regex_replace(copied.out, age, "  age -  "));
        EXPECT_EQ(pinned.out.rfind("frame 2  age ", 0), 0u) << pinned.out;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// An echo whose output nobody reads blocks printing a line: with --pin it holds that frame's
// pin meanwhile, which the segment shows (without --pin it never holds one).
TEST(CliEchoPin, holds_the_pin_of_the_frame_it_is_printing) {
    const std::string topic = smx::test::unique_topic("cli_echo_held");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--forever", "--schema", "blob:64"});
        Child echo({SMX, "echo", topic, "--pin"});  // its stdout is not read: the pipe fills
        const std::regex pinned("\n  shm  pid " + std::to_string(echo.pid()) + " +alive +pins 1\n");
        const std::string info = info_until(topic, pinned, 30s);
        EXPECT_TRUE(std::regex_search(info, pinned)) << info;
        echo.signal(SIGKILL);
        EXPECT_TRUE(echo.exit_code(15s).has_value());
        EXPECT_EQ(writer.stop(), 0);  // the dead reader's pin did not stop it
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// ---- help ------------------------------------------------------------------------------------

TEST(CliHelp, each_command_shows_its_own_examples_not_another_commands) {
    const ToolRun hz = run_smx({"hz", "--help"});
    ASSERT_EQ(hz.status, 0) << describe(hz);
    EXPECT_NE(hz.out.find("  smx hz camera "), std::string::npos) << hz.out;
    EXPECT_EQ(hz.out.find("smx snapshot camera"), std::string::npos) << hz.out;
    for (const std::string command : {"demo", "list", "info", "echo", "hz", "bw", "snapshot", "clean"}) {
        const ToolRun r = run_smx({command, "--help"});
        ASSERT_EQ(r.status, 0) << command << describe(r);
        EXPECT_NE(r.out.find("Examples:\n  smx " + command), std::string::npos) << r.out;
        EXPECT_EQ(r.out.find("smx bench --plot"), std::string::npos) << command << " shows the global examples:\n"
                                                                     << r.out;
        for (const std::string other : {"list", "info", "echo", "hz", "bw", "snapshot", "clean"})
            if (other != command) {
                EXPECT_EQ(r.out.find("\n  smx " + other + " "), std::string::npos)
                    << command << " shows " << other << ":\n"
                    << r.out;
            }
    }
    const ToolRun global = run_smx({"--help"});
    ASSERT_EQ(global.status, 0) << describe(global);
    EXPECT_NE(global.out.find("\n  smx bw camera "), std::string::npos) << global.out;
    EXPECT_NE(global.out.find("\n  smx clean --dry-run "), std::string::npos) << global.out;
}
