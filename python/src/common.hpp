#pragma once
// Shared pieces of the `smx._core` extension: numpy <-> smx conversions, the sliced wait that
// keeps Ctrl-C working, and the registration functions of each part of the module.

#include <smx/smx.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;

namespace smx::python {

/// Longest time a blocking call stays in C++ without looking at Python signals.
inline constexpr std::chrono::milliseconds WAIT_SLICE{100};

void register_errors(py::module_& m);
void register_schema(py::module_& m);
void register_reader(py::module_& m);
void register_writer(py::module_& m);
void register_waitset(py::module_& m);

/// A Python reader's smx::Reader, shared with the wait sets it is in (`Reader._shared()`).
struct SharedReader {
    std::shared_ptr<Reader> reader;
};

/// Takes the library's log messages (log.hpp) into a small queue, from any thread, never
/// touching Python there: a writer logs while it holds its mutex with the GIL released, and
/// taking the GIL then could deadlock with a thread that holds it and waits for that mutex.
void install_log_queue();
/// Passes queued log messages to Python's `logging` logger "smx". Call with the GIL held, after
/// a call into the library returned; cheap when nothing is queued.
void forward_log();

/// The numpy dtype of an smx element type.
py::dtype to_numpy(DType dtype);
/// The smx element type of a numpy dtype, or nullopt if smx cannot carry it (big-endian,
/// strings, objects, structured, ...).
std::optional<DType> from_numpy(const py::dtype& dtype);
/// How numpy spells a dtype ("<f4", ">i2", "<U5"), for messages.
std::string numpy_spelling(const py::dtype& dtype);

/// A C-contiguous array of `shape` and `dtype` at `data`; `base` keeps the memory alive.
/// Read-only unless `writable`.
py::array field_array(const Shape& shape, DType dtype, const void* data, py::handle base, bool writable);
/// Field i's shape in the frame whose slot bytes start at `frame` (a bounded field's live rows,
/// at most its capacity).
Shape live_shape(const Schema& schema, std::size_t i, const std::byte* frame);

/// Seconds (None = forever) to a deadline.
std::optional<std::chrono::steady_clock::time_point> deadline_after(std::optional<double> seconds);

/// Runs `attempt(slice)` with the GIL released, in slices of at most WAIT_SLICE, until it
/// returns a value, the deadline passes, or `stop()` says so. Between slices Python signal
/// handlers run, so Ctrl-C raises KeyboardInterrupt out of any wait.
template <class Attempt, class Stop>
auto wait_in_slices(std::optional<double> timeout_s, Attempt&& attempt, Stop&& stop)
    -> decltype(attempt(std::chrono::nanoseconds{})) {
    using Result = decltype(attempt(std::chrono::nanoseconds{}));
    const auto deadline = deadline_after(timeout_s);
    for (;;) {
        std::chrono::nanoseconds slice = WAIT_SLICE;
        const auto now = std::chrono::steady_clock::now();
        if (deadline) slice = std::max(std::chrono::nanoseconds(0), std::min(slice, std::chrono::nanoseconds(*deadline - now)));
        Result r;
        {
            py::gil_scoped_release nogil;
            r = attempt(slice);
        }
        if (r) return r;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        if (stop()) return Result();
        if (deadline && std::chrono::steady_clock::now() >= *deadline) return Result();
    }
}

}  // namespace smx::python
