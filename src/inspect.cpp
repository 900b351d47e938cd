// Inspection of a domain's segments for tools: the shm layer's read-only view (Segment::inspect)
// turned into plain values. Joins no DDS domain and registers no reader.

#include <smx/inspect.hpp>

#include "names.hpp"
#include "shm/process.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"

#include <algorithm>
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

std::vector<SegmentInfo> inspect_domain(int domain_id) {
    check_domain(domain_id);
    const std::string prefix = "smx." + std::to_string(domain_id) + ".";
    std::vector<std::string> names;
    DIR* dir = ::opendir(detail::shm_directory());
    if (!dir) {
        const int err = errno;
        throw SystemError(err, std::string("opendir ") + detail::shm_directory() + ": " + std::strerror(err));
    }
    while (const dirent* e = ::readdir(dir)) {
        const std::string_view entry = e->d_name;
        if (entry.size() > prefix.size() && entry.compare(0, prefix.size(), prefix) == 0 && !is_temporary(entry))
            names.push_back("/" + std::string(entry));
    }
    ::closedir(dir);

    std::vector<SegmentInfo> out;
    for (const std::string& name : names)
        if (auto info = inspect_name(name, domain_id)) out.push_back(std::move(*info));
    std::sort(out.begin(), out.end(), [](const SegmentInfo& a, const SegmentInfo& b) {
        // Validated segments by topic first, then the unreadable ones by name.
        if (a.error.empty() != b.error.empty()) return a.error.empty();
        return a.error.empty() ? a.topic < b.topic : a.segment_name < b.segment_name;
    });
    return out;
}

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

}  // namespace smx
