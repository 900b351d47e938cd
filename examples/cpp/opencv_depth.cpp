// The camera's frames through OpenCV without a copy: smx::as_mat (smx/opencv.hpp) makes cv::Mat
// headers over the typed frame's fields, pinned while OpenCV reads them. Built when OpenCV's
// core headers are present (Debian: libopencv-core-dev); smx never depends on OpenCV.
//
//     build/bin/smx_example_opencv_depth [topic] [frames]

#include "frame_buffer.hpp"

#include <smx/opencv.hpp>

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
                     "usage: %s [TOPIC] [FRAMES]\n  depth range and mean colour of each frame, computed by OpenCV on the slot\n"
                     "  TOPIC   default frame_data\n  FRAMES  how many (default 0: until Ctrl-C)\n"
                     "  the DDS domain is SMX_DOMAIN (default 0)\n",
                     argv[0]);
        return help && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") ? 0 : 2;
    }
    const std::string topic = argc > 1 ? argv[1] : "frame_data";
    try {
        smx::Participant participant;
        smx::TypedReader<camera::FrameBuffer> reader(participant, topic);
        while (!reader.wait_for_writer(5s)) std::printf("still waiting for a writer on '%s'\n", topic.c_str());
        for (long n = 0; frames == 0 || n < frames;) {
            const auto frame = reader.next(2s, smx::Hold::pin);  // pinned: unchanged while OpenCV reads
            if (!frame) continue;
            ++n;
            const cv::Mat depth = smx::as_mat(frame->depth);  // CV_16UC1 over the slot, no copy
            const cv::Mat color = smx::as_mat(frame->color);  // CV_8UC3
            double lo = 0, hi = 0;
            cv::minMaxLoc(depth, &lo, &hi);
            const cv::Scalar mean = cv::mean(color);
            std::printf("frame %llu  depth %g..%g mm  mean colour (%.1f, %.1f, %.1f)  %dx%d  zero-copy %s\n",
                        static_cast<unsigned long long>(frame.frame_number()), lo, hi, mean[0], mean[1], mean[2],
                        depth.cols, depth.rows,
                        depth.data == reinterpret_cast<const unsigned char*>(frame->depth.data()) ? "yes" : "no");
        }
    } catch (const smx::Error& e) {
        std::fprintf(stderr, "smx_example_opencv_depth: %s\n", e.what());
        return 1;
    }
    return 0;
}
