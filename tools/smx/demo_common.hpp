#pragma once
// What the `smx demo` supervisor and its writer and reader processes agree on: how the
// command-line values are spelled, and the one-line reports a child sends its parent.
//
// Report lines (one per line on the child's report pipe):
//   writer:  "ready segment=/smx.0.smx_demo_42"
//            "tick ms=1000 published=30 held=0"        once a second
//            "done ms=10000 published=300 held=0"      after the writer closed
//   reader:  "tick ms=1000 frames=30 p50_ns=.. p99_ns=.. missed=0 torn_detected=0 torn_accepted=0"
//            "done ms=.. frames=.. p50_ns=.. ..."      totals, when stopped
//   either:  "error <code> <message>"                 code: smx::ErrorCode name or "other";
//                                                     then the child exits (status 2 or 3)

#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace smx::cli {

/// Frame size of the synthetic camera.
struct FrameSize {
    std::uint64_t width = 848;
    std::uint64_t height = 480;
};

/// Parses "WxH" (e.g. "848x480"); nullopt if malformed or outside 1..16384 per side.
std::optional<FrameSize> parse_frame_size(std::string_view text);
/// CLI11 check for parse_frame_size: "" if fine, else what is wrong.
std::string check_frame_size(const std::string& text);

/// Parses a rate: "max" (nullopt inside: unpaced) or a frequency in Hz, 0 < hz <= 100000.
/// The outer nullopt means malformed.
std::optional<std::optional<double>> parse_rate(std::string_view text);
/// CLI11 check for parse_rate.
std::string check_rate(const std::string& text);

/// The "error" report of a child that failed with `e`.
std::string error_line(const std::exception& e);
/// The exit status of a child (and of the demo) that failed with `e`: usage for an invalid
/// argument (a bad --topic, say), runtime otherwise.
int exit_status_of(const std::exception& e);

/// A parsed report line: its kind, its key=value pairs, and for "error" its code and message.
class Report {
public:
    static Report parse(std::string_view line);

    const std::string& kind() const noexcept { return m_kind; }
    /// The message of an "error" report; its code is value("code").
    const std::string& text() const noexcept { return m_text; }
    /// The value of `key` ("" if absent).
    std::string value(const std::string& key) const;
    /// The value of `key` as an integer, or `fallback` if absent or malformed.
    std::int64_t number(const std::string& key, std::int64_t fallback = 0) const;

private:
    std::string m_kind;
    std::string m_text;
    std::map<std::string, std::string> m_values;
};

/// Builds a report line: ReportLine("tick").add("frames", 30).str() == "tick frames=30".
class ReportLine {
public:
    explicit ReportLine(std::string kind) : m_line(std::move(kind)) {}
    ReportLine& add(const std::string& key, std::int64_t value) {
        m_line += " " + key + "=" + std::to_string(value);
        return *this;
    }
    ReportLine& add(const std::string& key, const std::string& value) {
        m_line += " " + key + "=" + value;
        return *this;
    }
    const std::string& str() const noexcept { return m_line; }

private:
    std::string m_line;
};

}  // namespace smx::cli
