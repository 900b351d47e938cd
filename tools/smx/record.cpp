// `smx record TOPIC... -o run.h5`: every frame (or every n-th, for a duration, up to a count) of
// one or more topics into an HDF5 file (recording.hpp has the layout). One reader and one thread
// per topic; each frame is pinned and written straight from shared memory (no copy), the HDF5
// calls serialised by one mutex. The file is flushed once a second, so a recording that is
// killed keeps everything up to the last flush.

#include "cli.hpp"
#include "process.hpp"
#include "recording.hpp"
#include "topic_common.hpp"

#include <smx/inspect.hpp>
#include <smx/smx.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <exception>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <thread>

namespace smx::cli {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto FLUSH_PERIOD = 1s;

constexpr const char* RECORD_FOOTER = R"TEXT(
Records the frames of each TOPIC into one HDF5 file, readable with h5py and no smx installed:
  /<topic>/<field>         (N, *field shape), the field's dtype: f['camera/depth'][i]
  /<topic>/frame_number    (N,) uint64, the writer's frame numbers
  /<topic>/timestamp_ns    (N,) int64, the writer's CLOCK_REALTIME in ns since 1970 (UTC)
  attributes of /<topic>:  topic, schema (JSON), schema_hash, session, writer_pid,
                           writer_host, slots, domain, every, compression
Each frame is pinned while it is written (the writer keeps its other slots). Once a second
the file is flushed and a line "flushed ..." printed; at the end, per topic: frames written,
frames missed (published while the recorder was behind), bytes, seconds. Ctrl-C stops cleanly.
A recording whose process was killed keeps every frame flushed before: open it with
h5py.File(path, 'r', swmr=True) (or run h5clear -s on it). A writer that restarts with the same
schema is followed (its frame numbers start again at 1); with another schema, recording of that
topic stops.

Examples:
  smx record camera -o run.h5                  until Ctrl-C
  smx record camera imu -o run.h5 --duration 10 --compress 1
  smx record camera -o run.h5 --count 300 --every 3 --force
)TEXT";

struct RecordOptions {
    DomainOption domain;
    std::vector<std::string> topics;
    std::string output;
    bool force = false;
    std::uint64_t every = 1;
    std::uint64_t count = 0;
    double duration = 0;
    int compress = 0;
    double wait = DEFAULT_TIMEOUT_S;
};

// Field bytes of a frame: what the file holds of it (the schema's frame size less padding).
std::uint64_t field_bytes(const Schema& schema) {
    std::uint64_t bytes = 0;
    for (const Field& f : schema.fields()) bytes += f.nbytes();
    return bytes;
}

// What one topic's thread did; read by the main thread under the recorder's mutex.
struct TopicProgress {
    std::uint64_t written = 0;
    std::uint64_t missed = 0;
    std::uint64_t bytes = 0;
    Clock::time_point ended{};
    std::string note;  // why it stopped early
    bool done = false;
};

struct Recorder {
    Recorder(const RecordOptions& o, int d, RecordingFile& f, std::vector<Reader>& r, std::vector<Schema> s)
        : options(o), domain(d), file(f), readers(r), schemas(std::move(s)), progress(r.size()) {}

    const RecordOptions& options;
    int domain;
    RecordingFile& file;
    std::vector<Reader>& readers;
    std::vector<Schema> schemas;
    std::optional<Clock::time_point> deadline;
    std::mutex mutex;  // the file, progress, failure
    std::condition_variable changed;
    std::vector<TopicProgress> progress;
    std::exception_ptr failure;
    std::atomic<bool> stopping{false};

    void stop_all() {
        stopping = true;
        for (Reader& r : readers) r.interrupt();
        changed.notify_all();
    }
    bool all_done() const {
        for (const TopicProgress& p : progress)
            if (!p.done) return false;
        return true;
    }
    void record_topic(std::size_t k);
    void record_frames(std::size_t k);
};

void Recorder::record_topic(std::size_t k) {
    try {
        record_frames(k);
    } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
    }
    bool failed = false;
    {
        std::lock_guard lock(mutex);
        progress[k].done = true;
        progress[k].ended = Clock::now();
        failed = failure != nullptr;
    }
    if (failed) stop_all();  // one topic's failure (a full disk) ends the recording
    changed.notify_all();
}

void Recorder::record_frames(std::size_t k) {
    Reader& reader = readers[k];
    const Schema& schema = schemas[k];
    const std::string& topic = options.topics[k];
    const std::uint64_t missed_at_start = reader.stats().missed;
    std::uint64_t last_recorded = 0, written = 0;
    std::vector<const void*> fields(schema.size());
    std::vector<std::uint64_t> lengths(schema.size());
    const std::uint64_t frame_bytes = field_bytes(schema);
    while (!stopping && (options.count == 0 || written < options.count)) {
        auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(FLUSH_PERIOD);
        if (deadline) {
            const auto now = Clock::now();
            if (now >= *deadline) break;
            wait = std::min(wait, std::chrono::duration_cast<std::chrono::nanoseconds>(*deadline - now));
        }
        std::optional<Frame> frame = reader.next(wait, Hold::pin);
        if (!frame) continue;
        if (frame->schema() != schema) {
            std::lock_guard lock(mutex);
            progress[k].note = "the writer of topic '" + topic + "' restarted with another schema (" +
                               frame->schema().to_string() + "); its recording stopped there";
            break;
        }
        const std::uint64_t n = frame->frame_number();
        // --every N keeps frames N frame numbers apart, counted from the first recorded (and
        // from the first of a restarted writer, whose numbers begin again at 1).
        if (written > 0 && n > last_recorded && n - last_recorded < options.every) continue;
        for (std::size_t i = 0; i < schema.size(); ++i) {
            fields[i] = frame->data(i);
            lengths[i] = frame->length(i);  // pinned: the rows cannot change under the copy
        }
        std::lock_guard lock(mutex);
        file.append(k, fields, lengths, n, frame->timestamp_ns());
        last_recorded = n;
        ++written;
        TopicProgress& p = progress[k];
        p.written = written;
        p.bytes += frame_bytes;
        p.missed = reader.stats().missed - missed_at_start;
    }
    std::lock_guard lock(mutex);
    progress[k].missed = reader.stats().missed - missed_at_start;
}

RecordedWriter writer_of(int domain, const std::string& topic) {
    RecordedWriter w;
    w.topic = topic;
    w.domain = domain;
    // The segment says who writes (a reader on the network path has none: left empty).
    if (const std::optional<SegmentInfo> s = inspect_topic(domain, topic); s && s->error.empty()) {
        w.session = s->session;
        w.pid = s->writer.pid;
        w.host = s->writer_host;
        w.slots = s->slot_count;
    }
    return w;
}

void check_options(const RecordOptions& o) {
    std::set<std::string> seen;
    for (const std::string& t : o.topics)
        if (!seen.insert(t).second) throw CommandError(STATUS_USAGE, "topic '" + t + "' is given twice");
    check_output_file(o.output);
    struct stat st{};
    if (!o.force && ::stat(o.output.c_str(), &st) == 0)
        throw CommandError(STATUS_USAGE, "'" + o.output + "' exists; choose another file, or add --force to overwrite it");
}

void check_field_names(const std::string& topic, const Schema& schema) {
    for (const Field& f : schema.fields())
        if (f.name == FRAME_NUMBER_DATASET || f.name == TIMESTAMP_DATASET)
            throw CommandError(STATUS_USAGE, "topic '" + topic + "' has a field called '" + f.name +
                                                 "', the name smx record gives its own dataset beside the fields; "
                                                 "rename the field to record this topic");
}

std::string progress_line(const Recorder& r, double seconds) {
    std::string line = "flushed " + format_seconds(seconds) + ":";
    for (std::size_t k = 0; k < r.progress.size(); ++k)
        line += (k ? ";" : "") + std::string(" ") + r.options.topics[k] + " " + std::to_string(r.progress[k].written) +
                " frames (" + std::to_string(r.progress[k].missed) + " missed)";
    return line;
}

void print_summary(const Recorder& r, Clock::time_point start) {
    for (std::size_t k = 0; k < r.progress.size(); ++k) {
        const TopicProgress& p = r.progress[k];
        const double seconds = std::chrono::duration<double>(p.ended - start).count();
        const double rate = seconds > 0 ? static_cast<double>(p.written) / seconds : 0;
        const double mb_per_s = seconds > 0 ? static_cast<double>(p.bytes) / seconds / 1e6 : 0;
        std::printf("topic %s: %llu frames written, %llu missed, %llu bytes (%s), %.2f s (%.1f frames/s, %.1f MB/s)\n",
                    r.options.topics[k].c_str(), static_cast<unsigned long long>(p.written),
                    static_cast<unsigned long long>(p.missed), static_cast<unsigned long long>(p.bytes),
                    format_bytes(p.bytes).c_str(), seconds, rate, mb_per_s);
        if (!p.note.empty()) std::fprintf(stderr, "smx: %s\n", p.note.c_str());
    }
    struct stat st{};
    if (::stat(r.options.output.c_str(), &st) == 0)
        std::printf("wrote %s: %s on disk\n", r.options.output.c_str(),
                    format_bytes(static_cast<std::uint64_t>(st.st_size)).c_str());
    std::fflush(stdout);
}

// Waits for the topics' threads, flushing the file and printing progress once a second.
void supervise(Recorder& r, Clock::time_point start) {
    std::unique_lock lock(r.mutex);
    Clock::time_point next_flush = start + FLUSH_PERIOD;
    while (!r.all_done()) {
        if (r.changed.wait_until(lock, next_flush, [&r] { return r.all_done(); })) break;
        if (Clock::now() < next_flush) continue;
        next_flush += FLUSH_PERIOD;
        r.file.flush();
        std::printf("%s\n", progress_line(r, std::chrono::duration<double>(Clock::now() - start).count()).c_str());
        std::fflush(stdout);
    }
}

int run_record(const GlobalOptions& global, const RecordOptions& o) {
    const int domain = o.domain.resolve(global);
    check_options(o);
    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    std::signal(SIGPIPE, SIG_IGN);
    Participant participant(domain);
    std::vector<Reader> readers;
    readers.reserve(o.topics.size());
    for (const std::string& t : o.topics) readers.emplace_back(participant, t);
    std::atomic<Recorder*> recorder{nullptr};
    StopSignal stop([&readers, &recorder] {
        if (Recorder* r = recorder.load()) r->stop_all();
        else
            for (Reader& reader : readers) reader.interrupt();
    });

    const auto wait_end = Clock::now() + to_ns(o.wait);
    std::vector<RecordingFile::TopicSpec> specs;
    for (std::size_t k = 0; k < readers.size(); ++k) {
        const auto left = o.wait > 0 ? std::max(Clock::duration::zero(), wait_end - Clock::now())
                                     : Clock::duration(std::chrono::hours(24 * 365));
        const bool attached = readers[k].wait_for_writer(std::chrono::duration_cast<std::chrono::nanoseconds>(left));
        if (stop.requested()) return STATUS_OK;
        if (!attached) throw CommandError(STATUS_RUNTIME, no_writer_message(domain, o.topics[k], o.wait));
        check_field_names(o.topics[k], readers[k].schema());
        specs.push_back({writer_of(domain, o.topics[k]), readers[k].schema(), o.every});
    }

    std::optional<RecordingFile> file;
    try {
        file.emplace(o.output, o.force, o.compress, specs);
    } catch (const RecordingError& e) {
        throw CommandError(STATUS_RUNTIME, std::string(e.what()) + "; check the directory exists and is writable");
    }
    std::vector<Schema> schemas;
    for (const auto& s : specs) schemas.push_back(s.schema);
    Recorder r(o, domain, *file, readers, std::move(schemas));
    const Clock::time_point start = Clock::now();
    if (o.duration > 0) r.deadline = start + std::chrono::duration_cast<Clock::duration>(to_ns(o.duration));
    recorder = &r;
    if (stop.requested()) r.stop_all();  // a signal between the wait and here
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < readers.size(); ++k) threads.emplace_back([&r, k] { r.record_topic(k); });
    supervise(r, start);
    for (std::thread& t : threads) t.join();
    recorder = nullptr;
    if (r.failure) std::rethrow_exception(r.failure);
    file->close();
    print_summary(r, start);
    return STATUS_OK;
}

}  // namespace

Command add_record_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<RecordOptions>();
    CLI::App* sub = app.add_subcommand("record", "record topics' frames into an HDF5 file (h5py reads it)");
    sub->add_option("topics", options->topics, "the topics to record")->required();
    sub->add_option("-o,--output", options->output, "the HDF5 file to write")->required();
    sub->add_flag("--force", options->force, "overwrite the output file if it exists");
    sub->add_option("--every", options->every, "record every N-th frame (by frame number)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
        ->capture_default_str();
    sub->add_option("--count", options->count, "stop after N frames of each topic (0: no limit)")
        ->check(count_check())
        ->capture_default_str();
    sub->add_option("--duration", options->duration, "stop after this many seconds (0: until Ctrl-C)")
        ->check(seconds_check(86400 * 365))
        ->capture_default_str();
    sub->add_option("--compress", options->compress, "gzip (deflate) level 1..9 with byte shuffle; 0: none")
        ->check(CLI::Range(0, 9))
        ->capture_default_str();
    sub->add_option("--wait,--timeout", options->wait, "seconds to wait for every topic's writer (0: forever)")
        ->check(seconds_check(86400))
        ->capture_default_str();
    add_domain_option(sub, options->domain);
    sub->footer(std::string(RECORD_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_record(global, *options); }};
}

}  // namespace smx::cli
