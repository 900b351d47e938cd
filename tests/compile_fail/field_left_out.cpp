// expect: has members the macro does not list
// A member the macro does not list would silently not travel.
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint8_t, 480, 848, 3> color;
    smx::Tensor<std::uint16_t, 480, 848> depth;
    smx::Tensor<double, 4, 4> extrinsics;
};
SMX_FRAME(Camera, color, depth);
