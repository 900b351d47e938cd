// Reads the camera as a typed frame: the reader checks the writer's schema against
// FrameBuffer's (a writer of another layout is refused, naming each difference), and each
// frame's members are read-only views into the writer's slot, pinned while it looks at them.
//
//     build/bin/smx_example_typed_camera_reader [topic] [frames]

#include "example_args.hpp"
#include "frame_buffer.hpp"

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    int status = 0;
    const auto args = parse_example_args(argc, argv, "reads the seed's RGB-D FrameBuffer as a typed frame, pinning each", status);
    if (!args) return status;
    const std::string& topic = args->topic;
    const long frames = args->frames;
    try {
        smx::Participant participant;
        smx::TypedReader<camera::FrameBuffer> reader(participant, topic);
        std::printf("waiting for a writer on '%s'...\n", topic.c_str());
        while (!reader.wait_for_writer(5s)) std::printf("still waiting for a writer on '%s'\n", topic.c_str());
        for (long n = 0; frames == 0 || n < frames;) {
            const auto frame = reader.next(2s, smx::Hold::pin);  // blocks without polling
            if (!frame) {
                std::printf("no frame for 2 s (writer %s)\n",
                            reader.state() == smx::ReaderState::writer_gone ? "gone" : "quiet");
                continue;
            }
            ++n;
            const auto now = std::chrono::system_clock::now().time_since_epoch();
            const double age_ms = (std::chrono::duration<double>(now).count() - frame->timestamp(0)) * 1e3;
            std::printf("frame %llu  depth(240, 424)=%u  color(240, 424)=(%u, %u, %u)  fx=%g  age %.2f ms\n",
                        static_cast<unsigned long long>(frame.frame_number()), frame->depth(240, 424),
                        frame->color(240, 424, 0), frame->color(240, 424, 1), frame->color(240, 424, 2),
                        frame->intrinsics(0, 0), age_ms);
        }  // each frame's pin is released when `frame` goes out of scope
    } catch (const smx::Error& e) {
        std::fprintf(stderr, "smx_example_typed_camera_reader: %s\n", e.what());
        return 1;
    }
    return 0;
}
