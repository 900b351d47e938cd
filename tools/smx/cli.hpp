#pragma once
// What every `smx` subcommand shares: the exit statuses (cli_status.hpp), the global options,
// and how a subcommand plugs into main. Each subcommand lives in its own file and offers one
// `add_*_command` function; main registers them all and runs the one the user chose.

#include "cli_status.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <functional>
#include <string>

namespace smx::cli {

/// Options given before the subcommand; every subcommand sees them (and may take them after it too:
/// DomainOption).
struct GlobalOptions {
    int domain = 0;  ///< DDS domain id
};

/// `--domain` after the subcommand ("smx list --domain 3"); -1 means "the one given before it".
struct DomainOption {
    int value = -1;
    /// The domain to use: this option if given, else the global one.
    int resolve(const GlobalOptions& global) const noexcept { return value >= 0 ? value : global.domain; }
};

/// CLI11 check of a real number within [lo, hi]. CLI::Range lets NaN through (every comparison
/// with NaN is false), and a NaN limit switches the limit off.
inline CLI::Validator finite_range(double lo, double hi) {
    std::string range = "[" + CLI::detail::to_string(lo) + " - " + CLI::detail::to_string(hi) + "]";
    return CLI::Validator(
        [lo, hi, range](std::string& text) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || value < lo || value > hi)
                return "Value " + text + " not in range " + range;
            return {};
        },
        "FLOAT in " + range);
}

/// CLI11 transform for a domain id: decimal, as SMX_DOMAIN reads it (CLI11 alone reads "010" as
/// octal 8 and "0x10" as 16, so one string would name different domains in different places).
inline CLI::Validator decimal_digits() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
                return "Value " + text + " is not a decimal number";
            const std::size_t first = text.find_first_not_of('0');
            text = first == std::string::npos ? "0" : text.substr(first);
            return {};
        },
        "");
}

/// Adds `--domain` to a subcommand, so that it may follow the subcommand as well as precede it.
inline CLI::Option* add_domain_option(CLI::App* sub, DomainOption& domain) {
    return sub
        ->add_option("--domain", domain.value,
                     "DDS domain id (default: the one given before the command, else SMX_DOMAIN, else 0)")
        ->transform(decimal_digits())
        ->check(CLI::Range(0, 230));
}

/// A subcommand: its CLI11 node, and what runs when the user chose it (returns the exit status).
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

/// `smx demo`: a synthetic camera writer and reader processes that verify every byte.
Command add_demo_command(CLI::App& app, const GlobalOptions& global);
/// Hidden `smx demo-writer`: the demo's writer process.
Command add_demo_writer_command(CLI::App& app, const GlobalOptions& global);
/// Hidden `smx demo-reader`: one of the demo's reader processes.
Command add_demo_reader_command(CLI::App& app, const GlobalOptions& global);
/// `smx list`: the live topics of a domain, read from their shared segments.
Command add_list_command(CLI::App& app, const GlobalOptions& global);
/// `smx info TOPIC`: everything a topic's shared segment says.
Command add_info_command(CLI::App& app, const GlobalOptions& global);
/// `smx echo TOPIC`: one line per frame.
Command add_echo_command(CLI::App& app, const GlobalOptions& global);
/// `smx hz TOPIC`: the rate, period and jitter of a topic.
Command add_hz_command(CLI::App& app, const GlobalOptions& global);
/// `smx bw TOPIC...`: the bandwidth of topics: bytes and frames per second, frame size.
Command add_bw_command(CLI::App& app, const GlobalOptions& global);
/// `smx clean`: removes the segments that dead writers left in /dev/shm.
Command add_clean_command(CLI::App& app, const GlobalOptions& global);
/// `smx snapshot TOPIC FIELD -o out.png`: an image field as a PNG.
Command add_snapshot_command(CLI::App& app, const GlobalOptions& global);
/// `smx record TOPIC... -o run.h5`: frames of topics into an HDF5 file.
Command add_record_command(CLI::App& app, const GlobalOptions& global);
/// `smx play run.h5`: republishes a recording of `smx record`.
Command add_play_command(CLI::App& app, const GlobalOptions& global);
/// `smx view TOPIC [FIELD...]`: image fields live in a window (SDL2; without it, or without a
/// display, exits 3 and suggests `smx snapshot`).
Command add_view_command(CLI::App& app, const GlobalOptions& global);
/// `smx bench`: runs the benchmark harness `smx-bench` from this executable's directory with
/// every argument after `bench` (and an explicit --domain). Throws CommandError if it is missing.
Command add_bench_command(CLI::App& app, const GlobalOptions& global);

}  // namespace smx::cli
