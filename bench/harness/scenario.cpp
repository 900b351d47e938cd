#include "scenario.hpp"

#include "pattern.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace smx::cli::bench {

namespace {

// One row per path: the only place that says what a path is.
constexpr std::array<PathInfo, 13> PATHS{{
    {Path::dds_floor, "dds-floor", "DDS floor (tiny sample)", "#8250df", false, true, false},
    {Path::futex_floor, "futex-floor", "futex floor (FUTEX_WAKE -> WAIT)", "#57606a", false, true, false},
    {Path::smx_zero_copy, "smx-zero-copy", "smx zero-copy (loan+publish -> pin)", "#1a7f37", true, true, true},
    {Path::smx_zero_copy_spin, "smx-zero-copy-spin", "smx zero-copy, reader spins (--spin)", "#4ac26b", true, true, true},
    {Path::iceoryx, "iceoryx", "iceoryx 2.0 (loan+publish -> take)", "#bf8700", true, true, false},
    {Path::smx_waitset_1, "smx-waitset-1", "smx wait set, 1 topic (wait -> pin)", "#2da44e", true, true, true},
    {Path::smx_waitset_8, "smx-waitset-8", "smx wait set, 8 topics (wait -> pin)", "#116329", true, true, true},
    {Path::smx_copy, "smx-copy", "smx copy (write -> copy)", "#0969da", true, true, true},
    {Path::memcpy_floor, "memcpy-floor", "memcpy floor, paced (writer alone)", "#953800", true, false, false},
    {Path::plain_dds, "plain-dds", "plain DDS (frame as a sample)", "#cf222e", true, true, false},
    {Path::smx_remote, "smx-remote", "smx network path (loan+publish -> dds)", "#6639ba", true, true, true},
    {Path::smx_remote_lz4, "smx-remote-lz4", "smx network path, lz4", "#8a63d2", true, true, true},
    {Path::smx_remote_zstd, "smx-remote-zstd", "smx network path, zstd -1", "#b392f0", true, true, true},
}};

std::string size_name(std::uint64_t bytes) {
    if (bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
    if (bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
    return std::to_string(bytes) + "B";
}

}  // namespace

std::span<const PathInfo> paths() noexcept { return PATHS; }

const PathInfo& info(Path path) noexcept {
    for (const PathInfo& p : PATHS)
        if (p.path == path) return p;
    return PATHS.front();  // unreachable: every Path has a row
}

std::optional<Path> parse_path(std::string_view text) noexcept {
    for (const PathInfo& p : PATHS)
        if (text == p.name) return p.path;
    return std::nullopt;
}

const char* to_string(Mode mode) noexcept {
    switch (mode) {
        case Mode::latency: return "latency";
        case Mode::throughput: return "throughput";
        case Mode::idle: return "idle";
        case Mode::cost: return "cost";
    }
    return "?";
}

const char* to_string(DdsSettings settings) noexcept {
    return settings == DdsSettings::smx ? "smx" : "cyclone-defaults";
}

std::optional<DdsSettings> parse_dds_settings(std::string_view text) noexcept {
    for (DdsSettings d : {DdsSettings::smx, DdsSettings::cyclone_defaults})
        if (text == to_string(d)) return d;
    return std::nullopt;
}

void apply(DdsSettings settings) {
    if (settings == DdsSettings::smx) return;  // the supervisor's environment, as the user gave it
    // Still loopback only (no packet may leave the host), and nothing else set: Cyclone's own
    // MaxMessageSize (14,720 B), FragmentSize (1,344 B) and socket receive buffer.
    static const char* const DEFAULTS =
        "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"lo\" multicast=\"false\"/>"
        "</Interfaces><AllowMulticast>false</AllowMulticast></General><Discovery><ParticipantIndex>auto"
        "</ParticipantIndex><MaxAutoParticipantIndex>100</MaxAutoParticipantIndex><Peers><Peer address=\"127.0.0.1\"/>"
        "</Peers></Discovery><Internal><WriterLingerDuration>200ms</WriterLingerDuration></Internal></Domain></CycloneDDS>";
    if (::setenv("CYCLONEDDS_URI", DEFAULTS, 1) != 0) throw std::runtime_error("cannot set CYCLONEDDS_URI");
}

std::optional<Mode> parse_mode(std::string_view text) noexcept {
    for (Mode m : {Mode::latency, Mode::throughput, Mode::idle, Mode::cost})
        if (text == to_string(m)) return m;
    return std::nullopt;
}

Schema Payload::schema() const { return is_rgbd() ? pattern::rgbd_schema() : pattern::blob_schema(bytes); }

std::string Payload::label() const {
    if (is_rgbd()) {
        char text[40];
        std::snprintf(text, sizeof text, "RGB-D (%.2f MB)", static_cast<double>(frame_size()) / 1e6);
        return text;
    }
    if (bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " B";
}

std::optional<Payload> parse_payload(std::string_view text) {
    if (text == "rgbd" || text == "RGBD" || text == "rgb-d") return Payload{"rgbd", 0};
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
    std::uint64_t scale = 1;
    if (unit.empty() || unit == "B") scale = 1;
    else if (unit == "KiB" || unit == "K") scale = 1ull << 10;
    else if (unit == "MiB" || unit == "M") scale = 1ull << 20;
    else return std::nullopt;
    if (v == 0 || v > (1ull << 30) / scale) return std::nullopt;  // 1 byte .. 1 GiB
    return Payload{size_name(v * scale), v * scale};
}

std::string with_commas(std::uint64_t v) {
    const std::string digits = std::to_string(v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string to_string(const Lane& lane) { return std::string(to_string(lane.path)) + ":" + lane.payload.name; }

std::optional<Lane> parse_lane(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto path = parse_path(text.substr(0, colon));
    const auto payload = parse_payload(text.substr(colon + 1));
    if (!path || !payload) return std::nullopt;
    return Lane{*path, *payload};
}

std::string to_string(const std::vector<Lane>& lanes) {
    std::string text;
    for (const Lane& l : lanes) text += (text.empty() ? "" : ",") + to_string(l);
    return text;
}

}  // namespace smx::cli::bench
