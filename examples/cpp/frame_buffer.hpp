#pragma once
// The seed's FrameBuffer (the dataclass of examples/python/reader.py and writer.py) as a typed frame:
// the same field names, dtypes and shapes in the same order, so C++ and Python check each
// other's schema. Described once; the compiler checks every use.

#include <smx/smx.hpp>

#include <cstdint>

namespace camera {

struct FrameBuffer {
    smx::Tensor<double, 1> timestamp;                  // seconds since the epoch
    smx::Tensor<std::uint8_t, 480, 848, 3> color;      // RGB
    smx::Tensor<std::uint16_t, 480, 848> depth;        // millimetres
    smx::Tensor<double, 4, 4> extrinsics;
    smx::Tensor<double, 3, 3> intrinsics;
};
SMX_FRAME(FrameBuffer, timestamp, color, depth, extrinsics, intrinsics);

}  // namespace camera
