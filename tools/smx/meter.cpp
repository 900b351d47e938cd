#include "meter.hpp"

#include "process.hpp"
#include "topic_common.hpp"

#include <smx/smx.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

namespace smx::cli {

namespace {

using namespace std::chrono_literals;

// How long a receiving thread blocks in next() before it looks at the reader's state again
// (for "writer gone") and at whether the run is over.
constexpr std::chrono::nanoseconds STATE_SLICE = 250ms;

// One topic: its reader, its meter, and what its receiving thread reports to the printing loop.
struct MeterWatch {
    MeterWatch(const Participant& participant, std::string name, std::unique_ptr<FrameMeter> m)
        : topic(std::move(name)), reader(participant, topic), meter(std::move(m)) {}

    std::string topic;
    Reader reader;  // used by the receiving thread only (interrupt() is safe from any thread)
    std::mutex mutex;
    // Guarded by `mutex`:
    std::unique_ptr<FrameMeter> meter;
    bool got_any = false;
    MeterClock::time_point last_arrival{};
    ReaderState state = ReaderState::waiting_for_writer;
    std::uint64_t received = 0, skipped = 0;
    std::exception_ptr error;
};

// The receiving thread of one topic: every frame as it arrives, until `done`.
void receive(MeterWatch& w, const std::atomic<bool>& done) noexcept {
    try {
        ReaderStats stats = w.reader.stats();
        std::uint64_t attachments = stats.attachments;
        const std::uint64_t missed_at_start = stats.missed;
        std::optional<std::uint64_t> last_frame;
        while (!done.load(std::memory_order_acquire)) {
            std::optional<Frame> frame = w.reader.next(STATE_SLICE);
            const MeterClock::time_point at = MeterClock::now();
            stats = w.reader.stats();
            const std::lock_guard<std::mutex> lock(w.mutex);
            w.state = w.reader.state();
            w.skipped = stats.missed - missed_at_start;
            if (!frame) continue;
            // A new session numbers its frames from 1 again; its first frame is not timed.
            const bool first = stats.attachments != attachments || (last_frame && frame->frame_number() <= *last_frame);
            if (first) {
                w.meter->restart();
                attachments = stats.attachments;
            }
            if (!first && last_frame) w.meter->add(*frame, at);
            last_frame = frame->frame_number();
            w.got_any = true;
            w.last_arrival = at;
            ++w.received;
        }
    } catch (...) {
        const std::lock_guard<std::mutex> lock(w.mutex);
        w.error = std::current_exception();
    }
}

const char* state_text(ReaderState state) {
    switch (state) {
        case ReaderState::writer_gone: return "writer gone";
        case ReaderState::attached: return "the writer is idle";
        default: return "waiting for a writer";
    }
}

// The line of one topic for the period that just ended (called with its lock held).
std::string period_line(MeterWatch& w, int domain, const MeterRun& run, MeterClock::time_point start,
                        MeterClock::time_point now) {
    const auto quiet = now - w.last_arrival;
    // Frames stopped: say so, rather than repeat the measurement of frames that no longer come.
    if (w.got_any && quiet >= run.period)
        return "no new frames for " + format_duration(std::chrono::duration<double>(quiet).count()) + " (" +
               state_text(w.state) + ")";
    if (auto text = w.meter->line()) return *text;
    if (!w.got_any && run.timeout > 0 && now - start >= to_ns(run.timeout))
        throw no_frame_error(domain, w.topic, run.timeout);
    return std::string("no new frames yet (") +
           (w.state == ReaderState::attached ? "the writer is idle" : "waiting for a writer") + ")";
}

// Ends the receiving threads when the run ends, however it ends.
struct Receivers {
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    std::vector<std::unique_ptr<MeterWatch>>& watches;

    explicit Receivers(std::vector<std::unique_ptr<MeterWatch>>& w) : watches(w) {}
    ~Receivers() { stop(); }
    void stop() noexcept {
        done.store(true, std::memory_order_release);
        for (auto& w : watches) w->reader.interrupt();
        for (std::thread& t : threads)
            if (t.joinable()) t.join();
    }
    // The first error a receiving thread caught, rethrown here.
    void rethrow() {
        for (auto& w : watches) {
            const std::lock_guard<std::mutex> lock(w->mutex);
            if (w->error) std::rethrow_exception(w->error);
        }
    }
};

}  // namespace

int run_meters(int domain, const MeterRun& run, const std::function<std::unique_ptr<FrameMeter>()>& make) {
    block_stop_signals();           // before Cyclone starts its threads: they inherit the mask
    std::signal(SIGPIPE, SIG_IGN);  // a closed stdout ends the loop (EPIPE), not the process
    const Participant participant(domain);
    std::vector<std::unique_ptr<MeterWatch>> watches;
    for (const std::string& topic : run.topics) watches.push_back(std::make_unique<MeterWatch>(participant, topic, make()));
    StopSignal stop([&watches] {
        for (auto& w : watches) w->reader.interrupt();
    });
    // The readers discover their writers together; each wait takes what is left of the timeout.
    const MeterClock::time_point wait_start = MeterClock::now();
    for (auto& w : watches) {
        const double left =
            run.timeout > 0
                ? std::max(1e-3, run.timeout - std::chrono::duration<double>(MeterClock::now() - wait_start).count())
                : 0;
        if (!wait_for_writer_or_fail(w->reader, domain, w->topic, left, stop)) return STATUS_OK;
    }

    Receivers receivers(watches);
    for (auto& w : watches) receivers.threads.emplace_back(receive, std::ref(*w), std::cref(receivers.done));
    const auto prefix = [&run](const MeterWatch& w) { return run.topics.size() > 1 ? w.topic + ": " : std::string(); };
    const MeterClock::time_point start = MeterClock::now();
    const std::optional<MeterClock::time_point> end =
        run.seconds > 0 ? std::optional(start + std::chrono::duration_cast<MeterClock::duration>(to_ns(run.seconds)))
                        : std::nullopt;
    MeterClock::time_point next_print = start + run.period;
    std::uint64_t periods = 0;
    while (!stop.wait_until(end ? std::min(next_print, *end) : next_print)) {
        receivers.rethrow();
        const MeterClock::time_point now = MeterClock::now();
        if (now >= next_print) {
            next_print += run.period;
            for (auto& w : watches) {
                const std::lock_guard<std::mutex> lock(w->mutex);
                std::printf("%s%s\n", prefix(*w).c_str(), period_line(*w, domain, run, start, now).c_str());
            }
            if (std::fflush(stdout) != 0) break;  // the reading end closed
            if (run.count > 0 && ++periods >= run.count) break;
        }
        if (end && now >= *end) break;
    }
    receivers.stop();
    receivers.rethrow();
    for (auto& w : watches) {
        const std::lock_guard<std::mutex> lock(w->mutex);
        std::printf("%s%s\n", prefix(*w).c_str(), w->meter->final_line(w->received, w->skipped).c_str());
    }
    std::fflush(stdout);
    return STATUS_OK;
}

}  // namespace smx::cli
