#include "plan.hpp"

#include <algorithm>

namespace smx::cli::bench {

namespace {

// Plain-DDS frames up to this size are interleaved with smx's lanes; larger ones run alone
// (dozens to hundreds of datagrams per frame, thousands with Cyclone's default fragments, lost
// and repaired over milliseconds: that traffic would disturb the other lanes).
constexpr std::uint64_t PLAIN_DDS_INTERLEAVED_MAX = std::uint64_t{64} * 1024;

std::vector<Payload> payloads_of(const BenchOptions& o) {
    std::vector<Payload> payloads;
    for (const std::string& s : o.sizes) payloads.push_back(*parse_payload(s));
    return payloads;
}

bool interleaved(Path path, const Payload& p) {
    return path != Path::plain_dds || p.frame_size() <= PLAIN_DDS_INTERLEAVED_MAX;
}

// The lanes of one interleaved latency run: the floors without a payload, then every path at
// every payload. Without a lane that readers receive there is nothing to run.
std::vector<Lane> latency_lanes(const BenchOptions& o) {
    const Payload tiny = *parse_payload("64B");  // carried by none of them; names the lane
    std::vector<Lane> lanes;
    for (Path path : {Path::dds_floor, Path::futex_floor})
        if (o.wants_path(to_string(path))) lanes.push_back({path, tiny});
    for (const Payload& p : payloads_of(o))
        for (Path path : {Path::smx_zero_copy, Path::smx_waitset_1, Path::smx_waitset_8, Path::smx_copy, Path::iceoryx,
                          Path::memcpy_floor, Path::plain_dds})
            if (o.wants_path(to_string(path)) && interleaved(path, p)) lanes.push_back({path, p});
    if (std::none_of(lanes.begin(), lanes.end(), [](const Lane& l) { return info(l.path).delivered; })) lanes.clear();
    return lanes;
}

// A bound on a latency run: twice its paced length, and time to set up.
double latency_bound(std::uint32_t frames, std::size_t lanes, double rate) {
    return static_cast<double>(frames) * static_cast<double>(lanes) / rate * 2 + 5;
}

void plan_latency(const BenchOptions& o, std::vector<Scenario>& out) {
    const std::vector<Lane> lanes = latency_lanes(o);
    for (double rate : o.rates)
        for (unsigned n : o.readers) {
            const std::uint32_t frames = o.frames_at(rate);
            if (!lanes.empty()) out.push_back({Mode::latency, lanes, n, rate, frames, latency_bound(frames, lanes.size(), rate)});
            if (!o.wants_path("plain-dds")) continue;
            for (const Payload& p : payloads_of(o))
                if (!interleaved(Path::plain_dds, p))
                    out.push_back({Mode::latency, {{Path::plain_dds, p}}, n, rate, frames, latency_bound(frames, 1, rate)});
        }
}

// The spinning reader at 500 Hz, 1 reader, beside the futex floor: a reader that spins through
// the whole period sees a frame as soon as it is published, so the bound is the cache's, not a
// wake-up's. Other smx lanes never spin: their reference is a blocking wake.
void plan_spin(const BenchOptions& o, std::vector<Scenario>& out) {
    if (o.spin_us <= 0 || !o.wants_path(to_string(Path::smx_zero_copy_spin))) return;
    constexpr double RATE = 500;
    std::vector<Lane> lanes;
    if (o.wants_path(to_string(Path::futex_floor))) lanes.push_back({Path::futex_floor, *parse_payload("64B")});
    for (const Payload& p : payloads_of(o)) lanes.push_back({Path::smx_zero_copy_spin, p});
    const std::uint32_t frames = o.frames_at(RATE);
    Scenario s{Mode::latency, lanes, 1, RATE, frames, latency_bound(frames, lanes.size(), RATE)};
    s.spin_us = o.spin_us;
    out.push_back(s);
}

// The network path beside plain DDS, at a camera's rate with one reader, per payload: with smx's
// DDS settings (with and without compression), then with Cyclone's default message, fragment
// and socket-buffer sizes, to show what the settings change. Each payload and settings run on
// their own: thousands of fragments per frame would disturb other lanes.
void plan_network(const BenchOptions& o, std::vector<Scenario>& out) {
    constexpr double RATE = 30;
    const std::uint32_t frames = o.quick ? 20 : 100;
    const std::pair<DdsSettings, std::vector<Path>> runs[] = {
        {DdsSettings::smx, {Path::smx_remote, Path::smx_remote_lz4, Path::smx_remote_zstd, Path::plain_dds}},
        {DdsSettings::cyclone_defaults, {Path::smx_remote, Path::plain_dds}},
    };
    for (const auto& [settings, paths] : runs)
        for (const Payload& p : payloads_of(o)) {
            std::vector<Lane> lanes;
            for (Path path : paths)
                if (o.wants_path(to_string(path))) lanes.push_back({path, p});
            if (lanes.empty()) continue;
            Scenario s{Mode::latency, lanes, 1, RATE, frames, latency_bound(frames, lanes.size(), RATE)};
            s.dds = settings;
            s.network = true;
            out.push_back(s);
        }
}

void plan_unpaced(const BenchOptions& o, std::vector<Scenario>& out) {
    const Path frame_paths[] = {Path::smx_zero_copy, Path::smx_copy, Path::plain_dds};
    if (o.wants("throughput"))
        for (unsigned n : o.readers)
            for (const Payload& p : payloads_of(o))
                for (Path path : frame_paths)
                    if (o.wants_path(to_string(path))) out.push_back({Mode::throughput, {{path, p}}, n, 0, 0, o.throughput_seconds});
    if (!o.wants("cost")) return;
    for (const Payload& p : payloads_of(o)) {
        for (Path path : frame_paths)
            if (o.wants_path(to_string(path))) out.push_back({Mode::cost, {{path, p}}, 1, 0, 0, o.cost_seconds});
        // With no reader at all: the call without anyone to wake.
        for (Path path : {Path::smx_copy, Path::smx_zero_copy})
            if (o.wants_path(to_string(path))) out.push_back({Mode::cost, {{path, p}}, 0, 0, 0, o.cost_seconds});
    }
}

}  // namespace

std::vector<Scenario> plan(const BenchOptions& o) {
    std::vector<Scenario> out;
    if (o.wants("latency")) plan_latency(o, out);
    if (o.wants("latency")) plan_spin(o, out);
    if (o.wants("network")) plan_network(o, out);
    plan_unpaced(o, out);
    if (o.wants("idle")) out.push_back({Mode::idle, {{Path::smx_zero_copy, *parse_payload("rgbd")}}, 1, 0, 0, o.idle_seconds});
    return out;
}

}  // namespace smx::cli::bench
