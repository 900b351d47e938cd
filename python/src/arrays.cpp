// numpy <-> smx: dtypes, shapes, arrays over frame memory; Schema and Participant bindings.

#include "common.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace smx::python {

namespace {

constexpr std::size_t KIND_COUNT = static_cast<std::size_t>(DType::Kind::c16) + 1;

}  // namespace

py::dtype to_numpy(DType dtype) {
    if (dtype.is_string()) return py::dtype(std::string(dtype.typestr()));  // one per capacity: not cached
    // Built once per kind and kept for the life of the process (never released: numpy's
    // descriptors outlive any interpreter teardown order issue that way).
    static std::array<PyObject*, KIND_COUNT> cache{};
    PyObject*& slot = cache[static_cast<std::size_t>(dtype.kind())];
    if (!slot) slot = py::dtype(std::string(dtype.typestr())).release().ptr();
    return py::reinterpret_borrow<py::dtype>(slot);
}

std::string numpy_spelling(const py::dtype& dtype) { return py::str(dtype.attr("str")).cast<std::string>(); }

std::optional<DType> from_numpy(const py::dtype& dtype) {
    if (dtype.attr("fields").ptr() != Py_None || dtype.attr("subdtype").ptr() != Py_None) return std::nullopt;
    const std::string s = numpy_spelling(dtype);
    if (!DType::is_valid(s)) return std::nullopt;
    return DType::parse(s);
}

Shape live_shape(const Schema& schema, std::size_t i, const std::byte* frame) {
    const Field& f = schema[i];
    if (!f.bounded) return f.shape;
    std::uint64_t rows = 0;
    std::memcpy(&rows, frame + schema.length_offset(i), sizeof rows);
    return f.shape.with_dim(0, std::min<std::uint64_t>(rows, f.shape[0]));
}

py::array field_array(const Shape& field_shape, DType dtype, const void* data, py::handle base, bool writable) {
    std::vector<py::ssize_t> shape(field_shape.begin(), field_shape.end());
    py::array a(to_numpy(dtype), shape, std::vector<py::ssize_t>{}, data, base);
    if (!writable) py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
}

std::optional<std::chrono::steady_clock::time_point> deadline_after(std::optional<double> seconds) {
    if (!seconds) return std::nullopt;
    if (!(*seconds >= 0)) throw InvalidArgument("timeout must be a non-negative number of seconds or None");
    // Clamp absurd timeouts (1e300 s) to a century instead of overflowing the clock.
    const double s = std::min(*seconds, 3.15e9);
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

void register_schema(py::module_& m) {
    py::class_<Schema, std::shared_ptr<Schema>>(m, "Schema",
        "An ordered list of fields (name, dtype typestr, shape) with its slot layout.")
        .def(py::init([](const std::vector<std::tuple<std::string, std::string, std::vector<std::uint64_t>, bool>>& fields) {
                 std::vector<Field> out;
                 out.reserve(fields.size());
                 for (const auto& [name, typestr, shape, bounded] : fields) {
                     try {
                         out.push_back(Field{name, DType::parse(typestr), Shape(shape), bounded});
                     } catch (const InvalidArgument& e) {
                         throw InvalidArgument("field '" + name + "': " + e.what());
                     }
                 }
                 return std::make_shared<Schema>(std::move(out));
             }),
             py::arg("fields"), "Validates and lays out [(name, typestr, shape, bounded), ...].")
        .def_property_readonly("fields", [](const Schema& s) {
            py::list out;
            for (std::size_t i = 0; i < s.size(); ++i) {
                const Field& f = s[i];
                py::tuple shape(f.shape.ndim());
                for (std::size_t d = 0; d < f.shape.ndim(); ++d) shape[d] = f.shape[d];
                out.append(py::make_tuple(f.name, f.dtype.typestr(), shape, s.offset(i), f.nbytes(), f.bounded));
            }
            return out;
        }, "[(name, typestr, shape, offset, nbytes, bounded), ...] in order (a bounded field's shape[0] is its capacity).")
        .def_property_readonly("frame_size", &Schema::frame_size)
        .def_property_readonly("hash", &Schema::hash)
        .def("differences", &Schema::differences, py::arg("actual"))
        .def("__len__", &Schema::size)
        .def("__eq__", [](const Schema& a, const Schema& b) { return a == b; })
        .def("__hash__", [](const Schema& s) { return static_cast<py::ssize_t>(s.hash() >> 1); })
        .def("__str__", &Schema::to_string);

    py::class_<Participant>(m, "Participant", "One DDS domain participant.")
        .def(py::init<int>(), py::arg("domain_id"), py::call_guard<py::gil_scoped_release>())
        .def_property_readonly("domain_id", &Participant::domain_id)
        .def_property_readonly("configuration", &Participant::configuration);
    m.def("default_domain", &default_domain, "SMX_DOMAIN if set (0..230), else 0.");
    m.def("missing_writer_hint", [](int domain, const std::string& topic) { return missing_writer_hint(domain, topic); },
          "What this machine's shared memory says about a topic without a writer (inspect.hpp).");
}

}  // namespace smx::python
