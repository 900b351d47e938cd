// expect: list the fields in the order Pose declares them
// Two fields of one type listed in another order would swap silently.
#include <smx/typed.hpp>

struct Pose {
    smx::Tensor<double, 4, 4> world;
    smx::Tensor<double, 4, 4> camera;
};
SMX_FRAME(Pose, camera, world);
