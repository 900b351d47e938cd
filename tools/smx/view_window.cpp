#include "view_window.hpp"

#include "cli_status.hpp"

#include <SDL.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace smx::cli {

// Outside the anonymous namespace: Window::Impl holds these, and in a unity build (SMX_UNITY_BUILD)
// GCC warns about a class with members of a type that has internal linkage.
struct TextureDeleter {
    void operator()(SDL_Texture* t) const noexcept { SDL_DestroyTexture(t); }
};
using Texture = std::unique_ptr<SDL_Texture, TextureDeleter>;

namespace {

// The letterbox around pictures whose aspect differs from the window's.
constexpr std::uint8_t BACKDROP[3] = {24, 24, 24};

[[noreturn]] void sdl_fail(const std::string& what) {
    throw CommandError(STATUS_RUNTIME, what + ": " + SDL_GetError());
}

// Gray expanded to RGB: SDL's renderers take no 8-bit gray textures.
std::vector<std::uint8_t> gray_to_rgb(const Image& img) {
    std::vector<std::uint8_t> rgb(img.pixels.size() * 3);
    for (std::size_t i = 0; i < img.pixels.size(); ++i) std::memset(&rgb[i * 3], img.pixels[i], 3);
    return rgb;
}

}  // namespace

// ---- Display ---------------------------------------------------------------------------------

Display::Display(const std::string& snapshot_hint) {
    const char* x11 = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((!x11 || !*x11) && (!wayland || !*wayland))
        throw CommandError(STATUS_RUNTIME, "no display for `smx view` (DISPLAY and WAYLAND_DISPLAY are not set): " +
                                               snapshot_hint);
    // Stop signals are smx's (StopSignal): SDL must not turn SIGINT into a quit event of its own.
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    // Only the display the environment names: left to itself, SDL falls back to drivers that draw
    // nowhere (offscreen) when that display cannot be opened. SDL_VIDEODRIVER still chooses.
    if (!std::getenv("SDL_VIDEODRIVER")) SDL_SetHint(SDL_HINT_VIDEODRIVER, wayland && *wayland ? "wayland,x11" : "x11");
    if (SDL_Init(SDL_INIT_VIDEO) != 0)
        throw CommandError(STATUS_RUNTIME, std::string("no display for `smx view` (SDL: ") + SDL_GetError() + "): " +
                                               snapshot_hint);
    m_wake_event = SDL_RegisterEvents(1);
}

Display::~Display() { SDL_Quit(); }

void Display::wake() noexcept {
    if (m_wake_event == static_cast<std::uint32_t>(-1)) return;
    SDL_Event e{};
    e.type = m_wake_event;
    SDL_PushEvent(&e);  // thread-safe; a full queue wakes the waiter anyway
}

std::pair<int, int> Display::usable_size() const noexcept {
    SDL_Rect r{};
    if (SDL_GetDisplayUsableBounds(0, &r) != 0) return {0, 0};
    return {r.w, r.h};
}

// ---- Window ----------------------------------------------------------------------------------

struct Window::Impl {
    SDL_Window* window = nullptr;
    SDL_Renderer* renderer = nullptr;
    std::vector<Texture> pictures;
    std::vector<SDL_Rect> sizes;  // w, h of each picture
    Texture overlay;
    int overlay_w = 0, overlay_h = 0;
    PixelRect overlay_at;

    ~Impl() {
        pictures.clear();
        overlay.reset();
        if (renderer) SDL_DestroyRenderer(renderer);
        if (window) SDL_DestroyWindow(window);
    }

    // Makes `slot` a streaming texture of w x h in `format` (recreated only when that changes).
    Texture& texture(Texture& slot, std::uint32_t format, int w, int h) {
        std::uint32_t f = 0;
        int tw = 0, th = 0;
        if (slot && SDL_QueryTexture(slot.get(), &f, nullptr, &tw, &th) == 0 && f == format && tw == w && th == h) return slot;
        slot.reset(SDL_CreateTexture(renderer, format, SDL_TEXTUREACCESS_STREAMING, w, h));
        if (!slot) sdl_fail("SDL_CreateTexture " + std::to_string(w) + "x" + std::to_string(h));
        return slot;
    }

    void draw(Image* capture);
};

Window::Window(const Display&, const std::string& title, int width, int height) : m_impl(std::make_unique<Impl>()) {
    m_impl->window = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, width, height,
                                      SDL_WINDOW_RESIZABLE);
    if (!m_impl->window) sdl_fail("SDL_CreateWindow " + std::to_string(width) + "x" + std::to_string(height));
    m_impl->renderer = SDL_CreateRenderer(m_impl->window, -1, 0);
    // No accelerated renderer (no GL on this display): SDL's own software one draws the same.
    if (!m_impl->renderer) m_impl->renderer = SDL_CreateRenderer(m_impl->window, -1, SDL_RENDERER_SOFTWARE);
    if (!m_impl->renderer) sdl_fail("SDL_CreateRenderer");
}

Window::~Window() = default;

void Window::set_title(const std::string& title) { SDL_SetWindowTitle(m_impl->window, title.c_str()); }

void Window::set_pictures(const std::vector<Image>& pictures) {
    m_impl->pictures.resize(pictures.size());
    m_impl->sizes.resize(pictures.size());
    for (std::size_t i = 0; i < pictures.size(); ++i) {
        const Image& img = pictures[i];
        const int w = static_cast<int>(img.width), h = static_cast<int>(img.height);
        const bool rgba = img.channels == 4;
        Texture& t = m_impl->texture(m_impl->pictures[i], rgba ? SDL_PIXELFORMAT_RGBA32 : SDL_PIXELFORMAT_RGB24, w, h);
        SDL_SetTextureBlendMode(t.get(), SDL_BLENDMODE_NONE);  // RGBA shown as written, alpha ignored
        const std::vector<std::uint8_t> rgb = img.channels == 1 ? gray_to_rgb(img) : std::vector<std::uint8_t>();
        const std::uint8_t* data = img.channels == 1 ? rgb.data() : img.pixels.data();
        if (SDL_UpdateTexture(t.get(), nullptr, data, w * (rgba ? 4 : 3)) != 0) sdl_fail("SDL_UpdateTexture");
        m_impl->sizes[i] = SDL_Rect{0, 0, w, h};
    }
}

void Window::set_overlay(const Image& overlay) {
    m_impl->overlay_w = static_cast<int>(overlay.width);
    m_impl->overlay_h = static_cast<int>(overlay.height);
    if (overlay.width == 0 || overlay.height == 0) return;
    Texture& t = m_impl->texture(m_impl->overlay, SDL_PIXELFORMAT_RGBA32, m_impl->overlay_w, m_impl->overlay_h);
    SDL_SetTextureBlendMode(t.get(), SDL_BLENDMODE_BLEND);
    if (SDL_UpdateTexture(t.get(), nullptr, overlay.pixels.data(), m_impl->overlay_w * 4) != 0) sdl_fail("SDL_UpdateTexture");
}

WindowInput Window::wait(std::chrono::milliseconds timeout) {
    WindowInput input;
    SDL_Event e;
    // Blocks in the X server connection (SDL 2.0.16 and later), woken by Display::wake.
    int got = SDL_WaitEventTimeout(&e, static_cast<int>(std::max<std::int64_t>(0, timeout.count())));
    while (got) {
        if (e.type == SDL_QUIT) input.quit = true;
        if (e.type == SDL_KEYDOWN && (e.key.keysym.sym == SDLK_q || e.key.keysym.sym == SDLK_ESCAPE)) input.quit = true;
        if (e.type == SDL_WINDOWEVENT) input.redraw = true;
        got = SDL_PollEvent(&e);
    }
    return input;
}

void Window::Impl::draw(Image* capture) {
    int out_w = 0, out_h = 0;
    if (SDL_GetRendererOutputSize(renderer, &out_w, &out_h) != 0) sdl_fail("SDL_GetRendererOutputSize");
    SDL_SetRenderDrawColor(renderer, BACKDROP[0], BACKDROP[1], BACKDROP[2], 255);
    SDL_RenderClear(renderer);

    // The pictures side by side: a canvas as wide as all of them and as high as the highest,
    // scaled to fit the window with its aspect kept, centred.
    int canvas_w = 0, canvas_h = 0;
    for (const SDL_Rect& s : sizes) canvas_w += s.w, canvas_h = std::max(canvas_h, s.h);
    double scale = 1;
    int x0 = 0, y0 = 0;
    if (canvas_w > 0 && canvas_h > 0) {
        scale = std::min(static_cast<double>(out_w) / canvas_w, static_cast<double>(out_h) / canvas_h);
        x0 = static_cast<int>(std::lround((out_w - canvas_w * scale) / 2));
        y0 = static_cast<int>(std::lround((out_h - canvas_h * scale) / 2));
    }
    int x = 0;
    for (std::size_t i = 0; i < pictures.size(); ++i) {
        const SDL_Rect dst{x0 + static_cast<int>(std::lround(x * scale)), y0,
                           static_cast<int>(std::lround(sizes[i].w * scale)), static_cast<int>(std::lround(sizes[i].h * scale))};
        // At 1:1 every pixel is shown as it is; scaled, smoothly.
        SDL_SetTextureScaleMode(pictures[i].get(), dst.w == sizes[i].w && dst.h == sizes[i].h ? SDL_ScaleModeNearest
                                                                                              : SDL_ScaleModeLinear);
        SDL_RenderCopy(renderer, pictures[i].get(), nullptr, &dst);
        x += sizes[i].w;
    }
    overlay_at = PixelRect{x0, y0, overlay ? overlay_w : 0, overlay ? overlay_h : 0};
    if (overlay && overlay_w > 0) {
        const SDL_Rect dst{overlay_at.x, overlay_at.y, overlay_w, overlay_h};
        SDL_RenderCopy(renderer, overlay.get(), nullptr, &dst);
    }
    if (capture) {
        // Read before presenting: the back buffer is undefined afterwards.
        capture->width = static_cast<std::uint32_t>(out_w);
        capture->height = static_cast<std::uint32_t>(out_h);
        capture->channels = 3;
        capture->bit_depth = 8;
        capture->pixels.resize(static_cast<std::size_t>(out_w) * out_h * 3);
        if (SDL_RenderReadPixels(renderer, nullptr, SDL_PIXELFORMAT_RGB24, capture->pixels.data(), out_w * 3) != 0)
            sdl_fail("SDL_RenderReadPixels");
        capture->description = std::to_string(out_w) + "x" + std::to_string(out_h) + " RGB 8-bit, the window";
    }
    SDL_RenderPresent(renderer);
}

void Window::render(Image* capture) { m_impl->draw(capture); }

PixelRect Window::overlay_rect() const noexcept { return m_impl->overlay_at; }

}  // namespace smx::cli
