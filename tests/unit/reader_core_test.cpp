// The reader core driven by fakes: session info from a FakeSessions, frames from an in-memory
// FakeSource. No processes, no shared memory, no DDS — the core's choices alone: which frame
// (latest / next, missed counted, late joiners), how held (view / pin / copy), sessions
// (attach, writer gone, restart with a new schema, template mismatch) and waking (frames,
// interrupt()).

#include "reader_core.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using smx::detail::Connection;
using smx::detail::FrameRef;
using smx::detail::ReaderCore;
using smx::detail::SessionInfo;

namespace {

smx::Schema schema_of(std::uint64_t n) { return smx::Schema{{"v", smx::DType::Kind::u8, {n}}}; }

/// A writer session in memory: `slots` frames of one u64 array, each slot's bytes all equal to
/// its frame number; thread-safe so a test thread can publish while the core waits.
class FakeStore final : public smx::detail::FrameStore {
public:
    FakeStore(smx::Schema schema, std::uint32_t slots, std::shared_ptr<smx::detail::FrameCounters> counters)
        : m_schema(std::move(schema)), m_bytes(slots, std::vector<std::byte>(m_schema.frame_size())), m_seq(slots),
          m_frame(slots), m_pins(slots), m_counters(std::move(counters)) {}

    const smx::Schema& schema() const noexcept override { return m_schema; }
    const std::byte* data(std::uint32_t slot) const noexcept override { return m_bytes[slot].data(); }
    bool unchanged(std::uint32_t slot, std::uint64_t seq) const noexcept override { return m_seq[slot] == seq; }
    bool pin(std::uint32_t slot, std::uint64_t seq) noexcept override {
        ++m_pins[slot];
        if (m_seq[slot] == seq) return true;
        --m_pins[slot];
        return false;
    }
    void unpin(std::uint32_t slot) noexcept override { --m_pins[slot]; }
    smx::detail::FrameCounters& counters() const noexcept override { return *m_counters; }

    /// Writes frame `n` into the next slot round-robin (pinned slots are skipped).
    std::uint32_t publish(std::uint64_t n) {
        for (;;) {
            const std::uint32_t s = m_next++ % static_cast<std::uint32_t>(m_bytes.size());
            if (m_pins[s] != 0) continue;
            m_seq[s] += 1;
            std::memset(m_bytes[s].data(), static_cast<int>(n & 0xff), m_bytes[s].size());
            m_frame[s] = n;
            m_seq[s] += 1;
            return s;
        }
    }
    /// Overwrites slot `s` behind the reader's back (a tear): now it holds frame `n`, if given.
    void scribble(std::uint32_t s, std::uint64_t n = 0) {
        if (n) m_frame[s] = n;
        m_seq[s] += 2;
    }
    /// Starts writing slot `s` (odd seq): it holds no frame until the next publish into it.
    void begin_write(std::uint32_t s) { m_seq[s] |= 1; }
    std::optional<FrameRef> ref(std::uint32_t s) const {
        if (m_seq[s] == 0 || (m_seq[s] & 1) != 0) return std::nullopt;
        return FrameRef{s, m_seq[s], m_frame[s], static_cast<std::int64_t>(m_frame[s])};
    }
    std::uint32_t slot_count() const { return static_cast<std::uint32_t>(m_bytes.size()); }
    std::uint32_t pins(std::uint32_t s) const { return m_pins[s]; }

private:
    smx::Schema m_schema;
    std::vector<std::vector<std::byte>> m_bytes;
    std::vector<std::atomic<std::uint64_t>> m_seq;
    std::vector<std::atomic<std::uint64_t>> m_frame;
    std::vector<std::atomic<std::uint32_t>> m_pins;
    std::uint32_t m_next = 0;
    std::shared_ptr<smx::detail::FrameCounters> m_counters;
};

/// One session's frame source over a FakeStore, with a generation counter the test bumps.
class FakeSource final : public smx::detail::FrameSource {
public:
    struct Shared {
        std::shared_ptr<FakeStore> store;
        std::uint64_t session = 0;
        std::mutex mutex;
        std::condition_variable changed;
        std::uint32_t generation = 0;
        bool alive = true;
        int waits = 0;
        std::vector<std::chrono::nanoseconds> spins;  // the spin of every wait
        std::function<void()> before_next_newest;      // run once, at the start of newest()

        /// True once a reader has slept in wait() (bounded by `timeout`).
        bool wait_until_asleep(std::chrono::milliseconds timeout) {
            std::unique_lock<std::mutex> lock(mutex);
            return changed.wait_for(lock, timeout, [&] { return waits > 0; });
        }

        void set_alive(bool a) {
            std::lock_guard<std::mutex> lock(mutex);
            alive = a;
            changed.notify_all();
        }

        void publish(std::uint64_t n) {
            store->publish(n);
            bump();
        }
        void bump() {
            std::lock_guard<std::mutex> lock(mutex);
            ++generation;
            changed.notify_all();
        }
    };

    explicit FakeSource(std::shared_ptr<Shared> shared) : m(std::move(shared)) {}

    std::uint64_t session() const noexcept override { return m->session; }
    std::int64_t writer_pid() const noexcept override { return 0; }
    std::shared_ptr<const smx::Schema> schema() const noexcept override {
        return std::make_shared<const smx::Schema>(m->store->schema());
    }
    std::shared_ptr<smx::detail::FrameStore> store() const noexcept override { return m->store; }
    std::uint32_t generation() const noexcept override {
        std::lock_guard<std::mutex> lock(m->mutex);
        return m->generation;
    }
    std::optional<FrameRef> newest() const noexcept override {
        if (m->before_next_newest) std::exchange(m->before_next_newest, nullptr)();
        return pick([](auto a, auto b) { return a > b; }, 0);
    }
    std::optional<FrameRef> oldest_after(std::uint64_t n) const noexcept override {
        return pick([](auto a, auto b) { return a < b; }, n);
    }
    smx::detail::WaitEnd wait(std::uint32_t seen, std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin) override {
        std::unique_lock<std::mutex> lock(m->mutex);
        ++m->waits;
        m->spins.push_back(spin);
        m->changed.notify_all();  // tells the test the reader sleeps
        return m->changed.wait_for(lock, timeout, [&] { return m->generation != seen || !m->alive; })
                   ? smx::detail::WaitEnd::woken
                   : smx::detail::WaitEnd::timeout;
    }
    bool writer_alive() noexcept override {
        std::lock_guard<std::mutex> lock(m->mutex);
        return m->alive;
    }
    void nudge() noexcept override { m->bump(); }
    // The wait set is tested over real processes (tests/multiprocess/waitset_test.cpp).
    void set_wake(std::shared_ptr<const smx::detail::Wakeup>) override {}
    void mark_asleep(bool) noexcept override {}

private:
    template <class Better>
    std::optional<FrameRef> pick(Better better, std::uint64_t above) const {
        std::optional<FrameRef> best;
        for (std::uint32_t s = 0; s < m->store->slot_count(); ++s) {
            const auto r = m->store->ref(s);
            if (r && r->frame_number > above && (!best || better(r->frame_number, best->frame_number))) best = r;
        }
        return best;
    }
    std::shared_ptr<Shared> m;
};

/// Session info arrives when the test says so.
class FakeSessions final : public smx::detail::SessionSource {
public:
    struct Shared {
        std::mutex mutex;
        std::condition_variable changed;
        std::deque<SessionInfo> infos;
        bool interrupted = false;
    };
    explicit FakeSessions(std::shared_ptr<Shared> shared) : m(std::move(shared)) {}

    smx::detail::ChannelEvent wait(std::chrono::nanoseconds timeout) override {
        std::unique_lock<std::mutex> lock(m->mutex);
        m->changed.wait_for(lock, timeout, [&] { return !m->infos.empty() || m->interrupted; });
        if (std::exchange(m->interrupted, false)) return smx::detail::ChannelEvent::interrupted;
        return m->infos.empty() ? smx::detail::ChannelEvent::timeout : smx::detail::ChannelEvent::info;
    }
    std::optional<SessionInfo> take_info() override {
        std::lock_guard<std::mutex> lock(m->mutex);
        if (m->infos.empty()) return std::nullopt;
        SessionInfo i = m->infos.back();
        m->infos.clear();
        return i;
    }
    void interrupt() noexcept override {
        std::lock_guard<std::mutex> lock(m->mutex);
        m->interrupted = true;
        m->changed.notify_all();
    }
    void set_notify(std::function<void()>) override {}

private:
    std::shared_ptr<Shared> m;
};

/// Connects to whichever fake session has the announced id.
class FakeConnector final : public smx::detail::Connector {
public:
    explicit FakeConnector(std::vector<std::shared_ptr<FakeSource::Shared>>& sessions) : m_sessions(sessions) {}
    Connection connect(const SessionInfo& info) override {
        for (const auto& s : m_sessions)
            if (s->session == info.session && alive(*s))
                return {std::make_unique<FakeSource>(s), smx::ReaderState::attached};
        return {nullptr, smx::ReaderState::writer_gone};
    }
    /// Finds the newest live writer by itself, as the local connector looks at the segment name.
    Connection probe() override {
        for (auto it = m_sessions.rbegin(); it != m_sessions.rend(); ++it)
            if (alive(**it)) return {std::make_unique<FakeSource>(*it), smx::ReaderState::attached};
        return {nullptr, smx::ReaderState::waiting_for_writer};
    }

private:
    static bool alive(FakeSource::Shared& s) {
        std::lock_guard<std::mutex> lock(s.mutex);
        return s.alive;
    }
    std::vector<std::shared_ptr<FakeSource::Shared>>& m_sessions;
};

class ReaderCoreTest : public ::testing::Test {
protected:
    /// A new writer session with `slots` slots of `n` u64 each, announced to the reader.
    std::shared_ptr<FakeSource::Shared> start_writer(std::uint64_t n = 4, std::uint32_t slots = 3) {
        auto s = std::make_shared<FakeSource::Shared>();
        s->store = std::make_shared<FakeStore>(schema_of(n), slots, m_counters);
        s->session = ++m_next_session;
        m_writers.push_back(s);
        SessionInfo info;
        info.session = s->session;
        info.topic = "core";
        std::lock_guard<std::mutex> lock(m_sessions->mutex);
        m_sessions->infos.push_back(info);
        m_sessions->changed.notify_all();
        return s;
    }

    ReaderCore& reader(std::optional<smx::Schema> expected = std::nullopt, smx::ReaderOptions options = {}) {
        m_core.emplace("core", std::move(expected), options, std::make_unique<FakeSessions>(m_sessions),
                       std::make_unique<FakeConnector>(m_writers), m_counters);
        return *m_core;
    }

    std::shared_ptr<smx::detail::FrameCounters> m_counters = std::make_shared<smx::detail::FrameCounters>();
    std::shared_ptr<FakeSessions::Shared> m_sessions = std::make_shared<FakeSessions::Shared>();
    std::vector<std::shared_ptr<FakeSource::Shared>> m_writers;
    std::uint64_t m_next_session = 100;
    std::optional<ReaderCore> m_core;
};

}  // namespace

TEST_F(ReaderCoreTest, next_returns_every_frame_oldest_first_while_the_reader_keeps_up) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    for (std::uint64_t n = 1; n <= 3; ++n) w->publish(n);
    for (std::uint64_t n = 1; n <= 3; ++n) {
        auto f = r.next(0ns, smx::Hold::view);
        ASSERT_TRUE(f) << n;
        EXPECT_EQ(f->frame_number(), n);
        EXPECT_EQ(f->bytes(0)[0], std::byte{static_cast<unsigned char>(n)});
    }
    EXPECT_FALSE(r.next(0ns, smx::Hold::view));
    EXPECT_EQ(r.stats().missed, 0u);
    EXPECT_EQ(r.stats().delivered, 3u);
}

TEST_F(ReaderCoreTest, a_reader_behind_by_more_than_the_slots_skips_to_the_oldest_frame_left_and_counts_the_gap) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    w->publish(1);
    ASSERT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), 1u);
    for (std::uint64_t n = 2; n <= 9; ++n) w->publish(n);  // 3 slots keep 7, 8, 9
    EXPECT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), 7u);
    EXPECT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), 8u);
    EXPECT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), 9u);
    EXPECT_FALSE(r.next(0ns, smx::Hold::view));
    EXPECT_EQ(r.stats().missed, 5u);  // 2..6
    EXPECT_EQ(r.stats().delivered, 4u);
}

TEST_F(ReaderCoreTest, a_late_joiner_gets_the_newest_frame_first_and_older_ones_are_history_not_missed) {
    auto w = start_writer();
    for (std::uint64_t n = 1; n <= 5; ++n) w->publish(n);
    ReaderCore& r = reader();
    auto f = r.next(1s, smx::Hold::view);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->frame_number(), 5u);
    EXPECT_FALSE(r.next(0ns, smx::Hold::view));
    EXPECT_EQ(r.stats().missed, 0u);
}

TEST_F(ReaderCoreTest, latest_returns_the_newest_frame_and_may_return_it_again) {
    auto w = start_writer();
    ReaderCore& r = reader();
    EXPECT_FALSE(r.latest(smx::Hold::view));  // attached (or not yet), nothing published
    w->publish(1);
    w->publish(2);
    EXPECT_EQ(r.latest(smx::Hold::view)->frame_number(), 2u);
    EXPECT_EQ(r.latest(smx::Hold::view)->frame_number(), 2u);
    EXPECT_EQ(r.stats().delivered, 1u);
    EXPECT_FALSE(r.next(0ns, smx::Hold::view));  // latest() counts as returned
}

TEST_F(ReaderCoreTest, a_pinned_frame_holds_its_slot_until_released_and_a_view_reports_the_tear) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    const std::uint32_t slot = w->store->publish(1);
    auto pinned = r.next(0ns, smx::Hold::pin);
    ASSERT_TRUE(pinned);
    EXPECT_EQ(w->store->pins(slot), 1u);
    w->store->publish(2);
    auto view = r.next(0ns, smx::Hold::view);
    ASSERT_TRUE(view);
    w->store->scribble(view->info().slot);
    EXPECT_FALSE(view->valid());
    EXPECT_EQ(r.stats().torn_views, 1u);
    pinned.reset();
    EXPECT_EQ(w->store->pins(slot), 0u);
}

TEST_F(ReaderCoreTest, copies_are_consistent_and_a_frame_overwritten_during_the_copy_is_reported_torn) {
    auto w = start_writer(8);
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    w->publish(1);
    std::vector<std::byte> buf(64);
    smx::CopyResult c = r.copy_next([&](const std::shared_ptr<const smx::Schema>&) { return std::span(buf); }, 0ns);
    ASSERT_EQ(c.status, smx::ReadStatus::ok);
    EXPECT_EQ(c.info.frame_number, 1u);
    EXPECT_EQ(buf[0], std::byte{1});
    w->publish(2);
    // The buffer callback runs between picking the frame and copying it: the writer overwrites
    // frame 2 with frame 3 there, so the copy of 2 is torn and the reader moves on to 3.
    bool overwritten = false;
    c = r.copy_next([&](const std::shared_ptr<const smx::Schema>&) {
        if (!std::exchange(overwritten, true)) w->store->scribble(1, 3);
        return std::span(buf);
    }, 0ns);
    ASSERT_EQ(c.status, smx::ReadStatus::ok);
    EXPECT_EQ(c.info.frame_number, 3u);
    EXPECT_EQ(r.stats().torn_copies, 1u);
    EXPECT_EQ(r.stats().missed, 1u);
    std::vector<std::byte> small(8);
    w->publish(3);
    EXPECT_THROW(r.copy_latest([&](const std::shared_ptr<const smx::Schema>&) { return std::span(small); }),
                 smx::InvalidArgument);
}

TEST_F(ReaderCoreTest, a_reader_follows_a_restart_with_a_new_schema_and_an_earlier_schema_stays_valid) {
    auto w1 = start_writer(4);
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    const auto first = r.schema();
    w1->publish(1);
    auto old_frame = r.next(0ns, smx::Hold::view);
    ASSERT_TRUE(old_frame);
    {
        std::lock_guard<std::mutex> lock(w1->mutex);
        w1->alive = false;
    }
    EXPECT_FALSE(r.latest(smx::Hold::view));
    EXPECT_EQ(r.state(), smx::ReaderState::writer_gone);
    auto w2 = start_writer(16);
    w2->publish(1);
    auto f = r.next(1s, smx::Hold::view);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->info().session, w2->session);
    EXPECT_EQ(r.schema()->frame_size(), 128u);
    EXPECT_EQ(first->frame_size(), 32u);           // the earlier schema is still alive and unchanged
    EXPECT_EQ(old_frame->schema().frame_size(), 32u);  // and so is an old frame's
    EXPECT_EQ(r.stats().attachments, 2u);
}

TEST_F(ReaderCoreTest, a_template_that_differs_from_the_writer_throws_schema_mismatch_naming_the_field) {
    start_writer(4);
    ReaderCore& r = reader(schema_of(5));
    try {
        r.wait_for_writer(1s);
        FAIL() << "no SchemaMismatch";
    } catch (const smx::SchemaMismatch& e) {
        EXPECT_STREQ(e.what(), "topic 'core': the reader's template differs from the writer's schema "
                               "(template vs writer, writer pid 0): v: shape (5,) vs (4,)");
    }
    EXPECT_THROW(r.latest(smx::Hold::view), smx::SchemaMismatch);  // until another writer comes
}

TEST_F(ReaderCoreTest, a_blocked_next_wakes_for_a_frame_published_from_another_thread) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    auto waiting = std::async(std::launch::async, [&] { return r.next(10s, smx::Hold::view); });
    ASSERT_TRUE(w->wait_until_asleep(5s));  // so the wake-up is what is tested
    w->publish(1);
    ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
    auto f = waiting.get();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->frame_number(), 1u);
}

TEST_F(ReaderCoreTest, interrupt_wakes_a_blocked_next_and_a_pending_interrupt_ends_the_next_call_at_once) {
    start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    auto waiting = std::async(std::launch::async, [&] { return r.next(30s, smx::Hold::view).has_value(); });
    r.interrupt();
    ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
    EXPECT_FALSE(waiting.get());
    r.interrupt();
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(r.next(30s, smx::Hold::view));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(ReaderCoreTest, interrupt_wakes_a_reader_waiting_for_its_first_writer) {
    ReaderCore& r = reader();
    auto waiting = std::async(std::launch::async, [&] { return r.wait_for_writer(30s); });
    r.interrupt();
    ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
    EXPECT_FALSE(waiting.get());
}

TEST_F(ReaderCoreTest, spin_out_of_range_is_refused_and_a_closed_reader_says_closed) {
    smx::ReaderOptions bad;
    bad.spin = -1ns;
    EXPECT_THROW(reader(std::nullopt, bad), smx::InvalidArgument);
    bad.spin = 2s;
    EXPECT_THROW(reader(std::nullopt, bad), smx::InvalidArgument);
    ReaderCore& r = reader();
    r.close();
    EXPECT_THROW(r.latest(smx::Hold::view), smx::Closed);
}

TEST_F(ReaderCoreTest, close_from_another_thread_wakes_a_blocked_next_waits_for_it_and_then_says_closed) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    auto waiting = std::async(std::launch::async, [&] { return r.next(30s, smx::Hold::view).has_value(); });
    ASSERT_TRUE(w->wait_until_asleep(5s));
    r.close();  // returns only once the blocked next() has
    ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
    EXPECT_FALSE(waiting.get());
    EXPECT_THROW(r.next(0ns, smx::Hold::view), smx::Closed);
}

TEST_F(ReaderCoreTest, a_forged_huge_frame_number_does_not_stop_next_from_returning_the_writers_frames) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    w->publish(1);
    ASSERT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), 1u);
    w->store->scribble(0, UINT64_MAX);  // slot 0 now claims the last possible frame
    ASSERT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), UINT64_MAX);
    for (std::uint64_t n = 2; n <= 4; ++n) w->publish(n);  // 4 overwrites the forged slot
    auto f = r.next(0ns, smx::Hold::view);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->frame_number(), 4u);  // the newest genuine frame; then it goes on from there
    w->publish(5);
    EXPECT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), 5u);
}

// Slots are scanned one at a time: a scan that races the writer can see only frames older than
// the last one returned (found by the protocol model, tests/model). That is not a forgery to
// resync from: next() must never return an older frame.
TEST_F(ReaderCoreTest, a_scan_that_raced_the_writer_never_makes_next_return_an_older_frame) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    for (std::uint64_t n = 1; n <= 3; ++n) w->publish(n);
    for (std::uint64_t n = 1; n <= 3; ++n) ASSERT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), n);
    // Mid-scan the writer published frame 4 into a slot already looked at and began the next
    // write in the slot of frame 3: the scan sees frames 1 and 2 only.
    w->before_next_newest = [&] {
        w->store->begin_write(2);
        w->bump();
    };
    const auto f = r.next(0ns, smx::Hold::view);
    EXPECT_FALSE(f && f->frame_number() <= 3) << "next() went back to frame " << f->frame_number();
    w->publish(4);
    const auto g = r.next(0ns, smx::Hold::view);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->frame_number(), 4u);
}

TEST_F(ReaderCoreTest, a_reader_spins_once_per_frame_then_sleeps_without_spinning) {
    auto w = start_writer();
    smx::ReaderOptions options;
    options.spin = 300ms;
    ReaderCore& r = reader(std::nullopt, options);
    ASSERT_TRUE(r.wait_for_writer(1s));
    EXPECT_FALSE(r.next(250ms, smx::Hold::view));  // 3 slices of at most 100 ms
    {
        std::lock_guard<std::mutex> lock(w->mutex);
        ASSERT_GE(w->spins.size(), 2u);
        EXPECT_EQ(w->spins[0], 300ms);
        for (std::size_t i = 1; i < w->spins.size(); ++i) EXPECT_EQ(w->spins[i], 0ns) << i;
        w->spins.clear();
    }
    w->publish(1);
    ASSERT_TRUE(r.next(1s, smx::Hold::view));
    EXPECT_FALSE(r.next(10ms, smx::Hold::view));  // a frame came: the next wait spins again
    std::lock_guard<std::mutex> lock(w->mutex);
    ASSERT_FALSE(w->spins.empty());
    EXPECT_EQ(w->spins[0], 300ms);
}

TEST_F(ReaderCoreTest, a_writer_that_looked_gone_for_a_moment_is_read_on_without_repeating_a_frame) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(1s));
    w->publish(1);
    ASSERT_EQ(r.next(0ns, smx::Hold::view)->frame_number(), 1u);
    w->set_alive(false);  // e.g. its closed flag flipped by someone else
    EXPECT_FALSE(r.latest(smx::Hold::view));
    EXPECT_EQ(r.state(), smx::ReaderState::writer_gone);
    w->set_alive(true);
    ASSERT_TRUE(r.wait_for_writer(2s));  // found again by looking, without new session info
    w->publish(2);
    auto f = r.next(1s, smx::Hold::view);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->frame_number(), 2u);
    EXPECT_EQ(r.stats().missed, 0u);
}

TEST_F(ReaderCoreTest, a_timeout_of_nanoseconds_max_waits_for_a_frame_instead_of_overflowing) {
    auto w = start_writer();
    ReaderCore& r = reader();
    ASSERT_TRUE(r.wait_for_writer(std::chrono::nanoseconds::max()));
    auto waiting = std::async(std::launch::async, [&] { return r.next(std::chrono::nanoseconds::max(), smx::Hold::view); });
    ASSERT_TRUE(w->wait_until_asleep(5s));
    w->publish(1);
    ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
    auto f = waiting.get();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->frame_number(), 1u);
}
