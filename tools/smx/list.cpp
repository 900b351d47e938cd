// `smx list`: the live topics of a domain, from their shared segments in /dev/shm: writer pid
// and host, schema, slots, readers, and the current rate, measured by reading each segment's
// newest frame number twice, --rate-window seconds apart. The readers are the segment's
// registrations (shm) and the remote readers DDS discovery tells of (dds), looked up while the
// rate is measured.

#include "cli.hpp"
#include "remote_readers.hpp"
#include "topic_common.hpp"

#include <smx/inspect.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <vector>

namespace smx::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* LIST_FOOTER = R"TEXT(
Every topic of the domain whose writer is alive, read from the topics' shared memory segments
(/dev/shm/smx.<domain>.*) without registering as a reader. RATE is measured:
the newest frame number and timestamp of each segment are read twice, --rate-window seconds
apart; the frames published in between are divided by the time between the two frames'
timestamps (or, when those are not a clock running through the window, by the time between the
readings). A writer slower than one frame per window shows 0 Hz. READERS counts the readers
by transport: "2 shm + 1 dds" is two reader registrations in the segment whose process is alive
and one remote reader (a reader on the network path: another host or /dev/shm, or forced to it),
found by joining the domain's DDS discovery for --dds-wait seconds (default 0.5, spent during
the rate window; on a network allow more). --no-dds skips that; a DDS failure leaves "? dds".
`smx info TOPIC` lists each reader. Segments left by writers that died, and segments this
user cannot read, are only counted unless --all is given.

Examples:
  smx list                      the live topics of the default domain (SMX_DOMAIN, else 0)
  smx list --domain 7 --all     domain 7, with stale and unreadable segments
  smx list --json               the same as one JSON document (for scripts)
  smx list --rate-window 2      a finer rate, measured over 2 s
  smx list --no-dds             shared memory only: no DDS, no remote readers
)TEXT";

struct ListOptions {
    DomainOption domain;
    bool json = false;
    bool all = false;
    double rate_window = 0.5;
    RemoteLookupOptions remote;
};

struct Row {
    SegmentInfo info;
    std::optional<double> rate_hz;  // nullopt: not measured (no window, or a new session)
    std::optional<std::vector<RemoteReader>> remote;  // nullopt: not looked up
};

std::string writer_text(const SegmentInfo& s) {
    std::string text = "pid " + std::to_string(s.writer.pid) + " on " + s.writer_host;
    if (!s.writer.alive) text += " (dead)";
    return text;
}

std::string rate_text(const Row& r) {
    if (!r.info.error.empty() || !r.info.writer.alive) return "-";
    if (!r.rate_hz) return "?";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f Hz", *r.rate_hz);
    return text;
}

std::string newest_text(const SegmentInfo& s, std::int64_t now_ns) {
    if (!s.error.empty()) return "-";
    if (s.newest_frame == 0) return "none yet";
    return std::to_string(s.newest_frame) + " (" + format_duration(seconds_between(now_ns, s.newest_timestamp_ns)) +
           " ago)";
}

std::vector<Row> measure(const ListOptions& o, int domain) {
    std::vector<SegmentInfo> first = inspect_domain(domain);
    if (o.rate_window <= 0) {
        std::vector<Row> rows;
        for (auto& s : first) rows.push_back({std::move(s), std::nullopt, std::nullopt});
        return rows;
    }
    const Clock::time_point t0 = Clock::now();
    std::this_thread::sleep_for(to_ns(o.rate_window));
    std::vector<SegmentInfo> second = inspect_domain(domain);
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    std::map<std::string, const SegmentInfo*> before;
    for (const SegmentInfo& s : first) before[s.segment_name] = &s;
    std::vector<Row> rows;
    for (SegmentInfo& s : second) {
        std::optional<double> rate;
        const auto it = before.find(s.segment_name);
        // A writer that restarted in between started counting again: no rate from two sessions.
        if (s.error.empty() && it != before.end() && it->second->error.empty() && it->second->session == s.session) {
            const double frames = static_cast<double>(s.newest_frame - it->second->newest_frame);
            // The frames' own timestamps span exactly `frames` periods; the wall time between
            // the readings is off by up to a period. Timestamps that do not look like a clock
            // running through the window (set by the application) are not used.
            const double stamped = seconds_between(s.newest_timestamp_ns, it->second->newest_timestamp_ns);
            rate = frames / (frames > 0 && stamped > 0 && stamped <= elapsed + 0.05 ? stamped : elapsed);
        }
        rows.push_back({std::move(s), rate, std::nullopt});
    }
    return rows;
}

std::string readers_text(const Row& r, const RemoteReaderLookup& lookup) {
    std::string text = std::to_string(r.info.live_reader_count()) + " shm";
    if (lookup.skipped()) return text;
    return text + " + " + (r.remote ? std::to_string(r.remote->size()) : std::string("?")) + " dds";
}

void print_table(const std::vector<Row>& rows, int domain, const RemoteReaderLookup& lookup, std::size_t hidden_dead,
                 std::size_t hidden_unreadable) {
    const std::int64_t now = realtime_now_ns();
    std::vector<std::vector<std::string>> table{{"TOPIC", "WRITER", "SLOTS", "READERS", "RATE", "NEWEST FRAME", "SCHEMA"}};
    std::vector<std::string> problems;
    for (const Row& r : rows) {
        const SegmentInfo& s = r.info;
        if (!s.error.empty()) {
            table.push_back({"?", "?", "-", "-", "-", "-", "(" + s.segment_name + " cannot be read)"});
            problems.push_back(s.segment_name + " (mode " + format_mode(s.mode) + ", owner " + s.owner + "): " + s.error);
            continue;
        }
        table.push_back({s.topic, writer_text(s), std::to_string(s.slot_count),
                         readers_text(r, lookup), rate_text(r),
                         newest_text(s, now), s.schema ? s.schema->to_string() : "?"});
    }
    if (table.size() == 1) {
        std::printf("no live topics in domain %d\n", domain);
    } else {
        // Columns of UTF-8 text: every byte but continuation bytes starts a character.
        auto columns = [](const std::string& text) {
            return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char ch) {
                return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
            }));
        };
        std::vector<std::size_t> width(table[0].size(), 0);
        for (const auto& row : table)
            for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], columns(row[c]));
        for (const auto& row : table) {
            std::string line;
            for (std::size_t c = 0; c < row.size(); ++c) {
                line += row[c];
                if (c + 1 < row.size()) line += std::string(width[c] - columns(row[c]) + 2, ' ');
            }
            std::printf("%s\n", line.c_str());
        }
    }
    for (const std::string& p : problems) std::printf("cannot read %s\n", p.c_str());
    if (!lookup.skipped() && !lookup.error().empty())
        std::printf("(remote readers unknown: %s)\n", lookup.error().c_str());
    if (hidden_dead)
        std::printf("(%zu segment%s of dead writers not shown: smx list --all shows %s; the next writer of the topic "
                    "replaces it)\n",
                    hidden_dead, hidden_dead == 1 ? "" : "s", hidden_dead == 1 ? "it" : "them");
    if (hidden_unreadable)
        std::printf("(%zu segment%s this user cannot read not shown: smx list --all)\n", hidden_unreadable,
                    hidden_unreadable == 1 ? "" : "s");
}

int run_list(const GlobalOptions& global, const ListOptions& o) {
    const int domain = o.domain.resolve(global);
    RemoteReaderLookup lookup(domain, o.remote);  // discovery runs during the rate window
    std::vector<Row> rows = measure(o, domain);
    std::size_t hidden_dead = 0, hidden_unreadable = 0;
    if (!o.all) {
        std::vector<Row> shown;
        for (Row& r : rows) {
            if (!r.info.error.empty())
                ++hidden_unreadable;
            else if (!r.info.writer.alive)
                ++hidden_dead;
            else
                shown.push_back(std::move(r));
        }
        rows = std::move(shown);
    }
    for (Row& r : rows)
        if (r.info.error.empty()) r.remote = lookup.readers_of(r.info.topic);
    if (o.json) {
        std::string j = "{\"domain\": " + std::to_string(domain) +
                        ", \"rate_window_s\": " + json_number(o.rate_window) + ", " + lookup.json_member() +
                        ", \"topics\": [";
        for (std::size_t i = 0; i < rows.size(); ++i)
            j += std::string(i ? ",\n  " : "\n  ") + segment_json(rows[i].info, rows[i].rate_hz, rows[i].remote);
        j += std::string(rows.empty() ? "" : "\n") + "], \"not_shown\": {\"dead\": " + std::to_string(hidden_dead) +
             ", \"unreadable\": " + std::to_string(hidden_unreadable) + "}}";
        std::printf("%s\n", j.c_str());
    } else {
        print_table(rows, domain, lookup, hidden_dead, hidden_unreadable);
    }
    return STATUS_OK;
}

}  // namespace

Command add_list_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<ListOptions>();
    CLI::App* sub = app.add_subcommand("list", "the live topics of a domain: writer, schema, slots, readers (shm and dds), rate");
    sub->add_flag("--json", options->json, "print one JSON document instead of a table");
    sub->add_flag("--all", options->all, "also show segments of dead writers and segments that cannot be read");
    sub->add_option("--rate-window", options->rate_window,
                    "seconds between the two readings of each newest frame number (0: no rate)")
        ->check(seconds_check(60))
        ->capture_default_str();
    add_remote_lookup_options(sub, options->remote);
    add_domain_option(sub, options->domain);
    sub->footer(std::string(LIST_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_list(global, *options); }};
}

}  // namespace smx::cli
