// expect: T has no smx dtype
// A Tensor of a type smx cannot put in a frame.
#include <smx/typed.hpp>
#include <string>

struct Bad {
    smx::Tensor<std::string, 4> names;
};
SMX_FRAME(Bad, names);
