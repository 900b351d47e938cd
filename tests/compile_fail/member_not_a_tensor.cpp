// expect: every field listed must be an smx::Tensor
// A plain member is no field.
#include <smx/typed.hpp>

struct Mixed {
    smx::Tensor<std::uint16_t, 4> depth;
    double exposure;
};
SMX_FRAME(Mixed, depth, exposure);
