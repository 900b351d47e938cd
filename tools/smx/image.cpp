#include "image.hpp"

#include "elements.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace smx::cli {

namespace {

// PNG stores widths and heights as 31-bit numbers.
constexpr std::uint64_t MAX_SIDE = 0x7fffffff;

struct Geometry {
    std::uint64_t height = 0, width = 0, channels = 0;
};

std::optional<Geometry> geometry_of(const Field& field) {
    const Shape& s = field.shape;
    if (s.ndim() == 2) return Geometry{s[0], s[1], 1};
    if (s.ndim() == 3 && (s[2] == 1 || s[2] == 3 || s[2] == 4)) return Geometry{s[0], s[1], s[2]};
    return std::nullopt;
}

const char* colormap_name(Colormap c) {
    switch (c) {
        case Colormap::automatic: return "auto";
        case Colormap::gray: return "gray";
        case Colormap::turbo: return "turbo";
        case Colormap::depth: return "depth";
        case Colormap::raw: return "raw";
    }
    return "?";
}

bool is_no_data(double v, Colormap c) { return !std::isfinite(v) || (c == Colormap::depth && v == 0); }

std::string number(double v) { return shortest(v); }

}  // namespace

std::optional<Colormap> parse_colormap(std::string_view name) {
    if (name == "auto") return Colormap::automatic;
    if (name == "gray" || name == "grey") return Colormap::gray;
    if (name == "turbo") return Colormap::turbo;
    if (name == "depth") return Colormap::depth;
    if (name == "raw") return Colormap::raw;
    return std::nullopt;
}

std::optional<ValueRange> parse_range(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto parse = [](std::string_view t) -> std::optional<double> {
        double v = 0;
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
        return v;
    };
    const auto lo = parse(text.substr(0, colon)), hi = parse(text.substr(colon + 1));
    if (!lo || !hi || !(*lo < *hi)) return std::nullopt;
    return ValueRange{*lo, *hi};
}

std::string image_problem(const Field& field, Colormap colormap) {
    const std::string what = "field '" + field.name + "' (" + field.dtype.typestr() + " " + field.shape_string() + ")";
    if (field.dtype.is_string()) return what + " is not an image: its elements are strings (smx echo shows them)";
    if (field.bounded) return what + " is not an image: it is bounded (its rows vary from frame to frame)";
    const auto g = geometry_of(field);
    if (!g)
        return what + " is not an image: snapshot takes fields of shape (H, W) or (H, W, 1) as gray, (H, W, 3) as "
                      "RGB and (H, W, 4) as RGBA";
    if (is_complex(field.dtype)) return what + " is not an image: its elements are complex numbers";
    if (g->height > MAX_SIDE || g->width > MAX_SIDE) return what + " is larger than a PNG can be";
    if (g->channels > 1) {
        if (field.dtype.kind() != DType::Kind::u1)
            return what + " is not an image: color fields (H, W, 3) and (H, W, 4) must be |u1 (8-bit)";
        if (colormap != Colormap::automatic)
            return std::string("--colormap ") + colormap_name(colormap) + " applies to single-channel fields; " + what +
                   " has " + std::to_string(g->channels) + " channels and is written as it is (leave --colormap out)";
        return {};
    }
    if (colormap == Colormap::raw && field.dtype.kind() != DType::Kind::u1 && field.dtype.kind() != DType::Kind::u2)
        return std::string("--colormap raw writes |u1 and <u2 values unchanged, but ") + what +
               " is neither; use gray, turbo or depth";
    return {};
}

bool normalises(const Field& field, Colormap colormap) {
    const auto g = geometry_of(field);
    if (!g || g->channels > 1) return false;
    const DType::Kind kind = field.dtype.kind();
    if (colormap == Colormap::raw) return false;
    return !(kind == DType::Kind::u1 && colormap == Colormap::automatic);
}

std::uint8_t normalise(double v, double lo, double hi) noexcept {
    if (!std::isfinite(v) || !(hi > lo)) return 0;
    const double p = std::round(255.0 * (v - lo) / (hi - lo));
    return static_cast<std::uint8_t>(std::clamp(p, 0.0, 255.0));
}

std::array<std::uint8_t, 3> turbo(double t) noexcept {
    // Turbo colormap: Copyright 2019 Google LLC, SPDX-License-Identifier: Apache-2.0.
    // Colormap design Anton Mikhailov; polynomial approximation Ruofei Du.
    static constexpr double R4[4] = {0.13572138, 4.61539260, -42.66032258, 132.13108234};
    static constexpr double G4[4] = {0.09140261, 2.19418839, 4.84296658, -14.18503333};
    static constexpr double B4[4] = {0.10667330, 12.64194608, -60.58204836, 110.36276771};
    static constexpr double R2[2] = {-152.94239396, 59.28637943};
    static constexpr double G2[2] = {4.27729857, 2.82956604};
    static constexpr double B2[2] = {-89.90310912, 27.34824973};
    const double x = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
    const double v4[4] = {1.0, x, x * x, x * x * x};
    const double v2[2] = {v4[2] * v4[2], v4[3] * v4[2]};
    auto channel = [&](const double (&c4)[4], const double (&c2)[2]) {
        const double c = v4[0] * c4[0] + v4[1] * c4[1] + v4[2] * c4[2] + v4[3] * c4[3] + v2[0] * c2[0] + v2[1] * c2[1];
        return static_cast<std::uint8_t>(std::clamp(std::round(c * 255.0), 0.0, 255.0));
    };
    return {channel(R4, R2), channel(G4, G2), channel(B4, B2)};
}

Image make_image(const Field& field, const std::byte* data, Colormap colormap, std::optional<ValueRange> range) {
    const Geometry g = *geometry_of(field);
    Image img;
    img.height = static_cast<std::uint32_t>(g.height);
    img.width = static_cast<std::uint32_t>(g.width);
    const std::string size = std::to_string(g.width) + "x" + std::to_string(g.height);
    const std::uint64_t pixels = g.height * g.width;

    if (g.channels > 1) {
        img.channels = static_cast<int>(g.channels);
        img.pixels.resize(pixels * g.channels);
        std::memcpy(img.pixels.data(), data, img.pixels.size());
        img.description = size + (g.channels == 3 ? " RGB" : " RGBA") + " 8-bit, as written";
        return img;
    }
    const DType::Kind kind = field.dtype.kind();
    if (kind == DType::Kind::u1 && (colormap == Colormap::automatic || colormap == Colormap::raw)) {
        img.pixels.resize(pixels);
        std::memcpy(img.pixels.data(), data, pixels);
        img.description = size + " gray 8-bit, values as written";
        return img;
    }
    if (kind == DType::Kind::u2 && colormap == Colormap::raw) {
        img.bit_depth = 16;
        img.pixels.resize(pixels * 2);
        std::memcpy(img.pixels.data(), data, pixels * 2);  // <u2 on a little-endian host
        img.description = size + " gray 16-bit, values as written";
        return img;
    }

    // Normalising colormaps: the values' own range unless one was given.
    if (colormap == Colormap::automatic) colormap = Colormap::gray;
    ValueRange r;
    if (range) {
        r = *range;
    } else {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (std::uint64_t i = 0; i < pixels; ++i) {
            const double v = element_value(field.dtype, data, i);
            if (is_no_data(v, colormap)) continue;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        r = lo <= hi ? ValueRange{lo, hi} : ValueRange{0, 0};
    }
    img.range = r;
    if (colormap == Colormap::gray) {
        img.pixels.resize(pixels);
        for (std::uint64_t i = 0; i < pixels; ++i) img.pixels[i] = normalise(element_value(field.dtype, data, i), r.lo, r.hi);
        img.description = size + " gray 8-bit, values " + number(r.lo) + ".." + number(r.hi) + " -> 0..255";
        return img;
    }
    std::array<std::array<std::uint8_t, 3>, 256> lut;
    for (int i = 0; i < 256; ++i) lut[static_cast<std::size_t>(i)] = turbo(i / 255.0);
    img.channels = 3;
    img.pixels.resize(pixels * 3);
    for (std::uint64_t i = 0; i < pixels; ++i) {
        const double v = element_value(field.dtype, data, i);
        std::array<std::uint8_t, 3> c{0, 0, 0};
        if (!is_no_data(v, colormap)) {
            const std::uint8_t level = normalise(v, r.lo, r.hi);  // 0 when every value is the same
            c = lut[colormap == Colormap::depth ? 255u - level : level];
        }
        std::memcpy(&img.pixels[i * 3], c.data(), 3);
    }
    img.description = size + " RGB 8-bit, " + (colormap == Colormap::depth ? "depth colormap, " : "turbo colormap, ") +
                      "values " + number(r.lo) + ".." + number(r.hi) +
                      (colormap == Colormap::depth ? " (near red .. far blue; 0 and NaN black)" : " (low blue .. high red)");
    return img;
}

bool bgr_to_rgb(Image& image) noexcept {
    if (image.channels < 3 || image.bit_depth != 8) return false;
    const auto step = static_cast<std::size_t>(image.channels);
    for (std::size_t i = 0; i + 2 < image.pixels.size(); i += step) std::swap(image.pixels[i], image.pixels[i + 2]);
    return true;
}

namespace {

// Sample c of pixel (x, y).
std::uint32_t sample(const Image& img, std::uint64_t x, std::uint64_t y, int c) noexcept {
    const std::uint64_t i = (y * img.width + x) * static_cast<std::uint64_t>(img.channels) + static_cast<std::uint64_t>(c);
    if (img.bit_depth == 16) {
        std::uint16_t v = 0;
        std::memcpy(&v, &img.pixels[i * 2], 2);
        return v;
    }
    return img.pixels[i];
}

void set_sample(Image& img, std::uint64_t x, std::uint64_t y, int c, std::uint32_t v) noexcept {
    const std::uint64_t i = (y * img.width + x) * static_cast<std::uint64_t>(img.channels) + static_cast<std::uint64_t>(c);
    if (img.bit_depth == 16) {
        const auto w = static_cast<std::uint16_t>(v);
        std::memcpy(&img.pixels[i * 2], &w, 2);
    } else {
        img.pixels[i] = static_cast<std::uint8_t>(v);
    }
}

// The source cells [first, last) an output cell covers along a side of `from` cells scaled to `to`.
std::pair<std::uint64_t, std::uint64_t> covered(std::uint64_t out, std::uint64_t from, std::uint64_t to) noexcept {
    const std::uint64_t first = out * from / to;
    return {first, std::max(first + 1, (out + 1) * from / to)};
}

}  // namespace

Image scale_image(const Image& image, double factor) {
    Image out = image;
    const auto side = [factor](std::uint32_t n) {
        return static_cast<std::uint32_t>(std::clamp(std::round(n * factor), 1.0, static_cast<double>(MAX_SIDE)));
    };
    out.width = side(image.width);
    out.height = side(image.height);
    const std::uint64_t bytes_per_sample = image.bit_depth == 16 ? 2 : 1;
    out.pixels.assign(std::uint64_t{out.width} * out.height * static_cast<std::uint64_t>(out.channels) * bytes_per_sample, 0);
    for (std::uint64_t y = 0; y < out.height; ++y) {
        const auto [y0, y1] = covered(y, image.height, out.height);
        for (std::uint64_t x = 0; x < out.width; ++x) {
            const auto [x0, x1] = covered(x, image.width, out.width);
            const std::uint64_t n = (y1 - y0) * (x1 - x0);
            for (int c = 0; c < image.channels; ++c) {
                std::uint64_t sum = 0;
                for (std::uint64_t sy = y0; sy < y1; ++sy)
                    for (std::uint64_t sx = x0; sx < x1; ++sx) sum += sample(image, sx, sy, c);
                set_sample(out, x, y, c, static_cast<std::uint32_t>((sum + n / 2) / n));
            }
        }
    }
    out.description = std::to_string(out.width) + "x" + std::to_string(out.height) + " (scaled " +
                      number(factor) + " from " + std::to_string(image.width) + "x" +
                      std::to_string(image.height) + ")" + image.description.substr(image.description.find(' '));
    return out;
}

}  // namespace smx::cli
