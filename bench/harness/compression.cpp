#include "compression.hpp"

#include "codec.hpp"
#include "os.hpp"
#include "pattern.hpp"
#include "scene.hpp"

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;
using detail::Encoding;

struct Image {
    std::string name;
    std::vector<std::byte> bytes;
};

template <class T>
std::vector<std::byte> as_bytes(const std::vector<T>& v) {
    std::vector<std::byte> b(v.size() * sizeof(T));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

std::vector<Image> images() {
    constexpr std::size_t W = 848, H = 480;
    const Schema rgbd = pattern::rgbd_schema(W, H);
    std::vector<Image> out;
    // What `make demo` sends: every byte derived from the frame number (pattern.hpp), like noise.
    std::vector<std::byte> demo(rgbd[2].nbytes());
    pattern::fill(demo, 1, 2);
    out.push_back({"demo depth field 848x480 u16 (smx demo)", std::move(demo)});
    out.push_back({"depth 848x480 u16, stereo camera (real-looking)", as_bytes(depth_scene(W, H))});
    out.push_back({"colour 848x480x3 u8 (real-looking)", as_bytes(color_scene(W, H))});
    std::vector<std::byte> frame(rgbd.frame_size());
    fill_scene(rgbd, frame);
    out.push_back({"RGB-D frame as sent (real-looking)", std::move(frame)});
    return out;
}

CompressionResult measure(const Image& image, Encoding e, int level, const char* codec, int reps) {
    CompressionResult r{image.name, image.bytes.size(), codec, 0, {}, {}};
    std::vector<std::byte> encoded(detail::encode_bound(e, image.bytes.size()));
    std::vector<std::byte> decoded(image.bytes.size());
    std::vector<std::int64_t> enc_ns, dec_ns;
    for (int i = 0; i <= reps; ++i) {  // the first of each is a warm-up (page faults, contexts)
        const auto t0 = Clock::now();
        const std::size_t n = detail::encode(e, level, image.bytes, encoded);
        const auto t1 = Clock::now();
        r.encoded = n;
        if (n == 0) {
            if (i > 0) enc_ns.push_back(ns_between(t0, t1));
            continue;
        }
        const auto t2 = Clock::now();
        const bool ok = detail::decode(e, std::span<const std::byte>(encoded.data(), n), decoded);
        const auto t3 = Clock::now();
        if (!ok || decoded != image.bytes)
            throw std::runtime_error(std::string(codec) + " did not give back " + image.name);
        if (i > 0) {
            enc_ns.push_back(ns_between(t0, t1));
            dec_ns.push_back(ns_between(t2, t3));
        }
    }
    r.encode = percentiles(std::move(enc_ns));
    r.decode = percentiles(std::move(dec_ns));
    return r;
}

}  // namespace

std::vector<CompressionResult> measure_compression(bool quick) {
    struct Codec {
        Encoding e;
        int level;
        const char* name;
    };
    const Codec codecs[] = {{Encoding::lz4, 0, "lz4"}, {Encoding::zstd, 1, "zstd -1"}, {Encoding::zstd, 3, "zstd -3"},
                            {Encoding::zstd, 9, "zstd -9"}};
    std::vector<CompressionResult> out;
    for (const Image& image : images())
        for (const Codec& c : codecs) out.push_back(measure(image, c.e, c.level, c.name, quick ? 3 : 20));
    return out;
}

}  // namespace smx::cli::bench
