// Reads "frame_data" without knowing its schema in advance, pinning each frame while it
// looks at it. Works with examples/cpp/camera_writer.cpp and examples/python/writer.py.
//
//     build/bin/smx_example_camera_reader [topic] [frames]

#include "example_args.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    int status = 0;
    const auto args = parse_example_args(argc, argv, "reads a topic without knowing its schema, pinning each frame", status);
    if (!args) return status;
    const std::string& topic = args->topic;
    const long frames = args->frames;
    try {
        smx::Participant participant;
        smx::Reader reader(participant, topic);  // template-less: learns the writer's schema
        std::printf("waiting for a writer on '%s'...\n", topic.c_str());
        while (!reader.wait_for_writer(5s)) std::printf("still waiting for a writer on '%s'\n", topic.c_str());
        std::printf("schema: %s\n", reader.schema().to_string().c_str());
        for (long n = 0; frames == 0 || n < frames;) {
            auto frame = reader.next(2s, smx::Hold::pin);  // blocks without polling
            if (!frame) {
                std::printf("no frame for 2 s (writer %s)\n",
                            reader.state() == smx::ReaderState::writer_gone ? "gone" : "quiet");
                continue;
            }
            ++n;
            const auto depth = frame->field<std::uint16_t>("depth");  // zero-copy, read-only
            const auto now = std::chrono::system_clock::now().time_since_epoch();
            const double age_ms = (std::chrono::duration<double>(now).count() - frame->field<double>("timestamp")[0]) * 1e3;
            std::printf("frame %llu  depth(240, 424)=%u  age %.2f ms  missed so far %llu\n",
                        static_cast<unsigned long long>(frame->frame_number()), depth(240, 424), age_ms,
                        static_cast<unsigned long long>(reader.stats().missed));
        }  // each frame's pin is released when `frame` goes out of scope
    } catch (const smx::Error& e) {
        std::fprintf(stderr, "smx_example_camera_reader: %s\n", e.what());
        return 1;
    }
    return 0;
}
