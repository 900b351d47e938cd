// Inspection of a domain's segments for tools: the shm layer's read-only view (Segment::inspect)
// turned into plain values. Joins no DDS domain and registers no reader.

#include <smx/inspect.hpp>

#include "names.hpp"
#include "shm/process.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smx {

namespace {

constexpr int MAX_DOMAIN = 230;

void check_domain(int domain_id) {
    if (domain_id < 0 || domain_id > MAX_DOMAIN)
        throw InvalidArgument("domain " + std::to_string(domain_id) + " is out of range 0.." +
                              std::to_string(MAX_DOMAIN));
}

std::string user_name(uid_t uid) {
    passwd pw{};
    passwd* found = nullptr;
    char buf[1024];
    if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return found->pw_name;
    return std::to_string(uid);
}

// CLOCK_REALTIME of the boot ("btime" in /proc/stat), to turn process start ticks into a time.
std::int64_t boot_time_ns() {
    std::FILE* f = std::fopen("/proc/stat", "re");
    if (!f) return 0;
    char line[256];
    long long btime = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "btime %lld", &btime) == 1) break;
    std::fclose(f);
    return static_cast<std::int64_t>(btime) * 1'000'000'000;
}

// 0 if unknown. The ticks are the header's word, written by whoever can write the segment: a
// value too large to be a time since boot is unknown too (not a signed overflow).
std::int64_t ticks_to_realtime_ns(std::uint64_t ticks) {
    const long hz = ::sysconf(_SC_CLK_TCK);
    const std::int64_t boot = boot_time_ns();
    if (ticks == 0 || hz <= 0 || boot == 0) return 0;
    const auto per_second = static_cast<std::uint64_t>(hz);
    const std::uint64_t seconds = ticks / per_second;
    const auto fraction_ns = static_cast<std::int64_t>(ticks % per_second * 1'000'000'000 / per_second);
    std::int64_t ns = 0;
    if (seconds > static_cast<std::uint64_t>(INT64_MAX) ||
        __builtin_mul_overflow(static_cast<std::int64_t>(seconds), std::int64_t{1'000'000'000}, &ns) ||
        __builtin_add_overflow(ns, fraction_ns, &ns) || __builtin_add_overflow(ns, boot, &ns))
        return 0;
    return ns;
}

void fill_stat(SegmentInfo& info, const struct stat& st) {
    info.size_bytes = static_cast<std::uint64_t>(st.st_size);
    info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
    info.owner_uid = static_cast<std::uint32_t>(st.st_uid);
    info.owner = user_name(st.st_uid);
}

// Everything the validated control part says. The writer keeps changing the slot and reader
// tables: each slot is read seqlock-consistently, each registration word by word.
void fill_from_segment(SegmentInfo& info, const detail::Segment& seg) {
    const detail::SegmentHeader& h = seg.header();
    info.topic = h.topic;
    info.layout_version = h.layout_version;
    info.session = h.session_id;
    info.writer_host = h.host;
    info.writer.pid = h.writer_pid;
    info.writer.start_ticks = h.writer_start_time;
    info.writer.alive = seg.writer_alive();  // its liveness lock: valid across PID namespaces
    info.writer_started_ns = ticks_to_realtime_ns(h.writer_start_time);
    info.created_ns = h.creation_time_ns;
    info.schema = *seg.schema();
    info.slot_count = seg.slot_count();
    info.slot_stride = h.slot_stride;
    info.reader_capacity = seg.reader_capacity();

    if (const auto newest = detail::SlotReader(seg).newest()) {
        info.newest_frame = newest->frame_number;
        info.newest_timestamp_ns = newest->timestamp_ns;
    }
    for (const detail::RegistrationSnapshot& r : detail::registrations(seg)) {
        RegisteredReader reader;
        reader.process.pid = static_cast<std::int64_t>(r.pid);
        reader.process.start_ticks = r.start_time;
        reader.process.alive = r.alive;
        reader.pins = r.pins;
        reader.sleeping = r.sleeping;
        info.readers.push_back(reader);
    }
}

// The segment called `name` (with leading '/'); nullopt if it vanished meanwhile.
std::optional<SegmentInfo> inspect_name(const std::string& name, int domain_id) {
    SegmentInfo info;
    info.segment_name = name;
    info.path = std::string(detail::shm_directory()) + name;
    info.domain_id = domain_id;
    struct stat st{};
    // lstat: a symbolic link is shown as itself (never followed, as smx never follows it).
    if (::lstat(info.path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        info.error = "stat " + info.path + ": " + std::strerror(errno);
        info.error_code = ErrorCode::system;
        return info;
    }
    fill_stat(info, st);
    try {
        const std::unique_ptr<detail::Segment> seg = detail::Segment::inspect(name);
        if (!seg) return std::nullopt;  // removed between stat and open
        struct stat opened{};
        if (::fstat(seg->object().fd(), &opened) == 0) fill_stat(info, opened);  // what we validated
        fill_from_segment(info, *seg);
    } catch (const Error& e) {
        info.error = e.what();
        info.error_code = e.code();
    }
    return info;
}

bool is_temporary(std::string_view entry) { return entry.find("~t") != std::string_view::npos; }

}  // namespace

std::size_t SegmentInfo::live_reader_count() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(readers.begin(), readers.end(), [](const RegisteredReader& r) { return r.process.alive; }));
}

std::string segment_name_of(int domain_id, std::string_view topic) {
    check_domain(domain_id);
    return detail::segment_name(domain_id, topic);
}

namespace {

// The domain of a /dev/shm entry named like a segment ("smx.<domain>.<escaped topic>"), or
// nullopt (another file, or the temporary of a writer being created).
std::optional<int> domain_of_entry(std::string_view entry) {
    constexpr std::string_view PREFIX = "smx.";
    if (entry.substr(0, PREFIX.size()) != PREFIX || is_temporary(entry)) return std::nullopt;
    entry.remove_prefix(PREFIX.size());
    const std::size_t dot = entry.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot > 3 || dot + 1 == entry.size()) return std::nullopt;
    int domain = 0;
    for (const char c : entry.substr(0, dot)) {
        if (c < '0' || c > '9') return std::nullopt;
        domain = domain * 10 + (c - '0');
    }
    if (domain > MAX_DOMAIN || std::to_string(domain) != entry.substr(0, dot)) return std::nullopt;
    return domain;
}

// Every segment in /dev/shm of `domain_id` (every domain: nullopt), sorted by domain, then
// validated segments by topic, then the unreadable ones by name.
std::vector<SegmentInfo> inspect_segments(std::optional<int> domain_id) {
    std::vector<std::pair<std::string, int>> names;
    DIR* dir = ::opendir(detail::shm_directory());
    if (!dir) {
        const int err = errno;
        throw SystemError(err, std::string("opendir ") + detail::shm_directory() + ": " + std::strerror(err));
    }
    while (const dirent* e = ::readdir(dir)) {
        const std::optional<int> domain = domain_of_entry(e->d_name);
        if (domain && (!domain_id || *domain == *domain_id)) names.emplace_back("/" + std::string(e->d_name), *domain);
    }
    ::closedir(dir);

    std::vector<SegmentInfo> out;
    for (const auto& [name, domain] : names)
        if (auto info = inspect_name(name, domain)) out.push_back(std::move(*info));
    std::sort(out.begin(), out.end(), [](const SegmentInfo& a, const SegmentInfo& b) {
        if (a.domain_id != b.domain_id) return a.domain_id < b.domain_id;
        if (a.error.empty() != b.error.empty()) return a.error.empty();
        return a.error.empty() ? a.topic < b.topic : a.segment_name < b.segment_name;
    });
    return out;
}

}  // namespace

std::vector<SegmentInfo> inspect_domain(int domain_id) {
    check_domain(domain_id);
    return inspect_segments(domain_id);
}

std::vector<SegmentInfo> inspect_all_domains() { return inspect_segments(std::nullopt); }

std::optional<SegmentInfo> inspect_topic(int domain_id, std::string_view topic) {
    std::optional<SegmentInfo> info = inspect_name(segment_name_of(domain_id, topic), domain_id);
    if (info && info->error.empty() && info->topic != topic) {
        // Long topics are cut and hashed into the name: another topic may own this one.
        info->error = "segment '" + info->segment_name + "' belongs to topic '" + info->topic + "', not to '" +
                      std::string(topic) + "' (both names map to this segment name)";
        info->error_code = ErrorCode::segment_corrupt;
    }
    return info;
}

SegmentRemoval remove_dead_segment(const SegmentInfo& segment) {
    if (!segment.error.empty())
        throw InvalidArgument("segment " + segment.segment_name + " was not validated (" + segment.error +
                              "); only validated segments of dead writers are removed");
    const std::unique_ptr<detail::Segment> seg = detail::Segment::inspect(segment.segment_name);
    if (!seg || seg->session() != segment.session) return SegmentRemoval::replaced;
    const detail::Segment::Removal r = seg->remove_abandoned();
    switch (r.outcome) {
        case detail::Segment::Removal::removed: return SegmentRemoval::removed;
        case detail::Segment::Removal::writer_alive: return SegmentRemoval::writer_alive;
        case detail::Segment::Removal::busy: return SegmentRemoval::busy;
        case detail::Segment::Removal::replaced: return SegmentRemoval::replaced;
        case detail::Segment::Removal::refused: break;
    }
    const std::string what = "cannot remove " + segment.path + " (topic '" + segment.topic + "', owner " +
                             segment.owner + "): " + std::strerror(r.error);
    if (r.error == EPERM || r.error == EACCES)
        throw PermissionDenied(what + "; remove it as its owner or root");
    throw SystemError(r.error, what);
}

namespace {

// Edits (insert, delete, substitute; case ignored) from a to b, or more than `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
    if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::string quoted_list(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
}

}  // namespace

std::string missing_writer_hint(int domain_id, std::string_view topic) noexcept {
    try {
        const std::string d = std::to_string(domain_id);
        if (const auto info = inspect_topic(domain_id, topic)) {
            if (!info->error.empty()) return "its segment " + info->path + " exists but cannot be read: " + info->error;
            if (info->writer.alive)
                return "its segment " + info->path + " has a live writer (pid " + std::to_string(info->writer.pid) +
                       ") that DDS did not announce: does that writer use the same CYCLONEDDS_URI?";
            return info->path + " is left over from a writer (pid " + std::to_string(info->writer.pid) + ") that died";
        }
        for (int other = 0; other <= 230; ++other) {
            if (other == domain_id) continue;
            struct stat st{};
            if (::stat(("/dev/shm" + segment_name_of(other, topic)).c_str(), &st) == 0)
                return "the topic has a writer's segment in domain " + std::to_string(other) + ", not " + d +
                       " (set SMX_DOMAIN=" + std::to_string(other) + " or pass that domain)";
        }
        std::vector<std::string> live, close;
        for (const SegmentInfo& s : inspect_domain(domain_id)) {
            if (!s.live()) continue;
            live.push_back(s.topic);
            const std::size_t limit = std::max<std::size_t>(2, topic.size() / 4);
            if (edit_distance(topic, s.topic, limit) <= limit ||
                (topic.size() >= 3 && (s.topic.find(topic) != std::string::npos ||
                                       topic.find(s.topic) != std::string::npos)))
                close.push_back(s.topic);
        }
        if (live.empty()) return "domain " + d + " has no live topic on this machine";
        std::string hint;
        if (!close.empty()) hint = "did you mean " + quoted_list(close) + "? ";
        const std::size_t shown = std::min<std::size_t>(live.size(), 8);
        hint += "live topics in domain " + d + ": " +
                quoted_list(std::vector<std::string>(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(shown))) +
                (live.size() > shown ? " and " + std::to_string(live.size() - shown) + " more (`smx list`)" : "");
        return hint;
    } catch (...) {
        return "";
    }
}

}  // namespace smx
