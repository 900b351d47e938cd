// Reads the camera as a typed frame: the reader checks the writer's schema against
// FrameBuffer's (a writer of another layout is refused, naming each difference), and each
// frame's members are read-only views into the writer's slot, pinned while it looks at them.
//
//     build/bin/smx_example_typed_camera_reader [topic] [frames]

#include "frame_buffer.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    const bool help = argc > 1 && argv[1][0] == '-';
    char* end = nullptr;
    const long frames = argc > 2 ? std::strtol(argv[2], &end, 10) : 0;
    if (help || argc > 3 || (argc > 2 && (*end != '\0' || frames < 0))) {
        std::fprintf(help && std::string(argv[1]) == "--help" ? stdout : stderr,
                     "usage: %s [TOPIC] [FRAMES]\n  reads the seed's RGB-D FrameBuffer as a typed frame, pinning each\n"
                     "  TOPIC   default frame_data\n  FRAMES  how many (default 0: until Ctrl-C)\n"
                     "  the DDS domain is SMX_DOMAIN (default 0)\n",
                     argv[0]);
        return help && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") ? 0 : 2;
    }
    const std::string topic = argc > 1 ? argv[1] : "frame_data";
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
