// expect: give the row and as many indices as a row has dimensions
// A bounded field is indexed (row, indices of a row...): a missing index does not compile.
#include <smx/typed.hpp>

struct Detections {
    smx::Bounded<float, 100, 4> boxes;
};
SMX_FRAME(Detections, boxes);

float use(const Detections& d) { return d.boxes(3); }
