// `smx bench`: runs the benchmark harness, `smx-bench`, built beside this executable. The
// harness (its supervisor, writer and reader processes, baselines and report) is a program of
// its own under bench/ so that the shipped tool carries none of it; this subcommand only finds
// it and hands it every argument unchanged.

#include "cli.hpp"

#include <smx/error.hpp>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace smx::cli {

namespace {

constexpr const char* HARNESS = "smx-bench";

// The directory this executable was started from (/proc/self/exe: symlinks resolved).
std::string own_directory() {
    char path[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) throw SystemError(errno, std::string("readlink /proc/self/exe: ") + std::strerror(errno));
    const std::string self(path, static_cast<std::size_t>(n));
    return self.substr(0, self.rfind('/'));
}

[[noreturn]] void exec_harness(const std::vector<std::string>& args) {
    const std::string path = own_directory() + "/" + HARNESS;
    if (::access(path.c_str(), X_OK) != 0)
        throw CommandError(STATUS_RUNTIME,
                           "bench: the benchmark harness " + path + " is missing (" + std::strerror(errno) +
                               "). It is built with smx (target smx_bench, build/bin/smx-bench) but not installed: "
                               "run 'smx bench' from a build tree, e.g. build/bin/smx bench");
    std::vector<std::string> argv_strings{HARNESS};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    throw SystemError(errno, "bench: cannot run " + path + ": " + std::strerror(errno));
}

}  // namespace

Command add_bench_command(CLI::App& app, const GlobalOptions& global) {
    CLI::App* sub = app.add_subcommand(
        "bench", "measure latency, throughput, writer cost and idle CPU of smx against its baselines (runs smx-bench; "
                 "'smx bench --help' for its options)");
    // Everything after 'bench' belongs to the harness, unparsed; so does --help.
    sub->prefix_command();
    sub->set_help_flag();
    const CLI::Option* domain = app.get_option("--domain");
    return {sub, [sub, domain, &global]() -> int {
                std::vector<std::string> args;
                if (domain->count() > 0) args = {"--domain", std::to_string(global.domain)};
                const std::vector<std::string> rest = sub->remaining();
                args.insert(args.end(), rest.begin(), rest.end());
                exec_harness(args);
            }};
}

}  // namespace smx::cli
