#include "demo_common.hpp"

#include "cli_status.hpp"

#include <smx/error.hpp>

#include <charconv>
#include <cmath>

namespace smx::cli {

namespace {

constexpr std::uint64_t MAX_SIDE = 16384;
constexpr double MAX_RATE_HZ = 100000;

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

}  // namespace

std::optional<FrameSize> parse_frame_size(std::string_view text) {
    const auto x = text.find('x');
    if (x == std::string_view::npos) return std::nullopt;
    const auto w = parse_unsigned(text.substr(0, x));
    const auto h = parse_unsigned(text.substr(x + 1));
    if (!w || !h || *w < 1 || *h < 1 || *w > MAX_SIDE || *h > MAX_SIDE) return std::nullopt;
    return FrameSize{*w, *h};
}

std::string check_frame_size(const std::string& text) {
    if (parse_frame_size(text)) return {};
    return "size '" + text + "' is not WIDTHxHEIGHT with each side 1.." + std::to_string(MAX_SIDE) +
           " (for example 848x480)";
}

std::optional<std::optional<double>> parse_rate(std::string_view text) {
    if (text == "max") return std::optional<double>{};
    double hz = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), hz);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(hz) || hz <= 0 ||
        hz > MAX_RATE_HZ)
        return std::nullopt;
    return std::optional<double>{hz};
}

std::string check_rate(const std::string& text) {
    if (parse_rate(text)) return {};
    return "rate '" + text + "' is neither 'max' nor a frequency in Hz above 0 and at most 100000 (for example 30)";
}

std::string error_line(const std::exception& e) {
    const auto* error = dynamic_cast<const Error*>(&e);
    return std::string("error ") + (error ? to_string(error->code()) : "other") + " " + e.what();
}

int exit_status_of(const std::exception& e) {
    return dynamic_cast<const InvalidArgument*>(&e) ? STATUS_USAGE : STATUS_RUNTIME;
}

Report Report::parse(std::string_view line) {
    Report r;
    const auto space = line.find(' ');
    r.m_kind = std::string(line.substr(0, space));
    if (space == std::string_view::npos) return r;
    std::string_view rest = line.substr(space + 1);
    if (r.m_kind == "error") {
        const auto space_after_code = rest.find(' ');
        r.m_values["code"] = std::string(rest.substr(0, space_after_code));
        if (space_after_code != std::string_view::npos) r.m_text = std::string(rest.substr(space_after_code + 1));
        return r;
    }
    while (!rest.empty()) {
        const auto end = rest.find(' ');
        const std::string_view pair = rest.substr(0, end);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos) r.m_values[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    return r;
}

std::string Report::value(const std::string& key) const {
    const auto it = m_values.find(key);
    return it == m_values.end() ? std::string() : it->second;
}

std::int64_t Report::number(const std::string& key, std::int64_t fallback) const {
    const std::string v = value(key);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return fallback;
    return n;
}

}  // namespace smx::cli
