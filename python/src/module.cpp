// smx._core: the compiled half of the `smx` Python package. The pure-Python half (smx/*.py)
// gives it the seed's names; everything that touches shared memory or DDS lives here.

#include "common.hpp"

#include <smx/version.hpp>

#include <atomic>
#include <deque>
#include <mutex>

namespace smx::python {

namespace {

// Bounded: a flood of messages while Python does not call in keeps the newest few.
constexpr std::size_t MAX_QUEUED = 64;

struct LogQueue {
    std::mutex mutex;
    std::deque<std::string> messages;
    std::atomic<bool> pending{false};
};

LogQueue& log_queue() {
    static LogQueue* q = new LogQueue;  // never destroyed: a late message at exit finds it intact
    return *q;
}

}  // namespace

void install_log_queue() {
    set_log_handler([](LogLevel, const std::string& message) {
        LogQueue& q = log_queue();
        std::lock_guard<std::mutex> lock(q.mutex);
        if (q.messages.size() == MAX_QUEUED) q.messages.pop_front();
        q.messages.push_back(message);
        q.pending.store(true, std::memory_order_release);
    });
}

void forward_log() {
    LogQueue& q = log_queue();
    if (!q.pending.load(std::memory_order_acquire)) return;
    std::deque<std::string> messages;
    {
        std::lock_guard<std::mutex> lock(q.mutex);
        messages.swap(q.messages);
        q.pending.store(false, std::memory_order_relaxed);
    }
    py::object logger = py::module_::import("logging").attr("getLogger")("smx");
    for (const std::string& m : messages) logger.attr("warning")(m);
}

}  // namespace smx::python

PYBIND11_MODULE(_core, m) {
    m.doc() = "smx core: shared-memory frames announced over Cyclone DDS (use the `smx` package)";
    m.attr("__version__") = SMX_VERSION_STRING;
    smx::python::register_errors(m);
    smx::python::register_schema(m);
    smx::python::register_reader(m);
    smx::python::register_writer(m);
    smx::python::register_waitset(m);
    smx::python::install_log_queue();
}
