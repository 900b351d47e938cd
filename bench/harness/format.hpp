#pragma once
// How figures are spelled in the report: durations, rates, reader counts, padded columns, JSON.

#include <cstdint>
#include <string>

namespace smx::cli::bench {

/// printf into a std::string (up to 511 characters).
std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
/// Microseconds for tables: "0.42", "52.3", "1,234"; "-" when absent (negative).
std::string us(std::int64_t ns);
/// us() with its unit: "52.3 µs".
std::string us_unit(std::int64_t ns);
/// "30 Hz", "12.5 Hz", "max" (0).
std::string rate_label(double hz);
/// "1 reader", "4 readers".
std::string readers_label(unsigned n);
/// Pads to `width` display columns (µ is two bytes but one column), on the left if `right`.
std::string pad(const std::string& text, std::size_t width, bool right = false);
/// A JSON string literal.
std::string json_string(const std::string& s);
/// A JSON number, or null when not finite.
std::string json_number(double v);
/// Nanoseconds for JSON: the number, or null when absent (negative).
std::string json_ns(std::int64_t ns);

}  // namespace smx::cli::bench
