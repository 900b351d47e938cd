#pragma once
// The window of `smx view`, behind an interface free of SDL's headers: view_window.cpp draws
// with Debian's SDL2; view_window_none.cpp stands in when smx was built without SDL2 (opening
// the display then fails with a message that suggests `smx snapshot`).

#include "image.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace smx::cli {

/// SDL's video subsystem for this process: initialised by the constructor, shut down by the
/// destructor. Throws CommandError(STATUS_RUNTIME) when there is no display (DISPLAY and
/// WAYLAND_DISPLAY unset, or SDL cannot open it); the message ends with `snapshot_hint`.
class Display {
public:
    explicit Display(const std::string& snapshot_hint);
    ~Display();
    Display(const Display&) = delete;
    Display& operator=(const Display&) = delete;

    /// Makes a Window::wait in progress (or the next one) return. Safe from any thread.
    void wake() noexcept;
    /// Width and height of the first screen's usable area (without panels); 0x0 if unknown.
    std::pair<int, int> usable_size() const noexcept;

private:
    std::uint32_t m_wake_event = 0;
};

/// A rectangle in window pixels.
struct PixelRect {
    int x = 0, y = 0, width = 0, height = 0;
};

/// What the user did during Window::wait.
struct WindowInput {
    bool quit = false;    ///< q, Esc, or the window closed
    bool redraw = false;  ///< resized, exposed: draw again
};

/// A resizable window showing pictures side by side, scaled to fit with their aspect kept
/// (letterboxed), and an overlay in the top-left corner of the pictures at its own size.
class Window {
public:
    /// Opens a window of `width` x `height` pixels. Throws CommandError(STATUS_RUNTIME).
    Window(const Display& display, const std::string& title, int width, int height);
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    void set_title(const std::string& title);
    /// The pictures, left to right, top-aligned (gray, RGB or RGBA, 8-bit).
    void set_pictures(const std::vector<Image>& pictures);
    /// The overlay (RGBA, blended over the pictures).
    void set_overlay(const Image& overlay);
    /// Waits up to `timeout` for input or Display::wake, then takes every pending event.
    WindowInput wait(std::chrono::milliseconds timeout);
    /// Draws and shows the window; with `capture`, first reads back what was drawn (RGB 8-bit).
    void render(Image* capture = nullptr);
    /// Where the overlay was drawn last, in window pixels.
    PixelRect overlay_rect() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace smx::cli
