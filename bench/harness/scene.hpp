#pragma once
// Frame content that looks like a real camera's, for what depends on content: compression on
// the network path. A room seen by a stereo depth camera (floor, walls, a table, a ball), with
// the camera's depth noise (growing with the square of the distance, correlated over blocks as
// block matching makes it), shadow bands beside near edges and dropouts where no depth was
// found; and its colour image, shaded and textured. Deterministic: every run sends the same bytes.

#include <smx/schema.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace smx::cli::bench {

/// Depth in millimetres, row-major `height` x `width`; 0 where the camera found none.
std::vector<std::uint16_t> depth_scene(std::size_t width, std::size_t height);
/// The same scene in colour: `height` x `width` x 3 (RGB).
std::vector<std::uint8_t> color_scene(std::size_t width, std::size_t height);

/// Fills a frame in the slot layout of `schema`: a field "color" (H x W x 3, u1) and "depth"
/// (H x W, u2) with the scene, "extrinsics"/"intrinsics" with a camera's matrices, and any
/// other field (a blob payload) with a depth scene of about 2:1 that fits its bytes.
void fill_scene(const Schema& schema, std::span<std::byte> frame);

}  // namespace smx::cli::bench
