// The iceoryx lane of a harness built without iceoryx (its CMake package was not found): the
// supervisor reports the lane n/a and takes it out of every scenario, so these are never
// reached in a run.

#include "lanes.hpp"

#include <stdexcept>

namespace smx::cli::bench {

namespace {

[[noreturn]] void not_built() {
    throw std::runtime_error("smx-bench was built without iceoryx (install libiceoryx-posh-dev and rebuild)");
}

}  // namespace

std::unique_ptr<Source> make_iceoryx_source(const LaneContext&, const Lane&, const std::string&) { not_built(); }
std::unique_ptr<Sink> make_iceoryx_sink(const LaneContext&, const Lane&, const std::string&) { not_built(); }

}  // namespace smx::cli::bench
