// `smx-bench calls` (hidden): the per-call cost of the C++ calls that the seed's Python calls
// map to, on the seed's RGB-D frame, in one process — `Writer::write` (SMWriter.__call__) and
// `Reader::latest` with a view of every field (SMReader.__call__). bench/python_bench.py runs
// it beside the Python calls so that both are measured in the same run; it prints one JSON object.

#include "commands.hpp"
#include "pattern.hpp"

#include <smx/smx.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

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

    std::vector<double> write_ns;
    for (unsigned i = 0; i < o.writes; ++i) {
        const auto t0 = Clock::now();
        if (!writer.write(std::span<const ArrayRef>(fields))) throw std::runtime_error("write: all slots held");
        write_ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    }
    if (!reader.wait_for_writer(std::chrono::seconds(30))) throw std::runtime_error("the reader never attached");

    std::vector<double> latest_ns;
    std::size_t touched = 0;
    for (unsigned i = 0; i < o.reads; ++i) {
        const auto t0 = Clock::now();
        std::optional<Frame> f = reader.latest(Hold::view);
        if (!f) throw std::runtime_error("latest: no frame");
        for (std::size_t k = 0; k < schema.size(); ++k) touched += f->bytes(k).size();  // a view per field
        latest_ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    }
    std::printf("{\"frame_bytes\": %llu, \"fields\": %zu, \"reads\": %u, \"writes\": %u, %s, %s, \"viewed\": %zu}\n",
                static_cast<unsigned long long>(schema.frame_size()), schema.size(), o.reads, o.writes,
                json("latest_view", summarize(latest_ns)).c_str(), json("write", summarize(write_ns)).c_str(),
                touched / o.reads);
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
