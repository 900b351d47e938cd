// The camera of camera_writer.cpp, typed: the frame is described once (frame_buffer.hpp) and
// filled through its members, views into the loaned slot (zero copy); a misspelt field or a
// wrong element type does not compile. Readable by typed_camera_reader.cpp, camera_reader.cpp
// and examples/python/reader.py (whose dataclass has the same schema).
//
//     build/bin/smx_example_typed_camera_writer [topic] [frames]     (Ctrl-C stops it)

#include "example_args.hpp"
#include "frame_buffer.hpp"

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
    const auto args = parse_example_args(argc, argv, "publishes the seed's RGB-D FrameBuffer at 30 Hz as a typed frame", status);
    if (!args) return status;
    const std::string& topic = args->topic;
    const long frames = args->frames;
    std::signal(SIGINT, [](int) { g_stop = 1; });  // a clean exit removes the segment
    std::signal(SIGTERM, [](int) { g_stop = 1; });
    try {
        smx::Participant participant;
        smx::TypedWriter<camera::FrameBuffer> writer(participant, topic);
        std::printf("writing '%s' at 30 Hz: %s\n", topic.c_str(), smx::schema_of<camera::FrameBuffer>().to_string().c_str());
        auto next = std::chrono::steady_clock::now();
        for (long i = 1; !g_stop && (frames == 0 || i <= frames); ++i) {
            if (auto loan = writer.loan()) {
                const auto now = std::chrono::system_clock::now().time_since_epoch();
                loan->timestamp(0) = std::chrono::duration<double>(now).count();
                for (int y = 0; y < 480; ++y)
                    for (int x = 0; x < 848; ++x) {
                        loan->color(y, x, 0) = static_cast<std::uint8_t>(x + 4 * i);
                        loan->color(y, x, 1) = static_cast<std::uint8_t>(y);
                        loan->color(y, x, 2) = static_cast<std::uint8_t>(255 - x / 4);
                        loan->depth(y, x) = static_cast<std::uint16_t>(500 + (x * 3000 / 848 + 20 * i) % 3000);
                    }
                for (int r = 0; r < 4; ++r)
                    for (int c = 0; c < 4; ++c) loan->extrinsics(r, c) = r == c ? 1.0 : 0.0;
                loan->intrinsics.fill(0.0);
                loan->intrinsics(0, 0) = loan->intrinsics(1, 1) = 600;
                loan->intrinsics(0, 2) = 424;
                loan->intrinsics(1, 2) = 240;
                loan->intrinsics(2, 2) = 1;
                writer.publish(std::move(loan));
            } else {
                std::printf("every slot is pinned by readers; frame %ld dropped\n", i);
            }
            next += std::chrono::milliseconds(33);
            std::this_thread::sleep_until(next);  // camera pacing, not synchronisation
        }
        std::printf("wrote %llu frames\n", static_cast<unsigned long long>(writer.untyped().frames_published()));
    } catch (const smx::Error& e) {
        std::fprintf(stderr, "smx_example_typed_camera_writer: %s\n", e.what());
        return 1;
    }
    return 0;
}
