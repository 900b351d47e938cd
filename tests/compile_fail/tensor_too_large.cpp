// expect: larger than a frame may be
// Dimensions whose product overflows (or passes 1 TiB) would make at() reach anywhere.
#include <smx/typed.hpp>

struct Huge {
    smx::Tensor<std::uint8_t, 2, 0x8000000000000001ull> data;
};
SMX_FRAME(Huge, data);
