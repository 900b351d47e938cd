// `smx record` and `smx play` as the real executable against smx_test_peer writers. The HDF5 files
// are checked with h5py (run as /usr/bin/python3, the way a user without smx reads them) against
// the peer's self-verifying pattern, and replayed frames are checked by a reader in this process.

#include "cli_support.hpp"

#include <fstream>
#include <future>
#include <thread>
#include <sys/stat.h>

namespace {

const std::string PYTHON = SMX_TEST_PYTHON;

// Checks a recording with h5py alone: argv = file topic min_frames [swmr]. Asserts the layout
// (dtypes, shapes, attributes) and that every frame's bytes are the peer's pattern of its
// recorded frame number; prints "OK <frames>" and "FRAMES <n>..." (the recorded frame numbers).
constexpr const char* CHECK_SCRIPT = R"PY(
import json, sys
import h5py, numpy as np

path, topic, least = sys.argv[1], sys.argv[2], int(sys.argv[3])
swmr = len(sys.argv) > 4 and sys.argv[4] == "swmr"
f = h5py.File(path, "r", swmr=swmr)
assert f.attrs["smx_recording"] == 1, dict(f.attrs)
g = f[topic]
assert g.attrs["topic"] == topic, g.attrs["topic"]
schema = json.loads(g.attrs["schema"])
frames = min(len(g[name]) for name in g)   # complete frames (a killed recording may differ by one)
assert frames >= least, f"{frames} frames, expected at least {least}"
numbers = g["frame_number"][:frames]
assert g["frame_number"].dtype == np.uint64 and g["timestamp_ns"].dtype == np.int64
assert np.all(np.diff(numbers.astype(np.int64)) > 0), numbers
assert np.all(np.diff(g["timestamp_ns"][:frames]) > 0)

def pattern(frame, field, nbytes):
    i = np.arange((nbytes + 7) // 8, dtype=np.uint64)
    w = (np.uint64(frame) << np.uint64(32)) ^ (np.uint64(field) << np.uint64(56)) \
        ^ ((i * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(16)) ^ i
    return w.astype("<u8").tobytes()[:nbytes]

for index, field in enumerate(schema):
    d = g[field["name"]]
    assert d.dtype == np.dtype(field["dtype"]), (field, d.dtype)
    assert d.shape[1:] == tuple(field["shape"]), (field, d.shape)
    for k in range(frames):
        a = d[k]
        assert a.dtype == np.dtype(field["dtype"]) and a.shape == tuple(field["shape"])
        assert a.tobytes() == pattern(int(numbers[k]), index, a.nbytes), f"frame {k} field {field['name']}"
print("OK", frames)
print("FRAMES", *[int(n) for n in numbers])
)PY";

struct Checked {
    std::optional<int> status;
    std::uint64_t frames = 0;
    std::vector<std::uint64_t> numbers;
    std::string transcript;
};

// Runs CHECK_SCRIPT on `file` with /usr/bin/python3.
Checked check_with_h5py(const std::string& file, const std::string& topic, std::uint64_t least, bool swmr = false) {
    TempFile script(topic + "_check", ".py");
    std::ofstream(script.path) << CHECK_SCRIPT;
    std::vector<std::string> argv{PYTHON, script.path, file, topic, std::to_string(least)};
    if (swmr) argv.push_back("swmr");
    Child python(argv);
    Checked c;
    if (const auto ok = python.wait_for_line("OK ", 120s)) c.frames = std::stoull(ok->substr(3));
    if (const auto numbers = python.wait_for_line("FRAMES", 30s))
        for (const std::string& w : smx::test::words(*numbers))
            if (w != "FRAMES") c.numbers.push_back(std::stoull(w));
    c.status = python.exit_code(30s);
    c.transcript = python.transcript();
    return c;
}

struct Summary {
    std::uint64_t written = 0, missed = 0, bytes = 0;
    double seconds = 0;
    bool found = false;
};

// "topic <t>: <n> frames written, <m> missed, <b> bytes (...), <s> s (...)" of `smx record`.
Summary record_summary(const std::string& out, const std::string& topic) {
    Summary s;
    std::smatch m;
    const std::regex line("topic " + topic + ": ([0-9]+) frames written, ([0-9]+) missed, ([0-9]+) bytes \\([^)]*\\), ([0-9.]+) s");
    if (!std::regex_search(out, m, line)) return s;
    s = {std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]), std::stod(m[4]), true};
    return s;
}

std::uint64_t field_bytes(const smx::Schema& schema) {
    std::uint64_t bytes = 0;
    for (const auto& f : schema.fields()) bytes += f.nbytes();
    return bytes;
}

bool exists(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0;
}

// The frames count of "flushed ...: <topic> <n> frames (<m> missed)".
std::uint64_t flushed_frames(const std::string& line, const std::string& topic) {
    std::smatch m;
    if (!std::regex_search(line, m, std::regex(" " + topic + " ([0-9]+) frames"))) return 0;
    return std::stoull(m[1]);
}

}  // namespace

TEST(CliRecord, records_frames_h5py_reads_them_and_play_republishes_them_byte_exact) {
    const std::string topic = smx::test::unique_topic("cli_rec_trip");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    constexpr std::uint64_t K = 20;
    {
        PeerWriter writer(topic, {"--schema", "rgbd", "--forever", "--rate", "50"});
        const ToolRun r = run_smx({"record", topic, "-o", h5.path, "--count", std::to_string(K)});
        ASSERT_EQ(r.status, 0) << describe(r);
        const Summary s = record_summary(r.out, topic);
        ASSERT_TRUE(s.found) << r.out;
        EXPECT_EQ(s.written, K);
        EXPECT_EQ(s.bytes, K * field_bytes(smx::pattern::rgbd_schema()));
        EXPECT_EQ(writer.stop(), 0);
    }
    const Checked c = check_with_h5py(h5.path, topic, K);
    ASSERT_EQ(c.status, 0) << c.transcript;
    ASSERT_EQ(c.frames, K) << c.transcript;
    ASSERT_EQ(c.numbers.size(), K) << c.transcript;

    // Replayed in a loop: a reader here must see every recorded frame, byte for byte, under the
    // recorded topic and schema (the replay numbers its frames itself: 1, 2, ... per session).
    smx::Participant participant;
    smx::Reader reader(participant, topic);
    Child play({SMX, "play", h5.path, "--rate", "40", "--loop"});
    ASSERT_TRUE(reader.wait_for_writer(30s)) << play.transcript();
    EXPECT_EQ(reader.schema(), smx::pattern::rgbd_schema());
    std::vector<bool> seen(K, false);
    std::uint64_t seen_count = 0, bad = 0;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (seen_count < K && std::chrono::steady_clock::now() < deadline) {
        auto frame = reader.next(5s, smx::Hold::pin);
        if (!frame) continue;
        const std::uint64_t index = (frame->frame_number() - 1) % K;
        if (!smx::pattern::check_all(*frame, c.numbers[index])) ++bad;
        if (!seen[index]) {
            seen[index] = true;
            ++seen_count;
        }
    }
    EXPECT_EQ(seen_count, K);
    EXPECT_EQ(bad, 0u);
    play.signal(SIGINT);
    const auto summary = play.wait_for_line("topic " + topic + ": ", 30s);
    ASSERT_TRUE(summary) << play.transcript();
    EXPECT_TRUE(std::regex_search(*summary, std::regex(": [0-9]+ frames published, 0 dropped"))) << *summary;
    EXPECT_EQ(play.exit_code(30s), 0);
    reader.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(CliRecord, keeps_up_with_a_30_hz_rgbd_camera_without_missing_a_frame) {
    const std::string topic = smx::test::unique_topic("cli_rec_30hz");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    PeerWriter writer(topic, {"--schema", "rgbd", "--forever", "--rate", "30"});
    const ToolRun r = run_smx({"record", topic, "-o", h5.path, "--count", "90"});
    ASSERT_EQ(r.status, 0) << describe(r);
    const Summary s = record_summary(r.out, topic);
    ASSERT_TRUE(s.found) << r.out;
    std::printf("smx record at 30 Hz: %s", r.out.c_str());
    EXPECT_EQ(s.written, 90u);
    EXPECT_EQ(s.missed, 0u) << r.out;
    EXPECT_EQ(s.bytes, 90 * field_bytes(smx::pattern::rgbd_schema()));
    EXPECT_GT(s.seconds, 2.0) << "90 frames at 30 Hz take about 3 s: " << r.out;
    EXPECT_EQ(writer.stop(), 0);
    const Checked c = check_with_h5py(h5.path, topic, 90);
    EXPECT_EQ(c.status, 0) << c.transcript;
    EXPECT_EQ(c.frames, 90u) << c.transcript;
}

TEST(CliRecord, a_recording_killed_with_sigkill_is_readable_up_to_its_last_flush) {
    const std::string topic = smx::test::unique_topic("cli_rec_kill");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    PeerWriter writer(topic, {"--schema", "rgbd", "--forever", "--rate", "30"});
    Child record({SMX, "record", topic, "-o", h5.path});
    ASSERT_TRUE(record.wait_for_line("flushed ", 30s)) << record.transcript();
    const auto second = record.wait_for_line("flushed ", 30s);
    ASSERT_TRUE(second) << record.transcript();
    const std::uint64_t flushed = flushed_frames(*second, topic);
    ASSERT_GT(flushed, 0u) << *second;
    record.signal(SIGKILL);
    EXPECT_EQ(record.exit_code(15s), -SIGKILL);
    // Killed, the file is still marked as being written: h5py opens it as an SWMR reader.
    const Checked c = check_with_h5py(h5.path, topic, flushed, true);
    EXPECT_EQ(c.status, 0) << c.transcript;
    EXPECT_GE(c.frames, flushed) << c.transcript;
    EXPECT_EQ(writer.stop(), 0);
}

TEST(CliRecord, sigint_stops_cleanly_with_a_summary_and_a_complete_file) {
    const std::string topic = smx::test::unique_topic("cli_rec_int");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    PeerWriter writer(topic, {"--schema", "rgbd", "--forever", "--rate", "30"});
    Child record({SMX, "record", topic, "-o", h5.path});
    ASSERT_TRUE(record.wait_for_line("flushed ", 30s)) << record.transcript();
    record.signal(SIGINT);
    ASSERT_TRUE(record.wait_for_line("wrote " + h5.path, 30s)) << record.transcript();
    EXPECT_EQ(record.exit_code(15s), 0);
    const Summary s = record_summary(record.transcript(), topic);
    ASSERT_TRUE(s.found) << record.transcript();
    EXPECT_GT(s.written, 0u);
    // Closed: any HDF5 reader opens it (no SWMR mode), with every frame the summary counted.
    const Checked c = check_with_h5py(h5.path, topic, s.written);
    EXPECT_EQ(c.status, 0) << c.transcript;
    EXPECT_EQ(c.frames, s.written) << c.transcript;
    EXPECT_EQ(writer.stop(), 0);
}

TEST(CliRecord, without_a_writer_fails_with_status_3_naming_the_topic_and_writes_no_file) {
    const std::string topic = smx::test::unique_topic("cli_rec_nowriter");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    const ToolRun r = run_smx({"record", topic, "-o", h5.path, "--wait", "0.5"});
    EXPECT_EQ(r.status, 3) << describe(r);
    EXPECT_NE(r.err.find("smx: no writer on topic '" + topic + "' in domain "), std::string::npos) << r.err;
    EXPECT_FALSE(exists(h5.path));
}

TEST(CliRecord, refuses_to_overwrite_a_file_without_force) {
    const std::string topic = smx::test::unique_topic("cli_rec_exists");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    std::ofstream(h5.path) << "precious";
    const ToolRun r = run_smx({"record", topic, "-o", h5.path, "--wait", "0.5"});
    EXPECT_EQ(r.status, 2) << describe(r);
    EXPECT_NE(r.err.find("smx: '" + h5.path + "' exists; choose another file, or add --force to overwrite it"),
              std::string::npos)
        << r.err;
    std::ifstream in(h5.path);
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "precious");
}

TEST(CliPlay, refuses_files_that_are_not_smx_recordings_with_a_clear_message) {
    const std::string topic = smx::test::unique_topic("cli_play_bad");
    TempFile text(topic, ".txt"), other(topic + "_other", ".h5");
    std::ofstream(text.path) << "not hdf5\n";
    const ToolRun t = run_smx({"play", text.path});
    EXPECT_EQ(t.status, 2) << describe(t);
    EXPECT_NE(t.err.find("smx: '" + text.path + "' is not an HDF5 file; smx play reads the files smx record writes"),
              std::string::npos)
        << t.err;

    Child make({PYTHON, "-c", "import h5py, sys; h5py.File(sys.argv[1], 'w')['x'] = [1, 2]", other.path});
    ASSERT_EQ(make.exit_code(60s), 0);
    const ToolRun o = run_smx({"play", other.path});
    EXPECT_EQ(o.status, 2) << describe(o);
    EXPECT_NE(o.err.find("is an HDF5 file but not an smx recording"), std::string::npos) << o.err;

    const ToolRun missing = run_smx({"play", text.path + ".missing"});
    EXPECT_EQ(missing.status, 2) << describe(missing);
    EXPECT_NE(missing.err.find("No such file or directory"), std::string::npos) << missing.err;
}

TEST(CliPlay, shortens_pauses_longer_than_max_gap_and_survives_absurd_timestamps) {
    const std::string topic = smx::test::unique_topic("cli_play_gap");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    constexpr std::uint64_t K = 6;
    {
        PeerWriter writer(topic, {"--schema", "rgbd", "--forever", "--rate", "50"});
        const ToolRun r = run_smx({"record", topic, "-o", h5.path, "--count", std::to_string(K)});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_EQ(writer.stop(), 0);
    }
    const Checked c = check_with_h5py(h5.path, topic, K);
    ASSERT_EQ(c.numbers.size(), K) << c.transcript;
    // As recorded, frame 3 would come 30 days after frame 2, frame 4 before frame 1, and frame 6
    // at the end of int64 time (a file anyone may have written).
    Child edit({PYTHON, "-c",
                "import h5py, sys\n"
                "g = h5py.File(sys.argv[1], 'r+')[sys.argv[2]]['timestamp_ns']\n"
                "t = g[:]; t[2:] += 30 * 86400 * 10**9; t[3] = t[0] - 10**9; t[5] = 2**63 - 1; g[:] = t\n",
                h5.path, topic});
    ASSERT_EQ(edit.exit_code(60s), 0) << edit.transcript();

    smx::Participant participant;
    smx::Reader reader(participant, topic);
    const auto start = std::chrono::steady_clock::now();
    auto play = std::async(std::launch::async, [&] { return run_smx({"play", h5.path, "--max-gap", "2"}); });
    ASSERT_TRUE(reader.wait_for_writer(30s));
    // The replay numbers its frames 1, 2, ...; each must carry the bytes of the recorded frame at
    // that place in the file. (Frame 1 may come before the reader is matched, and frame 6 as the
    // replay leaves: the summary counts those.)
    std::vector<std::uint64_t> numbers;
    while (numbers.size() < K) {
        auto frame = reader.next(5s, smx::Hold::pin);
        if (!frame) break;
        numbers.push_back(frame->frame_number());
        ASSERT_LE(frame->frame_number(), K);
        EXPECT_TRUE(smx::pattern::check_all(*frame, c.numbers[frame->frame_number() - 1])) << frame->frame_number();
    }
    ASSERT_GE(numbers.size(), 3u);
    for (std::size_t i = 1; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], numbers[i - 1] + 1);
    EXPECT_LE(numbers.front(), 3u);  // frame 3 comes 2 s after frame 2, not 30 days
    const ToolRun r = play.get();  // run_smx's own timeout bounds it
    EXPECT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("topic " + topic + ": " + std::to_string(K) + " frames published, 0 dropped"), std::string::npos)
        << describe(r);
    // Pauses of at most 2 s and 50 Hz spacing: seconds, not the 30 days or 292 years recorded.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 60s);
    EXPECT_NE(r.err.find("smx: topic '" + topic + "': a pause of 2.59e+06 s before frame 3 of the recording is played as 2 s (--max-gap)"),
              std::string::npos)
        << describe(r);
    reader.close();

    // Every timestamp equal: the 6 frames come at once, as recorded, but --loop waits 0.1 s (as
    // after a single frame) between cycles instead of replaying as fast as the file reads (it did
    // over 400 frames/s).
    Child flatten({PYTHON, "-c",
                   "import h5py, sys\n"
                   "g = h5py.File(sys.argv[1], 'r+')[sys.argv[2]]['timestamp_ns']\n"
                   "g[:] = [g[0]] * len(g)\n",
                   h5.path, topic});
    ASSERT_EQ(flatten.exit_code(60s), 0) << flatten.transcript();
    {
        Child loop({SMX, "play", h5.path, "--loop"});
        std::this_thread::sleep_for(2s);  // the window measured, not a synchronisation
        loop.signal(SIGINT);
        const auto line = loop.wait_for_line("topic " + topic + ": ", 30s);
        ASSERT_TRUE(line) << loop.transcript();
        std::smatch m;
        ASSERT_TRUE(std::regex_search(*line, m, std::regex(": ([0-9]+) frames published"))) << *line;
        EXPECT_LE(std::stoull(m[1]), 200u) << "10 cycles of 6 frames a second for 2 s, not as fast as it can: " << *line;
        EXPECT_EQ(loop.exit_code(30s), 0);
    }

    // A frame_number dataset of the wrong rank: refused, and the message names the file.
    Child damage({PYTHON, "-c",
                  "import h5py, sys\n"
                  "g = h5py.File(sys.argv[1], 'r+')[sys.argv[2]]\n"
                  "del g['frame_number']; g['frame_number'] = [[1, 2], [3, 4]]\n",
                  h5.path, topic});
    ASSERT_EQ(damage.exit_code(60s), 0) << damage.transcript();
    const ToolRun bad = run_smx({"play", h5.path});
    EXPECT_EQ(bad.status, 2) << describe(bad);
    EXPECT_EQ(bad.err.rfind("smx: '" + h5.path + "': ", 0), 0u) << bad.err;
    EXPECT_NE(bad.err.find("dimensions, not 1"), std::string::npos) << bad.err;
    // Limits that are no numbers are refused, not taken as "no limit".
    for (const char* nan : {"nan", "inf"}) {
        const ToolRun r2 = run_smx({"play", h5.path, "--max-gap", nan});
        EXPECT_EQ(r2.status, 2) << describe(r2);
        EXPECT_NE(r2.err.find("--max-gap: Value " + std::string(nan) + " not in range"), std::string::npos) << r2.err;
    }
}

// Strings and bounded fields: h5py reads the strings as S<n> and each frame's live rows from
// "<field>%length" (zeros past them); play republishes every row and string byte for byte.
TEST(CliRecord, records_strings_and_bounded_fields_and_plays_them_back_byte_exact) {
    const std::string topic = smx::test::unique_topic("cli_rec_fields");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    constexpr std::uint64_t K = 12;
    {
        PeerWriter writer(topic, {"--frames", std::to_string(K), "--rate", "50", "--wait-readers", "1", "--linger"},
                          "detections-writer");
        const ToolRun r = run_smx({"record", topic, "-o", h5.path, "--count", std::to_string(K)});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_EQ(writer.stop(), 0);
    }
    Child h5py({PYTHON, "-c", R"PY(
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f[sys.argv[2]]
schema = {s["name"]: s for s in json.loads(g.attrs["schema"])}
assert schema["boxes"]["bounded"] and not schema["frame_id"]["bounded"], schema
assert list(g["frame_number"][:]) == list(range(1, 13)), g["frame_number"][:]
assert g["frame_id"].dtype == np.dtype("S16") and g["boxes"].shape == (12, 10, 4)
for i, n in enumerate(range(1, 13)):
    assert g["frame_id"][i] == f"camera_{n}".encode(), g["frame_id"][i]
    rows = int(g["boxes%length"][i])
    assert rows == n % 11, (n, rows)
    want = (n * 100 + np.arange(rows * 4)).reshape(rows, 4).astype(np.float32)
    assert np.array_equal(g["boxes"][i][:rows], want) and not g["boxes"][i][rows:].any(), g["boxes"][i]
    assert int(g["ids%length"][i]) == (n * 3) % 6
print("OK")
)PY", h5.path, topic});
    ASSERT_EQ(h5py.exit_code(60s), 0) << h5py.transcript();

    Child play({SMX, "play", h5.path, "--rate", "40", "--loop"});
    Child reader({smx::test::peer(), "detections-reader", "--topic", topic, "--mode", "pin", "--until",
                  std::to_string(K), "--timeout-ms", "30000"});
    const auto result = reader.wait_for_line("RESULT", 60s);
    ASSERT_TRUE(result) << reader.transcript() << play.transcript();
    EXPECT_NE(result->find(" bad=0"), std::string::npos) << *result;
    EXPECT_NE(result->find(" last=" + std::to_string(K)), std::string::npos) << *result;
    EXPECT_EQ(result->find(" accepted=0 "), std::string::npos) << *result;
    EXPECT_EQ(reader.exit_code(30s), 0);
    play.signal(SIGINT);
    EXPECT_EQ(play.exit_code(30s), 0);
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

// A recording edited by hand is refused on opening, naming the dataset, where HDF5 would convert
// silently: a length of -1 (read as 0), a string dataset longer than its dtype (read cut).
TEST(CliPlay, refuses_edited_field_and_length_datasets_that_hdf5_would_convert) {
    const std::string topic = smx::test::unique_topic("cli_play_edited");
    ShmGuard guard(topic);
    TempFile h5(topic, ".h5");
    {
        PeerWriter writer(topic, {"--frames", "3", "--wait-readers", "1", "--linger"}, "detections-writer");
        const ToolRun r = run_smx({"record", topic, "-o", h5.path, "--count", "3"});
        ASSERT_EQ(r.status, 0) << describe(r);
        EXPECT_EQ(writer.stop(), 0);
    }
    const auto edit = [&](const std::string& code) {
        TempFile copy(topic + "_e", ".h5");
        Child cp({"/bin/cp", h5.path, copy.path});
        EXPECT_EQ(cp.exit_code(30s), 0);
        Child python({PYTHON, "-c", "import h5py, numpy as np, sys\ng = h5py.File(sys.argv[1], 'r+')[sys.argv[2]]\n" + code,
                      copy.path, topic});
        EXPECT_EQ(python.exit_code(60s), 0) << python.transcript();
        return run_smx({"play", copy.path});
    };
    const ToolRun negative = edit(
        "a = g['boxes%length'][:].astype(np.int64); a[1] = -1; del g['boxes%length']; g['boxes%length'] = a\n");
    EXPECT_EQ(negative.status, 2) << describe(negative);
    EXPECT_NE(negative.err.find("length dataset 'boxes%length' of field 'boxes': the rows of field 'boxes' must be "
                                "unsigned 64-bit integers"),
              std::string::npos)
        << negative.err;
    const ToolRun longer = edit(
        "attrs = dict(g['frame_id'].attrs); del g['frame_id']\n"
        "d = g.create_dataset('frame_id', data=np.array([b'0123456789abcdefXY'] * 3, 'S18'))\n"
        "d.attrs.update(attrs)\n");
    EXPECT_EQ(longer.status, 2) << describe(longer);
    EXPECT_NE(longer.err.find("dataset 'frame_id': its data is not of the HDF5 type smx record writes for its dtype |S16"),
              std::string::npos)
        << longer.err;
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
