#pragma once
// What the supervisor of `smx bench` and its writer and reader processes agree on: the paths
// that carry frames, the payloads, and one scenario (what is measured, over which lanes, with
// how many readers), with their spelling on the command line.

#include <smx/schema.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smx::cli::bench {

/// Readers of one scenario, at most.
inline constexpr unsigned MAX_READERS = 16;
/// The slot count of every smx writer, the keep-last depth of every DDS topic and the queue of
/// every iceoryx subscriber in the bench.
inline constexpr std::uint32_t SLOTS = 3;

/// What carries the frames.
enum class Path {
    smx_zero_copy,       ///< Writer::loan + publish -> Reader::next(Hold::pin)
    smx_zero_copy_spin,  ///< the same, the reader spinning before it blocks (ReaderOptions::spin)
    smx_copy,            ///< Writer::write -> Reader::copy_next
    smx_waitset_1,       ///< Writer::loan + publish -> WaitSet::wait, then Reader::next(Hold::pin)
    smx_waitset_8,       ///< the same, the wait set holding 7 more readers of idle writers' topics
    iceoryx,             ///< iceoryx 2.0 untyped loan + publish -> take (WaitSet)
    futex_floor,         ///< store + FUTEX_WAKE -> FUTEX_WAIT returns: no payload
    memcpy_floor,        ///< the writer copies the frame once per period; no reader
    plain_dds,           ///< the whole frame as one Cyclone DDS sample
    dds_floor,           ///< a notice-sized Cyclone DDS sample alone
    smx_remote,          ///< Writer::loan + publish -> a reader on the network path (Transport::dds)
    smx_remote_lz4,      ///< the same, the writer compressing with lz4
    smx_remote_zstd,     ///< the same, the writer compressing with zstd (level 1)
};

/// True for smx's network-path lanes.
constexpr bool is_remote(Path path) noexcept {
    return path == Path::smx_remote || path == Path::smx_remote_lz4 || path == Path::smx_remote_zstd;
}

/// The Cyclone DDS settings the processes of a scenario use.
enum class DdsSettings {
    smx,               ///< smx's own (CYCLONEDDS_URI unset: loopback, 64 kB datagrams, 16 MB receive buffer)
    cyclone_defaults,  ///< loopback only too, but Cyclone's default message, fragment and socket-buffer sizes
};

const char* to_string(DdsSettings settings) noexcept;
std::optional<DdsSettings> parse_dds_settings(std::string_view text) noexcept;
/// Makes this process's next participant use `settings` (sets CYCLONEDDS_URI for cyclone_defaults).
void apply(DdsSettings settings);

/// What the processes and the report need to know of a path: one row per path.
struct PathInfo {
    Path path;
    const char* name;    ///< on the command line and in JSON: "smx-zero-copy"
    const char* label;   ///< in tables: "smx zero-copy (loan+publish -> pin)"
    const char* colour;  ///< in the plot
    bool payload;        ///< carries the payload (false: a fixed tiny sample, or nothing)
    bool delivered;      ///< readers receive it (false: the writer's own work alone)
    bool smx;            ///< one of smx's own paths
};

/// Every path, in the order of the tables.
std::span<const PathInfo> paths() noexcept;
const PathInfo& info(Path path) noexcept;
inline const char* to_string(Path path) noexcept { return info(path).name; }
inline const char* describe(Path path) noexcept { return info(path).label; }
std::optional<Path> parse_path(std::string_view text) noexcept;

/// What a scenario measures.
enum class Mode {
    latency,     ///< paced writer, one sample per frame and reader
    throughput,  ///< unpaced writer for a while; frames delivered and missed
    idle,        ///< nothing published for a while; the CPU a waiting reader uses
    cost,        ///< unpaced writer, one reader that copies nothing (or none): its cost per call
};

const char* to_string(Mode mode) noexcept;
std::optional<Mode> parse_mode(std::string_view text) noexcept;

/// A payload: "64B", "64KiB", "16MiB", a plain byte count, or "rgbd" (the seed's RGB-D frame).
struct Payload {
    std::string name;         ///< as given on the command line, normalised ("64B", "rgbd", ...)
    std::uint64_t bytes = 0;  ///< blob payloads: the field's size; rgbd: 0

    bool is_rgbd() const noexcept { return name == "rgbd"; }
    /// blob_schema(bytes) or rgbd_schema().
    Schema schema() const;
    /// Bytes of one frame (the slot layout, what every path carries).
    std::uint64_t frame_size() const { return schema().frame_size(); }
    /// "64 B", "64 KiB", "RGB-D (2.04 MB)", "16 MiB".
    std::string label() const;
};

std::optional<Payload> parse_payload(std::string_view text);

/// "1,234,567".
std::string with_commas(std::uint64_t v);

/// One stream of frames in a scenario: a path carrying a payload.
struct Lane {
    Path path = Path::smx_zero_copy;
    Payload payload;
};

/// "smx-zero-copy:16MiB".
std::string to_string(const Lane& lane);
std::optional<Lane> parse_lane(std::string_view text);
/// "smx-zero-copy:64B,futex-floor:64B".
std::string to_string(const std::vector<Lane>& lanes);

/// What one writer process and its reader processes run. A latency scenario may interleave
/// several lanes, one frame each in turn: every lane then sees the same machine at the same
/// moments, so their ratios hold on a noisy machine. Frames are counted over all lanes (g = 1, 2,
/// ...) in rounds of one frame per lane; each round starts one lane further on, so that every
/// lane follows every other equally often (see lane_of).
struct Scenario {
    Mode mode = Mode::latency;
    std::vector<Lane> lanes;
    unsigned readers = 1;
    double rate_hz = 0;        ///< latency: frames per second over all lanes; 0 = unpaced
    std::uint32_t frames = 0;  ///< latency: frames to measure per lane
    double seconds = 0;        ///< throughput/cost/idle: how long; latency: upper bound of the run
    double spin_us = 0;        ///< how long readers of the spinning lane spin before they block
    DdsSettings dds = DdsSettings::smx;
    bool network = false;      ///< one of the network comparison's runs (reported in their own table)
};

/// The lane that carries frame g (1-based, counted over all lanes).
constexpr std::size_t lane_of(std::uint64_t g, std::size_t lanes) noexcept {
    const std::uint64_t round = (g - 1) / lanes, position = (g - 1) % lanes;
    return static_cast<std::size_t>((position + round) % lanes);
}

/// The g of the `frame`-th frame (1-based) carried by `lane`: each round carries one per lane.
constexpr std::uint64_t frame_g(std::size_t lane, std::uint64_t frame, std::size_t lanes) noexcept {
    const std::uint64_t round = frame - 1;
    const std::uint64_t position = (lane + lanes - round % lanes) % lanes;
    return round * lanes + position + 1;
}

static_assert(lane_of(4, 3) == 1 && frame_g(1, 2, 3) == 4 && lane_of(6, 3) == 0 && frame_g(0, 2, 3) == 6);

}  // namespace smx::cli::bench
