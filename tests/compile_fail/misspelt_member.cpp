// expect: has no member named .dpeth.
// A typo in a field name.
#include <smx/typed.hpp>

struct Camera {
    smx::Tensor<std::uint16_t, 480, 848> depth;
};
SMX_FRAME(Camera, depth);

int use(smx::TypedReader<Camera>& reader) {
    auto frame = reader.next(std::chrono::seconds(1));
    return frame->dpeth(0, 0);
}
