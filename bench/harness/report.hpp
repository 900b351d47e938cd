#pragma once
// The three outputs of `smx bench`: a text table, JSON, and a gnuplot-drawn PNG.

#include "results.hpp"

#include <cstdio>
#include <string>

namespace smx::cli::bench {

/// The table: latency, throughput, writer cost, idle, targets, notes.
void print_table(std::FILE* out, const BenchReport& report);
/// The writer-cost section of the table (report_cost.cpp).
void print_writer_cost(std::FILE* out, const BenchReport& report);
/// Every run, target and note as one JSON object.
std::string to_json(const BenchReport& report);
/// Draws latency p50 vs payload (log-log) for smx and the baselines with gnuplot into `png`.
/// Throws CommandError if there is nothing to draw or gnuplot is missing or fails.
void draw_plot(const BenchReport& report, const std::string& png);

/// The payloads of the runs, smallest frame first (paths without a payload left out).
std::vector<std::string> payload_order(const BenchReport& report);

}  // namespace smx::cli::bench
