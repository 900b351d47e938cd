// expect: cannot convert|invalid conversion
// Reading depth (uint16) as float elements.
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint16_t, 480, 848> depth;
};
SMX_FRAME(Camera, depth);

const float* use(smx::TypedReader<Camera>& reader) {
    auto frame = reader.next(std::chrono::seconds(1));
    return frame->depth.data();
}
