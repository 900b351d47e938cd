// `smx view` in an smx built without SDL2 (CMake did not find libsdl2-dev): the display cannot
// be opened, and says why; nothing else is ever reached.

#include "view_window.hpp"

#include "cli_status.hpp"

namespace smx::cli {

Display::Display(const std::string& snapshot_hint) {
    throw CommandError(STATUS_RUNTIME, "this smx was built without SDL2, so `smx view` cannot open a window "
                                       "(install libsdl2-dev and rebuild): " + snapshot_hint);
}
Display::~Display() = default;
void Display::wake() noexcept {}
std::pair<int, int> Display::usable_size() const noexcept { return {0, 0}; }

struct Window::Impl {};
Window::Window(const Display&, const std::string&, int, int) {}
Window::~Window() = default;
void Window::set_title(const std::string&) {}
void Window::set_pictures(const std::vector<Image>&) {}
void Window::set_overlay(const Image&) {}
WindowInput Window::wait(std::chrono::milliseconds) { return {true, false}; }
void Window::render(Image*) {}
PixelRect Window::overlay_rect() const noexcept { return {}; }

}  // namespace smx::cli
