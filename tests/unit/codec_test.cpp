// The network path's compression (src/codec.*): lossless both ways on image-like data, and a
// decoder that refuses anything but a frame of exactly the expected size, whatever it is fed.

#include "codec.hpp"
#include "unit_support.hpp"

#include <smx/error.hpp>
#include <smx/writer.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

using namespace smx::detail;

namespace {

// A depth image of 848x480 u2: a smooth ramp with noise in the low bits, as a real one has.
std::vector<std::byte> depth_image() {
    std::vector<std::uint16_t> px(848 * 480);
    std::mt19937 rng(7);
    for (std::size_t i = 0; i < px.size(); ++i)
        px[i] = static_cast<std::uint16_t>(800 + (i % 848) / 2 + (i / 848) + (rng() & 3));
    std::vector<std::byte> out(px.size() * 2);
    std::memcpy(out.data(), px.data(), out.size());
    return out;
}

// `src` encoded as `e` (empty when encode() declined).
std::vector<std::byte> encoded(Encoding e, int level, const std::vector<std::byte>& src) {
    std::vector<std::byte> wire(encode_bound(e, src.size()));
    wire.resize(encode(e, level, src, wire));
    return wire;
}

}  // namespace

TEST(Codec, lz4_and_zstd_round_trip_a_depth_image_exactly_and_shrink_it) {
    const auto image = depth_image();
    for (Encoding e : {Encoding::lz4, Encoding::zstd}) {
        const auto wire = encoded(e, 3, image);
        ASSERT_FALSE(wire.empty());
        EXPECT_LT(wire.size(), image.size() * 3 / 4) << "encoding " << static_cast<int>(e);
        std::vector<std::byte> back(image.size());
        ASSERT_TRUE(decode(e, wire, back));
        EXPECT_EQ(back, image);
    }
}

TEST(Codec, data_that_does_not_shrink_is_not_encoded) {
    std::vector<std::byte> noise(1 << 16);
    std::mt19937_64 rng(1);
    for (auto& b : noise) b = static_cast<std::byte>(rng());
    for (Encoding e : {Encoding::lz4, Encoding::zstd}) EXPECT_TRUE(encoded(e, 1, noise).empty());
    std::vector<std::byte> wire(noise.size());
    EXPECT_EQ(encode(Encoding::raw, 1, noise, wire), 0u);
}

TEST(Codec, the_decoder_refuses_corrupt_truncated_or_wrongly_sized_input_and_never_writes_past_its_buffer) {
    const auto image = depth_image();
    for (Encoding e : {Encoding::lz4, Encoding::zstd}) {
        const auto wire = encoded(e, 1, image);
        ASSERT_FALSE(wire.empty());
        const std::span<const std::byte> good(wire);
        const std::size_t n = wire.size();
        // One byte short, one byte long: the frame size must match exactly.
        std::vector<std::byte> small(image.size() - 1), large(image.size() + 1);
        EXPECT_FALSE(decode(e, good, small));
        EXPECT_FALSE(decode(e, good, large));
        // Truncated input.
        std::vector<std::byte> out(image.size());
        EXPECT_FALSE(decode(e, good.first(n / 2), out));
        // Flipped bytes all over (the decoder must stay inside `out`; ASan watches).
        std::mt19937 rng(3);
        for (int trial = 0; trial < 200; ++trial) {
            std::vector<std::byte> bad(good.begin(), good.end());
            for (int k = 0; k < 8; ++k) bad[rng() % bad.size()] ^= static_cast<std::byte>(1 + rng() % 255);
            std::vector<std::byte> dst(image.size());
            (void)decode(e, bad, dst);  // false or, by chance, a frame of the right size
        }
    }
    std::vector<std::byte> out(16);
    EXPECT_FALSE(decode(Encoding::raw, std::span<const std::byte>(out), out));
    EXPECT_FALSE(decode(static_cast<Encoding>(7), std::span<const std::byte>(out), out));
    EXPECT_TRUE(known_encoding(0) && known_encoding(1) && known_encoding(2));
    EXPECT_FALSE(known_encoding(3));
}

TEST(Codec, a_writer_refuses_network_options_out_of_range_naming_the_topic) {
    const std::string topic = smx::test::unique_topic("net_options");
    smx::Participant participant;
    const smx::Schema small{{"a", smx::DType::Kind::u1, {4}}};
    auto expect_refused = [&](const smx::NetworkOptions& n, const std::string& says) {
        smx::WriterOptions o;
        o.network = n;
        const std::string msg = smx::unit::message_of<smx::InvalidArgument>([&] { smx::Writer(participant, topic, small, o); });
        EXPECT_NE(msg.find("topic '" + topic + "'"), std::string::npos) << msg;
        EXPECT_NE(msg.find(says), std::string::npos) << msg;
    };
    smx::NetworkOptions n;
    n.depth = 0;
    expect_refused(n, "network.depth 0 is outside 1..16");
    n.depth = 17;
    expect_refused(n, "network.depth 17");
    n = {};
    n.compression = smx::Compression::zstd;
    n.compression_level = 20;
    expect_refused(n, "compression_level 20");
    n.compression_level = 0;
    expect_refused(n, "compression_level 0");
    n.compression = static_cast<smx::Compression>(9);
    expect_refused(n, "network.compression is none of none, lz4, zstd");
    n = {};
    n.compression = smx::Compression::lz4;
    n.depth = 16;
    n.reliable = false;
    smx::WriterOptions ok;
    ok.network = n;
    EXPECT_NO_THROW(smx::Writer(participant, topic, small, ok));
}
