// expect: give as many indices as the Tensor has dimensions
// depth is 2-D: one index is a mistake the compiler catches.
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint16_t, 480, 848> depth;
};
SMX_FRAME(Camera, depth);

int use(smx::TypedReader<Camera>& reader) {
    auto frame = reader.next(std::chrono::seconds(1));
    return frame->depth(10);
}
