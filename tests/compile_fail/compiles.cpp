// expect: compiles
// The control: a correct typed frame, writer and reader compile as C++17 and C++20.
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint8_t, 480, 848, 3> color;
    smx::Tensor<std::uint16_t, 480, 848> depth;
    smx::String<16> frame_id;
    smx::Bounded<float, 100, 4> boxes;
};
SMX_FRAME(Camera, color, depth, frame_id, boxes);

struct One {
    smx::Tensor<double> value;
};
SMX_FRAME(One, value);  // one field: no empty variadic argument (-Wpedantic in C++17)

void use(smx::TypedWriter<Camera>& writer, smx::TypedReader<Camera>& reader) {
    if (auto loan = writer.loan()) {
        loan->depth(1, 2) = 3;
        loan->frame_id() = "camera";
        loan->boxes.resize(1);
        loan->boxes(0, 3) = 1.0f;
        writer.publish(std::move(loan));
    }
    if (auto frame = reader.next(std::chrono::seconds(1))) {
        const std::uint16_t d = frame->depth(1, 2);
        (void)d;
    }
}
