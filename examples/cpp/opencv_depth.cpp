// The camera's frames through OpenCV without a copy: smx::as_mat (smx/opencv.hpp) makes cv::Mat
// headers over the typed frame's fields, pinned while OpenCV reads them. Built when OpenCV's
// core headers are present (Debian: libopencv-core-dev); smx never depends on OpenCV.
//
//     build/bin/smx_example_opencv_depth [topic] [frames]

#include "example_args.hpp"
#include "frame_buffer.hpp"

#include <smx/opencv.hpp>

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    int status = 0;
    const auto args = parse_example_args(argc, argv, "depth range and mean colour of each frame, computed by OpenCV on the slot", status);
    if (!args) return status;
    const std::string& topic = args->topic;
    const long frames = args->frames;
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
