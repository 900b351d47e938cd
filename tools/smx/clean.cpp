// `smx clean`: removes the shared segments that writers which died without closing (SIGKILL, a
// crash, a power cut of the process) left in /dev/shm. Each one is opened and validated again
// and removed through the library (remove_dead_segment) only while its writer is still dead,
// under the writers' lock: a live writer's segment and files that are not smx segments are
// never touched.

#include "cli.hpp"
#include "topic_common.hpp"

#include <smx/inspect.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace smx::cli {

namespace {

constexpr const char* CLEAN_FOOTER = R"TEXT(
A writer that dies without closing (killed, crashed) leaves its topic's shared segment in
/dev/shm, holding its slots' memory until the topic's next writer replaces it or a reader of
the topic removes it. `smx clean` removes such segments now, one line each:
  removed /dev/shm/smx.7.camera  topic 'camera'  dead writer pid 4711  4.9 MB
Only smx segments whose writer is dead are removed. A live writer's segment, a segment that
cannot be read (another user's, damaged, of another smx version) and any file that is not an
smx segment are left alone; those that cannot be read are counted ("smx list --all" shows
them). Readers that still map a removed segment keep their frames; the memory is freed when
the last of them lets go. With nothing to remove it says "nothing to clean" and exits 0.

Examples:
  smx clean                        the dead writers' segments of the default domain
  smx clean camera imu             only those topics' segments
  smx clean --dry-run              only say what would be removed
  smx clean --domain 7             domain 7
  smx clean --all-domains          every domain on this machine
)TEXT";

constexpr const char* CLEAN_EXIT_STATUS = R"TEXT(Exit status:
  0  ok: every dead writer's segment was removed (or there was none)
  2  usage error: a bad option
  3  runtime error: a segment could not be removed (another user's), /dev/shm cannot be read)TEXT";

struct CleanOptions {
    DomainOption domain;
    std::vector<std::string> topics;  // empty: every topic
    bool all_domains = false;
    bool dry_run = false;
};

std::string segment_line(const char* verb, const SegmentInfo& s) {
    return std::string(verb) + " " + s.path + "  topic '" + s.topic + "'  dead writer pid " +
           std::to_string(s.writer.pid) + "  " + format_bytes(s.size_bytes);
}

std::string where(const CleanOptions& o, int domain) {
    std::string text = o.all_domains ? "any domain" : "domain " + std::to_string(domain);
    if (!o.topics.empty()) text += " for the topic" + std::string(o.topics.size() == 1 ? "" : "s") + " given";
    return text;
}

std::vector<SegmentInfo> segments_to_clean(const CleanOptions& o, int domain) {
    if (o.all_domains) return inspect_all_domains();
    if (o.topics.empty()) return inspect_domain(domain);
    std::vector<SegmentInfo> out;
    for (const std::string& topic : o.topics)
        if (auto s = inspect_topic(domain, topic)) out.push_back(std::move(*s));
    return out;
}

int run_clean(const GlobalOptions& global, const CleanOptions& o) {
    const int domain = o.domain.resolve(global);
    const std::vector<SegmentInfo> segments = segments_to_clean(o, domain);
    std::size_t removed = 0, unreadable = 0;
    std::uint64_t freed = 0;
    std::vector<std::string> failures;
    for (const SegmentInfo& s : segments) {
        if (!s.error.empty()) {
            ++unreadable;
            continue;
        }
        if (s.writer.alive) continue;
        if (o.dry_run) {
            std::printf("%s\n", segment_line("would remove", s).c_str());
            ++removed;
            freed += s.size_bytes;
            continue;
        }
        try {
            switch (remove_dead_segment(s)) {
                case SegmentRemoval::removed:
                    std::printf("%s\n", segment_line("removed", s).c_str());
                    ++removed;
                    freed += s.size_bytes;
                    break;
                // Between looking and removing, a writer took the topic or someone else removed it:
                // nothing of this segment is left to clean.
                case SegmentRemoval::writer_alive:
                case SegmentRemoval::replaced: break;
                case SegmentRemoval::busy:
                    std::printf("left %s  topic '%s': a writer or reader is replacing it right now\n", s.path.c_str(),
                                s.topic.c_str());
                    break;
            }
        } catch (const Error& e) {
            failures.push_back(e.what());
        }
    }
    if (removed == 0 && failures.empty())
        std::printf("nothing to clean in %s\n", where(o, domain).c_str());
    else if (removed > 0)
        std::printf("%s %zu segment%s of dead writers in %s, %s\n", o.dry_run ? "would remove" : "removed", removed,
                    removed == 1 ? "" : "s", where(o, domain).c_str(), format_bytes(freed).c_str());
    if (unreadable > 0)
        std::printf("(%zu segment%s that cannot be read left alone: smx list --all%s shows %s)\n", unreadable,
                    unreadable == 1 ? "" : "s", o.all_domains ? " --domain N" : "", unreadable == 1 ? "it" : "them");
    std::fflush(stdout);
    for (const std::string& f : failures) std::fprintf(stderr, "smx: %s\n", f.c_str());
    return failures.empty() ? STATUS_OK : STATUS_RUNTIME;
}

}  // namespace

Command add_clean_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<CleanOptions>();
    CLI::App* sub = app.add_subcommand("clean", "remove the segments that dead writers left in /dev/shm");
    CLI::Option* topics = sub->add_option("topic", options->topics, "only these topics (default: every topic)");
    sub->add_flag("--dry-run", options->dry_run, "say what would be removed, remove nothing");
    CLI::Option* all = sub->add_flag("--all-domains", options->all_domains, "every domain, not only --domain");
    all->excludes(topics);
    add_domain_option(sub, options->domain)->excludes(all);
    sub->footer(std::string(CLEAN_FOOTER) + "\n" + CLEAN_EXIT_STATUS);
    return {sub, [&global, options] { return run_clean(global, *options); }};
}

}  // namespace smx::cli
