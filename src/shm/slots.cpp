#include "shm/slots.hpp"

#include "shm/futex.hpp"
#include "shm/process.hpp"

#include <smx/error.hpp>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <unistd.h>

namespace smx::detail {

namespace {

constexpr std::uint64_t RECLAIMING = UINT64_MAX;
// A waiting writer also re-checks for dead readers this often: they never wake it.
constexpr auto DEAD_READER_CHECK = std::chrono::milliseconds(20);

// A writer whose rings find sleeping marks but wake nobody looks for readers that died asleep
// this often (their marks would cost it a system call per frame until then).
constexpr auto DEAD_SLEEPER_SWEEP = std::chrono::milliseconds(250);

// Calls f(r) for every bit r set in a per-registration mask, below the segment's capacity;
// stops early (returning true) when f does.
template <class F>
bool any_registration_in(const Segment& segment, const std::atomic<std::uint64_t>* mask, F&& f) {
    const std::uint32_t capacity = segment.reader_capacity();
    for (std::uint32_t w = 0; w < (capacity + 63) / 64; ++w) {
        std::uint64_t bits = mask[w].load(std::memory_order_seq_cst);
        while (bits) {
            const std::uint32_t r = w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
            bits &= bits - 1;
            if (f(r)) return true;
        }
    }
    return false;
}

void mark_registered(const Segment& segment, std::uint32_t r, bool registered) noexcept {
    auto& word = segment.header().registered[r / 64];
    const std::uint64_t bit = std::uint64_t{1} << (r % 64);
    if (registered)
        word.fetch_or(bit, std::memory_order_seq_cst);
    else
        word.fetch_and(~bit, std::memory_order_seq_cst);
}

}  // namespace

// Only claimed registrations can pin (a reader marks itself registered before its first pin,
// and unmarks after its pins are gone), so only they are looked at: a few cache lines instead
// of the whole capacity, on the path of every frame.
bool SlotWriter::pinned(std::uint32_t slot) const noexcept {
    const std::uint32_t capacity = m_segment.reader_capacity();
    return any_registration_in(m_segment, m_segment.header().registered, [&](std::uint32_t r) {
        if (r >= capacity) return false;
        const std::uint32_t count = m_segment.reader(r).pins()[slot].load(std::memory_order_seq_cst);
        return count != 0 && !broken(r, slot, count);
    });
}

// The caller loaded `count` first: a reader bumps `unpins` after it releases, so a count that
// includes a pin taken after a release comes with that release's bump (sequentially consistent).
bool SlotWriter::broken(std::uint32_t reader, std::uint32_t slot, std::uint32_t count) const noexcept {
    for (const PinSeen& p : m_pins_seen) {
        if (!p.broken || p.reader != reader || p.slot != slot || p.count != count) continue;
        ReaderRecord& rec = m_segment.reader(reader);
        return rec.pid.load(std::memory_order_seq_cst) == p.pid && rec.unpins.load(std::memory_order_seq_cst) == p.unpins;
    }
    return false;
}

bool SlotWriter::break_expired_pins(std::chrono::steady_clock::time_point now) {
    if (m_pin_lease == NO_PIN_LEASE) return false;
    const std::uint32_t n = m_segment.slot_count(), capacity = m_segment.reader_capacity();
    std::vector<PinSeen> seen;
    for (std::uint32_t s = 0; s < n; ++s) {
        if (s == m_latest) continue;
        any_registration_in(m_segment, m_segment.header().registered, [&](std::uint32_t r) {
            if (r >= capacity) return false;
            ReaderRecord& rec = m_segment.reader(r);
            const std::uint32_t count = rec.pins()[s].load(std::memory_order_seq_cst);
            const std::uint32_t unpins = rec.unpins.load(std::memory_order_seq_cst);
            const std::uint64_t pid = rec.pid.load(std::memory_order_acquire);
            if (count == 0) return false;
            PinSeen now_seen{r, s, count, unpins, pid, now, false};
            // The same pin as last time (same reader, same count) keeps its age; a broken one
            // stays broken only while its reader released nothing (else it may be a new pin).
            for (const PinSeen& p : m_pins_seen)
                if (p.reader == r && p.slot == s && p.count == count && p.pid == pid &&
                    (!p.broken || p.unpins == unpins))
                    now_seen = p;
            seen.push_back(now_seen);
            return false;
        });
    }
    bool broke = false;
    for (PinSeen& p : seen) {
        if (p.broken || now - p.since < m_pin_lease) continue;
        p.broken = broke = true;
        ++m_pins_broken;
        if (m_broken_log.size() < 32) m_broken_log.push_back({p.slot, p.pid});
    }
    m_pins_seen = std::move(seen);
    return broke;
}

std::vector<BrokenPin> SlotWriter::take_broken() { return std::exchange(m_broken_log, {}); }

std::vector<std::uint64_t> SlotWriter::pinning_pids() const {
    std::vector<std::uint64_t> pids;
    const std::uint32_t capacity = m_segment.reader_capacity();
    any_registration_in(m_segment, m_segment.header().registered, [&](std::uint32_t r) {
        if (r >= capacity) return false;
        ReaderRecord& rec = m_segment.reader(r);
        for (std::uint32_t s = 0; s < m_segment.slot_count(); ++s) {
            const std::uint32_t count = rec.pins()[s].load(std::memory_order_relaxed);
            if (s == m_latest || count == 0 || broken(r, s, count)) continue;
            const std::uint64_t pid = rec.pid.load(std::memory_order_relaxed);
            if (pid != 0 && pid != RECLAIMING && std::find(pids.begin(), pids.end(), pid) == pids.end())
                pids.push_back(pid);
            break;
        }
        return false;
    });
    return pids;
}

std::optional<std::uint32_t> SlotWriter::try_acquire() noexcept {
    const std::uint32_t n = m_segment.slot_count();
    for (std::uint32_t k = 0; k < n; ++k) {
        const std::uint32_t s = (m_next + k) % n;
        if (s == m_latest || pinned(s)) continue;
        SlotRecord& rec = m_segment.slot(s);
        const std::uint64_t seq = m_seq[s];
        // Dekker with ReaderRegistration::pin: we store seq then load pins, the reader stores
        // its pin then loads seq, all sequentially consistent, so at least one of us sees
        // the other and a pinned slot is never overwritten.
        rec.seq.store(seq + 1, std::memory_order_seq_cst);
        if (pinned(s)) {
            rec.seq.store(seq, std::memory_order_seq_cst);  // untouched: the old seq stays true
            continue;
        }
        m_seq[s] = seq + 1;
        // Data stores that follow must not become visible before the odd seq.
        std::atomic_thread_fence(std::memory_order_release);
        m_next = s + 1;
        return s;
    }
    return std::nullopt;
}

std::optional<std::uint32_t> SlotWriter::acquire(std::chrono::nanoseconds max_wait) {
    const auto slot = acquire_slot(max_wait);
    // Not blocked any more: pins seen while blocked start their lease afresh the next time it is
    // (broken ones stay ignored while they last).
    if (slot && !m_pins_seen.empty()) std::erase_if(m_pins_seen, [](const PinSeen& p) { return !p.broken; });
    return slot;
}

std::optional<std::uint32_t> SlotWriter::acquire_slot(std::chrono::nanoseconds max_wait) {
    if (auto s = try_acquire()) return s;
    if (reclaim_dead_readers(m_segment) > 0)
        if (auto s = try_acquire()) return s;
    if (break_expired_pins(std::chrono::steady_clock::now()))
        if (auto s = try_acquire()) return s;
    if (max_wait <= std::chrono::nanoseconds::zero()) return std::nullopt;

    SegmentHeader& h = m_segment.header();
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    for (;;) {
        const std::uint32_t epoch = h.pin_release_epoch.load(std::memory_order_seq_cst);
        h.writer_waiting.store(1, std::memory_order_seq_cst);
        auto s = try_acquire();
        if (!s && reclaim_dead_readers(m_segment) > 0) s = try_acquire();
        if (!s && break_expired_pins(std::chrono::steady_clock::now())) s = try_acquire();
        const auto now = std::chrono::steady_clock::now();
        if (s || now >= deadline) {
            h.writer_waiting.store(0, std::memory_order_relaxed);
            return s;
        }
        futex_wait(h.pin_release_epoch, epoch,
                   std::min<std::chrono::nanoseconds>(deadline - now, DEAD_READER_CHECK));
    }
}

std::uint64_t SlotWriter::commit(std::uint32_t slot, std::uint64_t frame_number, std::int64_t timestamp_ns) noexcept {
    SlotRecord& rec = m_segment.slot(slot);
    rec.frame_number.store(frame_number, std::memory_order_relaxed);
    rec.timestamp_ns.store(timestamp_ns, std::memory_order_relaxed);
    const std::uint64_t seq = ++m_seq[slot];
    rec.seq.store(seq, std::memory_order_release);
    m_latest = slot;
    ring();
    return seq;
}

void SlotWriter::ring() noexcept {
    if (m_doorbell.ring()) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_last_sweep < DEAD_SLEEPER_SWEEP) return;
    m_last_sweep = now;
    sweep_sleepers();
}

void SlotWriter::abandon(std::uint32_t slot) noexcept {
    SlotRecord& rec = m_segment.slot(slot);
    // The bytes are part of a frame that never was: the slot must read as empty (frame number 0,
    // which snapshot() skips), not as the frame it held before. Then even again with a new value,
    // so any reader holding the old seq learns the data changed.
    rec.frame_number.store(0, std::memory_order_relaxed);
    rec.timestamp_ns.store(0, std::memory_order_relaxed);
    rec.seq.store(++m_seq[slot], std::memory_order_release);
}

std::uint32_t SlotWriter::reader_count() const noexcept {
    std::uint32_t count = 0;
    for (std::uint32_t r = 0; r < m_segment.reader_capacity(); ++r) {
        const std::uint64_t pid = m_segment.reader(r).pid.load(std::memory_order_relaxed);
        if (pid != 0 && pid != RECLAIMING) ++count;
    }
    return count;
}

namespace {

// Frees registration r, whose reader is known dead, if `pid` is still its owner; true if this
// call freed it. Only the reclaimer that wins the exchange touches the pins, so a registration
// re-claimed by a new reader meanwhile never loses its pins. `verify`: the caller does not hold
// r's lock, so between its look and the exchange the registration may have been freed and
// claimed by a new reader whose pid happens to be the same (reuse): the lock tells, after the
// exchange and before any pin is touched.
bool reclaim(Segment& segment, std::uint32_t r, std::uint64_t pid, bool verify) noexcept {
    ReaderRecord& rec = segment.reader(r);
    if (pid == 0 || pid == RECLAIMING) return false;
    if (!rec.pid.compare_exchange_strong(pid, RECLAIMING, std::memory_order_acq_rel)) return false;
    if (verify && segment.reader_alive(r)) {
        rec.pid.store(pid, std::memory_order_release);  // a live reader's: give it back untouched
        return false;
    }
    for (std::uint32_t s = 0; s < segment.slot_count(); ++s) rec.pins()[s].store(0, std::memory_order_seq_cst);
    rec.unpins.fetch_add(1, std::memory_order_seq_cst);
    Doorbell(segment).clear_sleeper(r);
    rec.wake.store(0, std::memory_order_release);
    mark_registered(segment, r, false);
    rec.start_time.store(0, std::memory_order_relaxed);
    rec.pid.store(0, std::memory_order_release);
    return true;
}

// Frees registration r if its reader died: it no longer holds the registration's liveness lock
// (layout.hpp; a reader takes the lock before it claims the pid word). True if this call freed it.
bool reclaim_if_dead(Segment& segment, std::uint32_t r) noexcept {
    const std::uint64_t pid = segment.reader(r).pid.load(std::memory_order_acquire);
    if (pid == 0 || pid == RECLAIMING || segment.reader_alive(r)) return false;
    return reclaim(segment, r, pid, true);
}

void wake_waiting_writer(Segment& segment) noexcept {
    SegmentHeader& h = segment.header();
    h.pin_release_epoch.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(h.pin_release_epoch);
}

}  // namespace

std::uint32_t reclaim_dead_readers(Segment& segment) noexcept {
    std::uint32_t freed = 0;
    for (std::uint32_t r = 0; r < segment.reader_capacity(); ++r)
        if (reclaim_if_dead(segment, r)) ++freed;
    if (freed) wake_waiting_writer(segment);
    return freed;
}

// Looks only at registrations marked asleep: dead ones are freed (clearing their mark), marks
// on free registrations (stale, or planted) are cleared. A reader that claimed such a
// registration and went to sleep just now may lose its fresh mark: one wake-up of everyone
// afterwards makes it look again and mark itself anew.
void SlotWriter::sweep_sleepers() noexcept {
    const Doorbell bell(m_segment);
    bool changed = false, freed = false;
    const std::uint32_t capacity = m_segment.reader_capacity();
    any_registration_in(m_segment, m_segment.header().sleeping, [&](std::uint32_t r) {
        if (r >= capacity || m_segment.reader(r).pid.load(std::memory_order_acquire) == 0) {
            bell.clear_sleeper(r);
            changed = true;
        } else if (reclaim_if_dead(m_segment, r)) {
            changed = freed = true;
        }
        return false;
    });
    if (freed) wake_waiting_writer(m_segment);
    if (changed) bell.nudge();
}

std::optional<SlotSnapshot> SlotReader::snapshot(std::uint32_t slot) const noexcept {
    const SlotRecord& rec = m_segment.slot(slot);
    const std::uint64_t seq = rec.seq.load(std::memory_order_acquire);
    if (seq == 0 || (seq & 1) != 0) return std::nullopt;
    SlotSnapshot snap{slot, seq, rec.frame_number.load(std::memory_order_relaxed),
                      rec.timestamp_ns.load(std::memory_order_relaxed)};
    if (!unchanged(slot, seq) || snap.frame_number == 0) return std::nullopt;
    return snap;
}

std::optional<SlotSnapshot> SlotReader::newest() const noexcept {
    std::optional<SlotSnapshot> best;
    for (std::uint32_t s = 0; s < m_segment.slot_count(); ++s)
        if (auto snap = snapshot(s); snap && (!best || snap->frame_number > best->frame_number)) best = snap;
    return best;
}

std::optional<SlotSnapshot> SlotReader::oldest_after(std::uint64_t frame_number) const noexcept {
    std::optional<SlotSnapshot> best;
    for (std::uint32_t s = 0; s < m_segment.slot_count(); ++s)
        if (auto snap = snapshot(s);
            snap && snap->frame_number > frame_number && (!best || snap->frame_number < best->frame_number))
            best = snap;
    return best;
}

bool SlotReader::unchanged(std::uint32_t slot, std::uint64_t seq) const noexcept {
    std::atomic_thread_fence(std::memory_order_acquire);
    return m_segment.slot(slot).seq.load(std::memory_order_relaxed) == seq;
}

std::vector<RegistrationSnapshot> registrations(const Segment& segment) {
    std::vector<RegistrationSnapshot> out;
    for (std::uint32_t r = 0; r < segment.reader_capacity(); ++r) {
        ReaderRecord& rec = segment.reader(r);
        const std::uint64_t pid = rec.pid.load(std::memory_order_acquire);
        if (pid == 0 || pid == RECLAIMING) continue;
        RegistrationSnapshot snap{pid, rec.start_time.load(std::memory_order_acquire), 0, Doorbell(segment).asleep(r),
                                  segment.reader_alive(r)};
        for (std::uint32_t s = 0; s < segment.slot_count(); ++s) snap.pins += rec.pins()[s].load(std::memory_order_relaxed);
        out.push_back(snap);
    }
    return out;
}

// Registration r is this reader's once it holds r's liveness lock: whoever else is named in it
// then is dead (a live owner would hold the lock), and is reclaimed here if no one else does.
ReaderRegistration::ReaderRegistration(Segment& segment, std::string_view topic) : m_segment(segment) {
    const auto pid = static_cast<std::uint64_t>(::getpid());
    const std::uint64_t start = process_start_time(::getpid());
    bool reclaimed = false;
    for (std::uint32_t r = 0; r < segment.reader_capacity(); ++r) {
        ReaderRecord& rec = segment.reader(r);
        std::uint64_t owner = rec.pid.load(std::memory_order_acquire);
        if (owner == RECLAIMING || !segment.try_lock_registration(r)) continue;
        if (owner != 0) {
            owner = rec.pid.load(std::memory_order_acquire);
            if (reclaim(segment, r, owner, false)) reclaimed = true;
        }
        std::uint64_t expected = 0;
        if (rec.pid.compare_exchange_strong(expected, pid, std::memory_order_acq_rel)) {
            rec.start_time.store(start, std::memory_order_release);
            rec.wake.store(0, std::memory_order_release);  // a dead predecessor's token
            mark_registered(segment, r, true);
            m_index = r;
            if (reclaimed) wake_waiting_writer(segment);
            return;
        }
        segment.unlock_registration(r);  // another reclaimer is still at it: take the next one
    }
    if (reclaimed) wake_waiting_writer(segment);
    throw TooManyReaders("topic '" + std::string(topic) + "': all " +
                         std::to_string(segment.reader_capacity()) +
                         " reader registrations of segment '" + segment.name() +
                         "' are in use; start the writer with a larger reader_capacity");
}

ReaderRegistration::~ReaderRegistration() {
    if (!m_process.is_current()) return;
    ReaderRecord& rec = m_segment.reader(m_index);
    bool released = false;
    for (std::uint32_t s = 0; s < m_segment.slot_count(); ++s)
        if (rec.pins()[s].exchange(0, std::memory_order_seq_cst) != 0) released = true;
    Doorbell(m_segment).clear_sleeper(m_index);
    rec.wake.store(0, std::memory_order_release);
    mark_registered(m_segment, m_index, false);
    rec.start_time.store(0, std::memory_order_relaxed);
    rec.pid.store(0, std::memory_order_release);
    m_segment.unlock_registration(m_index);
    SegmentHeader& h = m_segment.header();
    if (released && h.writer_waiting.load(std::memory_order_seq_cst)) {
        h.pin_release_epoch.fetch_add(1, std::memory_order_seq_cst);
        futex_wake_all(h.pin_release_epoch);
    }
}

void ReaderRegistration::set_wake(const Wakeup* wakeup) noexcept {
    if (!m_process.is_current()) return;
    m_wakeup = wakeup;
    m_segment.reader(m_index).wake.store(wakeup ? wakeup->token() : 0, std::memory_order_seq_cst);
}

Doorbell::Wake ReaderRegistration::wait(std::uint32_t seen, std::chrono::nanoseconds timeout,
                                        std::chrono::nanoseconds spin) const noexcept {
    const Doorbell bell(m_segment);
    return m_wakeup ? bell.wait(m_index, seen, timeout, spin, *m_wakeup) : bell.wait(m_index, seen, timeout, spin);
}

bool ReaderRegistration::pin(std::uint32_t slot, std::uint64_t seq) noexcept {
    if (!m_process.is_current()) return false;
    auto& count = m_segment.reader(m_index).pins()[slot];
    count.fetch_add(1, std::memory_order_seq_cst);
    if (m_segment.slot(slot).seq.load(std::memory_order_seq_cst) == seq) return true;
    unpin(slot);
    return false;
}

void ReaderRegistration::unpin(std::uint32_t slot) noexcept {
    if (!m_process.is_current()) return;
    ReaderRecord& rec = m_segment.reader(m_index);
    rec.pins()[slot].fetch_sub(1, std::memory_order_seq_cst);
    rec.unpins.fetch_add(1, std::memory_order_seq_cst);  // after the count: see SlotWriter::broken
    SegmentHeader& h = m_segment.header();
    if (h.writer_waiting.load(std::memory_order_seq_cst)) {
        h.pin_release_epoch.fetch_add(1, std::memory_order_seq_cst);
        futex_wake_all(h.pin_release_epoch);
    }
}

}  // namespace smx::detail
