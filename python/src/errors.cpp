// smx::Error -> the Python class of its code (smx.SchemaMismatch, smx.WriterExists, ...),
// message intact. The classes live in smx/_errors.py; one translator picks the most specific.

#include "common.hpp"

namespace smx::python {

namespace {

constexpr ErrorCode ALL_CODES[] = {
    ErrorCode::invalid_argument, ErrorCode::schema_mismatch, ErrorCode::writer_exists,
    ErrorCode::segment_corrupt,  ErrorCode::out_of_space,    ErrorCode::permission_denied,
    ErrorCode::system,           ErrorCode::dds,             ErrorCode::no_writer,
    ErrorCode::closed,           ErrorCode::too_many_readers,
};

// Builds the Python exception for `e`; falls back to RuntimeError if the package half is
// missing (only when _core is imported on its own).
py::object python_exception(const Error& e) {
    py::dict extra;
    if (const auto* s = dynamic_cast<const SystemError*>(&e)) extra["errno"] = s->error_number();
    if (const auto* d = dynamic_cast<const DdsError*>(&e)) extra["dds_code"] = d->dds_code();
    try {
        py::object make = py::module_::import("smx._errors").attr("_from_core");
        return make(to_string(e.code()), e.what(), extra);
    } catch (const py::error_already_set&) {
        return py::reinterpret_steal<py::object>(PyObject_CallFunction(PyExc_RuntimeError, "s", e.what()));
    }
}

}  // namespace

void register_errors(py::module_& m) {
    py::list codes;
    for (ErrorCode c : ALL_CODES) codes.append(py::make_tuple(static_cast<int>(c), to_string(c)));
    m.attr("ERROR_CODES") = codes;

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
            py::object exc = python_exception(e);
            PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
        }
    });
}

}  // namespace smx::python
