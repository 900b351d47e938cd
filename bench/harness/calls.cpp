// `smx-bench calls` (hidden): the per-call cost of the C++ calls that the seed's Python calls
// map to, on the seed's RGB-D frame, in one process — `Writer::write` (SMWriter.__call__) and
// `Reader::latest` with a view of every field (SMReader.__call__). bench/python_bench.py runs
// it beside the Python calls so that both are measured in the same run; it prints one JSON object.
// Beside each C++ call, its typed form (smx/typed.hpp: TypedWriter::write, TypedReader::latest
// with the members' views) and an element-wise pass over the depth map through ArrayView and
// through the typed Tensor, interleaved call by call on a topic of their own: the typed API's
// cost next to the untyped one's, measured in the same run ("typed_over_untyped").

#include "commands.hpp"
#include "pattern.hpp"

#include <smx/smx.hpp>
#include <smx/typed.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace smx::cli::bench::calls {
// The RGB-D frame (pattern::rgbd_schema()) as a typed frame.
struct Rgbd {
    Tensor<double, 1> timestamp;
    Tensor<std::uint8_t, 480, 848, 3> color;
    Tensor<std::uint16_t, 480, 848> depth;
    Tensor<double, 4, 4> extrinsics;
    Tensor<double, 3, 3> intrinsics;
};
SMX_FRAME(Rgbd, timestamp, color, depth, extrinsics, intrinsics);
}  // namespace smx::cli::bench::calls

namespace smx::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct CallsOptions {
    unsigned reads = 20000;
    unsigned writes = 500;
    std::string topic;
};

struct Summary {
    double p50 = 0, mean = 0, min = 0;
};

Summary summarize(std::vector<double>& ns) {
    std::sort(ns.begin(), ns.end());
    double sum = 0;
    for (double v : ns) sum += v;
    return {ns[ns.size() / 2], sum / static_cast<double>(ns.size()), ns.front()};
}

std::string json(const char* name, const Summary& s) {
    char text[160];
    std::snprintf(text, sizeof text, "\"%s\": {\"p50_ns\": %.0f, \"mean_ns\": %.0f, \"min_ns\": %.0f}", name, s.p50,
                  s.mean, s.min);
    return text;
}

int run_calls(const GlobalOptions& global, const CallsOptions& o) {
    const std::string topic = o.topic.empty() ? "smx_bench_calls_" + std::to_string(::getpid()) : o.topic;
    const Participant participant(global.domain);
    const Schema schema = pattern::rgbd_schema();
    Writer writer(participant, topic, schema);
    Reader reader(participant, topic, schema);

    // The caller's arrays, one per field, filled and pre-faulted like a camera's buffers.
    std::vector<std::vector<std::byte>> arrays;
    std::vector<ArrayRef> fields;
    for (std::size_t i = 0; i < schema.size(); ++i) {
        arrays.emplace_back(schema[i].nbytes());
        pattern::fill(arrays.back(), 1, i);
        fields.emplace_back(arrays.back().data(), schema[i].dtype, schema[i].shape, schema[i].name);
    }

    // The typed twin, on a topic of its own, with the same bytes.
    TypedWriter<calls::Rgbd> typed_writer(participant, topic + "_typed");
    TypedReader<calls::Rgbd> typed_reader(participant, topic + "_typed");
    calls::Rgbd own;
    std::memcpy(own.timestamp.data(), arrays[0].data(), arrays[0].size());
    std::memcpy(own.color.data(), arrays[1].data(), arrays[1].size());
    std::memcpy(own.depth.data(), arrays[2].data(), arrays[2].size());
    std::memcpy(own.extrinsics.data(), arrays[3].data(), arrays[3].size());
    std::memcpy(own.intrinsics.data(), arrays[4].data(), arrays[4].size());
    auto elapsed = [](Clock::time_point t0) { return std::chrono::duration<double, std::nano>(Clock::now() - t0).count(); };

    std::vector<double> write_ns, typed_write_ns;
    for (unsigned i = 0; i < o.writes; ++i) {
        auto t0 = Clock::now();
        if (!writer.write(span<const ArrayRef>(fields))) throw std::runtime_error("write: all slots held");
        write_ns.push_back(elapsed(t0));
        t0 = Clock::now();
        if (!typed_writer.write(own)) throw std::runtime_error("typed write: all slots held");
        typed_write_ns.push_back(elapsed(t0));
    }
    if (!reader.wait_for_writer(std::chrono::seconds(30))) throw std::runtime_error("the reader never attached");
    if (!typed_reader.wait_for_writer(std::chrono::seconds(30))) throw std::runtime_error("the typed reader never attached");

    std::vector<double> latest_ns, typed_latest_ns;
    std::size_t touched = 0, typed_touched = 0;
    for (unsigned i = 0; i < o.reads; ++i) {
        auto t0 = Clock::now();
        std::optional<Frame> f = reader.latest(Hold::view);
        if (!f) throw std::runtime_error("latest: no frame");
        for (std::size_t k = 0; k < schema.size(); ++k) touched += f->bytes(k).size();  // a view per field
        latest_ns.push_back(elapsed(t0));
        t0 = Clock::now();
        const auto tf = typed_reader.latest(Hold::view);
        if (!tf) throw std::runtime_error("typed latest: no frame");
        typed_touched += tf->timestamp.size_bytes() + tf->color.size_bytes() + tf->depth.size_bytes() +
                         tf->extrinsics.size_bytes() + tf->intrinsics.size_bytes();
        typed_latest_ns.push_back(elapsed(t0));
    }

    // Element access: the sum of the depth map, by index, through each API (a pinned frame each).
    std::vector<double> element_ns, typed_element_ns;
    std::uint64_t sum = 0, typed_sum = 0;
    const unsigned passes = std::max(3u, o.reads / 1000);
    for (unsigned i = 0; i < passes; ++i) {
        std::optional<Frame> f = reader.latest(Hold::pin);
        const auto tf = typed_reader.latest(Hold::pin);
        if (!f || !tf) throw std::runtime_error("latest: no frame");
        auto t0 = Clock::now();
        const ArrayView<const std::uint16_t> depth = f->field<std::uint16_t>("depth");
        for (std::size_t y = 0; y < 480; ++y)
            for (std::size_t x = 0; x < 848; ++x) sum += depth(y, x);
        element_ns.push_back(elapsed(t0));
        t0 = Clock::now();
        for (std::size_t y = 0; y < 480; ++y)
            for (std::size_t x = 0; x < 848; ++x) typed_sum += tf->depth(y, x);  // as users write it
        typed_element_ns.push_back(elapsed(t0));
    }
    if (sum != typed_sum || touched != typed_touched) throw std::runtime_error("the typed and untyped paths saw different bytes");

    const Summary w = summarize(write_ns), tw = summarize(typed_write_ns);
    const Summary l = summarize(latest_ns), tl = summarize(typed_latest_ns);
    const Summary e = summarize(element_ns), te = summarize(typed_element_ns);
    std::printf("{\"frame_bytes\": %llu, \"fields\": %zu, \"reads\": %u, \"writes\": %u, %s, %s, \"viewed\": %zu, "
                "%s, %s, %s, %s, \"typed_over_untyped\": {\"write\": %.3f, \"latest_view\": %.3f, \"depth_sum\": %.3f}}\n",
                static_cast<unsigned long long>(schema.frame_size()), schema.size(), o.reads, o.writes,
                json("latest_view", l).c_str(), json("write", w).c_str(), touched / o.reads,
                json("typed_latest_view", tl).c_str(), json("typed_write", tw).c_str(),
                json("depth_sum", e).c_str(), json("typed_depth_sum", te).c_str(), tw.p50 / w.p50, tl.p50 / l.p50,
                te.p50 / e.p50);
    return STATUS_OK;
}

}  // namespace

Command add_calls_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<CallsOptions>();
    CLI::App* sub = app.add_subcommand("calls", "internal: per-call cost of write() and latest() on the RGB-D frame");
    sub->group("");  // hidden: run by bench/python_bench.py
    sub->add_option("--reads", options->reads, "latest() calls")->check(CLI::Range(1u, 10000000u));
    sub->add_option("--writes", options->writes, "write() calls")->check(CLI::Range(1u, 1000000u));
    sub->add_option("--topic", options->topic, "topic (default: unique per process)");
    return {sub, [&global, options] { return run_calls(global, *options); }};
}

}  // namespace smx::cli::bench
