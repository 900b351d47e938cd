// `smx play run.h5`: republishes a recording of `smx record` — one smx::Writer per recorded topic
// with the recorded schema, frames at their recorded spacing (or --rate), read from the file
// straight into loaned slots (no copy between the file and shared memory).

#include "cli.hpp"
#include "process.hpp"
#include "recording.hpp"
#include "topic_common.hpp"

#include <smx/smx.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <new>

namespace smx::cli {

namespace {

using Clock = std::chrono::steady_clock;

// A frame's spacing when a topic has a single frame and no --rate says otherwise.
constexpr double SINGLE_FRAME_PERIOD_S = 0.1;
// Longer pauses of the recording are shortened to this (--max-gap).
constexpr double DEFAULT_MAX_GAP_S = 10;

constexpr const char* PLAY_FOOTER = R"TEXT(
Publishes every topic of a recording made by `smx record` under its recorded name and schema,
so readers cannot tell it from the live writer: the bytes of every field are those recorded.
Frames keep their recorded spacing (the writer's timestamps relative to the first frame of the
recording), or come at --rate frames per second per topic. The replay is a new writer session:
frame numbers start at 1 and timestamps are the time of replay (the recorded ones are in the
file's frame_number and timestamp_ns datasets). At the end, per topic: frames published and
frames dropped because readers held every slot. A pause longer than --max-gap seconds (10) between
two frames of the recording, or a timestamp that goes back, is played as a gap of at most that
(and said once per topic): a recorder paused overnight does not stall the replay. Ctrl-C stops. A recording whose recorder was
killed plays up to its last flushed frame.

Examples:
  smx play run.h5                              as recorded
  smx play run.h5 --rate 10 --loop             10 frames per second per topic, until Ctrl-C
  smx play run.h5 --topic camera=camera_replay beside the live camera
)TEXT";

const char* const PLAY_EXIT_STATUS = R"TEXT(Exit status:
  0  ok (also when stopped with Ctrl-C)
  2  usage error: a bad option, or the file is not a recording of smx record
  3  runtime error: a topic already has a live writer, DDS or shared memory refused, the file
     cannot be read)TEXT";

struct PlayOptions {
    DomainOption domain;
    std::string input;
    double rate = 0;
    double max_gap = DEFAULT_MAX_GAP_S;
    bool loop = false;
    std::vector<std::string> renames;
};

struct Playing {
    std::size_t recorded;  // index in RecordingReader::topics()
    std::string topic;     // published as
    std::optional<Writer> writer;
    std::vector<double> due_s;   // recorded spacing: seconds from the start at which each frame is due
    std::vector<std::uint64_t> order;  // each frame's place among all topics' frames (ties keep it)
    std::uint64_t next = 0;      // index of the next frame in the file
    std::uint64_t cycle = 0;     // loops done
    double period_s = 0;         // spacing after the last frame before looping
    std::uint64_t published = 0, dropped = 0;
};

std::map<std::string, std::string> parse_renames(const std::vector<std::string>& renames,
                                                 const std::vector<RecordingReader::Topic>& topics) {
    std::map<std::string, std::string> out;
    for (const std::string& r : renames) {
        const auto eq = r.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
            throw CommandError(STATUS_USAGE, "--topic '" + r + "' is not OLD=NEW (e.g. --topic camera=camera_replay)");
        const std::string old_name = r.substr(0, eq);
        bool known = false;
        std::string names;
        for (const auto& t : topics) {
            known = known || t.writer.topic == old_name;
            names += (names.empty() ? "" : ", ") + t.writer.topic;
        }
        if (!known) throw CommandError(STATUS_USAGE, "--topic " + r + ": the recording has no topic '" + old_name +
                                                         "'; its topics are: " + names);
        out[old_name] = r.substr(eq + 1);
    }
    return out;
}

// Seconds from the start of the replay at which frame `p.next` of its cycle is due.
double due_s(const Playing& p, double rate, double cycle_s) {
    const double within = rate > 0 ? static_cast<double>(p.next) / rate : p.due_s[p.next];
    return within + static_cast<double>(p.cycle) * cycle_s;
}

// The recorded schedule of every topic (Playing::due_s): frames play in the file's order, each
// topic's timestamps made monotonic (one that goes back plays with its predecessor), the topics
// merged by timestamp, each frame due the time since the previous one later, except that a pause
// longer than `max_gap_s` plays as `max_gap_s`. The timestamps are the writer's and the file
// anyone's: the schedule stays finite and monotonic whatever they say.
// `say`: report shortened pauses (not when --rate replaces the recorded spacing).
void schedule(std::vector<Playing>& playing, const std::vector<RecordingReader::Topic>& topics, double max_gap_s,
              bool say) {
    struct Stamp {
        std::int64_t ns;
        std::size_t playing;
        std::uint64_t frame;
    };
    std::vector<Stamp> stamps;
    for (std::size_t k = 0; k < playing.size(); ++k) {
        const auto& t = topics[playing[k].recorded];
        playing[k].due_s.assign(t.frames, 0.0);
        playing[k].order.assign(t.frames, 0);
        std::int64_t ns = INT64_MIN;
        for (std::uint64_t i = 0; i < t.frames; ++i) {
            ns = std::max(ns, t.timestamps_ns[i]);
            stamps.push_back({ns, k, i});
        }
    }
    std::stable_sort(stamps.begin(), stamps.end(), [](const Stamp& a, const Stamp& b) { return a.ns < b.ns; });
    std::vector<bool> said(playing.size(), false);
    double at = 0;
    for (std::size_t j = 0; j < stamps.size(); ++j) {
        if (j > 0) {
            const double gap = seconds_between(stamps[j].ns, stamps[j - 1].ns);
            if (say && gap > max_gap_s && !said[stamps[j].playing]) {
                said[stamps[j].playing] = true;
                std::fprintf(stderr, "smx: topic '%s': a pause of %.3g s before frame %llu of the recording is played as %g s (--max-gap)\n",
                             topics[playing[stamps[j].playing].recorded].writer.topic.c_str(), gap,
                             static_cast<unsigned long long>(stamps[j].frame + 1), max_gap_s);
            }
            at += std::clamp(gap, 0.0, max_gap_s);
        }
        playing[stamps[j].playing].due_s[stamps[j].frame] = at;
        playing[stamps[j].playing].order[stamps[j].frame] = j;
    }
}

// Publishes frame `p.next` of topic `t`: the fields are read from the file into a loaned slot.
void publish_frame(RecordingReader& file, const RecordingReader::Topic& t, Playing& p) {
    std::optional<Loan> loan = p.writer->loan();
    if (!loan) {
        ++p.dropped;  // every slot pinned by readers for longer than the writer's full_wait
        return;
    }
    for (std::size_t i = 0; i < t.schema.size(); ++i) {
        file.read(p.recorded, i, p.next, loan->data(i));
        if (t.schema[i].bounded) loan->set_length(i, t.lengths[i][p.next]);  // checked on opening the file
    }
    if (p.writer->publish(std::move(*loan))) ++p.published;
    else ++p.dropped;
}

int run_play(const GlobalOptions& global, const PlayOptions& o) {
    const int domain = o.domain.resolve(global);
    std::optional<RecordingReader> file;
    try {
        file.emplace(o.input);
    } catch (const std::bad_alloc&) {
        throw CommandError(STATUS_USAGE, "'" + o.input + "' claims more frames than fit in memory: not a recording smx can play");
    } catch (const RecordingError& e) {
        const std::string what = e.what();
        throw CommandError(STATUS_USAGE, what.find("'" + o.input + "'") == std::string::npos ? "'" + o.input + "': " + what : what);
    } catch (const smx::Error& e) {
        throw CommandError(STATUS_USAGE, "'" + o.input + "' is not a recording smx can play: " + e.what());
    }
    const auto& topics = file->topics();
    const std::map<std::string, std::string> renames = parse_renames(o.renames, topics);

    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    Participant participant(domain);
    StopSignal stop;
    std::vector<Playing> playing;
    double cycle_s = 0;
    for (std::size_t k = 0; k < topics.size(); ++k) {
        const auto& t = topics[k];
        if (t.frames == 0) {
            std::fprintf(stderr, "smx: topic '%s' has no frames in '%s'; not played\n", t.writer.topic.c_str(), o.input.c_str());
            continue;
        }
        const auto renamed = renames.find(t.writer.topic);
        Playing p{k, renamed == renames.end() ? t.writer.topic : renamed->second, std::nullopt, {}, {}};
        WriterOptions wo;
        wo.slots = t.writer.slots >= 2 && t.writer.slots <= 1024 ? t.writer.slots : 3;
        wo.when_full = WhenFull::wait;
        wo.full_wait = std::chrono::seconds(1);
        p.writer.emplace(participant, p.topic, t.schema, wo);
        playing.push_back(std::move(p));
    }
    if (playing.empty()) throw CommandError(STATUS_USAGE, "'" + o.input + "' holds no frames to play");
    std::uint64_t total_frames = 0;
    try {
        schedule(playing, topics, o.max_gap, o.rate <= 0);
        for (const Playing& p : playing) total_frames += p.order.size();
    } catch (const std::bad_alloc&) {
        throw CommandError(STATUS_RUNTIME, "'" + o.input + "': its topics claim more frames than fit in memory to schedule");
    }
    // Each topic's spacing after its last frame; one cycle of --loop is the whole recording plus
    // that spacing of its longest-lasting topic.
    for (Playing& p : playing) {
        const auto& t = topics[p.recorded];
        const double span_s = p.due_s.back() - p.due_s.front();
        p.period_s = o.rate > 0 ? 1 / o.rate
                     : t.frames > 1 && span_s > 0 ? span_s / static_cast<double>(t.frames - 1)
                                    : SINGLE_FRAME_PERIOD_S;
        const double last_s = o.rate > 0 ? static_cast<double>(t.frames - 1) / o.rate : p.due_s.back();
        cycle_s = std::max(cycle_s, last_s + p.period_s);
    }

    const Clock::time_point start = Clock::now();
    for (;;) {
        // The topic whose next frame is due first.
        // Frames due at the same time keep the recording's order (cycle, then merged place).
        Playing* next = nullptr;
        double next_due = 0;
        std::uint64_t next_order = 0;
        for (Playing& p : playing) {
            if (p.next >= topics[p.recorded].frames) continue;  // finished (no --loop)
            const double due = due_s(p, o.rate, cycle_s);
            const std::uint64_t order = p.cycle * total_frames + p.order[p.next];
            if (!next || due < next_due || (!(next_due < due) && order < next_order)) {
                next = &p;
                next_due = due;
                next_order = order;
            }
        }
        if (!next) break;
        if (stop.wait_until(start + std::chrono::duration_cast<Clock::duration>(to_ns(next_due)))) break;
        try {
            publish_frame(*file, topics[next->recorded], *next);
        } catch (const RecordingError& e) {  // a file changed or damaged since it was opened
            throw CommandError(STATUS_RUNTIME, "'" + o.input + "', topic '" + topics[next->recorded].writer.topic +
                                                   "', frame " + std::to_string(next->next + 1) + ": " + e.what());
        }
        if (++next->next == topics[next->recorded].frames && o.loop) {
            next->next = 0;
            ++next->cycle;
        }
    }

    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (const Playing& p : playing) {
        const std::string as = p.topic == topics[p.recorded].writer.topic ? "" : " as '" + p.topic + "'";
        std::printf("topic %s%s: %llu frames published, %llu dropped (all slots held), %llu loops, %.2f s (%.1f frames/s)\n",
                    topics[p.recorded].writer.topic.c_str(), as.c_str(), static_cast<unsigned long long>(p.published),
                    static_cast<unsigned long long>(p.dropped), static_cast<unsigned long long>(p.cycle), seconds,
                    seconds > 0 ? static_cast<double>(p.published) / seconds : 0.0);
    }
    std::fflush(stdout);
    return STATUS_OK;
}

}  // namespace

Command add_play_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<PlayOptions>();
    CLI::App* sub = app.add_subcommand("play", "republish a recording of `smx record` as live topics");
    sub->add_option("file", options->input, "the HDF5 file smx record wrote")->required();
    sub->add_option("--rate", options->rate, "frames per second per topic instead of the recorded spacing")
        ->check(finite_range(1e-6, 1e6));
    sub->add_option("--max-gap", options->max_gap, "play pauses of the recording longer than this many seconds as this long")
        ->capture_default_str()
        ->check(finite_range(0.001, 86400.0));
    sub->add_flag("--loop", options->loop, "start again after the last frame, until Ctrl-C");
    sub->add_option("--topic", options->renames, "OLD=NEW: publish recorded topic OLD as NEW (repeat for more)");
    add_domain_option(sub, options->domain);
    sub->footer(std::string(PLAY_FOOTER) + "\n" + PLAY_EXIT_STATUS);
    return {sub, [&global, options] { return run_play(global, *options); }};
}

}  // namespace smx::cli
