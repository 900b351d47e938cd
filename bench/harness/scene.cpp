#include "scene.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace smx::cli::bench {

namespace {

// A stereo depth camera like those the seed's users have: 87° horizontal field of view, 50 mm
// baseline, disparity noise of 0.08 px.
constexpr double HFOV_DEG = 87, BASELINE_M = 0.05, DISPARITY_SIGMA_PX = 0.08;
constexpr double NO_HIT = std::numeric_limits<double>::infinity();

struct Vec {
    double x, y, z;
};

struct Hit {
    double t = NO_HIT;  // depth along the optical axis (the ray's z is 1)
    Vec normal{0, 0, -1};
    int material = 0;  // 0 wall, 1 floor, 2 table, 3 ball
};

struct Camera {
    std::size_t width, height;
    double f, cx, cy;
    explicit Camera(std::size_t w, std::size_t h)
        : width(w), height(h), f(0.5 * static_cast<double>(w) / std::tan(HFOV_DEG * M_PI / 360)),
          cx(0.5 * static_cast<double>(w)), cy(0.5 * static_cast<double>(h)) {}
    Vec ray(std::size_t u, std::size_t v) const {
        return {(static_cast<double>(u) + 0.5 - cx) / f, (static_cast<double>(v) + 0.5 - cy) / f, 1};
    }
};

void nearer(Hit& best, double t, Vec n, int material) {
    if (t > 0 && t < best.t) best = {t, n, material};
}

// Camera at the origin looking along +z, y down: the floor 1.2 m below, walls left, right and
// 4.5 m ahead, a table (a box) and a ball in front of it.
Hit cast(const Vec& d) {
    Hit h;
    if (d.y > 0) nearer(h, 1.2 / d.y, {0, -1, 0}, 1);
    nearer(h, 4.5, {0, 0, -1}, 0);
    if (d.x < 0) nearer(h, -2.0 / d.x, {1, 0, 0}, 0);
    if (d.x > 0) nearer(h, 2.4 / d.x, {-1, 0, 0}, 0);
    // The table: x in [-0.9, 0.3], y in [0.45, 1.2], z in [1.7, 2.5] (slab method).
    double t0 = 0, t1 = NO_HIT;
    int axis = -1;
    const double lo[3] = {-0.9, 0.45, 1.7}, hi[3] = {0.3, 1.2, 2.5}, dir[3] = {d.x, d.y, d.z};
    for (int a = 0; a < 3 && t0 <= t1; ++a) {
        if (dir[a] == 0) {
            if (lo[a] > 0 || hi[a] < 0) t0 = NO_HIT;
            continue;
        }
        double ta = lo[a] / dir[a], tb = hi[a] / dir[a];
        if (ta > tb) std::swap(ta, tb);
        if (ta > t0) t0 = ta, axis = a;
        t1 = std::min(t1, tb);
    }
    if (t0 <= t1 && axis >= 0) {
        Vec n{0, 0, 0};
        (axis == 0 ? n.x : axis == 1 ? n.y : n.z) = dir[axis] > 0 ? -1 : 1;
        nearer(h, t0, n, 2);
    }
    // The ball: centre (0.75, 0.85, 1.5), radius 0.35.
    const Vec c{0.75, 0.85, 1.5};
    const double a = d.x * d.x + d.y * d.y + d.z * d.z, b = -2 * (d.x * c.x + d.y * c.y + d.z * c.z),
                 k = c.x * c.x + c.y * c.y + c.z * c.z - 0.35 * 0.35, disc = b * b - 4 * a * k;
    if (disc >= 0) {
        const double t = (-b - std::sqrt(disc)) / (2 * a);
        nearer(h, t, {(d.x * t - c.x) / 0.35, (d.y * t - c.y) / 0.35, (d.z * t - c.z) / 0.35}, 3);
    }
    return h;
}

std::vector<Hit> render(const Camera& cam) {
    std::vector<Hit> hits(cam.width * cam.height);
    for (std::size_t v = 0; v < cam.height; ++v)
        for (std::size_t u = 0; u < cam.width; ++u) hits[v * cam.width + u] = cast(cam.ray(u, v));
    return hits;
}

}  // namespace

std::vector<std::uint16_t> depth_scene(std::size_t width, std::size_t height) {
    const Camera cam(width, height);
    const std::vector<Hit> hits = render(cam);
    std::mt19937_64 rng(0x5eed);
    std::normal_distribution<double> gauss(0, 1);
    std::uniform_real_distribution<double> uniform(0, 1);
    // Block matching correlates the noise over its window: one draw per 4x4 block, plus a
    // smaller per-pixel part.
    const std::size_t bw = (width + 3) / 4;
    std::vector<double> block((bw) * ((height + 3) / 4));
    for (double& b : block) b = gauss(rng);
    const double fb = cam.f * BASELINE_M;
    std::vector<std::uint16_t> depth(width * height, 0);
    for (std::size_t v = 0; v < height; ++v)
        for (std::size_t u = 0; u < width; ++u) {
            const double z = hits[v * width + u].t;
            const double sigma = z * z * DISPARITY_SIGMA_PX / fb;
            const double noisy = z + sigma * (0.8 * block[(v / 4) * bw + u / 4] + 0.6 * gauss(rng));
            depth[v * width + u] = static_cast<std::uint16_t>(std::clamp(std::lround(noisy * 1000), 1L, 65535L));
        }
    // The shadow band: left of a near object's left edge, the right camera's view is blocked
    // (width f*b*(1/z_near - 1/z_far) pixels).
    for (std::size_t v = 0; v < height; ++v)
        for (std::size_t u = 1; u < width; ++u) {
            const double zl = hits[v * width + u - 1].t, zr = hits[v * width + u].t;
            if (zl - zr < 0.15) continue;
            const auto band = static_cast<std::size_t>(fb * (1 / zr - 1 / zl));
            for (std::size_t k = 1; k <= band && k <= u; ++k) depth[v * width + u - k] = 0;
        }
    // Dropouts: scattered pixels, and blobs where the ball's gloss blinds the matcher.
    for (std::size_t i = 0; i < depth.size(); ++i)
        if (uniform(rng) < 0.004) depth[i] = 0;
    for (std::size_t i = 0; i < depth.size(); ++i) {
        const Hit& h = hits[i];
        if (h.material == 3 && h.normal.z < -0.93 && h.normal.x < 0 && h.normal.y < 0) depth[i] = 0;
    }
    return depth;
}

std::vector<std::uint8_t> color_scene(std::size_t width, std::size_t height) {
    const Camera cam(width, height);
    const std::vector<Hit> hits = render(cam);
    std::mt19937_64 rng(0xc0102);
    std::normal_distribution<double> gauss(0, 1);
    const double albedo[4][3] = {{0.82, 0.80, 0.74}, {0.55, 0.42, 0.30}, {0.35, 0.22, 0.12}, {0.85, 0.15, 0.10}};
    const Vec light{-0.4, -0.8, -0.45};  // towards the light: up, left, behind the camera
    std::vector<std::uint8_t> rgb(width * height * 3);
    for (std::size_t v = 0; v < height; ++v)
        for (std::size_t u = 0; u < width; ++u) {
            const Hit& h = hits[v * width + u];
            const Vec d = cam.ray(u, v);
            const double lambert = std::max(0.0, -(h.normal.x * light.x + h.normal.y * light.y + h.normal.z * light.z));
            double shade = (0.35 + 0.65 * lambert) / (1 + 0.08 * h.t);
            if (h.material == 1) {  // floor tiles of 40 cm with dark joints
                const double x = d.x * h.t + 10, z = d.z * h.t;
                const double fx = std::fmod(x, 0.4), fz = std::fmod(z, 0.4);
                if (fx < 0.01 || fz < 0.01) shade *= 0.6;
            }
            const double grain = 3.0 * gauss(rng);  // sensor noise, in levels
            for (int c = 0; c < 3; ++c)
                rgb[(v * width + u) * 3 + c] =
                    static_cast<std::uint8_t>(std::clamp(std::lround(255 * albedo[h.material][c] * shade + grain), 0L, 255L));
        }
    return rgb;
}

void fill_scene(const Schema& schema, std::span<std::byte> frame) {
    for (std::size_t i = 0; i < schema.size(); ++i) {
        const Field& field = schema[i];
        std::byte* out = frame.data() + schema.offset(i);
        const std::size_t bytes = field.nbytes();
        std::memset(out, 0, bytes);
        const auto& s = field.shape;
        if (field.name == "color" && s.ndim() == 3 && s[2] == 3 && field.dtype == DType::Kind::u1) {
            const auto rgb = color_scene(s[1], s[0]);
            std::memcpy(out, rgb.data(), bytes);
        } else if (field.name == "depth" && s.ndim() == 2 && field.dtype == DType::Kind::u2) {
            const auto depth = depth_scene(s[1], s[0]);
            std::memcpy(out, depth.data(), bytes);
        } else if (field.dtype == DType::Kind::f8 && s.ndim() == 2 && s[0] == s[1] && (s[0] == 3 || s[0] == 4)) {
            // A camera matrix: the identity (extrinsics) or a pinhole's K (intrinsics).
            std::vector<double> m(s[0] * s[1], 0.0);
            for (std::size_t k = 0; k < s[0]; ++k) m[k * s[0] + k] = 1;
            if (s[0] == 3) m[0] = m[4] = 424.5, m[2] = 424, m[5] = 240;
            std::memcpy(out, m.data(), bytes);
        } else if (field.dtype == DType::Kind::u1 && bytes >= 4) {
            // A blob: a depth scene of about 2:1 in its bytes (the rest stays 0).
            const auto w = static_cast<std::size_t>(std::sqrt(static_cast<double>(bytes)));
            const std::size_t h = bytes / 2 / w;
            const auto depth = depth_scene(w, h);
            std::memcpy(out, depth.data(), depth.size() * 2);
        }
    }
}

}  // namespace smx::cli::bench
