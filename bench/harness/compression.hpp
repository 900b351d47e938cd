#pragma once
// The compression table of `smx bench`: smx's codec (lz4, zstd at a few levels) on the demo's
// depth field and on camera-like images, in this process: ratio, encode and decode time.

#include "results.hpp"

#include <vector>

namespace smx::cli::bench {

/// Every codec on every image; `quick` repeats each fewer times. Throws if a round trip does
/// not give the image back.
std::vector<CompressionResult> measure_compression(bool quick);

}  // namespace smx::cli::bench
