#pragma once
// What the topic subcommands (list, info, echo, hz, snapshot) share: their --domain and
// --timeout options, opening a template-less reader with a clear "no writer" error, the
// help footer's exit statuses, and the way numbers, times and JSON are written.

#include "cli.hpp"
#include "process.hpp"

#include <smx/inspect.hpp>
#include <smx/smx.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smx::cli {

/// Exit statuses as every topic subcommand's --help lists them.
extern const char* const TOPIC_EXIT_STATUS;

/// Default of --timeout for the subcommands that wait for a writer.
inline constexpr double DEFAULT_TIMEOUT_S = 5.0;

/// Checks a number of seconds 0..max ("'soon' is not a number of seconds from 0 to 60").
CLI::Validator seconds_check(double max);
/// Checks a whole number >= 0.
CLI::Validator count_check();

/// `--timeout SECONDS` (>= 0) with the given description.
void add_timeout_option(CLI::App* sub, double& seconds, const std::string& description);

/// "2.0 s", "0.5 s", "12 s".
std::string format_seconds(double seconds);
/// Throws CommandError(STATUS_USAGE) if `path` exists and is not a regular file (a device, a
/// FIFO, a symbolic link, a directory): the tools write output files by replacing them, which
/// must never replace /dev/null or a user's link.
void check_output_file(const std::string& path);
/// A duration in the unit that suits it: "850 us", "12.34 ms", "1.500 s".
std::string format_duration(double seconds);
/// "2.4 MB" (decimal units), exact for small sizes ("832 B").
std::string format_bytes(std::uint64_t bytes);
/// Local time of a CLOCK_REALTIME value: "2024-06-01 12:00:00.123"; "-" for 0.
std::string format_time(std::int64_t realtime_ns);
/// "0x" and 16 hex digits.
std::string format_hex64(std::uint64_t v);
/// "0600".
std::string format_mode(std::uint32_t mode);
/// printf("%.*g") of a value, without "-0".
std::string format_number(double v, int precision = 6);

/// CLOCK_REALTIME now, in ns (comparable with frame timestamps).
std::int64_t realtime_now_ns() noexcept;

/// A participant and a template-less reader attached to the live writer of a topic.
struct TopicReader {
    Participant participant;
    Reader reader;
    TopicReader(int domain, const std::string& topic) : participant(domain), reader(participant, topic) {}
};

/// The message when no writer turned up, with what /dev/shm says about the topic:
/// "no writer on topic 'x' in domain 0 after 2.0 s; `smx list` shows the live topics".
std::string no_writer_message(int domain, const std::string& topic, double timeout_s);

/// Waits up to `timeout_s` (0: forever) for the writer; throws CommandError(STATUS_RUNTIME)
/// with no_writer_message if it did not come. Returns false if a stop signal cut the wait.
bool wait_for_writer_or_fail(Reader& reader, int domain, const std::string& topic, double timeout_s,
                             const StopSignal& stop);

/// CommandError(STATUS_RUNTIME) for a writer that published nothing within the timeout: "topic
/// 'x' in domain 0 has a writer, but it published no frame within 5.0 s".
CommandError no_frame_error(int domain, const std::string& topic, double timeout_s);

/// The field called `name` of the writer's schema, or CommandError(STATUS_USAGE) listing the
/// fields.
std::size_t field_index_or_fail(const Schema& schema, const std::string& topic, const std::string& name);

/// One segment as a JSON object (rate_hz: null when not measured), with the topic's remote
/// readers ("remote_readers": null when they were not looked up).
std::string segment_json(const SegmentInfo& segment, std::optional<double> rate_hz,
                         const std::optional<std::vector<RemoteReader>>& remote_readers);

/// Appends JSON text: strings escaped, numbers as numbers (non-finite as null).
std::string json_string(std::string_view s);
std::string json_number(double v);

/// A nanosecond count of a duration given in (fractional) seconds; 0 stays 0. Durations past
/// about a century (and NaN) saturate, so a time computed from hostile input cannot overflow.
inline std::chrono::nanoseconds to_ns(double seconds) {
    constexpr double LIMIT_S = 3e9;  // ~95 years, well inside int64 nanoseconds (~292 years)
    seconds = std::isnan(seconds) ? 0 : std::clamp(seconds, -LIMIT_S, LIMIT_S);
    return std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
}

}  // namespace smx::cli
