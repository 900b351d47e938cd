#pragma once
// A 5x7 bitmap font for the text `smx view` draws over its pictures (SDL2 has no text rendering
// of its own): digits, the letters (lower case drawn as upper case) and . : - / _ ( ) % ' , = + ?
// (anything else is drawn as '?').

#include "image.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace smx::cli {

/// Size of one character cell in font pixels: the 5x7 glyph and one pixel of spacing right and below.
inline constexpr int GLYPH_WIDTH = 5, GLYPH_HEIGHT = 7, CELL_WIDTH = 6, CELL_HEIGHT = 8;

/// An RGBA label: `lines` of text in `color`, each font pixel `scale` x `scale` screen pixels,
/// on a `background` box with a margin of `padding` pixels. An empty `lines` gives a 0x0 image.
Image text_box(const std::vector<std::string>& lines, int scale, int padding, std::array<std::uint8_t, 4> color,
               std::array<std::uint8_t, 4> background);

}  // namespace smx::cli
