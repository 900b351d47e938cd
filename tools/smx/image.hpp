#pragma once
// A field of a frame as a picture, for `smx snapshot`: which fields are images, and how
// their values become 8- or 16-bit pixels (normalisation and colormaps, documented in
// `smx snapshot --help` and docs/cli.md).

#include <smx/schema.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smx::cli {

/// How a single-channel field becomes pixels.
enum class Colormap {
    automatic,  ///< |u1 as is; any other dtype: gray
    gray,       ///< normalised to 8-bit gray
    turbo,      ///< normalised, Turbo colors: low blue .. high red
    depth,      ///< 0 and NaN/inf are "no data" (black, outside the range); near red .. far blue
    raw,        ///< |u1 as 8-bit, <u2 as 16-bit gray, values unchanged
};

/// "auto", "gray", "turbo", "depth", "raw" -> Colormap; nullopt otherwise.
std::optional<Colormap> parse_colormap(std::string_view name);
/// The names accepted by parse_colormap, for help and errors.
inline constexpr const char* COLORMAP_NAMES = "auto, gray, turbo, depth, raw";

/// A value range given with --range "LO:HI" (LO < HI, both finite).
struct ValueRange {
    double lo = 0, hi = 0;
};
std::optional<ValueRange> parse_range(std::string_view text);

/// Pixels ready for a PNG: rows top to bottom, channels interleaved, 16-bit samples native.
struct Image {
    std::uint32_t width = 0, height = 0;
    int channels = 1;   ///< 1 gray, 3 RGB, 4 RGBA
    int bit_depth = 8;  ///< 8 or 16
    std::vector<std::uint8_t> pixels;
    /// "848x480 RGB 8-bit", "848x480 gray 8-bit, values 12..4095 -> 0..255".
    std::string description;
    /// The range mapped onto the pixel scale, when the values were normalised.
    std::optional<ValueRange> range;
};

/// Why `field` cannot be shown with `colormap`, in words; empty if it can. Images are
/// H×W (any real dtype), H×W×1 (the same), H×W×3 (RGB) and H×W×4 (RGBA), the last two |u1.
std::string image_problem(const Field& field, Colormap colormap);

/// True if `colormap` maps the field's values onto the pixel scale (gray, turbo, depth, and
/// auto for anything but |u1), false if they are written as they are.
bool normalises(const Field& field, Colormap colormap);

/// The picture of a field whose bytes start at `data` (checked with image_problem first).
/// `range` replaces the values' own min..max for the normalising colormaps.
Image make_image(const Field& field, const std::byte* data, Colormap colormap, std::optional<ValueRange> range);

/// Turns a BGR or BGRA picture (OpenCV's order) into RGB or RGBA by swapping its first and
/// third channels. Returns false (and changes nothing) for a picture of 1 channel.
bool bgr_to_rgb(Image& image) noexcept;

/// The picture resized by `factor` (> 0): each side round(side * factor), at least 1 pixel.
/// Shrinking averages, per channel, the source pixels an output pixel covers (a box filter,
/// rounded to nearest); enlarging repeats the nearest source pixel.
Image scale_image(const Image& image, double factor);

/// The normalisation of the gray colormap, exposed for tests: pixel of `v` for the range
/// lo..hi (hi > lo): round(255 * (v - lo) / (hi - lo)), clamped to 0..255; NaN/inf give 0.
std::uint8_t normalise(double v, double lo, double hi) noexcept;

/// The Turbo colormap (Google, Apache-2.0; polynomial approximation by Ruofei Du) at 0..1.
std::array<std::uint8_t, 3> turbo(double t) noexcept;

}  // namespace smx::cli
