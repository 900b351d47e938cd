// `smx info TOPIC`: everything the topic's shared segment says — schema with offsets, segment
// name, size, permissions, session, writer, readers and their pins, newest frame — read
// without registering as a reader, and the topic's remote readers (the network path), which
// DDS discovery tells (--dds-wait, or none with --no-dds). With --timeout it waits for the
// segment to appear (inotify on /dev/shm, no polling).

#include "cli.hpp"
#include "remote_readers.hpp"
#include "topic_common.hpp"

#include <smx/inspect.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace smx::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* INFO_FOOTER = R"TEXT(
Reads the topic's shared memory segment (/dev/shm/smx.<domain>.<topic>) without registering as
a reader: schema (fields, dtypes, shapes, offsets in a slot), segment name, size, permissions
and owner, session, writer (pid, host, start, alive or dead), slots, the newest frame, and its
readers, one per line with their transport:
  shm  every reader registration in use (pid, alive, pins held, asleep on the doorbell)
  dds  every remote reader: a reader on the network path (another host or /dev/shm, or one
       forced to it), which never registers in the segment; pid and host as it announced them,
       and whether it is on this machine. They are found by joining the domain's DDS
       discovery for --dds-wait seconds (default 0.5; on a network allow more); --no-dds skips
       that, and a DDS failure only leaves them unknown.

Examples:
  smx info camera                   the topic 'camera' of domain 0
  smx info camera --timeout 10      wait up to 10 s for its writer to create the segment
  smx info camera --json            the same as a JSON object
  smx info camera --no-dds          shared memory only, without the discovery wait
  smx info --domain 7 camera
)TEXT";

struct InfoOptions {
    DomainOption domain;
    std::string topic;
    double timeout = 0;
    bool json = false;
    RemoteLookupOptions remote;
};

// Closes an inotify descriptor.
struct InfoWatch {
    int fd = -1;
    ~InfoWatch() {
        if (fd >= 0) ::close(fd);
    }
};

// The segment of the topic, waiting up to `timeout_s` for it to be created. Watching the
// directory before each look means a segment renamed into place in between is not missed.
std::optional<SegmentInfo> find_segment(int domain, const std::string& topic, double timeout_s) {
    InfoWatch watch;
    if (timeout_s > 0) {
        watch.fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (watch.fd >= 0 && ::inotify_add_watch(watch.fd, "/dev/shm", IN_CREATE | IN_MOVED_TO) < 0) {
            ::close(watch.fd);
            watch.fd = -1;
        }
    }
    const Clock::time_point deadline = Clock::now() + to_ns(timeout_s);
    for (;;) {
        if (auto info = inspect_topic(domain, topic)) return info;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        // Without inotify (unlikely on Linux), look again every 100 ms.
        pollfd p{watch.fd, POLLIN, 0};
        const int wait_ms = watch.fd >= 0 ? static_cast<int>(left.count()) : std::min(100, static_cast<int>(left.count()));
        if (::poll(watch.fd >= 0 ? &p : nullptr, watch.fd >= 0 ? 1 : 0, wait_ms) > 0) {
            char events[4096];
            while (::read(watch.fd, events, sizeof events) > 0) {
            }
        }
    }
}

void print_readers(const SegmentInfo& s, RemoteReaderLookup& lookup) {
    std::string summary = std::to_string(s.readers.size()) + " of " + std::to_string(s.reader_capacity) +
                          " registrations in use, " + std::to_string(s.live_reader_count()) + " alive (shm); ";
    const auto remote = lookup.readers_of(s.topic);
    if (remote)
        summary += std::to_string(remote->size()) + " remote (dds)";
    else
        summary += "remote readers " + lookup.missing_reason();
    std::printf("%-13s %s\n", "readers", summary.c_str());
    for (const RegisteredReader& r : s.readers)
        std::printf("  shm  pid %-8lld %-5s  pins %u%s%s\n", static_cast<long long>(r.process.pid),
                    r.process.alive ? "alive" : "dead", r.pins, r.sleeping ? "  asleep, waiting for a frame" : "",
                    r.process.alive ? "" : "  (freed by the writer when it needs the slots)");
    if (remote)
        for (const RemoteReader& r : *remote) std::printf("  dds  %s\n", remote_reader_text(r).c_str());
}

void print_info(const SegmentInfo& s, RemoteReaderLookup& lookup) {
    auto row = [](const char* key, const std::string& value) { std::printf("%-13s %s\n", key, value.c_str()); };
    const std::int64_t now = realtime_now_ns();
    row("topic", s.error.empty() ? s.topic : "?");
    row("domain", std::to_string(s.domain_id));
    row("segment", s.segment_name + "  (" + s.path + ")");
    std::string size = format_bytes(s.size_bytes) + " (" + std::to_string(s.size_bytes) + " bytes)";
    if (s.error.empty())
        size += ": " + std::to_string(s.slot_count) + " slots of " + std::to_string(s.slot_stride) + " bytes, " +
                std::to_string(s.reader_capacity) + " reader registrations";
    row("size", size);
    row("permissions", format_mode(s.mode) + ", owner " + s.owner + " (uid " + std::to_string(s.owner_uid) + ")");
    if (!s.error.empty()) {
        row("error", s.error);
        return;
    }
    row("session", format_hex64(s.session));
    std::string writer = "pid " + std::to_string(s.writer.pid) + " on " + s.writer_host + ", " +
                         (s.writer.alive ? "alive" : "dead: this segment is stale; the next writer of the topic replaces it");
    if (s.writer_started_ns) writer += ", started " + format_time(s.writer_started_ns);
    row("writer", writer);
    row("created", format_time(s.created_ns));
    row("layout", "version " + std::to_string(s.layout_version));
    if (s.schema) {
        const Schema& schema = *s.schema;
        row("frame", std::to_string(schema.frame_size()) + " bytes (" + format_bytes(schema.frame_size()) +
                         "), schema hash " + format_hex64(schema.hash()));
        row("schema", std::to_string(schema.size()) + (schema.size() == 1 ? " field" : " fields"));
        std::size_t name_w = 5, shape_w = 5;
        for (const Field& f : schema.fields()) {
            name_w = std::max(name_w, f.name.size());
            shape_w = std::max(shape_w, f.shape_string().size());
        }
        std::printf("  %-*s  %-6s  %-*s  %12s  %12s\n", static_cast<int>(name_w), "field", "dtype",
                    static_cast<int>(shape_w), "shape", "offset", "bytes");
        for (std::size_t i = 0; i < schema.size(); ++i) {
            const Field& f = schema[i];
            std::printf("  %-*s  %-6s  %-*s  %12llu  %12llu\n", static_cast<int>(name_w), f.name.c_str(),
                        f.dtype.typestr(), static_cast<int>(shape_w), f.shape_string().c_str(),
                        static_cast<unsigned long long>(schema.offset(i)),
                        static_cast<unsigned long long>(f.nbytes()));
        }
    }
    if (s.newest_frame == 0)
        row("newest frame", "none published yet");
    else
        row("newest frame", std::to_string(s.newest_frame) + ", written " + format_time(s.newest_timestamp_ns) + " (" +
                                format_duration(seconds_between(now, s.newest_timestamp_ns)) + " ago)");
    print_readers(s, lookup);
}

int run_info(const GlobalOptions& global, const InfoOptions& o) {
    const int domain = o.domain.resolve(global);
    RemoteReaderLookup lookup(domain, o.remote);  // discovery runs while the segment is looked for
    const std::optional<SegmentInfo> info = find_segment(domain, o.topic, o.timeout);
    if (!info) {
        std::string msg = "no writer on topic '" + o.topic + "' in domain " + std::to_string(domain);
        if (o.timeout > 0) msg += " after " + format_seconds(o.timeout);
        throw CommandError(STATUS_RUNTIME, msg + " (no segment " + segment_name_of(domain, o.topic) +
                                               "); `smx list` shows the live topics");
    }
    if (o.json) {
        std::string j = segment_json(*info, std::nullopt, info->error.empty() ? lookup.readers_of(info->topic) : std::nullopt);
        j.pop_back();
        std::printf("%s, %s}\n", j.c_str(), lookup.json_member().c_str());
    } else {
        print_info(*info, lookup);
    }
    if (!info->error.empty()) {
        std::fprintf(stderr, "smx: segment %s of topic '%s' cannot be read: %s\n", info->path.c_str(),
                     o.topic.c_str(), info->error.c_str());
        return STATUS_RUNTIME;
    }
    return STATUS_OK;
}

}  // namespace

Command add_info_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<InfoOptions>();
    CLI::App* sub = app.add_subcommand("info", "a topic's schema, segment, permissions, session, writer and readers (shm and dds)");
    sub->add_option("topic", options->topic, "the topic")->required();
    sub->add_flag("--json", options->json, "print one JSON object instead of text");
    add_timeout_option(sub, options->timeout, "seconds to wait for the topic's segment to appear (0: do not wait)");
    add_remote_lookup_options(sub, options->remote);
    add_domain_option(sub, options->domain);
    sub->footer(std::string(INFO_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_info(global, *options); }};
}

}  // namespace smx::cli
