// smx-bench: the benchmark harness that `smx bench` runs (it is not part of the installed tool).
// Without a subcommand it is the supervisor that plans the scenarios, starts one writer and N
// reader processes per scenario (its own hidden subcommands `writer` and `reader`), and prints
// the report; every failure becomes one "smx bench: <message>" line and the `smx` exit status.

#include "commands.hpp"

#include <smx/error.hpp>
#include <smx/participant.hpp>
#include <smx/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace {

using namespace smx::cli;

int usage_error(const CLI::App& app, const CLI::ParseError& e) {
    // Help and version are "errors" to CLI11 only; they print their text and succeed.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::fprintf(stderr, "smx bench: %s\nRun 'smx bench --help' for usage.\n", e.what());
    return STATUS_USAGE;
}

int run(const Command& command) {
    try {
        return command.run();
    } catch (const CommandError& e) {
        std::fprintf(stderr, "smx bench: %s\n", e.what());
        return e.status();
    } catch (const smx::InvalidArgument& e) {
        std::fprintf(stderr, "smx bench: %s\n", e.what());
        return STATUS_USAGE;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "smx bench: %s\n", e.what());
        return STATUS_RUNTIME;
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"smx bench (smx-bench): latency, throughput, writer cost and idle CPU of smx, with its "
                 "baselines measured in the same run.",
                 "smx bench"};
    app.set_version_flag("--version", SMX_VERSION_STRING);
    app.require_subcommand(0, 1);

    GlobalOptions global;
    try {
        global.domain = smx::default_domain();
    } catch (const smx::Error& e) {
        std::fprintf(stderr, "smx bench: %s\n", e.what());
        return STATUS_USAGE;
    }
    app.add_option("--domain", global.domain, "DDS domain id (Cyclone DDS convention; default: SMX_DOMAIN, else 0)")
        ->check(CLI::Range(0, 230))
        ->capture_default_str();

    const Command bench = bench::add_bench_options(app, global);
    const std::vector<Command> roles{
        bench::add_writer_command(app, global),
        bench::add_reader_command(app, global),
        bench::add_calls_command(app, global),
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return usage_error(app, e);
    }
    for (const Command& role : roles)
        if (role.app->parsed()) return run(role);
    return run(bench);
}
