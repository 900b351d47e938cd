// expect: a field is listed twice
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint16_t, 480, 848> depth;
    smx::Tensor<std::uint8_t, 480, 848, 3> color;
};
SMX_FRAME(Camera, depth, depth);
