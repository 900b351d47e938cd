#include "common.hpp"

#include "pattern.hpp"

#include <smx/error.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <linux/futex.h>
#include <new>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace smx::cli::bench {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    const int e = errno;
    throw SystemError(e, what + ": " + std::strerror(e));
}

std::size_t samples_offset() noexcept { return (sizeof(ControlBlock) + 63) / 64 * 64; }

}  // namespace

const char* to_string(Path path) noexcept {
    switch (path) {
        case Path::smx_zero_copy: return "smx-zero-copy";
        case Path::smx_copy: return "smx-copy";
        case Path::plain_dds: return "plain-dds";
        case Path::dds_floor: return "dds-floor";
    }
    return "?";
}

const char* describe(Path path) noexcept {
    switch (path) {
        case Path::smx_zero_copy: return "smx zero-copy (loan+publish -> pin)";
        case Path::smx_copy: return "smx copy (write -> copy)";
        case Path::plain_dds: return "plain DDS (frame as a sample)";
        case Path::dds_floor: return "DDS floor (tiny sample)";
    }
    return "?";
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

std::optional<Path> parse_path(std::string_view text) noexcept {
    for (Path p : {Path::smx_zero_copy, Path::smx_copy, Path::plain_dds, Path::dds_floor})
        if (text == to_string(p)) return p;
    return std::nullopt;
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
    const std::uint64_t bytes = v * scale;
    std::string name;
    if (bytes % (1ull << 20) == 0) name = std::to_string(bytes >> 20) + "MiB";
    else if (bytes % (1ull << 10) == 0) name = std::to_string(bytes >> 10) + "KiB";
    else name = std::to_string(bytes) + "B";
    return Payload{name, bytes};
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

std::string with_commas(std::uint64_t v) {
    const std::string digits = std::to_string(v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// ---- Control ---------------------------------------------------------------------------------

Control::Control(std::string name, void* base, std::size_t size, bool owner) noexcept
    : m_name(std::move(name)), m_base(base), m_size(size), m_owner(owner), m_block(static_cast<ControlBlock*>(base)) {}

Control Control::create(const std::string& name, unsigned readers, unsigned lanes, std::uint32_t frames) {
    const std::size_t size =
        samples_offset() + sizeof(std::int64_t) * readers * std::max(lanes, 1u) * std::max<std::uint32_t>(frames, 1);
    const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno("creating the bench control block '" + name + "'");
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        const int e = errno;
        ::close(fd);
        ::shm_unlink(name.c_str());
        errno = e;
        throw_errno("sizing the bench control block '" + name + "' to " + std::to_string(size) + " bytes");
    }
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    const int e = errno;
    ::close(fd);
    if (base == MAP_FAILED) {
        ::shm_unlink(name.c_str());
        errno = e;
        throw_errno("mapping the bench control block '" + name + "'");
    }
    Control c(name, base, size, true);
    ControlBlock* b = new (base) ControlBlock();
    b->readers = readers;
    b->lanes = std::max(lanes, 1u);
    b->frames = frames;
    for (unsigned r = 0; r < readers; ++r)
        for (unsigned l = 0; l < b->lanes; ++l)
            for (std::int64_t& s : c.samples(r, l)) s = -1;
    return c;
}

Control Control::open(const std::string& name) {
    const int fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) throw_errno("opening the bench control block '" + name + "'");
    struct stat st{};
    if (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < sizeof(ControlBlock)) {
        ::close(fd);
        throw SystemError(EINVAL, "the bench control block '" + name + "' is too small");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    const int e = errno;
    ::close(fd);
    if (base == MAP_FAILED) {
        errno = e;
        throw_errno("mapping the bench control block '" + name + "'");
    }
    return Control(name, base, size, false);
}

Control::Control(Control&& o) noexcept
    : m_name(std::move(o.m_name)), m_base(o.m_base), m_size(o.m_size), m_owner(o.m_owner), m_block(o.m_block) {
    o.m_base = nullptr;
    o.m_owner = false;
}

Control::~Control() {
    if (m_base) ::munmap(m_base, m_size);
    if (m_owner) ::shm_unlink(m_name.c_str());
}

std::span<std::int64_t> Control::samples(unsigned reader, unsigned lane) const noexcept {
    auto* first = reinterpret_cast<std::int64_t*>(static_cast<char*>(m_base) + samples_offset());
    const std::size_t frames = std::max<std::uint32_t>(m_block->frames, 1);
    if (reader >= m_block->readers || lane >= m_block->lanes) return {};
    return {first + (static_cast<std::size_t>(reader) * m_block->lanes + lane) * frames, m_block->frames};
}

void Control::wait_while(std::atomic<std::uint32_t>& word, std::uint32_t value, std::chrono::nanoseconds timeout) {
    if (timeout <= std::chrono::nanoseconds::zero()) return;
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    // Shared futex (not FUTEX_PRIVATE): the word is mapped by several processes.
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, value, &ts, nullptr, 0);
}

void Control::wake_all(std::atomic<std::uint32_t>& word) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

bool Control::wait_acks(std::uint64_t frame, std::chrono::nanoseconds timeout) {
    ControlBlock& b = block();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // Epoch first: an acknowledgement after this load changes it, so the futex wait below
        // returns at once instead of missing it.
        const std::uint32_t epoch = b.ack_epoch.load(std::memory_order_seq_cst);
        bool all = true;
        for (unsigned r = 0; r < b.readers && all; ++r)
            all = b.acks[r].acked.load(std::memory_order_seq_cst) >= frame;
        if (all) return true;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        b.writer_waiting.store(1, std::memory_order_seq_cst);
        wait_while(b.ack_epoch, epoch, deadline - now);
        b.writer_waiting.store(0, std::memory_order_seq_cst);
    }
}

void Control::ack(unsigned index, std::uint64_t frame) noexcept {
    ControlBlock& b = block();
    if (index >= b.readers) return;
    b.acks[index].acked.store(frame, std::memory_order_seq_cst);
    b.ack_epoch.fetch_add(1, std::memory_order_seq_cst);
    if (b.writer_waiting.load(std::memory_order_seq_cst)) wake_all(b.ack_epoch);
}

// ---- helpers -------------------------------------------------------------------------------

std::int64_t process_cpu_ns() noexcept {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    const auto ns = [](const timeval& t) {
        return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(t.tv_usec) * 1000;
    };
    return ns(u.ru_utime) + ns(u.ru_stime);
}

void sleep_until(std::chrono::steady_clock::time_point deadline) noexcept {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

Prefaulted::Prefaulted(std::size_t bytes) : m_size(std::max<std::size_t>(bytes, 1)) {
    m_p = ::mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (m_p == MAP_FAILED) throw SystemError(errno, std::string("mmap for the memcpy floor: ") + std::strerror(errno));
}

Prefaulted::~Prefaulted() { ::munmap(m_p, m_size); }

}  // namespace smx::cli::bench
