// A synthetic RGB-D camera: publishes the seed's FrameBuffer on "frame_data" at 30 Hz,
// filling each frame in place (zero copy). Readable by examples/python/reader.py too.
//
//     build/bin/smx_example_camera_writer [topic] [frames]     (Ctrl-C stops it)

#include "example_args.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

namespace {
volatile std::sig_atomic_t g_stop = 0;
}

int main(int argc, char** argv) {
    int status = 0;
    const auto args = parse_example_args(argc, argv, "publishes the seed's RGB-D FrameBuffer at 30 Hz, filled in place", status);
    if (!args) return status;
    const std::string& topic = args->topic;
    const long frames = args->frames;
    std::signal(SIGINT, [](int) { g_stop = 1; });  // a clean exit removes the segment
    std::signal(SIGTERM, [](int) { g_stop = 1; });

    const smx::Schema schema{
        {"timestamp", smx::DType::Kind::f8, {1}},
        {"color", smx::DType::Kind::u1, {480, 848, 3}},
        {"depth", smx::DType::Kind::u2, {480, 848}},
        {"extrinsics", smx::DType::Kind::f8, {4, 4}},
        {"intrinsics", smx::DType::Kind::f8, {3, 3}},
    };
    try {
        smx::Participant participant;
        smx::Writer writer(participant, topic, schema);
        std::printf("writing '%s' (segment %s) at 30 Hz; Ctrl-C stops\n", topic.c_str(), writer.segment_name().c_str());
        auto next = std::chrono::steady_clock::now();
        for (long i = 1; !g_stop && (frames == 0 || i <= frames); ++i) {
            if (auto loan = writer.loan()) {
                const auto now = std::chrono::system_clock::now().time_since_epoch();
                loan->field<double>("timestamp")[0] = std::chrono::duration<double>(now).count();
                // Something to look at (smx view, smx snapshot): a colour gradient drifting right,
                // and a depth ramp from 0.5 m to 3.5 m whose far end moves with the frames.
                auto color = loan->field<std::uint8_t>("color");
                auto depth = loan->field<std::uint16_t>("depth");
                for (int y = 0; y < 480; ++y)
                    for (int x = 0; x < 848; ++x) {
                        color(y, x, 0) = static_cast<std::uint8_t>(x + 4 * i);
                        color(y, x, 1) = static_cast<std::uint8_t>(y);
                        color(y, x, 2) = static_cast<std::uint8_t>(255 - x / 4);
                        depth(y, x) = static_cast<std::uint16_t>(500 + (x * 3000 / 848 + 20 * i) % 3000);
                    }
                auto extrinsics = loan->field<double>("extrinsics");
                for (int r = 0; r < 4; ++r)
                    for (int c = 0; c < 4; ++c) extrinsics(r, c) = r == c ? 1.0 : 0.0;
                auto k = loan->field<double>("intrinsics");
                k(0, 0) = 600; k(0, 1) = 0;   k(0, 2) = 424;
                k(1, 0) = 0;   k(1, 1) = 600; k(1, 2) = 240;
                k(2, 0) = 0;   k(2, 1) = 0;   k(2, 2) = 1;
                writer.publish(std::move(*loan));
            } else {
                std::printf("every slot is pinned by readers; frame %ld dropped\n", i);
            }
            next += std::chrono::milliseconds(33);
            std::this_thread::sleep_until(next);  // camera pacing, not synchronisation
        }
        std::printf("wrote %llu frames\n", static_cast<unsigned long long>(writer.frames_published()));
    } catch (const smx::Error& e) {
        std::fprintf(stderr, "smx_example_camera_writer: %s\n", e.what());
        return 1;
    }
    return 0;
}
