// The topic tools of `smx` — list, info, echo, hz, snapshot — run as the real executable
// against real writer processes (smx_test_peer). Every process is ended by pid, every wait is
// bounded, every topic is unique, and no test leaves anything in /dev/shm.

#include "cli_support.hpp"


#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

// ---- list ------------------------------------------------------------------------------------

TEST(CliList, shows_the_writers_topic_schema_pid_and_rate) {
    const std::string topic = smx::test::unique_topic("cli_list");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--forever", "--rate", "50"});
        const ToolRun r = run_smx({"list"});
        ASSERT_EQ(r.status, 0) << describe(r);
        std::string row;
        for (const auto& line : lines_of(r.out))
            if (line.rfind(topic + " ", 0) == 0) row = line;
        ASSERT_FALSE(row.empty()) << "no row for " << topic << "\n" << r.out;
        EXPECT_NE(row.find("pid " + std::to_string(writer.pid()) + " on "), std::string::npos) << row;
        EXPECT_NE(row.find(smx::pattern::rgbd_schema().to_string()), std::string::npos) << row;
        EXPECT_NE(row.find("  0 shm + 0 dds  "), std::string::npos) << "no readers: " << row;
        std::smatch m;
        ASSERT_TRUE(std::regex_search(row, m, std::regex(" ([0-9.]+) Hz "))) << row;
        EXPECT_NEAR(std::stod(m[1]), 50.0, 10.0) << row;

        const ToolRun j = run_smx({"list", "--json", "--rate-window", "0"});
        ASSERT_EQ(j.status, 0) << describe(j);
        EXPECT_NE(j.out.find("\"topic\": \"" + topic + "\""), std::string::npos) << j.out;
        EXPECT_NE(j.out.find("\"pid\": " + std::to_string(writer.pid()) + ", \"host\""), std::string::npos) << j.out;
        EXPECT_NE(j.out.find("{\"name\": \"color\", \"dtype\": \"|u1\", \"shape\": [480, 848, 3]"), std::string::npos)
            << j.out;
        EXPECT_NE(j.out.find("\"session\": \"0x" + writer.session() + "\""), std::string::npos) << j.out;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliList, hides_a_dead_writers_segment_unless_all_is_given) {
    const std::string topic = smx::test::unique_topic("cli_dead");
    ShmGuard guard(topic);  // the killed writer cannot remove its segment: the guard does
    PeerWriter writer(topic, {"--frames", "2", "--linger"});
    ASSERT_TRUE(writer.wait_published());
    writer.child().signal(SIGKILL);
    ASSERT_TRUE(writer.child().exit_code(10s).has_value());
    ASSERT_FALSE(smx::test::shm_entries_containing(topic).empty()) << "a killed writer leaves its segment";

    const ToolRun r = run_smx({"list", "--rate-window", "0"});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(r.out.find(topic + " "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("of dead writers not shown"), std::string::npos) << r.out;

    const ToolRun all = run_smx({"list", "--all", "--rate-window", "0"});
    ASSERT_EQ(all.status, 0) << describe(all);
    EXPECT_TRUE(std::regex_search(all.out, std::regex("\n" + topic + " +pid " + std::to_string(writer.pid()) + " on [^ ]+ \\(dead\\) ")))
        << all.out;

    const ToolRun info = run_smx({"info", topic});
    ASSERT_EQ(info.status, 0) << describe(info);
    EXPECT_NE(info.out.find("dead: this segment is stale"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("newest frame  2,"), std::string::npos) << info.out;

    // A reader that finds the writer dead removes what it left (the tools above only looked).
    const ToolRun echo = run_smx({"echo", topic, "--timeout", "0.5"});
    EXPECT_EQ(echo.status, 3) << describe(echo);
    EXPECT_NE(echo.err.find("no writer on topic '" + topic + "'"), std::string::npos) << echo.err;
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty()) << "the reader left the dead writer's segment";
}

// ---- info ------------------------------------------------------------------------------------

TEST(CliInfo, shows_schema_segment_permissions_session_writer_and_reader_pids) {
    const std::string topic = smx::test::unique_topic("cli_info");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--frames", "3", "--linger"});
        ASSERT_TRUE(writer.wait_published());
        Child pinner({smx::test::peer(), "pinner", "--topic", topic, "--pins", "1"});
        ASSERT_TRUE(pinner.wait_for_line("PINNED 1", 30s)) << pinner.transcript();

        const ToolRun r = run_smx({"info", topic});
        ASSERT_EQ(r.status, 0) << describe(r);
        const std::string& out = r.out;
        EXPECT_NE(out.find("topic         " + topic + "\n"), std::string::npos) << out;
        EXPECT_NE(out.find("segment       " + writer.segment() + "  (/dev/shm" + writer.segment() + ")"), std::string::npos) << out;
        EXPECT_NE(out.find("permissions   0600, owner "), std::string::npos) << out;
        EXPECT_NE(out.find("session       0x" + writer.session() + "\n"), std::string::npos) << out;
        EXPECT_NE(out.find("writer        pid " + std::to_string(writer.pid()) + " on "), std::string::npos) << out;
        EXPECT_NE(out.find(", alive, started "), std::string::npos) << out;
        EXPECT_TRUE(std::regex_search(out, std::regex(R"(\n  color +\|u1 +\(480, 848, 3\) +64 +1221120\n)"))) << out;
        EXPECT_TRUE(std::regex_search(out, std::regex(R"(\n  depth +<u2 +\(480, 848\) +[0-9]+ +814080\n)"))) << out;
        EXPECT_NE(out.find("newest frame  3, written "), std::string::npos) << out;
        EXPECT_NE(out.find("readers       1 of 64 registrations in use, 1 alive"), std::string::npos) << out;
        EXPECT_TRUE(std::regex_search(out, std::regex("\n  shm  pid " + std::to_string(pinner.pid()) + " +alive +pins 1\n"))) << out;

        const ToolRun j = run_smx({"info", topic, "--json"});
        ASSERT_EQ(j.status, 0) << describe(j);
        EXPECT_NE(j.out.find("\"readers\": [{\"transport\": \"shm\", \"pid\": " + std::to_string(pinner.pid())), std::string::npos) << j.out;
        EXPECT_NE(j.out.find("\"pins\": 1, \"sleeping\": false}"), std::string::npos) << j.out;
        EXPECT_NE(j.out.find("\"mode\": \"0600\""), std::string::npos) << j.out;

        pinner.send_line("quit");
        EXPECT_EQ(pinner.exit_code(15s), 0);
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliInfo, waits_for_a_segment_with_timeout) {
    const std::string topic = smx::test::unique_topic("cli_info_wait");
    ShmGuard guard(topic);
    // The writer starts after info began waiting: inotify sees its segment arrive.
    Child info({"/bin/sh", "-c", "exec \"$0\" info \"$1\" --timeout 30", SMX, topic});
    std::this_thread::sleep_for(300ms);
    {
        PeerWriter writer(topic, {"--frames", "1", "--linger"});
        ASSERT_TRUE(info.wait_for_line("topic ", 30s)) << info.transcript();
        EXPECT_EQ(info.exit_code(15s), 0);
        EXPECT_NE(info.transcript().find("writer        pid " + std::to_string(writer.pid())), std::string::npos)
            << info.transcript();
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

namespace {

// A DDS domain of this test run's own, never the default 0 that other runs and users share.
std::string run_domain() { return std::to_string(21 + ::getpid() % 200); }

// The row of `topic` in `smx list`'s table, or "" if there is none.
std::string list_row(const ToolRun& r, const std::string& topic) {
    for (const auto& line : lines_of(r.out))
        if (line.rfind(topic + " ", 0) == 0) return line;
    return "";
}

}  // namespace

TEST(CliInfo, shows_shm_and_dds_readers_with_their_transport_and_list_counts_them) {
    const std::string topic = smx::test::unique_topic("cli_remote_readers");
    const std::string domain = run_domain();
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--domain", domain, "--forever", "--rate", "20", "--schema", "blob:4096"});
        Child local({smx::test::peer(), "pinner", "--domain", domain, "--topic", topic, "--pins", "1"});
        Child remote({"/usr/bin/env", "SMX_TRANSPORT=dds", smx::test::peer(), "pinner", "--domain", domain, "--topic",
                      topic, "--pins", "1"});
        ASSERT_TRUE(local.wait_for_line("PINNED 1", 30s)) << local.transcript();
        ASSERT_TRUE(remote.wait_for_line("PINNED 1", 30s)) << remote.transcript();
        // A reader that got a frame over DDS has long been discovered by the writer; a new
        // participant (the tool's) hears of it within its discovery wait.
        const ToolRun r = run_smx({"info", topic, "--domain", domain, "--dds-wait", "2"});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_NE(r.out.find("\nreaders       1 of 64 registrations in use, 1 alive (shm); 1 remote (dds)\n"),
                  std::string::npos) << r.out;
        EXPECT_TRUE(std::regex_search(r.out, std::regex("\n  shm  pid " + std::to_string(local.pid()) + " +alive +pins 1\n")))
            << r.out;
        EXPECT_TRUE(std::regex_search(r.out, std::regex("\n  dds  pid " + std::to_string(remote.pid()) +
                                                        " +on [^ ]+ \\(this machine\\)\n")))
            << r.out;

        const ToolRun j = run_smx({"info", topic, "--domain", domain, "--dds-wait", "2", "--json"});
        ASSERT_EQ(j.status, 0) << describe(j);
        EXPECT_NE(j.out.find("\"remote_readers\": [{\"transport\": \"dds\", \"topic\": \"" + topic + "\""), std::string::npos)
            << j.out;
        EXPECT_NE(j.out.find("\"identified\": true, \"pid\": " + std::to_string(remote.pid()) + ", \"host\": "),
                  std::string::npos) << j.out;
        EXPECT_NE(j.out.find("\"this_machine\": true}]"), std::string::npos) << j.out;
        EXPECT_NE(j.out.find("\"dds\": {\"looked_up\": true, \"wait_s\": 2, \"error\": null}"), std::string::npos) << j.out;

        const ToolRun list = run_smx({"list", "--domain", domain, "--dds-wait", "2"});
        ASSERT_EQ(list.status, 0) << describe(list);
        EXPECT_NE(list_row(list, topic).find("  1 shm + 1 dds  "), std::string::npos) << list.out;
        const ToolRun list_json = run_smx({"list", "--domain", domain, "--dds-wait", "2", "--json", "--rate-window", "0"});
        ASSERT_EQ(list_json.status, 0) << describe(list_json);
        EXPECT_NE(list_json.out.find("\"identified\": true, \"pid\": " + std::to_string(remote.pid())), std::string::npos)
            << list_json.out;

        // Without DDS: shared memory only, and said so.
        const ToolRun shm_only = run_smx({"list", "--domain", domain, "--no-dds", "--rate-window", "0"});
        EXPECT_NE(list_row(shm_only, topic).find("  1 shm  "), std::string::npos) << shm_only.out;
        const ToolRun info_shm_only = run_smx({"info", topic, "--domain", domain, "--no-dds"});
        EXPECT_NE(info_shm_only.out.find("1 alive (shm); remote readers not looked up (--no-dds)\n"), std::string::npos)
            << info_shm_only.out;
        EXPECT_EQ(info_shm_only.out.find("\n  dds "), std::string::npos) << info_shm_only.out;

        // A remote reader that leaves is no longer listed (its reader is deleted: DDS tells at once).
        remote.send_line("quit");
        ASSERT_EQ(remote.exit_code(15s), 0) << remote.transcript();
        std::string last;
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            const ToolRun again = run_smx({"info", topic, "--domain", domain, "--dds-wait", "1"});
            last = again.out;
            if (last.find("1 alive (shm); 0 remote (dds)\n") != std::string::npos) break;
        }
        EXPECT_NE(last.find("1 alive (shm); 0 remote (dds)\n"), std::string::npos) << last;
        EXPECT_EQ(last.find("\n  dds "), std::string::npos) << last;
        const ToolRun list_after = run_smx({"list", "--domain", domain, "--dds-wait", "1", "--rate-window", "0"});
        EXPECT_NE(list_row(list_after, topic).find("  1 shm + 0 dds  "), std::string::npos) << list_after.out;

        local.send_line("quit");
        EXPECT_EQ(local.exit_code(15s), 0) << local.transcript();
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// A DataReader of the payload topic that is not an smx reader, or forges one with garbage: it is
// counted and shown as such, its user data escaped and cut, never taken for an identity.
TEST(CliInfo, shows_a_foreign_payload_reader_as_not_an_smx_reader_with_its_user_data_escaped) {
    const std::string topic = smx::test::unique_topic("cli_foreign_reader");
    const std::string domain = run_domain();
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--domain", domain, "--frames", "1", "--linger", "--schema", "blob:64"});
        // A terminal escape, a bad pid, and too long to show whole.
        const std::string forged = "smx-reader host=\x1b[2J pid=0" + std::string(80, 'x');
        std::string hex;
        for (unsigned char c : forged) {
            char two[3];
            std::snprintf(two, sizeof two, "%02x", c);
            hex += two;
        }
        Child forger({smx::test::injector(), "--topic", topic, "--domain", domain, "--foreign-reader", hex});
        Child foreign({smx::test::injector(), "--topic", topic, "--domain", domain, "--foreign-reader", "-"});
        ASSERT_TRUE(forger.wait_for_line("READY", 30s)) << forger.transcript();
        ASSERT_TRUE(foreign.wait_for_line("READY", 30s)) << foreign.transcript();

        const ToolRun r = run_smx({"info", topic, "--domain", domain, "--dds-wait", "2"});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_NE(r.out.find("0 alive (shm); 2 remote (dds)\n"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("\n  dds  ?            not an smx reader: no user data\n"), std::string::npos) << r.out;
        const std::string shown = "smx-reader host=\\x1b[2J pid=0" + std::string(64 - 26, 'x') + "...";
        EXPECT_NE(r.out.find("\n  dds  ?            not an smx reader: user data \"" + shown + "\"\n"), std::string::npos)
            << r.out;
        EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "a raw escape byte reached the terminal";
        const ToolRun j = run_smx({"info", topic, "--domain", domain, "--dds-wait", "2", "--json"});
        EXPECT_NE(j.out.find("\"identified\": false, \"user_data\": \"smx-reader host=\\\\x1b[2J"), std::string::npos)
            << j.out;
        const ToolRun list = run_smx({"list", "--domain", domain, "--dds-wait", "2", "--rate-window", "0"});
        EXPECT_NE(list_row(list, topic).find("  0 shm + 2 dds  "), std::string::npos) << list.out;

        forger.send_line("quit");
        foreign.send_line("quit");
        EXPECT_EQ(forger.exit_code(15s), 0);
        EXPECT_EQ(foreign.exit_code(15s), 0);
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// ---- echo ------------------------------------------------------------------------------------

TEST(CliEcho, count_3_prints_three_increasing_frame_numbers) {
    const std::string topic = smx::test::unique_topic("cli_echo");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--forever", "--rate", "50"});
        const ToolRun r = run_smx({"echo", topic, "--count", "3"});
        ASSERT_EQ(r.status, 0) << describe(r);
        const auto lines = lines_of(r.out);
        ASSERT_EQ(lines.size(), 3u) << r.out;
        std::uint64_t previous = 0;
        for (const auto& line : lines) {
            std::smatch m;
            ASSERT_TRUE(std::regex_search(line, m, std::regex("^frame ([0-9]+)(?: \\([0-9]+ skipped\\))?  (age|torn: the writer reused its slot)")))
                << line;
            const std::uint64_t n = std::stoull(m[1]);
            EXPECT_GT(n, previous) << r.out;
            previous = n;
            if (m[2] != "age") continue;  // a machine busy enough to stall the copy: said, not shown
            EXPECT_NE(line.find("; color |u1 (480, 848, 3) min 0 max 255 mean "), std::string::npos) << line;
            EXPECT_NE(line.find("; depth <u2 (480, 848) min "), std::string::npos) << line;
        }
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliEcho, field_option_prints_small_fields_value_by_value) {
    const std::string topic = smx::test::unique_topic("cli_echo_small");
    ShmGuard guard(topic);
    {
        // "small": a <i4 (4), b <f4 (2, 3); frames 1..2, so the newest (first shown) is 2.
        PeerWriter writer(topic, {"--schema", "small", "--frames", "2", "--linger"});
        ASSERT_TRUE(writer.wait_published());
        const ToolRun r = run_smx({"echo", topic, "--count", "1", "--field", "a"});
        ASSERT_EQ(r.status, 0) << describe(r);
        const smx::Schema schema{{"a", smx::DType::Kind::i4, {4}}, {"b", smx::DType::Kind::f4, {2, 3}}};
        const auto bytes = pattern_bytes(schema, 0, 2);
        std::string values;
        for (std::size_t i = 0; i < 4; ++i) {
            std::int32_t v;
            std::memcpy(&v, bytes.data() + 4 * i, 4);
            values += (i ? ", " : "") + std::to_string(v);
        }
        EXPECT_TRUE(std::regex_search(r.out, std::regex("^frame 2  age [^ ]+ [a-z]+  a <i4 \\(4,\\) \\[" + values + "\\]\n$")))
            << r.out << "expected values " << values;
        EXPECT_EQ(r.out.find(" b <f4"), std::string::npos) << r.out;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// Strings as numpy shows them, bounded fields with their live rows and their capacity: in echo
// and in info (the peer's Detections: frame 3 has 3 boxes and 3 ids).
TEST(CliEcho, shows_strings_as_text_and_bounded_fields_with_their_live_rows) {
    const std::string topic = smx::test::unique_topic("cli_echo_fields");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--frames", "3", "--linger"}, "detections-writer");
        ASSERT_TRUE(writer.wait_published());
        const ToolRun r = run_smx({"echo", topic, "--count", "1", "--pin"});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_NE(r.out.find("frame_id |S16 () [b'camera_3']; labels |S8 (3,) [b'l3_0', b'l3_1', b'l3_2']; "
                             "boxes <f4 (3, 4) of (<=10, 4) min 300 max 311 mean 305.5; "
                             "ids <u4 (3,) of (<=5,) [30, 31, 32]; stamp <f8 () [3.5]"),
                  std::string::npos)
            << r.out;
        const ToolRun info = run_smx({"info", topic});
        ASSERT_EQ(info.status, 0) << describe(info);
        EXPECT_TRUE(std::regex_search(info.out, std::regex(R"(\n  frame_id +\|S16 +\(\) )"))) << info.out;
        EXPECT_TRUE(std::regex_search(info.out, std::regex(R"(\n  boxes +<f4 +\(<=10, 4\) +[0-9]+ +160\n)"))) << info.out;
        const ToolRun json = run_smx({"info", topic, "--json"});
        ASSERT_EQ(json.status, 0) << describe(json);
        EXPECT_NE(json.out.find("{\"name\": \"ids\", \"dtype\": \"<u4\", \"shape\": [5], \"bounded\": true, "),
                  std::string::npos)
            << json.out;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// ---- hz --------------------------------------------------------------------------------------

TEST(CliHz, reports_the_rate_of_a_50_hz_writer_within_20_percent) {
    const std::string topic = smx::test::unique_topic("cli_hz");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--forever", "--rate", "50", "--schema", "blob:65536"});
        const ToolRun r = run_smx({"hz", topic, "--seconds", "3", "--window", "100"});
        ASSERT_EQ(r.status, 0) << describe(r);
        const auto lines = lines_of(r.out);
        ASSERT_FALSE(lines.empty());
        std::smatch m;
        ASSERT_TRUE(std::regex_search(lines.back(), m, std::regex("^final rate ([0-9.]+) Hz  period min "))) << r.out;
        const double hz = std::stod(m[1]);
        EXPECT_GT(hz, 40.0) << r.out;
        EXPECT_LT(hz, 60.0) << r.out;
        EXPECT_NE(lines.back().find(" std dev "), std::string::npos) << r.out;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliHz, ends_on_ctrl_c_with_a_final_line_and_releases_its_registration) {
    const std::string topic = smx::test::unique_topic("cli_hz_int");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--forever", "--rate", "50", "--schema", "blob:4096"});
        Child hz({SMX, "hz", topic});
        ASSERT_TRUE(hz.wait_for_line("rate ", 30s)) << hz.transcript();
        hz.signal(SIGINT);
        ASSERT_TRUE(hz.wait_for_line("final rate ", 15s)) << hz.transcript();
        EXPECT_EQ(hz.exit_code(15s), 0);
        const ToolRun info = run_smx({"info", topic});
        EXPECT_NE(info.out.find("readers       0 of 64"), std::string::npos) << info.out;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// Frames stop (the writer is idle, then gone): hz says so instead of repeating the last rate.
TEST(CliHz, says_no_new_frames_and_writer_gone_instead_of_repeating_a_stale_rate) {
    const std::string topic = smx::test::unique_topic("cli_hz_stale");
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--frames", "40", "--rate", "50", "--schema", "blob:4096", "--linger"});
        Child hz({SMX, "hz", topic});
        ASSERT_TRUE(hz.wait_for_line("rate ", 30s)) << hz.transcript();
        ASSERT_TRUE(writer.wait_published());  // all 40 published: the writer idles now
        ASSERT_TRUE(hz.wait_for_line("no new frames for ", 15s)) << hz.transcript();
        EXPECT_NE(hz.transcript().find("(the writer is idle)"), std::string::npos) << hz.transcript();
        EXPECT_EQ(writer.stop(), 0);
        for (int i = 0; i < 15 && hz.transcript().find("(writer gone)") == std::string::npos; ++i)
            ASSERT_TRUE(hz.wait_for_line("no new frames for ", 5s)) << hz.transcript();
        ASSERT_NE(hz.transcript().find("(writer gone)"), std::string::npos) << hz.transcript();
        hz.signal(SIGINT);
        EXPECT_EQ(hz.exit_code(15s), 0);
        // After the first "no new frames", no rate line comes again.
        const std::string t = hz.transcript();
        const auto quiet = t.find("no new frames for ");
        EXPECT_EQ(t.find("\nrate ", quiet), std::string::npos) << t;
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// ---- snapshot --------------------------------------------------------------------------------

class CliSnapshot : public ::testing::Test {
protected:
    // A writer of `schema_name` that published frames 1..3 and stays.
    void start(const std::string& schema_name = "rgbd") {
        writer = std::make_unique<PeerWriter>(topic, std::vector<std::string>{"--schema", schema_name, "--frames", "3", "--linger"});
        ASSERT_TRUE(writer->wait_published());
    }
    void TearDown() override {
        if (writer) {
            EXPECT_EQ(writer->stop(), 0);
        }
        writer.reset();
        EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
    }

    std::string topic = smx::test::unique_topic("cli_snap");
    ShmGuard guard{topic};
    std::unique_ptr<PeerWriter> writer;
    TempFile png{topic};
};

TEST_F(CliSnapshot, color_png_pixels_equal_the_frames_bytes) {
    start();
    const ToolRun r = run_smx({"snapshot", topic, "color", "-o", png.path});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("848x480 RGB 8-bit, as written"), std::string::npos) << r.out;
    const std::uint64_t frame = snapshot_frame(r.out);
    EXPECT_EQ(frame, 3u) << r.out;
    const Png p = read_png(png.path);
    ASSERT_TRUE(p.error.empty()) << p.error;
    EXPECT_EQ(p.width, 848u);
    EXPECT_EQ(p.height, 480u);
    EXPECT_EQ(p.channels, 3);
    EXPECT_EQ(p.bit_depth, 8);
    const auto expected = pattern_bytes(smx::pattern::rgbd_schema(), COLOR, frame);
    ASSERT_EQ(p.pixels.size(), expected.size());
    EXPECT_EQ(std::memcmp(p.pixels.data(), expected.data(), expected.size()), 0) << "decoded pixels differ from frame " << frame;
    EXPECT_EQ(p.text.at("smx.topic"), topic);
    EXPECT_EQ(p.text.at("smx.frame"), std::to_string(frame));
}

TEST_F(CliSnapshot, depth_raw_png_keeps_every_16_bit_value) {
    start();
    const ToolRun r = run_smx({"snapshot", topic, "depth", "-o", png.path, "--colormap", "raw"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const std::uint64_t frame = snapshot_frame(r.out);
    const Png p = read_png(png.path);
    ASSERT_TRUE(p.error.empty()) << p.error;
    EXPECT_EQ(p.channels, 1);
    EXPECT_EQ(p.bit_depth, 16);
    const auto expected = pattern_bytes(smx::pattern::rgbd_schema(), DEPTH, frame);
    ASSERT_EQ(p.pixels.size(), expected.size());
    EXPECT_EQ(std::memcmp(p.pixels.data(), expected.data(), expected.size()), 0);
}

TEST_F(CliSnapshot, depth_gray_png_follows_the_documented_normalisation) {
    start();
    const ToolRun r = run_smx({"snapshot", topic, "depth", "-o", png.path});
    ASSERT_EQ(r.status, 0) << describe(r);
    const std::uint64_t frame = snapshot_frame(r.out);
    const Png p = read_png(png.path);
    ASSERT_TRUE(p.error.empty()) << p.error;
    EXPECT_EQ(p.channels, 1);
    EXPECT_EQ(p.bit_depth, 8);
    const auto bytes = pattern_bytes(smx::pattern::rgbd_schema(), DEPTH, frame);
    std::vector<std::uint16_t> depth(bytes.size() / 2);
    std::memcpy(depth.data(), bytes.data(), bytes.size());
    const double lo = *std::min_element(depth.begin(), depth.end()), hi = *std::max_element(depth.begin(), depth.end());
    ASSERT_EQ(p.pixels.size(), depth.size());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < depth.size(); ++i) {
        const auto want = static_cast<std::uint8_t>(std::clamp(std::round(255.0 * (depth[i] - lo) / (hi - lo)), 0.0, 255.0));
        wrong += p.pixels[i] != want;
    }
    EXPECT_EQ(wrong, 0u) << "pixels not round(255 * (v - min) / (max - min))";
    EXPECT_NE(r.out.find("values " + std::to_string(static_cast<int>(lo)) + ".." + std::to_string(static_cast<int>(hi)) +
                         " -> 0..255"),
              std::string::npos)
        << r.out;
}

TEST_F(CliSnapshot, range_option_fixes_the_normalisation_and_clamps_outside_values) {
    start();
    const ToolRun r = run_smx({"snapshot", topic, "depth", "-o", png.path, "--colormap", "gray", "--range", "1000:30000.5"});
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("values 1000..30000.5 -> 0..255"), std::string::npos) << r.out;
    const std::uint64_t frame = snapshot_frame(r.out);
    const Png p = read_png(png.path);
    ASSERT_TRUE(p.error.empty()) << p.error;
    const auto bytes = pattern_bytes(smx::pattern::rgbd_schema(), DEPTH, frame);
    std::vector<std::uint16_t> depth(bytes.size() / 2);
    std::memcpy(depth.data(), bytes.data(), bytes.size());
    ASSERT_EQ(p.pixels.size(), depth.size());
    std::size_t wrong = 0, clamped = 0;
    for (std::size_t i = 0; i < depth.size(); ++i) {
        const double want = std::clamp(std::round(255.0 * (depth[i] - 1000.0) / (30000.5 - 1000.0)), 0.0, 255.0);
        wrong += p.pixels[i] != static_cast<std::uint8_t>(want);
        clamped += depth[i] < 1000 || depth[i] > 30000.5;
    }
    EXPECT_EQ(wrong, 0u);
    EXPECT_GT(clamped, 0u) << "the pattern has values outside the range";
    EXPECT_EQ(p.text.at("smx.range"), "1000:30000.5");
}

TEST_F(CliSnapshot, depth_colormap_paints_missing_depth_black_near_red_and_far_blue) {
    start();
    const ToolRun r = run_smx({"snapshot", topic, "depth", "-o", png.path, "--colormap", "depth"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const std::uint64_t frame = snapshot_frame(r.out);
    const Png p = read_png(png.path);
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_EQ(p.channels, 3);
    const auto bytes = pattern_bytes(smx::pattern::rgbd_schema(), DEPTH, frame);
    std::vector<std::uint16_t> depth(bytes.size() / 2);
    std::memcpy(depth.data(), bytes.data(), bytes.size());
    std::uint16_t near = UINT16_MAX, far = 0;
    for (auto d : depth)
        if (d) near = std::min(near, d), far = std::max(far, d);
    // Colors summed over the nearest and the farthest tenth of the range.
    const double tenth = (far - near) / 10.0;
    double near_red = 0, near_blue = 0, far_red = 0, far_blue = 0;
    std::size_t zero = 0, bad_black = 0;
    for (std::size_t i = 0; i < depth.size(); ++i) {
        const std::uint8_t* px = &p.pixels[i * 3];
        const bool black = px[0] == 0 && px[1] == 0 && px[2] == 0;
        if (depth[i] == 0) ++zero;
        if (black != (depth[i] == 0)) ++bad_black;
        if (depth[i] == 0) continue;
        if (depth[i] <= near + tenth) near_red += px[0], near_blue += px[2];
        if (depth[i] >= far - tenth) far_red += px[0], far_blue += px[2];
    }
    EXPECT_GT(zero, 0u) << "the pattern has pixels without depth";
    EXPECT_EQ(bad_black, 0u) << "black exactly where the depth is 0";
    EXPECT_GT(near_red, 2 * near_blue) << "near should be red";
    EXPECT_GT(far_blue, 2 * far_red) << "far should be blue";
}

TEST_F(CliSnapshot, float_field_is_normalised_over_its_finite_values) {
    start("spec:img:<f4:24x32");
    const ToolRun r = run_smx({"snapshot", topic, "img", "-o", png.path});
    ASSERT_EQ(r.status, 0) << describe(r);
    const std::uint64_t frame = snapshot_frame(r.out);
    const Png p = read_png(png.path);
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_EQ(p.width, 32u);
    ASSERT_EQ(p.height, 24u);
    const smx::Schema schema{{"img", smx::DType::Kind::f4, {24, 32}}};
    const auto bytes = pattern_bytes(schema, 0, frame);
    std::vector<float> v(std::size_t{24} * 32);
    std::memcpy(v.data(), bytes.data(), bytes.size());
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (float x : v)
        if (std::isfinite(x)) lo = std::min<double>(lo, x), hi = std::max<double>(hi, x);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::uint8_t want = std::isfinite(v[i])
            ? static_cast<std::uint8_t>(std::clamp(std::round(255.0 * (v[i] - lo) / (hi - lo)), 0.0, 255.0))
            : 0;
        wrong += p.pixels[i] != want;
    }
    EXPECT_EQ(wrong, 0u) << r.out;
}

// ---- errors ----------------------------------------------------------------------------------

TEST(CliErrors, unknown_topic_times_out_with_a_clear_message) {
    const std::string topic = smx::test::unique_topic("cli_nobody");
    // Then what shared memory says: the live topics of the domain (other tests' may be there).
    const std::string d = std::to_string(smx::test::test_domain());
    const std::regex message("smx: no writer on topic '" + topic + "' in domain " + d + " after 0\\.5 s; "
                             "(domain " + d + " has no live topic on this machine|live topics in domain " + d + ": '.*)\n");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"echo", topic, "--timeout", "0.5"},
             {"hz", topic, "--timeout", "0.5"},
             {"snapshot", topic, "color", "-o", "/tmp/never-written.png", "--timeout", "0.5"}}) {
        const auto start = std::chrono::steady_clock::now();
        const ToolRun r = run_smx(args);
        EXPECT_EQ(r.status, 3) << args[0] << ": " << describe(r);
        EXPECT_TRUE(std::regex_match(r.err, message)) << args[0] << ": " << r.err;
        EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms) << args[0] << " did not wait";
    }
    const ToolRun info = run_smx({"info", topic});
    EXPECT_EQ(info.status, 3) << describe(info);
    EXPECT_EQ(info.err, "smx: no writer on topic '" + topic + "' in domain " + d + " (no segment " + smx::test::shm_prefix() + topic +
                            "); `smx list` shows the live topics\n");
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliErrors, a_misspelt_topic_gets_the_live_topics_and_a_did_you_mean) {
    const std::string topic = smx::test::unique_topic("cli_near") + "_camera";
    ShmGuard guard(topic);
    {
        PeerWriter writer(topic, {"--frames", "1", "--linger", "--schema", "small"});
        ASSERT_TRUE(writer.wait_published());
        const std::string typo = topic.substr(0, topic.size() - 3) + "ra";  // ..._camra
        const ToolRun r = run_smx({"echo", typo, "--timeout", "0.3"});
        EXPECT_EQ(r.status, 3) << describe(r);
        EXPECT_NE(r.err.find("did you mean '" + topic + "'?"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("live topics in domain " + std::to_string(smx::test::test_domain()) + ": "), std::string::npos)
            << r.err;
        EXPECT_EQ(writer.stop(), 0);
    }
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST_F(CliSnapshot, non_image_field_is_refused_with_what_an_image_is) {
    start();
    const ToolRun r = run_smx({"snapshot", topic, "timestamp", "-o", png.path});
    EXPECT_EQ(r.status, 2) << describe(r);
    EXPECT_EQ(r.err, "smx: topic '" + topic + "': field 'timestamp' (<f8 (1,)) is not an image: snapshot takes fields of "
                     "shape (H, W) or (H, W, 1) as gray, (H, W, 3) as RGB and (H, W, 4) as RGBA\n");
    const ToolRun c = run_smx({"snapshot", topic, "color", "-o", png.path, "--colormap", "depth"});
    EXPECT_EQ(c.status, 2) << describe(c);
    EXPECT_NE(c.err.find("--colormap depth applies to single-channel fields"), std::string::npos) << c.err;
    const ToolRun g = run_smx({"snapshot", topic, "color", "-o", png.path, "--range", "0:100"});
    EXPECT_EQ(g.status, 2) << describe(g);
    EXPECT_EQ(g.err, "smx: --range applies when values are normalised (--colormap gray, turbo or depth); field 'color' "
                     "is written as it is\n");
    EXPECT_NE(::access(png.path.c_str(), F_OK), 0) << "no file is written on an error";
}

TEST_F(CliSnapshot, unknown_field_lists_the_topics_fields) {
    start();
    const std::string fields = "its fields are: timestamp, color, depth, extrinsics, intrinsics\n";
    const ToolRun s = run_smx({"snapshot", topic, "colour", "-o", png.path});
    EXPECT_EQ(s.status, 2) << describe(s);
    EXPECT_EQ(s.err, "smx: topic '" + topic + "' has no field 'colour'; " + fields);
    const ToolRun e = run_smx({"echo", topic, "--field", "colour", "--count", "1"});
    EXPECT_EQ(e.status, 2) << describe(e);
    EXPECT_EQ(e.err, "smx: topic '" + topic + "' has no field 'colour'; " + fields);
}

TEST(CliErrors, bad_arguments_exit_2_with_their_message) {
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases{
        {{"echo"}, "smx: topic is required"},
        {{"info"}, "smx: topic is required"},
        {{"snapshot", "t", "color"}, "smx: --output is required"},
        {{"snapshot", "t", "color", "-o", "x.png", "--colormap", "jet"},
         "smx: --colormap: colormap 'jet' is not one of auto, gray, turbo, depth, raw"},
        {{"snapshot", "t", "depth", "-o", "x.png", "--range", "9:1"},
         "smx: --range: range '9:1' is not LO:HI with finite numbers LO < HI (e.g. 0:4000)"},
        {{"hz", "t", "--window", "1"}, "smx: --window: Value 1 not in range"},
        {{"echo", "t", "--count", "-3"}, "smx: --count: '-3' is not a whole number >= 0"},
        {{"list", "--rate-window", "-1"}, "smx: --rate-window: '-1' is not a number of seconds from 0 to 60"},
        {{"list", "--domain", "231"}, "smx: --domain: Value 231 not in range"},
        {{"echo", "t", "--timeout", "soon"}, "smx: --timeout: 'soon' is not a number of seconds from 0 to 86400"},
        {{"list", "extra"}, "smx: The following argument was not expected: extra"},
    };
    for (const Case& c : cases) {
        const ToolRun r = run_smx(c.args);
        std::string joined;
        for (const auto& a : c.args) joined += a + " ";
        EXPECT_EQ(r.status, 2) << joined << describe(r);
        EXPECT_EQ(r.err.rfind(c.message, 0), 0u) << joined << "\nwanted: " << c.message << "\ngot: " << r.err;
    }
}

TEST(CliErrors, every_topic_command_documents_examples_and_exit_statuses_in_its_help) {
    for (const std::string command : {"list", "info", "echo", "hz", "snapshot"}) {
        const ToolRun r = run_smx({command, "--help"});
        EXPECT_EQ(r.status, 0) << command << describe(r);
        EXPECT_NE(r.out.find("Examples:\n  smx " + command), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("Exit status:\n  0  ok"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("--domain"), std::string::npos) << r.out;
        if (command != "list") {
            EXPECT_NE(r.out.find("--timeout"), std::string::npos) << r.out;
        }
    }
}
