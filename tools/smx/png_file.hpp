#pragma once
// Writing an Image as a PNG file with libpng (Debian's libpng16).

#include "image.hpp"

#include <string>
#include <utility>
#include <vector>

namespace smx::cli {

/// Writes `image` to `path` atomically (a temporary file in the same directory, renamed into
/// place), with `text` as PNG tEXt chunks (key, value). Throws smx::SystemError naming the path
/// and libpng's or the system's reason.
void write_png(const std::string& path, const Image& image,
               const std::vector<std::pair<std::string, std::string>>& text);

}  // namespace smx::cli
