#pragma once
// What the `smx bench` supervisor and its writer and reader processes agree on: the scenario
// of one run (what is measured, over which path, with which payload), its spelling on the
// command line, and the control block they share in memory.
//
// One scenario = one writer process + N reader processes, each re-executed from this binary
// (`smx-bench writer`, `smx-bench reader`). They meet in a small shared control block that
// the supervisor creates: readers count themselves ready, the writer publishes warm-up frames
// until every reader acknowledges them, then publishes the measured frames; each reader stores
// one latency sample per measured frame there and acknowledges it, so a paced writer never
// runs ahead of its readers. Report lines (one per line on the child's report pipe):
//   writer:  "ready"   then   "done published=.. seconds_ns=.. cost_p50_ns=.. ..."
//   reader:  "ready"   then   "done frames=.. lost=.. missed=.. broken=.. cpu_ns=.. wall_ns=.."
//   either:  "error <code> <message>"

#include <smx/schema.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smx::cli::bench {

/// Readers of one scenario, at most.
inline constexpr unsigned MAX_READERS = 16;

/// What carries the frames.
enum class Path {
    smx_zero_copy,  ///< Writer::loan + publish -> Reader::next(Hold::pin)
    smx_copy,       ///< Writer::write -> Reader::copy_next
    plain_dds,      ///< the whole frame as one Cyclone DDS sample
    dds_floor,      ///< a notice-sized Cyclone DDS sample alone
};

/// What a scenario measures.
enum class Mode {
    latency,     ///< paced writer, one sample per frame and reader
    throughput,  ///< unpaced writer for a while; frames delivered and missed
    idle,        ///< nothing published for a while; the CPU a waiting reader uses
    cost,        ///< unpaced writer, one reader that copies nothing: the writer's own cost per call
};

const char* to_string(Path path) noexcept;
const char* to_string(Mode mode) noexcept;
std::optional<Path> parse_path(std::string_view text) noexcept;
std::optional<Mode> parse_mode(std::string_view text) noexcept;
/// Human label: "smx zero-copy (loan+publish -> pin)".
const char* describe(Path path) noexcept;

/// A payload: "64B", "64KiB", "16MiB", a plain byte count, or "rgbd" (the seed's RGB-D frame).
struct Payload {
    std::string name;         ///< as given on the command line, normalised ("64B", "rgbd", ...)
    std::uint64_t bytes = 0;  ///< blob payloads: the field's size; rgbd: 0

    bool is_rgbd() const noexcept { return name == "rgbd"; }
    /// blob_schema(bytes) or rgbd_schema().
    Schema schema() const;
    /// Bytes of one frame (the slot layout, what every path carries).
    std::uint64_t frame_size() const { return schema().frame_size(); }
    /// "64 B", "64 KiB", "RGB-D 2,035,200 B", "16 MiB".
    std::string label() const;
};

std::optional<Payload> parse_payload(std::string_view text);

/// "1,234,567".
std::string with_commas(std::uint64_t v);

/// The slot count of every smx writer and the keep-last depth of every DDS topic in the bench.
inline constexpr std::uint32_t SLOTS = 3;

/// One stream of frames in a scenario: a path carrying a payload.
struct Lane {
    Path path = Path::smx_zero_copy;
    Payload payload;
};

/// "smx-zero-copy:16MiB".
std::string to_string(const Lane& lane);
std::optional<Lane> parse_lane(std::string_view text);

/// What one writer process and its reader processes run. A latency scenario may interleave
/// several lanes, one frame each in turn: every lane then sees the same machine at the same
/// moments, so their ratios hold on a noisy machine. Frames are counted over all lanes (g = 1, 2,
/// ...) in rounds of one frame per lane; each round starts one lane further on, so that every
/// lane follows every other equally often (see lane_of).
struct Scenario {
    Mode mode = Mode::latency;
    std::vector<Lane> lanes;
    unsigned readers = 1;
    double rate_hz = 0;         ///< latency: frames per second over all lanes; 0 = unpaced
    std::uint32_t frames = 0;   ///< latency: frames to measure per lane
    double seconds = 0;         ///< throughput/cost/idle: how long; latency: upper bound of the run
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

// ---- the shared control block ---------------------------------------------------------------

struct alignas(64) ReaderSlot {
    std::atomic<std::uint64_t> acked{0};  ///< newest frame this reader finished with
};

struct ControlBlock {
    std::atomic<std::uint32_t> ready{0};         ///< readers ready to receive (futex word)
    std::atomic<std::uint32_t> ack_epoch{0};     ///< bumped on every acknowledgement (futex word)
    std::atomic<std::uint32_t> writer_waiting{0};
    std::atomic<std::uint32_t> done{0};          ///< 1 once the writer published its last frame
    std::atomic<std::uint32_t> readers_done{0};  ///< readers that finished (futex word)
    std::uint32_t readers = 0;
    std::uint32_t lanes = 1;
    std::uint32_t frames = 0;                    ///< sample slots per reader and lane
    // Frames are counted over all lanes: g = 1, 2, 3 ... (over lane lane_of(g, lanes)).
    std::atomic<std::uint64_t> measure_from{0};  ///< first measured g (0: warming up)
    std::atomic<std::uint64_t> last_frame{0};    ///< last g published (valid once done)
    std::atomic<std::uint64_t> published{0};     ///< newest g published so far
    ReaderSlot acks[MAX_READERS];
};

/// The control block of one scenario in a POSIX shared memory object, followed by
/// `readers * lanes * frames` latency samples (ns; -1 = not received).
class Control {
public:
    /// Creates (and owns: unlinks on destruction) a new block.
    static Control create(const std::string& name, unsigned readers, unsigned lanes, std::uint32_t frames);
    /// Maps an existing block.
    static Control open(const std::string& name);
    ~Control();
    Control(Control&&) noexcept;
    Control& operator=(Control&&) = delete;

    ControlBlock& block() const noexcept { return *m_block; }
    std::span<std::int64_t> samples(unsigned reader, unsigned lane) const noexcept;
    const std::string& name() const noexcept { return m_name; }

    /// Writer: waits until every reader acknowledged frame `g` or `timeout` passes; true if all did.
    bool wait_acks(std::uint64_t frame, std::chrono::nanoseconds timeout);
    /// Reader `index`: acknowledges `frame` and wakes a waiting writer.
    void ack(unsigned index, std::uint64_t frame) noexcept;
    /// Waits while `word` equals `value`, up to `timeout` (futex; spurious returns possible).
    static void wait_while(std::atomic<std::uint32_t>& word, std::uint32_t value, std::chrono::nanoseconds timeout);
    static void wake_all(std::atomic<std::uint32_t>& word) noexcept;

private:
    Control(std::string name, void* base, std::size_t size, bool owner) noexcept;
    std::string m_name;
    void* m_base = nullptr;
    std::size_t m_size = 0;
    bool m_owner = false;
    ControlBlock* m_block = nullptr;
};

// ---- small helpers -------------------------------------------------------------------------

/// CPU time (user + system) of this whole process so far, in ns (getrusage: all threads).
std::int64_t process_cpu_ns() noexcept;
/// Sleeps until `deadline` on CLOCK_MONOTONIC (the steady clock), absolute: no drift.
void sleep_until(std::chrono::steady_clock::time_point deadline) noexcept;

/// Anonymous memory, pre-faulted (MAP_POPULATE) like smx's slots: the memcpy floor's
/// destinations and the writer's source buffers. Throws SystemError if it cannot be mapped.
class Prefaulted {
public:
    explicit Prefaulted(std::size_t bytes);
    ~Prefaulted();
    Prefaulted(const Prefaulted&) = delete;
    Prefaulted& operator=(const Prefaulted&) = delete;
    std::byte* data() const noexcept { return static_cast<std::byte*>(m_p); }

private:
    std::size_t m_size;
    void* m_p;
};

}  // namespace smx::cli::bench
