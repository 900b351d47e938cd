#pragma once
// The machine and software a run was made on, as the report's header states them.

#include <string>

namespace smx::cli::bench {

/// "AMD EPYC ..., 2 cores, 24 GiB, Linux 6.1 x86_64".
std::string machine_description();
/// "smx 0.1.0, Cyclone DDS 0.10.2, g++ 12.2, optimised build".
std::string software_description();
/// The DDS configuration in use (CYCLONEDDS_URI, or smx's built-in loopback-only one).
std::string dds_config_description();
/// The 1-minute load average (0 if unknown).
double load_average();

}  // namespace smx::cli::bench
