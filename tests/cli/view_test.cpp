// `smx view` — the live viewer — run as the real executable against smx_test_peer writers, on an
// Xvfb server each test starts (and ends, by pid) itself. The window's pixels come back through
// the hidden `--screenshot PATH` option (SDL_RenderReadPixels, written as a PNG) and are compared
// with the frame the viewer says it shows, outside the overlay's box (which must show text).
// Xvfb is in the Makefile's PACKAGES: without it these tests fail, they do not skip.

#include "cli_support.hpp"

#include <sys/stat.h>

namespace {

// The Xvfb executable on PATH, or "" if there is none.
std::string find_xvfb() {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t colon = std::min(dirs.find(':', start), dirs.size());
        const std::string candidate = dirs.substr(start, colon - start) + "/Xvfb";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = colon + 1;
    }
    return "";
}

// An X server of the test's own: Xvfb picks a free display number and tells it (-displayfd), so
// parallel tests and other servers on the machine never collide. Ended by pid (SIGTERM, so it
// removes its socket and lock file; Child kills it if it did not end).
class Xvfb {
public:
    Xvfb() {
        const std::string xvfb = find_xvfb();
        if (xvfb.empty()) throw std::runtime_error("Xvfb is not on PATH: install the xvfb package (`make deps`)");
        m_server = std::make_unique<Child>(
            std::vector<std::string>{xvfb, "-displayfd", "1", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"});
        const auto number = m_server->read_line(30s);
        if (!number || number->empty()) throw std::runtime_error("Xvfb did not start (no display number within 30 s)");
        m_display = ":" + *number;
    }
    ~Xvfb() {
        m_server->signal(SIGTERM);
        m_server->wait(10s);
    }
    const std::string& display() const { return m_display; }

private:
    std::unique_ptr<Child> m_server;
    std::string m_display;
};

// Sets (or, with nullopt, unsets) an environment variable for the test's processes, and restores it.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::optional<std::string>& value) : m_name(std::move(name)) {
        if (const char* old = std::getenv(m_name.c_str())) m_old = old;
        if (value)
            ::setenv(m_name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(m_name.c_str());
    }
    ~ScopedEnv() {
        if (m_old)
            ::setenv(m_name.c_str(), m_old->c_str(), 1);
        else
            ::unsetenv(m_name.c_str());
    }

private:
    std::string m_name;
    std::optional<std::string> m_old;
};

struct Rect {
    std::uint32_t x = 0, y = 0, width = 0, height = 0;
    bool contains(std::uint32_t px, std::uint32_t py) const { return px >= x && px < x + width && py >= y && py < y + height; }
};

// "wrote <path>: topic '<t>', frame <n>, <w>x<h> window, overlay at <x>,<y> <w>x<h>"
struct Screenshot {
    std::uint64_t frame = 0;
    Rect overlay;
};

std::optional<Screenshot> parse_screenshot(const std::string& out) {
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(", frame ([0-9]+), [0-9]+x[0-9]+ window, overlay at ([0-9]+),([0-9]+) ([0-9]+)x([0-9]+)")))
        return std::nullopt;
    Screenshot s;
    s.frame = std::stoull(m[1]);
    s.overlay = {static_cast<std::uint32_t>(std::stoul(m[2])), static_cast<std::uint32_t>(std::stoul(m[3])),
                 static_cast<std::uint32_t>(std::stoul(m[4])), static_cast<std::uint32_t>(std::stoul(m[5]))};
    return s;
}

// Pixels of an RGB picture that differ from `expected` outside `overlay`, and those that differ
// inside it.
struct Comparison {
    std::size_t wrong_outside = 0, changed_inside = 0;
};

Comparison compare_rgb(const Png& shot, const std::uint8_t* expected, const Rect& overlay) {
    Comparison c;
    for (std::uint32_t y = 0; y < shot.height; ++y)
        for (std::uint32_t x = 0; x < shot.width; ++x) {
            const std::size_t at = (static_cast<std::size_t>(y) * shot.width + x) * 3;
            const bool same = std::memcmp(&shot.pixels[at], expected + at, 3) == 0;
            if (overlay.contains(x, y))
                c.changed_inside += !same;
            else
                c.wrong_outside += !same;
        }
    return c;
}

#if defined(__SANITIZE_ADDRESS__)
// Under ASan (`make asan`), the viewer's exit is checked for leaks: libdbus (SDL's screensaver and
// input-method bridge) and Mesa's llvmpipe (libLLVM) keep allocations until exit by design. Their
// leaks are suppressed for the viewer's processes only (LSAN_OPTIONS, which smx's leak checks
// do not otherwise use). Seen with an uninstrumented viewer under a preloaded libasan; an
// instrumented build may need more entries.
struct ViewerLeakSuppressions {
    TempFile file{smx::test::unique_topic("view_lsan"), ".supp"};
    std::unique_ptr<ScopedEnv> env;
    ViewerLeakSuppressions() {
        if (std::FILE* f = std::fopen(file.path.c_str(), "w")) {
            std::fputs("leak:libdbus-1.so\nleak:libLLVM\nleak:swrast_dri.so\n", f);
            std::fclose(f);
        }
        env = std::make_unique<ScopedEnv>("LSAN_OPTIONS", "suppressions=" + file.path);
    }
};
#else
struct ViewerLeakSuppressions {};
#endif

class CliView : public ::testing::Test {
protected:
    ViewerLeakSuppressions leaks;
    void TearDown() override {
        writer.reset();
        EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
    }

    // A writer of the rgbd schema (848x480) that published frames 1..`frames` and stays.
    void start_writer(int frames = 3) {
        writer = std::make_unique<PeerWriter>(
            topic, std::vector<std::string>{"--schema", "rgbd", "--frames", std::to_string(frames), "--linger"});
        ASSERT_TRUE(writer->wait_published());
    }

    // The screenshot in `png`, checked to be the 848x480 window at 1:1 with the overlay in the
    // pictures' top-left corner.
    Screenshot check_screenshot(const ToolRun& r) {
        EXPECT_EQ(r.status, 0) << describe(r);
        const auto s = parse_screenshot(r.out);
        EXPECT_TRUE(s) << r.out;
        if (!s) return {};
        EXPECT_EQ(s->overlay.x, 0u);
        EXPECT_EQ(s->overlay.y, 0u);
        EXPECT_GT(s->overlay.width * s->overlay.height, 0u) << "no overlay drawn";
        EXPECT_LT(s->overlay.height, 480u / 4) << "the overlay is a band in the corner";
        return *s;
    }

    std::string topic = smx::test::unique_topic("cli_view");
    ShmGuard guard{topic};
    std::unique_ptr<PeerWriter> writer;
    TempFile png{topic};
};

TEST_F(CliView, color_screenshot_equals_the_frame_outside_the_overlay_and_the_overlay_shows_text) {
    Xvfb x;
    ScopedEnv display("DISPLAY", x.display()), wayland("WAYLAND_DISPLAY", std::nullopt);
    start_writer();
    const ToolRun r = run_smx({"view", topic, "color", "--scale", "1", "--screenshot", png.path});
    const Screenshot s = check_screenshot(r);
    EXPECT_EQ(s.frame, 3u) << "the newest frame is shown first\n" << r.out;
    // What the terminal says: the first frame shown, then the screenshot.
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0], "showing frame 3 of topic '" + topic + "' (writer session 0x" + writer->session() + ")");
    EXPECT_EQ(lines[1].rfind("wrote " + png.path + ": topic '" + topic + "', frame 3, 848x480 window, overlay at 0,0 ", 0), 0u);

    const Png shot = read_png(png.path);
    ASSERT_TRUE(shot.error.empty()) << shot.error;
    ASSERT_EQ(shot.width, 848u);
    ASSERT_EQ(shot.height, 480u);
    ASSERT_EQ(shot.channels, 3);
    EXPECT_EQ(shot.text.at("smx.frame"), std::to_string(s.frame));
    const auto expected = pattern_bytes(smx::pattern::rgbd_schema(), COLOR, s.frame);
    const Comparison c = compare_rgb(shot, reinterpret_cast<const std::uint8_t*>(expected.data()), s.overlay);
    EXPECT_EQ(c.wrong_outside, 0u) << "pixels outside the overlay differ from frame " << s.frame;
    // The overlay's box darkens the picture and its text is white: most of it differs.
    EXPECT_GT(c.changed_inside, s.overlay.width * s.overlay.height / 2) << "the overlay is empty";
}

TEST_F(CliView, depth_is_drawn_with_the_snapshots_depth_colormap) {
    Xvfb x;
    ScopedEnv display("DISPLAY", x.display()), wayland("WAYLAND_DISPLAY", std::nullopt);
    start_writer();
    const ToolRun r = run_smx({"view", topic, "depth", "--screenshot", png.path});
    const Screenshot s = check_screenshot(r);
    TempFile reference{topic + "_snapshot"};
    const ToolRun snap = run_smx({"snapshot", topic, "depth", "-o", reference.path, "--colormap", "depth"});
    ASSERT_EQ(snap.status, 0) << describe(snap);
    ASSERT_EQ(snapshot_frame(snap.out), s.frame) << "both show the newest frame of a writer that stopped at 3";

    const Png shot = read_png(png.path), expected = read_png(reference.path);
    ASSERT_TRUE(shot.error.empty() && expected.error.empty()) << shot.error << expected.error;
    ASSERT_EQ(shot.width, 848u);
    ASSERT_EQ(shot.height, 480u);
    ASSERT_EQ(expected.channels, 3);
    ASSERT_EQ(expected.pixels.size(), shot.pixels.size());
    const Comparison c = compare_rgb(shot, expected.pixels.data(), s.overlay);
    EXPECT_EQ(c.wrong_outside, 0u) << "the view's depth colors differ from `smx snapshot --colormap depth`";
    EXPECT_GT(c.changed_inside, 0u) << "the overlay is empty";
}

TEST_F(CliView, without_field_shows_the_pictures_side_by_side_but_not_the_matrices) {
    Xvfb x;
    ScopedEnv display("DISPLAY", x.display()), wayland("WAYLAND_DISPLAY", std::nullopt);
    start_writer();
    const ToolRun r = run_smx({"view", topic, "--scale", "1", "--screenshot", png.path});
    const Screenshot s = check_screenshot(r);
    const Png shot = read_png(png.path);
    ASSERT_TRUE(shot.error.empty()) << shot.error;
    EXPECT_EQ(shot.width, 2 * 848u) << "color and depth, not the 4x4 and 3x3 matrices";
    EXPECT_EQ(shot.height, 480u);
    // The left half is the color field.
    const auto color = pattern_bytes(smx::pattern::rgbd_schema(), COLOR, s.frame);
    std::size_t wrong = 0;
    for (std::uint32_t y = 0; y < 480; ++y)
        for (std::uint32_t px = 0; px < 848; ++px)
            if (!s.overlay.contains(px, y))
                wrong += std::memcmp(&shot.pixels[(y * shot.width + px) * 3],
                                     reinterpret_cast<const std::uint8_t*>(color.data()) + (y * 848 + px) * 3, 3) != 0;
    EXPECT_EQ(wrong, 0u);
}

TEST_F(CliView, says_writer_gone_keeps_the_last_frame_and_shows_the_next_writers_frames) {
    Xvfb x;
    ScopedEnv display("DISPLAY", x.display()), wayland("WAYLAND_DISPLAY", std::nullopt);
    start_writer(3);
    // Two frames: the first writer's last, then one of the writer after it.
    Child view({SMX, "view", topic, "color", "--scale", "1", "--frames", "2", "--screenshot", png.path});
    ASSERT_TRUE(view.wait_for_line("showing frame 3 of topic", 30s)) << view.transcript();
    EXPECT_EQ(writer->stop(), 0);
    ASSERT_TRUE(view.wait_for_line("writer gone: frame 3 stays until a writer comes back", 30s)) << view.transcript();
    start_writer(5);
    // The viewer may attach while the new writer is still publishing: any of its frames will do.
    const auto showing = view.wait_for_line("showing frame ", 30s);
    ASSERT_TRUE(showing) << view.transcript();
    EXPECT_NE(showing->find("(writer session 0x" + writer->session() + ")"), std::string::npos) << *showing;
    const auto wrote = view.wait_for_line("wrote ", 30s);
    ASSERT_TRUE(wrote) << view.transcript();
    EXPECT_EQ(view.exit_code(30s), 0) << view.transcript();
    const auto s = parse_screenshot(*wrote);
    ASSERT_TRUE(s) << *wrote;
    EXPECT_NE(showing->find("showing frame " + std::to_string(s->frame) + " "), std::string::npos) << *showing << *wrote;
    const Png shot = read_png(png.path);
    ASSERT_TRUE(shot.error.empty()) << shot.error;
    EXPECT_EQ(shot.text.at("smx.session"), "0x" + writer->session());
    const auto expected = pattern_bytes(smx::pattern::rgbd_schema(), COLOR, s->frame);
    EXPECT_EQ(compare_rgb(shot, reinterpret_cast<const std::uint8_t*>(expected.data()), s->overlay).wrong_outside, 0u);
}

TEST_F(CliView, ctrl_c_quits_cleanly) {
    Xvfb x;
    ScopedEnv display("DISPLAY", x.display()), wayland("WAYLAND_DISPLAY", std::nullopt);
    start_writer();
    Child view({SMX, "view", topic});
    ASSERT_TRUE(view.wait_for_line("showing frame 3 of topic", 30s)) << view.transcript();
    view.signal(SIGINT);
    EXPECT_EQ(view.exit_code(30s), 0) << view.transcript();
}

TEST(CliViewNoDisplay, without_display_exits_3_and_suggests_snapshot) {
    const std::string topic = smx::test::unique_topic("cli_view_nodisplay");
    ShmGuard guard{topic};
    {
        ScopedEnv display("DISPLAY", std::nullopt), wayland("WAYLAND_DISPLAY", std::nullopt);
        const ToolRun r = run_smx({"view", topic, "depth"});
        EXPECT_EQ(r.status, 3) << describe(r);
        EXPECT_EQ(r.err, "smx: no display for `smx view` (DISPLAY and WAYLAND_DISPLAY are not set): use `smx snapshot " +
                             topic + " depth -o out.png` to save a frame as a PNG\n");
    }
    {
        // A display nobody serves: SDL cannot open it.
        int n = 5000 + static_cast<int>(::getpid() % 4000);
        struct stat st {};
        while (::stat(("/tmp/.X11-unix/X" + std::to_string(n)).c_str(), &st) == 0) ++n;
        ScopedEnv display("DISPLAY", ":" + std::to_string(n)), wayland("WAYLAND_DISPLAY", std::nullopt);
        const ToolRun r = run_smx({"view", topic});
        EXPECT_EQ(r.status, 3) << describe(r);
        EXPECT_EQ(r.err.rfind("smx: no display for `smx view` (SDL: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find("use `smx snapshot " + topic + " FIELD -o out.png`"), std::string::npos) << r.err;
    }
}

TEST(CliViewUsage, help_has_examples_and_exit_statuses_and_bad_options_exit_2) {
    const ToolRun help = run_smx({"view", "--help"});
    EXPECT_EQ(help.status, 0) << describe(help);
    EXPECT_NE(help.out.find("Examples:\n  smx view camera"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("Exit status:\n  0  ok"), std::string::npos) << help.out;
    EXPECT_EQ(help.out.find("--screenshot"), std::string::npos) << "a test hook, hidden";
    const ToolRun raw = run_smx({"view", "t", "depth", "--colormap", "raw"});
    EXPECT_EQ(raw.status, 2) << describe(raw);
    EXPECT_NE(raw.err.find("raw is for 16-bit PNGs"), std::string::npos) << raw.err;
}

TEST_F(CliView, a_field_that_is_not_an_image_exits_2_before_a_window_opens) {
    Xvfb x;
    ScopedEnv display("DISPLAY", x.display()), wayland("WAYLAND_DISPLAY", std::nullopt);
    start_writer();
    const ToolRun r = run_smx({"view", topic, "timestamp"});
    EXPECT_EQ(r.status, 2) << describe(r);
    EXPECT_NE(r.err.find("field 'timestamp' (<f8 (1,)) is not an image"), std::string::npos) << r.err;
    const ToolRun missing = run_smx({"view", topic, "colour"});
    EXPECT_EQ(missing.status, 2) << describe(missing);
    EXPECT_NE(missing.err.find("has no field 'colour'"), std::string::npos) << missing.err;
}

TEST_F(CliView, a_picture_wider_than_a_texture_exits_2_and_suggests_a_scaled_snapshot) {
    Xvfb x;
    ScopedEnv display("DISPLAY", x.display()), wayland("WAYLAND_DISPLAY", std::nullopt);
    writer = std::make_unique<PeerWriter>(
        topic, std::vector<std::string>{"--schema", "spec:strip:|u1:16x20000", "--frames", "1", "--linger"});
    ASSERT_TRUE(writer->wait_published());
    const ToolRun r = run_smx({"view", topic});
    EXPECT_EQ(r.status, 2) << describe(r);
    EXPECT_NE(r.err.find("field 'strip' is (16, 20000), more than 16384 pixels a side for a window; use `smx snapshot " +
                         topic + " strip --scale 0.25 -o out.png`"),
              std::string::npos)
        << r.err;
}

}  // namespace
