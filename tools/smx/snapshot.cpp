// `smx snapshot TOPIC FIELD -o out.png`: the newest frame's image field as a PNG (libpng).
// The field is copied and the copy checked, so the picture is one consistent frame.

#include "cli.hpp"
#include "image.hpp"
#include "png_file.hpp"
#include "process.hpp"
#include "topic_common.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace smx::cli {

namespace {

// Copies of the field tried before one frame is pinned instead.
constexpr int COPY_ATTEMPTS = 8;

constexpr const char* SNAPSHOT_FOOTER = R"TEXT(
Writes the newest frame's FIELD as a PNG (waiting up to --timeout for the writer and, if it
has published nothing yet, for its first frame). The field is copied and the copy checked
for consistency (retried with a newer frame if the writer reused the slot meanwhile), so the
picture is one whole frame and the writer is never held up.

Which fields are images, and how they are drawn:
  (H, W, 3) |u1       RGB, as written          (H, W, 4) |u1   RGBA, as written
  (H, W) or (H, W, 1) of |u1                   8-bit gray, as written
  (H, W) or (H, W, 1) of any other real dtype  8-bit gray, normalised
--colormap for single-channel fields:
  auto   |u1 as written, anything else as gray (the default)
  gray   normalised: pixel = round(255 * (v - lo) / (hi - lo)), clamped to 0..255, where
         lo..hi is the range of the frame's finite values (or --range LO:HI); NaN and inf
         are 0 (black); a field whose values are all equal is all 0
  turbo  the same normalisation, then the Turbo colormap: lo dark blue .. hi dark red
  depth  for depth maps: 0 and NaN/inf mean "no measurement" and are black; the range is
         that of the other values; near (small) red .. far (large) blue (Turbo reversed)
  raw    |u1 as 8-bit and <u2 as 16-bit grayscale PNG, values unchanged (a 16-bit PNG of a
         depth map in millimetres keeps every millimetre)
Other fields (1-D, complex, more than 4 channels, ...) are refused with a clear error.
--bgr  a (H, W, 3) or (H, W, 4) |u1 field holds BGR(A) (OpenCV's order): its first and third
       channels are swapped, so the PNG shows the colors right
--scale F  resizes the picture (after the colormap) to round(W*F) x round(H*F): shrinking
       averages the pixels each output pixel covers (a box filter), enlarging repeats the
       nearest pixel; 0.01..8
The PNG carries the topic, field, frame number and range (and --scale, --bgr) in tEXt chunks.

Examples:
  smx snapshot camera color -o color.png
  smx snapshot camera depth -o depth.png --colormap depth
  smx snapshot camera depth -o depth16.png --colormap raw
  smx snapshot camera depth -o depth.png --colormap turbo --range 300:4000
  smx snapshot camera color -o small.png --scale 0.5 --bgr   half size, of an OpenCV BGR image
)TEXT";

struct SnapshotOptions {
    DomainOption domain;
    std::string topic;
    std::string field;
    std::string output;
    std::string colormap = "auto";
    std::string range;
    double scale = 1;
    bool bgr = false;
    double timeout = DEFAULT_TIMEOUT_S;
};

// Throws CommandError(STATUS_USAGE) if the options do not fit `field`: not an image, --range
// without normalisation, --bgr on a field without three or four channels.
void check_field(const Field& field, const SnapshotOptions& o, Colormap colormap, bool has_range) {
    if (const std::string problem = image_problem(field, colormap); !problem.empty())
        throw CommandError(STATUS_USAGE, "topic '" + o.topic + "': " + problem);
    if (has_range && !normalises(field, colormap))
        throw CommandError(STATUS_USAGE, "--range applies when values are normalised (--colormap gray, turbo or depth); "
                                         "field '" + field.name + "' is written as it is");
    if (o.bgr && !(field.shape.ndim() == 3 && field.shape[2] >= 3))
        throw CommandError(STATUS_USAGE, "--bgr applies to fields of shape (H, W, 3) or (H, W, 4) of |u1; field '" +
                                             field.name + "' is " + field.dtype.typestr() + " " + field.shape.to_string());
}

int run_snapshot(const GlobalOptions& global, const SnapshotOptions& o) {
    check_output_file(o.output);
    const int domain = o.domain.resolve(global);
    // Checked by the validators; here they are only converted.
    const Colormap colormap = *parse_colormap(o.colormap);
    const std::optional<ValueRange> range = o.range.empty() ? std::nullopt : parse_range(o.range);

    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    TopicReader topic(domain, o.topic);
    StopSignal stop([&topic] { topic.reader.interrupt(); });
    if (!wait_for_writer_or_fail(topic.reader, domain, o.topic, o.timeout, stop)) return STATUS_OK;

    // The field is checked against the writer's schema before waiting for a frame.
    const Schema& schema = topic.reader.schema();
    check_field(schema[field_index_or_fail(schema, o.topic, o.field)], o, colormap, range.has_value());

    // The field is copied out of the newest frame and checked afterwards: a snapshot never
    // holds up the writer. Only if the writer overwrote the slot during every copy (a very fast
    // writer) is a frame pinned for the length of one copy.
    std::vector<std::byte> bytes;
    std::optional<Field> field;
    std::uint64_t frame_number = 0;
    std::int64_t timestamp = 0;
    for (int attempt = 0; attempt <= COPY_ATTEMPTS && !field; ++attempt) {
        const Hold hold = attempt == COPY_ATTEMPTS ? Hold::pin : Hold::view;
        std::optional<Frame> frame = topic.reader.latest(hold);
        if (!frame) {
            const auto wait = o.timeout > 0 ? to_ns(o.timeout) : std::chrono::nanoseconds(std::chrono::hours(24 * 365));
            frame = topic.reader.next(wait, hold);
        }
        if (stop.requested()) return STATUS_OK;
        if (!frame)
            throw no_frame_error(domain, o.topic, o.timeout);
        // A writer that restarted in between may have another schema: look the field up again.
        const std::size_t i = field_index_or_fail(frame->schema(), o.topic, o.field);
        check_field(frame->schema()[i], o, colormap, range.has_value());
        bytes.resize(frame->schema()[i].nbytes());
        if (frame->copy_field_into(i, bytes)) {
            field = frame->schema()[i];
            frame_number = frame->frame_number();
            timestamp = frame->timestamp_ns();
        }
    }
    if (!field)
        throw CommandError(STATUS_RUNTIME, "topic '" + o.topic + "': no consistent copy of field '" + o.field + "' in " +
                                               std::to_string(COPY_ATTEMPTS + 1) + " attempts; try again");

    Image image = make_image(*field, bytes.data(), colormap, normalises(*field, colormap) ? range : std::nullopt);
    if (o.bgr && bgr_to_rgb(image)) image.description += ", BGR turned RGB";
    if (o.scale != 1) {
        // A PNG side is at most 1,000,000 pixels (libpng), and an 8x enlargement of a large field
        // would take gigabytes: refused before any memory is taken.
        constexpr double MAX_SIDE_PNG = 1e6, MAX_PIXELS = 2e8;
        const double w = std::round(image.width * o.scale), h = std::round(image.height * o.scale);
        if (w > MAX_SIDE_PNG || h > MAX_SIDE_PNG || w * h > MAX_PIXELS)
            throw CommandError(STATUS_USAGE, "topic '" + o.topic + "', field '" + field->name + "': --scale " +
                                                 format_number(o.scale) + " would make a " + format_number(w, 12) + "x" +
                                                 format_number(h, 12) + " picture; snapshot writes at most 200 million "
                                                 "pixels, 1,000,000 a side: choose a smaller --scale");
        image = scale_image(image, o.scale);
    }

    std::vector<std::pair<std::string, std::string>> text{
        {"Software", std::string("smx ") + SMX_VERSION_STRING},
        {"smx.topic", o.topic},
        {"smx.field", field->name + " " + field->dtype.typestr() + " " + field->shape.to_string()},
        {"smx.frame", std::to_string(frame_number)},
        {"smx.timestamp_ns", std::to_string(timestamp)},
        {"smx.colormap", o.colormap},
    };
    if (o.bgr) text.emplace_back("smx.channel_order", "BGR in the frame, RGB here");
    if (o.scale != 1) text.emplace_back("smx.scale", format_number(o.scale));
    if (image.range)
        text.emplace_back("smx.range", format_number(image.range->lo, 17) + ":" + format_number(image.range->hi, 17));
    write_png(o.output, image, text);
    std::printf("wrote %s: field '%s' of topic '%s', frame %llu, %s\n", o.output.c_str(), field->name.c_str(),
                o.topic.c_str(), static_cast<unsigned long long>(frame_number), image.description.c_str());
    return STATUS_OK;
}

}  // namespace

Command add_snapshot_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<SnapshotOptions>();
    CLI::App* sub = app.add_subcommand("snapshot", "the newest frame's image field as a PNG file");
    sub->add_option("topic", options->topic, "the topic")->required();
    sub->add_option("field", options->field, "the image field (see below)")->required();
    sub->add_option("-o,--output", options->output, "the PNG file to write")->required();
    sub->add_option("--colormap", options->colormap, std::string("for single-channel fields: ") + COLORMAP_NAMES)
        ->check(CLI::Validator(
            [](const std::string& name) {
                return parse_colormap(name) ? std::string() :
                                              "colormap '" + name + "' is not one of " + COLORMAP_NAMES;
            },
            "COLORMAP", "colormap"))
        ->capture_default_str();
    sub->add_option("--range", options->range, "LO:HI: normalise this value range instead of the frame's min..max")
        ->check(CLI::Validator(
            [](const std::string& text) {
                return parse_range(text) ? std::string() :
                                           "range '" + text + "' is not LO:HI with finite numbers LO < HI (e.g. 0:4000)";
            },
            "LO:HI", "range"));
    sub->add_option("--scale", options->scale,
                    "resize by this factor (0.5: half width and height; box filter when shrinking, nearest when "
                    "enlarging)")
        ->check(CLI::Validator(
            [](const std::string& text) {
                // CLI::Range lets NaN through (every comparison with it is false).
                char* end = nullptr;
                const double v = std::strtod(text.c_str(), &end);
                return end != text.c_str() && *end == '\0' && v >= 0.01 && v <= 8.0
                           ? std::string()
                           : "--scale " + text + " is not a number from 0.01 to 8";
            },
            "0.01..8", "scale"))
        ->capture_default_str();
    sub->add_flag("--bgr", options->bgr,
                  "the field's 3 or 4 channels are BGR(A), OpenCV's order: swap them to RGB(A) in the PNG");
    add_timeout_option(sub, options->timeout, "seconds to wait for the writer and for a frame (0: forever)");
    add_domain_option(sub, options->domain);
    sub->footer(std::string(SNAPSHOT_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_snapshot(global, *options); }};
}

}  // namespace smx::cli
