// smx: the command-line tool. Parses the command line with CLI11, runs the chosen subcommand,
// and turns every failure into one "smx: <message>" line and a documented exit status.

#include "cli.hpp"

#include <smx/error.hpp>
#include <smx/participant.hpp>
#include <smx/version.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

constexpr const char* FOOTER = R"(
Examples:
  smx demo                            10 s: a synthetic 848x480 RGB-D camera at 30 Hz and two
                                      reader processes that verify every byte of every frame
  smx demo --readers 4 --rate max     as fast as the writer can fill frames, four readers
  smx demo --hold pin --seconds 0     readers pin the frames they check; run until Ctrl-C
  smx --domain 7 demo                 the same on DDS domain 7 (or: smx demo --domain 7)
  smx list                            the live topics: writer, schema, slots, readers, rate
  smx info camera                     schema, segment, permissions, session, writer, readers
  smx echo camera --count 3           three frames, one line each (min/max/mean per field)
  smx hz camera                       frames per second, period, jitter
  smx bw camera                       bytes per second, frames per second, frame size
  smx snapshot camera depth -o d.png --colormap depth
                                      the newest depth map as a PNG
  smx record camera -o run.h5 --duration 10
                                      frames into HDF5 (h5py reads f['camera/depth'][i])
  smx play run.h5 --loop              republish them as the live topic, until Ctrl-C
  smx clean --dry-run                 what dead writers left in /dev/shm (without
                                      --dry-run: removes it)
  smx view camera                     the image fields live in a window, frame/rate/age overlaid
  smx bench --plot bench.png          latency, throughput, writer cost, idle CPU vs plain DDS

Exit status:
  0  ok
  1  failure: the command ran but the outcome is wrong (a torn frame was accepted)
  2  usage error: the command line is wrong
  3  runtime error: no writer, or DDS or shared memory refused

DDS stays on this host unless CYCLONEDDS_URI names a configuration (Cyclone's convention).)";

int usage_error(const CLI::App& app, const CLI::ParseError& e) {
    // Help and version are "errors" to CLI11 only; they print their text and succeed.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::fprintf(stderr, "smx: %s\nRun 'smx --help' (or 'smx <command> --help') for usage.\n", e.what());
    return smx::cli::STATUS_USAGE;
}

// The first argument that is not an option or an option's value (only --domain takes one before
// the subcommand): the subcommand the user meant, or "" if there is none.
std::string first_word(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--domain") {
            ++i;
            continue;
        }
        if (a.rfind("-", 0) == 0) continue;
        return a;
    }
    return "";
}

int run(const smx::cli::Command& command) {
    using namespace smx::cli;
    try {
        return command.run();
    } catch (const CommandError& e) {
        std::fprintf(stderr, "smx: %s\n", e.what());
        return e.status();
    } catch (const smx::InvalidArgument& e) {
        std::fprintf(stderr, "smx: %s\n", e.what());
        return STATUS_USAGE;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "smx: %s\n", e.what());
        return STATUS_RUNTIME;
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace smx::cli;
    CLI::App app{"smx: move fixed-layout arrays from one writer process to many readers through "
                 "shared memory, announced over DDS.",
                 "smx"};
    app.require_subcommand(1);
    app.set_version_flag("--version", SMX_VERSION_STRING);

    GlobalOptions global;
    try {
        global.domain = smx::default_domain();
    } catch (const smx::Error& e) {
        std::fprintf(stderr, "smx: %s\n", e.what());
        return STATUS_USAGE;
    }
    app.add_option("--domain", global.domain, "DDS domain id (Cyclone DDS convention; default: SMX_DOMAIN, else 0)")
        ->transform(decimal_digits())
        ->check(CLI::Range(0, 230))
        ->capture_default_str();

    const std::vector<Command> commands{
        add_demo_command(app, global),
        add_demo_writer_command(app, global),
        add_demo_reader_command(app, global),
        add_list_command(app, global),
        add_info_command(app, global),
        add_echo_command(app, global),
        add_hz_command(app, global),
        add_bw_command(app, global),
        add_snapshot_command(app, global),
        add_record_command(app, global),
        add_play_command(app, global),
        add_clean_command(app, global),
        add_view_command(app, global),
        add_bench_command(app, global),
    };
    // Set after the subcommands are made: CLI11 copies a parent's footer into every subcommand
    // made after it, and each subcommand's --help shows its own.
    app.footer(FOOTER);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11 says "A subcommand is required" for a misspelt one: name it and the real ones.
        const std::string unknown = first_word(argc, argv);
        const bool known = std::any_of(commands.begin(), commands.end(),
                                       [&](const Command& c) { return c.app->check_name(unknown); });
        if (!unknown.empty() && !known) {
            std::string names;
            for (const Command& command : commands)
                if (!command.app->get_group().empty()) names += (names.empty() ? "" : ", ") + command.app->get_name();
            std::fprintf(stderr, "smx: unknown command '%s' (commands: %s)\nRun 'smx --help' for usage.\n",
                         unknown.c_str(), names.c_str());
            return STATUS_USAGE;
        }
        return usage_error(app, e);
    }
    for (const Command& command : commands) {
        if (!command.app->parsed()) continue;
        // "--domain 3 hz cam --domain 5": which one the user meant is anyone's guess.
        const CLI::Option* after = command.app->get_option_no_throw("--domain");
        if (after && after->count() > 0 && app.get_option("--domain")->count() > 0 &&
            after->as<int>() != global.domain) {
            std::fprintf(stderr, "smx: --domain given twice, %d before '%s' and %d after it: give it once\n",
                         global.domain, command.app->get_name().c_str(), after->as<int>());
            return STATUS_USAGE;
        }
        return run(command);
    }
    return STATUS_USAGE;  // unreachable: require_subcommand(1)
}
