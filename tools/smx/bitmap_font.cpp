#include "bitmap_font.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

namespace smx::cli {

namespace {

// Each glyph: seven rows of five pixels, top to bottom, '1' = ink.
struct Glyph {
    char ch;
    const char* rows;
};

constexpr Glyph GLYPHS[] = {
    {'0', "01110 10001 10011 10101 11001 10001 01110"}, {'1', "00100 01100 00100 00100 00100 00100 01110"},
    {'2', "01110 10001 00001 00010 00100 01000 11111"}, {'3', "11111 00010 00100 00010 00001 10001 01110"},
    {'4', "00010 00110 01010 10010 11111 00010 00010"}, {'5', "11111 10000 11110 00001 00001 10001 01110"},
    {'6', "00110 01000 10000 11110 10001 10001 01110"}, {'7', "11111 00001 00010 00100 01000 01000 01000"},
    {'8', "01110 10001 10001 01110 10001 10001 01110"}, {'9', "01110 10001 10001 01111 00001 00010 01100"},
    {'A', "01110 10001 10001 11111 10001 10001 10001"}, {'B', "11110 10001 10001 11110 10001 10001 11110"},
    {'C', "01110 10001 10000 10000 10000 10001 01110"}, {'D', "11100 10010 10001 10001 10001 10010 11100"},
    {'E', "11111 10000 10000 11110 10000 10000 11111"}, {'F', "11111 10000 10000 11110 10000 10000 10000"},
    {'G', "01110 10001 10000 10111 10001 10001 01111"}, {'H', "10001 10001 10001 11111 10001 10001 10001"},
    {'I', "01110 00100 00100 00100 00100 00100 01110"}, {'J', "00111 00010 00010 00010 00010 10010 01100"},
    {'K', "10001 10010 10100 11000 10100 10010 10001"}, {'L', "10000 10000 10000 10000 10000 10000 11111"},
    {'M', "10001 11011 10101 10101 10001 10001 10001"}, {'N', "10001 10001 11001 10101 10011 10001 10001"},
    {'O', "01110 10001 10001 10001 10001 10001 01110"}, {'P', "11110 10001 10001 11110 10000 10000 10000"},
    {'Q', "01110 10001 10001 10001 10101 10010 01101"}, {'R', "11110 10001 10001 11110 10100 10010 10001"},
    {'S', "01111 10000 10000 01110 00001 00001 11110"}, {'T', "11111 00100 00100 00100 00100 00100 00100"},
    {'U', "10001 10001 10001 10001 10001 10001 01110"}, {'V', "10001 10001 10001 10001 10001 01010 00100"},
    {'W', "10001 10001 10001 10101 10101 10101 01010"}, {'X', "10001 10001 01010 00100 01010 10001 10001"},
    {'Y', "10001 10001 10001 01010 00100 00100 00100"}, {'Z', "11111 00001 00010 00100 01000 10000 11111"},
    {'.', "00000 00000 00000 00000 00000 01100 01100"}, {':', "00000 01100 01100 00000 01100 01100 00000"},
    {'-', "00000 00000 00000 11111 00000 00000 00000"}, {'/', "00000 00001 00010 00100 01000 10000 00000"},
    {'_', "00000 00000 00000 00000 00000 00000 11111"}, {'(', "00010 00100 01000 01000 01000 00100 00010"},
    {')', "01000 00100 00010 00010 00010 00100 01000"}, {'%', "11000 11001 00010 00100 01000 10011 00011"},
    {'\'', "01100 00100 01000 00000 00000 00000 00000"}, {',', "00000 00000 00000 00000 01100 00100 01000"},
    {'=', "00000 00000 11111 00000 11111 00000 00000"}, {'+', "00000 00100 00100 11111 00100 00100 00000"},
    {'?', "01110 10001 00001 00010 00100 00000 00100"}, {' ', "00000 00000 00000 00000 00000 00000 00000"},
};

const char* rows_of(char c) {
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const Glyph& g : GLYPHS)
        if (g.ch == upper) return g.rows;
    return rows_of('?');
}

void fill_square(Image& img, int x, int y, int size, const std::array<std::uint8_t, 4>& color) {
    for (int dy = 0; dy < size; ++dy)
        for (int dx = 0; dx < size; ++dx) {
            const std::size_t at = (static_cast<std::size_t>(y + dy) * img.width + static_cast<std::size_t>(x + dx)) * 4;
            std::memcpy(&img.pixels[at], color.data(), 4);
        }
}

void draw_line(Image& img, std::string_view text, int x0, int y0, int scale, const std::array<std::uint8_t, 4>& color) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char* rows = rows_of(text[i]);
        const int cell_x = x0 + static_cast<int>(i) * CELL_WIDTH * scale;
        for (int row = 0; row < GLYPH_HEIGHT; ++row)
            for (int col = 0; col < GLYPH_WIDTH; ++col)
                if (rows[row * (GLYPH_WIDTH + 1) + col] == '1')
                    fill_square(img, cell_x + col * scale, y0 + row * scale, scale, color);
    }
}

}  // namespace

Image text_box(const std::vector<std::string>& lines, int scale, int padding, std::array<std::uint8_t, 4> color,
               std::array<std::uint8_t, 4> background) {
    Image img;
    img.channels = 4;
    if (lines.empty()) return img;
    std::size_t longest = 0;
    for (const std::string& line : lines) longest = std::max(longest, line.size());
    // The last cell's spacing column and the last line's spacing row are left out.
    img.width = static_cast<std::uint32_t>(2 * padding + std::max<int>(0, static_cast<int>(longest) * CELL_WIDTH - 1) * scale);
    img.height = static_cast<std::uint32_t>(2 * padding + (static_cast<int>(lines.size()) * CELL_HEIGHT - 1) * scale);
    img.pixels.resize(static_cast<std::size_t>(img.width) * img.height * 4);
    for (std::size_t i = 0; i < img.pixels.size(); i += 4) std::memcpy(&img.pixels[i], background.data(), 4);
    for (std::size_t n = 0; n < lines.size(); ++n)
        draw_line(img, lines[n], padding, padding + static_cast<int>(n) * CELL_HEIGHT * scale, scale, color);
    img.description = std::to_string(img.width) + "x" + std::to_string(img.height) + " RGBA text";
    return img;
}

}  // namespace smx::cli
