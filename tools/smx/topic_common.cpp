#include "topic_common.hpp"

#include "remote_readers.hpp"

#include <smx/inspect.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sys/stat.h>

namespace smx::cli {

const char* const TOPIC_EXIT_STATUS = R"TEXT(Exit status:
  0  ok (also when stopped with Ctrl-C)
  2  usage error: a bad option, or a field the topic does not have or that does not fit
  3  runtime error: no writer within --timeout, no frame, DDS or shared memory refused,
     the output file cannot be written)TEXT";

CLI::Validator seconds_check(double max) {
    return CLI::Validator(
        [max](const std::string& text) {
            double v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (!text.empty() && ec == std::errc() && end == text.data() + text.size() && v >= 0 && v <= max) return std::string();
            return "'" + text + "' is not a number of seconds from 0 to " + format_number(max);
        },
        "SECONDS", "seconds");
}

CLI::Validator count_check() {
    return CLI::Validator(
        [](const std::string& text) {
            std::uint64_t v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) return std::string();
            return "'" + text + "' is not a whole number >= 0";
        },
        "N", "count");
}

void add_timeout_option(CLI::App* sub, double& seconds, const std::string& description) {
    sub->add_option("--timeout", seconds, description)->check(seconds_check(86400))->capture_default_str();
}

void check_output_file(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
    const char* what = S_ISLNK(st.st_mode)    ? "a symbolic link"
                       : S_ISDIR(st.st_mode)  ? "a directory"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                                              : "a socket";
    throw CommandError(STATUS_USAGE, "'" + path + "' exists and is " + what +
                                         ", not a regular file; give the name of a file to write");
}

std::string format_number(double v, int precision) {
    if (v == 0) v = 0;  // no "-0"
    char text[48];
    std::snprintf(text, sizeof text, "%.*g", precision, v);
    return text;
}

std::string format_seconds(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, seconds < 10 ? "%.1f s" : "%.0f s", seconds);
    return text;
}

std::string format_duration(double seconds) {
    char text[32];
    const double a = std::fabs(seconds);
    if (a < 1e-3)
        std::snprintf(text, sizeof text, "%.0f us", seconds * 1e6);
    else if (a < 1)
        std::snprintf(text, sizeof text, "%.2f ms", seconds * 1e3);
    else
        std::snprintf(text, sizeof text, "%.3f s", seconds);
    return text;
}

std::string format_bytes(std::uint64_t bytes) {
    if (bytes < 1000) return std::to_string(bytes) + " B";
    static constexpr const char* UNITS[] = {"kB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int unit = -1;
    while (v >= 1000 && unit < 3) {
        v /= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", v, UNITS[unit]);
    return text;
}

std::string format_time(std::int64_t realtime_ns) {
    if (realtime_ns <= 0) return "-";
    const std::time_t seconds = static_cast<std::time_t>(realtime_ns / 1'000'000'000);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &local);
    char text[48];
    std::snprintf(text, sizeof text, "%s.%03d", date, static_cast<int>(realtime_ns / 1'000'000 % 1000));
    return text;
}

std::string format_hex64(std::uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(v));
    return text;
}

std::string format_mode(std::uint32_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode & 07777);
    return text;
}

std::int64_t realtime_now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string no_writer_message(int domain, const std::string& topic, double timeout_s) {
    const std::string msg = "no writer on topic '" + topic + "' in domain " + std::to_string(domain) + " after " +
                            format_seconds(timeout_s);
    const std::string hint = missing_writer_hint(domain, topic);
    return hint.empty() ? msg + "; `smx list` shows the live topics" : msg + "; " + hint;
}

bool wait_for_writer_or_fail(Reader& reader, int domain, const std::string& topic, double timeout_s,
                             const StopSignal& stop) {
    const auto wait = timeout_s > 0 ? to_ns(timeout_s) : std::chrono::nanoseconds(std::chrono::hours(24 * 365));
    const bool attached = reader.wait_for_writer(wait);
    if (stop.requested()) return false;
    if (!attached) throw CommandError(STATUS_RUNTIME, no_writer_message(domain, topic, timeout_s));
    return true;
}

CommandError no_frame_error(int domain, const std::string& topic, double timeout_s) {
    return CommandError(STATUS_RUNTIME, "topic '" + topic + "' in domain " + std::to_string(domain) +
                                            " has a writer, but it published no frame within " + format_seconds(timeout_s));
}

std::size_t field_index_or_fail(const Schema& schema, const std::string& topic, const std::string& name) {
    const int i = schema.index_of(name);
    if (i >= 0) return static_cast<std::size_t>(i);
    std::string names;
    for (const Field& f : schema.fields()) names += (names.empty() ? "" : ", ") + f.name;
    throw CommandError(STATUS_USAGE, "topic '" + topic + "' has no field '" + name + "'; its fields are: " + names);
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char esc[8];
                    std::snprintf(esc, sizeof esc, "\\u%04x", c);
                    out += esc;
                } else {
                    out += ch;  // UTF-8 passes through unchanged
                }
        }
    }
    return out + "\"";
}

std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    return format_number(v, 17);
}

namespace {

std::string process_json(const ProcessRef& p) {
    return "{\"pid\": " + std::to_string(p.pid) + ", \"start_ticks\": " + std::to_string(p.start_ticks) +
           ", \"alive\": " + (p.alive ? "true" : "false") + "}";
}

}  // namespace

std::string segment_json(const SegmentInfo& s, std::optional<double> rate_hz,
                         const std::optional<std::vector<RemoteReader>>& remote_readers) {
    std::string j = "{\"topic\": " + (s.error.empty() ? json_string(s.topic) : "null");
    j += ", \"live\": " + std::string(s.live() ? "true" : "false");
    j += ", \"segment\": " + json_string(s.segment_name) + ", \"path\": " + json_string(s.path);
    j += ", \"domain\": " + std::to_string(s.domain_id) + ", \"size_bytes\": " + std::to_string(s.size_bytes);
    j += ", \"mode\": " + json_string(format_mode(s.mode)) + ", \"owner\": " + json_string(s.owner) +
         ", \"owner_uid\": " + std::to_string(s.owner_uid);
    j += ", \"error\": " + (s.error.empty() ? std::string("null") : json_string(s.error));
    if (s.error.empty()) {
        j += ", \"session\": " + json_string(format_hex64(s.session));
        j += ", \"layout_version\": " + std::to_string(s.layout_version);
        j += ", \"writer\": {\"pid\": " + std::to_string(s.writer.pid) + ", \"host\": " + json_string(s.writer_host) +
             ", \"start_ticks\": " + std::to_string(s.writer.start_ticks) +
             ", \"started_ns\": " + std::to_string(s.writer_started_ns) +
             ", \"alive\": " + (s.writer.alive ? "true" : "false") + "}";
        j += ", \"created_ns\": " + std::to_string(s.created_ns);
        j += ", \"slots\": " + std::to_string(s.slot_count) + ", \"slot_stride\": " + std::to_string(s.slot_stride);
        j += ", \"reader_capacity\": " + std::to_string(s.reader_capacity);
        j += ", \"readers\": [";
        for (std::size_t i = 0; i < s.readers.size(); ++i) {
            std::string p = process_json(s.readers[i].process);
            p.pop_back();
            p.insert(1, "\"transport\": \"shm\", ");
            j += (i ? ", " : "") + p + ", \"pins\": " + std::to_string(s.readers[i].pins) +
                 ", \"sleeping\": " + (s.readers[i].sleeping ? "true" : "false") + "}";
        }
        j += "], \"live_readers\": " + std::to_string(s.live_reader_count());
        j += ", \"remote_readers\": " + remote_readers_json(remote_readers);
        if (s.schema) {
            j += ", \"frame_size\": " + std::to_string(s.schema->frame_size()) +
                 ", \"schema_hash\": " + json_string(format_hex64(s.schema->hash())) + ", \"schema\": [";
            for (std::size_t i = 0; i < s.schema->size(); ++i) {
                const Field& f = (*s.schema)[i];
                j += std::string(i ? ", " : "") + "{\"name\": " + json_string(f.name) +
                     ", \"dtype\": " + json_string(f.dtype.typestr()) + ", \"shape\": [";
                for (std::size_t d = 0; d < f.shape.ndim(); ++d) j += (d ? ", " : "") + std::to_string(f.shape[d]);
                j += std::string("], \"bounded\": ") + (f.bounded ? "true" : "false") +
                     ", \"offset\": " + std::to_string(s.schema->offset(i)) +
                     ", \"nbytes\": " + std::to_string(f.nbytes()) + "}";
            }
            j += "]";
        }
        j += ", \"newest_frame\": " + std::to_string(s.newest_frame) +
             ", \"newest_timestamp_ns\": " + std::to_string(s.newest_timestamp_ns);
        j += ", \"rate_hz\": " + (rate_hz ? json_number(*rate_hz) : std::string("null"));
    }
    return j + "}";
}

}  // namespace smx::cli
