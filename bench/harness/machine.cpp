#include "machine.hpp"

#include <smx/version.hpp>

#include <dds/version.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/utsname.h>
#include <unistd.h>

namespace smx::cli::bench {

namespace {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown CPU";
}

std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return "g++ " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__);
#else
    return "unknown compiler";
#endif
}

}  // namespace

std::string machine_description() {
    utsname u{};
    ::uname(&u);
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    const double gib = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
                       (1024.0 * 1024 * 1024);
    char text[512];
    std::snprintf(text, sizeof text, "%s, %ld cores, %.0f GiB, Linux %s %s", cpu_model().c_str(), cores, gib, u.release,
                  u.machine);
    return text;
}

std::string software_description() {
#ifdef NDEBUG
    const char* build = ", optimised build";
#else
    const char* build = ", assertions on (not a release build)";
#endif
    return std::string("smx ") + SMX_VERSION_STRING + ", Cyclone DDS " + DDS_VERSION + ", " + compiler() + build;
}

std::string dds_config_description() {
    const char* uri = std::getenv("CYCLONEDDS_URI");
    if (uri && *uri) return std::string("CYCLONEDDS_URI=") + uri;
    return "smx's built-in loopback-only configuration (CYCLONEDDS_URI unset): max message 65,500 B, fragments of "
           "65,000 B, socket receive buffer up to 16 MB; Cyclone's defaults otherwise";
}

double load_average() {
    double load = 0;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &load) != 1) load = 0;
        std::fclose(f);
    }
    return load;
}

}  // namespace smx::cli::bench
