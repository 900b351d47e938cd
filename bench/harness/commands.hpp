#pragma once
// The commands of `smx-bench`, the benchmark harness behind `smx bench`. The program itself is
// the supervisor (its options are the bench's); the processes it starts are its subcommands.

#include "cli.hpp"

namespace smx::cli::bench {

/// The supervisor: the options of `smx bench` on `app` itself, and the run they ask for.
Command add_bench_options(CLI::App& app, const GlobalOptions& global);
/// Hidden `smx-bench writer`: the writer process of one scenario.
Command add_writer_command(CLI::App& app, const GlobalOptions& global);
/// Hidden `smx-bench reader`: a reader process of one scenario.
Command add_reader_command(CLI::App& app, const GlobalOptions& global);
/// Hidden `smx-bench calls`: per-call cost of write() and latest() (for bench/python_bench.py).
Command add_calls_command(CLI::App& app, const GlobalOptions& global);

}  // namespace smx::cli::bench
