#include <smx/log.hpp>

#include <cstdio>
#include <memory>
#include <mutex>

namespace smx {

namespace {

std::mutex& handler_mutex() {
    static std::mutex m;
    return m;
}

// Shared so a message in flight keeps the handler it started with while another thread
// replaces it.
std::shared_ptr<const LogHandler>& current_handler() {
    static std::shared_ptr<const LogHandler> h;
    return h;
}

}  // namespace

void set_log_handler(LogHandler handler) {
    auto next = handler ? std::make_shared<const LogHandler>(std::move(handler)) : nullptr;
    std::lock_guard<std::mutex> lock(handler_mutex());
    current_handler() = std::move(next);
}

void log(LogLevel level, const std::string& message) noexcept {
    std::shared_ptr<const LogHandler> handler;
    {
        std::lock_guard<std::mutex> lock(handler_mutex());
        handler = current_handler();
    }
    try {
        if (handler) {
            (*handler)(level, message);
            return;
        }
    } catch (...) {
        return;  // a handler's failure must not become the writer's
    }
    std::fprintf(stderr, "smx: warning: %s\n", message.c_str());
}

}  // namespace smx
