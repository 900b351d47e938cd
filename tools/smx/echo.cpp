// `smx echo TOPIC`: one line per frame — frame number, age, and per field its dtype and shape
// with min, max and mean (or the values themselves for fields of at most 8 elements). A
// template-less reader learns the schema from the writer. The fields are copied out and the
// copies checked (Frame::copy_field_into): a line never mixes two frames, and echo never holds
// up the writer; or, with --pin, each frame is pinned while its line is made and printed.

#include "cli.hpp"
#include "elements.hpp"
#include "process.hpp"
#include "topic_common.hpp"

#include <smx/smx.hpp>

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

namespace smx::cli {

namespace {

using namespace std::chrono_literals;

// Fields with at most this many elements are printed in full.
constexpr std::uint64_t SMALL_FIELD = 8;
constexpr std::size_t SHOWN_STRING = 80;  // characters of one string element shown

constexpr const char* ECHO_FOOTER = R"TEXT(
One line per frame, in order, as the writer publishes them:
  frame 42  age 1.20 ms  timestamp <f8 (1,) [1717171717.5]; color |u1 (480, 848, 3) min 0 max 255 mean 127.5; ...
Fields of at most 8 elements show their values, larger ones min, max and mean over their
finite values (with a count of NaN/inf if any; complex fields: of the magnitudes). The age is
now minus the frame's timestamp. Frames this reader could not keep up with are skipped and
counted on the next line ("(3 skipped)"). The fields are copied out of shared memory, without
holding up the writer, and the copies checked: a frame whose slot the writer reused during the
copy is reported as "torn ... not shown" instead of mixing two frames. With --pin each frame is
pinned instead, from before its line is made until after it is printed: the writer cannot reuse
that slot meanwhile (it writes into its other slots), so no line is ever torn and nothing is
copied — but an echo that cannot print (a paused terminal, a full pipe) keeps one slot held.
Runs until Ctrl-C or --count frames; a writer that restarts is followed.

Examples:
  smx echo camera                      every frame of topic 'camera'
  smx echo camera --count 3            three frames, then exit
  smx echo camera --field depth        only the field 'depth' (repeat --field for more)
  smx echo camera --pin                every frame pinned while it is shown
  smx echo camera --timeout 0          wait for the writer as long as it takes
)TEXT";

struct EchoOptions {
    DomainOption domain;
    std::string topic;
    std::vector<std::string> fields;
    std::uint64_t count = 0;
    bool pin = false;
    double timeout = DEFAULT_TIMEOUT_S;
};

// `shape`: the field's shape in this frame (a bounded field's live rows).
std::string summarise(const Field& field, const Shape& shape, const std::byte* data) {
    const std::uint64_t n = shape.element_count();
    std::string text = field.name + " " + field.dtype.typestr() + " " + shape.to_string();
    if (field.bounded) text += " of " + field.shape_string();
    if (field.dtype.is_string()) {  // text has no statistics: the first strings
        text += " [";
        for (std::uint64_t i = 0; i < std::min<std::uint64_t>(n, SMALL_FIELD); ++i) {
            std::string s = element_text(field.dtype, data, i);
            if (s.size() > SHOWN_STRING) s = s.substr(0, SHOWN_STRING) + "...'";  // a line, not a page
            text += (i ? ", " : "") + s;
        }
        return text + (n > SMALL_FIELD ? ", ... " + std::to_string(n - SMALL_FIELD) + " more]" : "]");
    }
    if (n == 0) return text + " []";
    if (n <= SMALL_FIELD) {
        text += " [";
        for (std::uint64_t i = 0; i < n; ++i) text += (i ? ", " : "") + element_text(field.dtype, data, i);
        return text + "]";
    }
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    long double sum = 0;  // x86 long double: no overflow even for the extreme doubles
    std::uint64_t finite = 0;
    for_each_value(field.dtype, data, n, [&](double v) {
        if (!std::isfinite(v)) return;
        ++finite;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        sum += v;
    });
    if (is_complex(field.dtype)) text += " |z|";
    if (finite == 0) return text + " no finite values (" + std::to_string(n) + " NaN/inf)";
    text += " min " + format_number(lo) + " max " + format_number(hi) + " mean " +
            format_number(static_cast<double>(sum / static_cast<long double>(finite)));
    if (finite != n) text += " NaN/inf " + std::to_string(n - finite);
    return text;
}

// The line of one frame. A pinned frame is read in place: the writer cannot change it. Else the
// chosen fields are copied out first and the copies checked: the slow part (the statistics)
// then works on bytes the writer cannot change, and the window in which the writer could reuse
// the slot is only as long as a memcpy.
std::string frame_line(const Frame& frame, const std::vector<std::size_t>& fields, std::uint64_t skipped,
                       std::vector<std::vector<std::byte>>& copies) {
    std::string line = "frame " + std::to_string(frame.frame_number());
    if (skipped) line += " (" + std::to_string(skipped) + " skipped)";
    std::vector<const std::byte*> data(fields.size());
    std::vector<Shape> shapes(fields.size());
    copies.resize(fields.size());
    for (std::size_t k = 0; k < fields.size(); ++k) {
        const Field& f = frame.schema()[fields[k]];
        if (frame.pinned()) {
            shapes[k] = frame.shape(fields[k]);
            data[k] = frame.bytes(fields[k]).data();
            continue;
        }
        copies[k].resize(f.nbytes());
        std::uint64_t rows = 0;
        const bool consistent = frame.copy_field_into(fields[k], copies[k], rows);
        shapes[k] = f.bounded ? f.shape.with_dim(0, rows) : f.shape;
        if (!consistent)
            return line + "  torn: the writer reused its slot while it was read; not shown";
        data[k] = copies[k].data();
    }
    line += "  age " + format_duration(seconds_between(realtime_now_ns(), frame.timestamp_ns())) + "  ";
    for (std::size_t k = 0; k < fields.size(); ++k) line += (k ? "; " : "") + summarise(frame.schema()[fields[k]], shapes[k], data[k]);
    return line;
}

int run_echo(const GlobalOptions& global, const EchoOptions& o) {
    const int domain = o.domain.resolve(global);
    block_stop_signals();  // before Cyclone starts its threads: they inherit the mask
    // A closed stdout ends the loop (fflush fails with EPIPE) and the reader closes cleanly,
    // instead of SIGPIPE killing the process with its registration still in the segment.
    std::signal(SIGPIPE, SIG_IGN);
    TopicReader topic(domain, o.topic);
    StopSignal stop([&topic] { topic.reader.interrupt(); });
    if (!wait_for_writer_or_fail(topic.reader, domain, o.topic, o.timeout, stop)) return STATUS_OK;

    std::uint64_t printed = 0, missed_seen = topic.reader.stats().missed, attachments = 0;
    std::vector<std::size_t> fields;
    bool first = true;
    std::vector<std::vector<std::byte>> copies;  // reused: no allocation per frame
    const auto first_deadline = std::chrono::steady_clock::now() + to_ns(o.timeout);
    ReaderState state = topic.reader.state();
    while (!stop.requested() && (o.count == 0 || printed < o.count)) {
        // Pinned, the frame stays unchanged until it is dropped at the end of this iteration: after
        // its line was printed.
        std::optional<Frame> frame = topic.reader.next(1s, o.pin ? Hold::pin : Hold::view);
        if (topic.reader.state() != state) {
            state = topic.reader.state();
            if (state == ReaderState::writer_gone)
                std::fprintf(stderr, "smx: the writer of topic '%s' is gone; waiting for a new one (Ctrl-C stops)\n",
                             o.topic.c_str());
        }
        if (!frame) {
            if (first && o.timeout > 0 && std::chrono::steady_clock::now() >= first_deadline && !stop.requested())
                throw no_frame_error(domain, o.topic, o.timeout);
            continue;
        }
        // The schema may change when a writer restarts: pick the fields again then.
        if (topic.reader.stats().attachments != attachments) {
            attachments = topic.reader.stats().attachments;
            fields.clear();
            if (o.fields.empty())
                for (std::size_t i = 0; i < frame->schema().size(); ++i) fields.push_back(i);
            for (const std::string& name : o.fields) fields.push_back(field_index_or_fail(frame->schema(), o.topic, name));
        }
        const std::uint64_t missed = topic.reader.stats().missed;
        std::printf("%s\n", frame_line(*frame, fields, first ? 0 : missed - missed_seen, copies).c_str());
        if (std::fflush(stdout) != 0) break;  // the reading end closed (`smx echo t | head -3`)
        missed_seen = missed;
        first = false;
        ++printed;
    }
    return STATUS_OK;
}

}  // namespace

Command add_echo_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<EchoOptions>();
    CLI::App* sub = app.add_subcommand("echo", "one line per frame: frame number, age, per field min/max/mean or values");
    sub->add_option("topic", options->topic, "the topic")->required();
    sub->add_option("--field", options->fields, "show only this field (repeat for more)");
    sub->add_option("--count", options->count, "exit after this many frames (0: until Ctrl-C)")
        ->check(count_check())
        ->capture_default_str();
    sub->add_flag("--pin", options->pin,
                  "pin each frame while its line is made and printed (never torn, nothing copied; holds a slot)");
    add_timeout_option(sub, options->timeout, "seconds to wait for the writer and for its first frame (0: forever)");
    add_domain_option(sub, options->domain);
    sub->footer(std::string(ECHO_FOOTER) + "\n" + TOPIC_EXIT_STATUS);
    return {sub, [&global, options] { return run_echo(global, *options); }};
}

}  // namespace smx::cli
