// expect: a struct derived from a frame type needs its own SMX_FRAME
// A struct derived from a frame type would travel as its base: its own members silently dropped.
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint16_t, 480, 848> depth;
};
SMX_FRAME(Camera, depth);

struct LabelledCamera : Camera {
    smx::Tensor<std::uint16_t, 480, 848> labels;
};

void use(smx::TypedWriter<LabelledCamera>& writer) { (void)writer; }
