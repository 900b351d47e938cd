// `smx view TOPIC [FIELD...]`: a topic's image fields live in a window (SDL2), side by side,
// with the frame number, rate and age drawn over them. A reader thread blocks in next() and
// turns frames into pictures (the snapshot's conversions, image.hpp); the main thread blocks in
// the window's event wait and draws the newest picture it was handed.

#include "bitmap_font.hpp"
#include "cli.hpp"
#include "image.hpp"
#include "png_file.hpp"
#include "process.hpp"
#include "topic_common.hpp"
#include "view_window.hpp"

#include <smx/smx.hpp>
#include <smx/version.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace smx::cli {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// While no frame comes, the reader thread looks at the writer's state this often...
constexpr auto FEED_SLICE = 250ms;
// ...and the overlay's age and rate are redrawn this often.
constexpr auto OVERLAY_PERIOD = 250ms;
// The rate is measured over the frames received in this last stretch of time.
constexpr auto RATE_WINDOW = 2s;
// The overlay: white text on a translucent black box, in the pictures' top-left corner.
constexpr std::array<std::uint8_t, 4> TEXT_COLOR{255, 255, 255, 255}, TEXT_BACKGROUND{0, 0, 0, 170};
constexpr int TEXT_PADDING = 4;
// A window larger than this share of the screen is made smaller (unless --scale is given).
constexpr double MAX_SCREEN_SHARE = 0.9;
// Without FIELD, fields smaller than this in either direction (a 4x4 pose matrix, a 3x3 camera
// matrix) are not shown beside the pictures.
constexpr std::uint64_t MIN_PICTURE_SIDE = 16;

constexpr const char* VIEW_COLORMAPS = "auto, gray, turbo, depth";

constexpr const char* VIEW_FOOTER = R"TEXT(
Shows the topic's image fields live in a window (SDL2): the FIELDs given, left to right, or
without FIELD every image field of at least 16x16 (not 4x4 or 3x3 matrices). Each picture is
drawn as `smx snapshot` would write it: (H, W, 3) and (H, W, 4) |u1 as written, (H, W) and
(H, W, 1) |u1 as 8-bit gray, other single-channel fields (depth maps: <u2 millimetres, <f4
metres) with the depth colormap (0 and NaN black, near red .. far blue), normalised over each
frame's values or --range.
--colormap gray|turbo|depth changes the single-channel fields; color fields stay as written.

Over the pictures' top-left corner: the frame number, the rate (frames the writer published
per second over the last 2 s) and the age (now minus the frame's timestamp); "writer gone"
when the writer left (the last frame stays; a new writer is picked up), "waiting for a
writer" before. The window is resizable (aspect kept); q, Esc or closing it quits, and so
does Ctrl-C. The newest frame is shown; frames in between are skipped, never queued.

Without a display (DISPLAY and WAYLAND_DISPLAY unset, or SDL cannot open it) it exits with
status 3 and suggests `smx snapshot`, which writes a frame as a PNG.

Examples:
  smx view camera                         the topic's pictures (color, depth) side by side
  smx view camera depth --range 300:4000  the depth map with a fixed range (no flicker)
)TEXT";

struct ViewOptions {
    DomainOption domain;
    std::string topic;
    std::vector<std::string> fields;
    std::string colormap = "auto";
    std::string range;
    double scale = 0;  // 0: the pictures' size, made smaller if the screen is
    double timeout = DEFAULT_TIMEOUT_S;
    // For tests (hidden): after `frames` frames were drawn, write the window as a PNG and exit.
    std::string screenshot;
    std::uint64_t frames = 0;
};

// ---- which fields, drawn how ------------------------------------------------------------------

struct Tile {
    std::size_t index;  // of the field in the schema
    Colormap colormap;
};

// Color fields as written; single-channel |u1 as written unless --colormap says otherwise;
// other single-channel fields (depth maps) with the depth colormap unless it says otherwise.
Colormap colormap_for(const Field& field, Colormap chosen) {
    if (field.shape.ndim() == 3 && field.shape[2] > 1) return Colormap::automatic;
    if (chosen == Colormap::automatic && field.dtype.kind() != DType::Kind::u1) return Colormap::depth;
    return chosen;
}

// The fields to show: `names`, or every image field of at least MIN_PICTURE_SIDE. Throws CommandError(STATUS_USAGE).
std::vector<Tile> choose_tiles(const Schema& schema, const std::string& topic, const std::vector<std::string>& names,
                               Colormap chosen) {
    std::vector<Tile> tiles;
    for (const std::string& name : names) {
        const std::size_t i = field_index_or_fail(schema, topic, name);
        const Colormap colormap = colormap_for(schema[i], chosen);
        if (const std::string problem = image_problem(schema[i], colormap); !problem.empty())
            throw CommandError(STATUS_USAGE, "topic '" + topic + "': " + problem);
        tiles.push_back({i, colormap});
    }
    if (!names.empty()) return tiles;
    std::string all;
    std::vector<Tile> small;
    for (std::size_t i = 0; i < schema.size(); ++i) {
        all += (all.empty() ? "" : ", ") + schema[i].name + " " + schema[i].dtype.typestr() + " " + schema[i].shape.to_string();
        const Colormap colormap = colormap_for(schema[i], chosen);
        if (!image_problem(schema[i], colormap).empty()) continue;
        const bool picture = schema[i].shape[0] >= MIN_PICTURE_SIDE && schema[i].shape[1] >= MIN_PICTURE_SIDE;
        (picture ? tiles : small).push_back({i, colormap});
    }
    if (tiles.empty()) tiles = small;  // a topic of small images only shows them
    if (tiles.empty())
        throw CommandError(STATUS_USAGE, "topic '" + topic + "' has no image field (images are (H, W) or (H, W, 1) "
                                         "of a real dtype, or (H, W, 3) or (H, W, 4) of |u1); its fields are: " + all);
    return tiles;
}

// choose_tiles, and each picture within what a texture may hold (a restarted writer's as well).
std::vector<Tile> tiles_of(const Schema& schema, const std::string& topic, const std::vector<std::string>& names,
                           Colormap chosen) {
    std::vector<Tile> tiles = choose_tiles(schema, topic, names, chosen);
    constexpr std::uint64_t MAX_PICTURE_SIDE = 1 << 14;  // SDL renderers' common texture limit
    for (const Tile& t : tiles) {
        const Field& f = schema[t.index];
        if (f.shape[0] > MAX_PICTURE_SIDE || f.shape[1] > MAX_PICTURE_SIDE)
            throw CommandError(STATUS_USAGE, "topic '" + topic + "': field '" + f.name + "' is " + f.shape.to_string() +
                                                 ", more than 16384 pixels a side for a window; use `smx snapshot " +
                                                 topic + " " + f.name + " --scale 0.25 -o out.png`");
    }
    return tiles;
}

// Width and height of the pictures side by side.
std::pair<int, int> canvas_size(const Schema& schema, const std::vector<Tile>& tiles) {
    std::uint64_t w = 0, h = 0;
    for (const Tile& t : tiles) w += schema[t.index].shape[1], h = std::max<std::uint64_t>(h, schema[t.index].shape[0]);
    constexpr std::uint64_t LIMIT = 1 << 14;  // a window's side; larger pictures are scaled down
    return {static_cast<int>(std::min(w, LIMIT)), static_cast<int>(std::min(h, LIMIT))};
}

// ---- the reader's thread ----------------------------------------------------------------------

// One frame's fields as pictures.
struct Picture {
    std::uint64_t session = 0, frame_number = 0;
    std::int64_t timestamp_ns = 0;
    std::vector<Image> images;
};

// Blocks in the reader's next() on a thread of its own, turns the newest frame's fields into
// pictures and hands them to the window's thread (through `wake`): the window never waits for a
// frame, the reader never for the window. Frames the window had no time for are replaced.
class Feed {
public:
    Feed(Reader& reader, const ViewOptions& options, Colormap colormap, std::optional<ValueRange> range,
         std::function<void()> wake)
        : m_reader(reader), m_options(options), m_colormap(colormap), m_range(range), m_wake(std::move(wake)),
          m_state(reader.state()), m_thread([this] { run(); }) {}
    ~Feed() {
        m_stop.store(true, std::memory_order_release);
        m_reader.interrupt();
        m_thread.join();
    }
    Feed(const Feed&) = delete;
    Feed& operator=(const Feed&) = delete;

    /// The newest picture not taken yet.
    std::optional<Picture> take() {
        std::lock_guard<std::mutex> lock(m_mutex);
        return std::exchange(m_newest, std::nullopt);
    }
    ReaderState state() const noexcept { return m_state.load(std::memory_order_acquire); }
    /// Why the current writer's frames cannot be shown (a restarted writer without the fields).
    std::string problem() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_problem;
    }
    /// Set when the reader failed; the viewer ends with it.
    std::string error() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_error;
    }

private:
    void run() noexcept {
        try {
            follow();
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_error = e.what();
        }
        m_wake();
    }

    void follow() {
        std::uint64_t session = 0;
        std::vector<Tile> tiles;
        std::optional<Frame> frame = m_reader.latest();  // what the writer published before we came
        while (!m_stop.load(std::memory_order_acquire)) {
            if (!frame) frame = m_reader.next(FEED_SLICE);
            const ReaderState state = m_reader.state();
            if (m_state.exchange(state) != state) m_wake();  // the overlay says "writer gone" at once
            if (!frame || m_stop.load(std::memory_order_acquire)) {
                frame.reset();
                continue;
            }
            // Behind a fast writer, the newest frame rather than the oldest one not seen yet.
            if (std::optional<Frame> newest = m_reader.latest()) frame = std::move(newest);
            if (frame->info().session != session) {
                session = frame->info().session;
                tiles = tiles_for(frame->schema());
            }
            if (std::optional<Picture> picture = draw(*frame, tiles)) {
                std::lock_guard<std::mutex> lock(m_mutex);
                m_newest = std::move(picture);
            }
            frame.reset();
            m_wake();
        }
    }

    // A new writer's schema may lack the fields: then nothing is drawn, and the overlay says why.
    std::vector<Tile> tiles_for(const Schema& schema) {
        std::vector<Tile> tiles;
        std::string problem;
        try {
            tiles = tiles_of(schema, m_options.topic, m_options.fields, m_colormap);
        } catch (const CommandError& e) {
            problem = e.what();
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        m_problem = problem;
        return tiles;
    }

    // The pictures are drawn straight from shared memory, then the frame is checked: a frame the
    // writer overwrote meanwhile is dropped (a newer one is on its way), never shown torn.
    std::optional<Picture> draw(const Frame& frame, const std::vector<Tile>& tiles) const {
        if (tiles.empty()) return std::nullopt;
        Picture p{frame.info().session, frame.frame_number(), frame.timestamp_ns(), {}};
        for (const Tile& t : tiles) {
            const Field& field = frame.schema()[t.index];
            const auto* data = static_cast<const std::byte*>(frame.data(t.index));
            p.images.push_back(make_image(field, data, t.colormap, normalises(field, t.colormap) ? m_range : std::nullopt));
        }
        if (!frame.valid()) return std::nullopt;
        return p;
    }

    Reader& m_reader;
    const ViewOptions& m_options;
    const Colormap m_colormap;
    const std::optional<ValueRange> m_range;
    const std::function<void()> m_wake;
    std::atomic<bool> m_stop{false};
    std::atomic<ReaderState> m_state;
    mutable std::mutex m_mutex;
    std::optional<Picture> m_newest;
    std::string m_problem, m_error;
    std::thread m_thread;  // last: starts once everything it uses is built
};

// ---- the overlay ------------------------------------------------------------------------------

// Frames per second over the frames received in the last RATE_WINDOW (frame numbers count the
// frames the writer published, shown or not).
class RateMeter {
public:
    void add(std::uint64_t session, std::uint64_t frame, Clock::time_point at) {
        // A writer's first frame shown was published before the viewer came (or the writer
        // restarted): when it arrived says nothing about the writer's period.
        if (session != m_session) {
            m_arrivals.clear();
            m_session = session;
            return;
        }
        m_arrivals.push_back({frame, at});
    }
    std::optional<double> rate(Clock::time_point now) {
        while (!m_arrivals.empty() && now - m_arrivals.front().at > RATE_WINDOW) m_arrivals.pop_front();
        if (m_arrivals.size() < 2) return std::nullopt;
        const double span = std::chrono::duration<double>(m_arrivals.back().at - m_arrivals.front().at).count();
        if (span <= 0) return std::nullopt;
        return static_cast<double>(m_arrivals.back().frame - m_arrivals.front().frame) / span;
    }

private:
    struct Arrival {
        std::uint64_t frame;
        Clock::time_point at;
    };
    std::deque<Arrival> m_arrivals;
    std::uint64_t m_session = 0;
};

// "frame 123  30.0 Hz  age 12 ms", and a second line for anything unusual.
std::vector<std::string> overlay_lines(const std::optional<Picture>& shown, std::optional<double> rate,
                                       ReaderState state, const std::string& problem) {
    std::vector<std::string> lines;
    if (shown) {
        char text[96];
        const double age = seconds_between(realtime_now_ns(), shown->timestamp_ns);
        char age_text[32];  // coarser as it grows: an idle writer's frame is not redrawn 4 times a second
        if (age < 1)
            std::snprintf(age_text, sizeof age_text, "%.0f ms", age * 1e3);
        else
            std::snprintf(age_text, sizeof age_text, age < 10 ? "%.1f s" : "%.0f s", age);
        const std::string rate_text = rate ? format_number(std::round(*rate * 10) / 10, 4) : std::string("-");
        std::snprintf(text, sizeof text, "frame %llu  %s Hz  age %s", static_cast<unsigned long long>(shown->frame_number),
                      rate_text.c_str(), age_text);
        lines.emplace_back(text);
    } else {
        lines.emplace_back("no frame yet");
    }
    if (state == ReaderState::writer_gone) lines.emplace_back("writer gone");
    if (state == ReaderState::waiting_for_writer) lines.emplace_back("waiting for a writer");
    if (!problem.empty()) lines.push_back(problem);
    return lines;
}

// ---- the window's thread ----------------------------------------------------------------------

std::string snapshot_hint(const ViewOptions& o) {
    return "use `smx snapshot " + o.topic + " " + (o.fields.empty() ? std::string("FIELD") : o.fields.front()) +
           " -o out.png` to save a frame as a PNG";
}

// The window's first size: the pictures', times --scale, or made to fit the screen.
std::pair<int, int> window_size(std::pair<int, int> canvas, double scale, std::pair<int, int> screen) {
    if (scale <= 0) {
        scale = 1;
        if (screen.first > 0 && screen.second > 0)
            scale = std::min({1.0, MAX_SCREEN_SHARE * screen.first / canvas.first, MAX_SCREEN_SHARE * screen.second / canvas.second});
    }
    // Whatever --scale says, a side stays within what a texture may have (and memory with it).
    constexpr double MAX_WINDOW_SIDE = 1 << 14;
    scale = std::min({scale, MAX_WINDOW_SIDE / canvas.first, MAX_WINDOW_SIDE / canvas.second});
    return {std::max(1, static_cast<int>(std::lround(canvas.first * scale))),
            std::max(1, static_cast<int>(std::lround(canvas.second * scale)))};
}

void write_screenshot(const ViewOptions& o, const Image& capture, const Picture& shown, const PixelRect& overlay) {
    const std::string overlay_text = std::to_string(overlay.x) + "," + std::to_string(overlay.y) + " " +
                                     std::to_string(overlay.width) + "x" + std::to_string(overlay.height);
    write_png(o.screenshot, capture,
              {{"Software", std::string("smx ") + SMX_VERSION_STRING},
               {"smx.topic", o.topic},
               {"smx.frame", std::to_string(shown.frame_number)},
               {"smx.session", format_hex64(shown.session)},
               {"smx.overlay", overlay_text}});
    std::printf("wrote %s: topic '%s', frame %llu, %ux%u window, overlay at %s\n", o.screenshot.c_str(), o.topic.c_str(),
                static_cast<unsigned long long>(shown.frame_number), capture.width, capture.height, overlay_text.c_str());
    std::fflush(stdout);
}

// Prints a line and flushes: the terminal follows what the window shows.
void say(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

// The window's side: draws what the feed hands over until q/Esc/close, a stop signal or (tests)
// --frames, and says on the terminal when it shows a writer's first frame or the writer went.
class Viewer {
public:
    Viewer(Window& window, Feed& feed, const ViewOptions& o, int text_scale)
        : m_window(window), m_feed(feed), m_options(o), m_text_scale(text_scale),
          m_frames(o.frames > 0 ? o.frames : (o.screenshot.empty() ? 0 : 1)) {}

    void run(const StopSignal& stop) {
        Clock::time_point next_refresh = Clock::now();
        while (!stop.requested()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_refresh - Clock::now());
            const WindowInput input = m_window.wait(std::max(0ms, left));
            if (input.quit || stop.requested()) return;
            if (const std::string error = m_feed.error(); !error.empty()) throw CommandError(STATUS_RUNTIME, error);
            bool dirty = input.redraw;
            dirty |= take_picture();  // both run: neither may wait for the next refresh
            dirty |= state_changed();
            // The age and rate move on: redrawn if their text changed.
            const bool refresh = Clock::now() >= next_refresh;
            if (refresh) next_refresh = Clock::now() + OVERLAY_PERIOD;
            if ((dirty || refresh) && draw(dirty)) return;
        }
    }

private:
    bool take_picture() {
        std::optional<Picture> picture = m_feed.take();
        if (!picture) return false;
        m_window.set_pictures(picture->images);
        m_meter.add(picture->session, picture->frame_number, Clock::now());
        if (!m_shown || m_shown->session != picture->session)
            say("showing frame " + std::to_string(picture->frame_number) + " of topic '" + m_options.topic +
                "' (writer session " + format_hex64(picture->session) + ")");
        m_shown = std::move(picture);
        ++m_drawn;
        return true;
    }

    bool state_changed() {
        const ReaderState state = m_feed.state();
        if (state == m_state) return false;
        if (state == ReaderState::writer_gone)
            say(m_shown ? "writer gone: frame " + std::to_string(m_shown->frame_number) + " stays until a writer comes back"
                        : std::string("writer gone: waiting for a writer"));
        m_state = state;
        return true;
    }

    // Draws the window; true once --frames frames were drawn (and the screenshot written).
    // Unless `force`d, only when the overlay's text changed.
    bool draw(bool force) {
        const auto lines = overlay_lines(m_shown, m_meter.rate(Clock::now()), m_state, m_feed.problem());
        if (!force && lines == m_lines) return false;
        m_lines = lines;
        m_window.set_overlay(text_box(lines, m_text_scale, TEXT_PADDING, TEXT_COLOR, TEXT_BACKGROUND));
        std::string title = "smx view " + m_options.topic + ": " + lines.front();
        for (std::size_t i = 1; i < lines.size(); ++i) title += ", " + lines[i];
        m_window.set_title(title);
        const bool done = m_frames > 0 && m_drawn >= m_frames;
        const bool capture = done && !m_options.screenshot.empty();
        Image image;
        m_window.render(capture ? &image : nullptr);
        if (capture) write_screenshot(m_options, image, *m_shown, m_window.overlay_rect());
        return done;
    }

    Window& m_window;
    Feed& m_feed;
    const ViewOptions& m_options;
    const int m_text_scale;
    const std::uint64_t m_frames;
    RateMeter m_meter;
    std::optional<Picture> m_shown;
    std::uint64_t m_drawn = 0;
    ReaderState m_state = ReaderState::attached;
    std::vector<std::string> m_lines;  // the overlay drawn last
};

int run_view(const GlobalOptions& global, const ViewOptions& o) {
    const int domain = o.domain.resolve(global);
    const Colormap colormap = *parse_colormap(o.colormap);  // checked by the validators
    const std::optional<ValueRange> range = o.range.empty() ? std::nullopt : parse_range(o.range);

    block_stop_signals();  // before SDL and Cyclone start their threads: they inherit the mask
    Display display(snapshot_hint(o));  // no display: exit 3 before joining DDS
    TopicReader topic(domain, o.topic);
    StopSignal stop([&topic, &display] {
        topic.reader.interrupt();
        display.wake();
    });
    if (!wait_for_writer_or_fail(topic.reader, domain, o.topic, o.timeout, stop)) return STATUS_OK;

    // The fields are checked against the writer's schema before a window opens.
    const Schema schema = topic.reader.schema();
    const std::vector<Tile> tiles = tiles_of(schema, o.topic, o.fields, colormap);
    const auto [width, height] = window_size(canvas_size(schema, tiles), o.scale, display.usable_size());
    Window window(display, "smx view " + o.topic, width, height);
    Feed feed(topic.reader, o, colormap, range, [&display] { display.wake(); });
    Viewer(window, feed, o, width >= 480 ? 2 : 1).run(stop);
    return STATUS_OK;
}

}  // namespace

Command add_view_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<ViewOptions>();
    CLI::App* sub = app.add_subcommand("view", "image fields live in a window: frame number, rate and age overlaid");
    sub->add_option("topic", options->topic, "the topic")->required();
    sub->add_option("field", options->fields, "image fields to show side by side (default: every image field of at least 16x16)");
    sub->add_option("--colormap", options->colormap, std::string("for single-channel fields: ") + VIEW_COLORMAPS +
                                                         " (auto: |u1 as gray, anything else as depth)")
        ->check(CLI::Validator(
            [](const std::string& name) {
                const auto c = parse_colormap(name);
                if (c && *c != Colormap::raw) return std::string();
                return "colormap '" + name + "' is not one of " + VIEW_COLORMAPS +
                       (c ? " (raw is for 16-bit PNGs: smx snapshot --colormap raw)" : "");
            },
            "COLORMAP", "colormap"))
        ->capture_default_str();
    sub->add_option("--range", options->range, "LO:HI: normalise this value range instead of each frame's min..max")
        ->check(CLI::Validator(
            [](const std::string& text) {
                return parse_range(text) ? std::string() :
                                           "range '" + text + "' is not LO:HI with finite numbers LO < HI (e.g. 0:4000)";
            },
            "LO:HI", "range"));
    sub->add_option("--scale", options->scale, "the window's first size: the pictures' size times this "
                                               "(default: 1, smaller if the screen is)")
        ->check(finite_range(0.05, 16.0));
    add_timeout_option(sub, options->timeout, "seconds to wait for the writer (0: forever)");
    add_domain_option(sub, options->domain);
    // For tests: an empty group hides them from --help.
    sub->add_option("--screenshot", options->screenshot, "write the window as a PNG after --frames frames, then exit")
        ->group("");
    sub->add_option("--frames", options->frames, "exit after drawing this many frames (0: run until quit)")
        ->check(count_check())
        ->group("");
    sub->footer(std::string(VIEW_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_view(global, *options); }};
}

}  // namespace smx::cli
