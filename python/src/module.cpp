// smx._core: the compiled half of the `smx` Python package. The pure-Python half (smx/*.py)
// gives it the seed's names; everything that touches shared memory or DDS lives here.

#include "common.hpp"

#include <smx/version.hpp>

PYBIND11_MODULE(_core, m) {
    m.doc() = "smx core: shared-memory frames announced over Cyclone DDS (use the `smx` package)";
    m.attr("__version__") = SMX_VERSION_STRING;
    smx::python::register_errors(m);
    smx::python::register_schema(m);
    smx::python::register_reader(m);
    smx::python::register_writer(m);
}
