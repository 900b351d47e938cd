#include "format.hpp"

#include "scenario.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace smx::cli::bench {

std::string fmt(const char* format, ...) {
    char text[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    return text;
}

std::string us(std::int64_t ns) {
    if (ns < 0) return "-";
    const double v = static_cast<double>(ns) / 1e3;
    if (v < 1) return fmt("%.2f", v);
    if (v < 100) return fmt("%.1f", v);
    return with_commas(static_cast<std::uint64_t>(std::llround(v)));
}

std::string us_unit(std::int64_t ns) { return ns < 0 ? "-" : us(ns) + " µs"; }

std::string rate_label(double hz) {
    if (hz <= 0) return "max";
    if (std::fabs(hz - std::round(hz)) < 1e-9) return fmt("%.0f Hz", hz);
    return fmt("%g Hz", hz);
}

std::string readers_label(unsigned n) { return std::to_string(n) + (n == 1 ? " reader" : " readers"); }

std::string pad(const std::string& text, std::size_t width, bool right) {
    std::size_t columns = 0;
    for (unsigned char c : text) columns += (c & 0xC0) != 0x80 ? 1 : 0;
    const std::string fill(width > columns ? width - columns : 0, ' ');
    return right ? fill + text : text + fill;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            out += fmt("\\u%04x", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt("%.6g", v) : "null"; }

std::string json_ns(std::int64_t ns) { return ns < 0 ? "null" : std::to_string(ns); }

}  // namespace smx::cli::bench
