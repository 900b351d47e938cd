#include "png_file.hpp"

#include <smx/error.hpp>

#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <random>
#include <unistd.h>

namespace smx::cli {

namespace {

// libpng reports errors through a callback that must not return: it longjmps back to the
// setjmp in encode(), after saving its message here.
struct ErrorState {
    std::string message;
};

void on_png_error(png_structp png, png_const_charp message) {
    auto* state = static_cast<ErrorState*>(png_get_error_ptr(png));
    if (state) state->message = message;
    png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

// Encodes into an open FILE; returns libpng's error message, empty on success. Only plain
// data lives in this frame: a longjmp out of libpng skips no destructor.
std::string encode(std::FILE* file, const Image& image, const std::vector<png_text>& text,
                   const std::vector<png_bytep>& rows) {
    ErrorState state;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, on_png_error, on_png_warning);
    if (!png) return "png_create_write_struct failed";
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        return "png_create_info_struct failed";
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return state.message.empty() ? "libpng failed" : state.message;
    }
    png_init_io(png, file);
    const int color_type = image.channels == 1   ? PNG_COLOR_TYPE_GRAY
                           : image.channels == 3 ? PNG_COLOR_TYPE_RGB
                                                 : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_IHDR(png, info, image.width, image.height, image.bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    // Fast compression: snapshots are taken of live streams, often large ones.
    png_set_compression_level(png, 3);
    if (!text.empty()) png_set_text(png, info, const_cast<png_textp>(text.data()), static_cast<int>(text.size()));
    png_write_info(png, info);
    if (image.bit_depth == 16) png_set_swap(png);  // PNG samples are big-endian, ours native (little)
    png_write_image(png, const_cast<png_bytepp>(rows.data()));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return {};
}

}  // namespace

void write_png(const std::string& path, const Image& image,
               const std::vector<std::pair<std::string, std::string>>& text) {
    std::vector<png_text> chunks;
    for (const auto& [key, value] : text) {
        png_text t{};
        t.compression = PNG_TEXT_COMPRESSION_NONE;
        t.key = const_cast<char*>(key.c_str());
        t.text = const_cast<char*>(value.c_str());
        t.text_length = value.size();
        chunks.push_back(t);
    }
    const std::size_t row_bytes = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.channels) *
                                  static_cast<std::size_t>(image.bit_depth / 8);
    std::vector<png_bytep> rows(image.height);
    for (std::uint32_t y = 0; y < image.height; ++y)
        rows[y] = const_cast<png_bytep>(image.pixels.data() + y * row_bytes);

    // Beside the target, so the rename is atomic: nobody ever sees half a PNG.
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    std::FILE* file = std::fopen(temporary.c_str(), "wbx");
    if (!file) {
        const int err = errno;
        throw SystemError(err, "cannot write '" + path + "': " + std::strerror(err));
    }
    std::string failure = encode(file, image, chunks, rows);
    if (std::fflush(file) != 0 && failure.empty()) failure = std::strerror(errno);
    if (std::fclose(file) != 0 && failure.empty()) failure = std::strerror(errno);
    if (failure.empty() && std::rename(temporary.c_str(), path.c_str()) != 0) failure = std::strerror(errno);
    if (!failure.empty()) {
        std::remove(temporary.c_str());
        throw SystemError(EIO, "cannot write '" + path + "': " + failure);
    }
}

}  // namespace smx::cli
