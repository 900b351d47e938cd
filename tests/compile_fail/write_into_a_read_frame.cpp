// expect: assignment of read-only location|read-only
// A reader's frame is read-only (its pages are mapped read-only).
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint16_t, 480, 848> depth;
};
SMX_FRAME(Camera, depth);

void use(smx::TypedReader<Camera>& reader) {
    auto frame = reader.next(std::chrono::seconds(1));
    frame->depth(0, 0) = 1;
}
