// Slot protocol (white box, real shared memory): seqlock values, the writer never choosing a
// pinned or the latest slot, bounded waits, pins released by registrations and reclaimed from
// dead readers, and the registration table's capacity.

#include "unit_support.hpp"

#include "shm/segment.hpp"
#include "shm/slots.hpp"
#include "support.hpp"

#include <smx/error.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using smx::detail::ReaderRegistration;
using smx::detail::Segment;
using smx::detail::SegmentConfig;
using smx::detail::SlotWriter;
using smx::test::unique_topic;
using smx::unit::ForkedChild;
using smx::unit::message_of;
using K = smx::DType::Kind;

namespace {

const smx::Schema FRAME{{"n", K::u8, {512}}};  // every word holds the frame number

class Slots : public ::testing::Test {
protected:
    void open_segment(std::uint32_t slots, std::uint32_t reader_capacity = 8) {
        topic = unique_topic("slots");
        SegmentConfig c;
        c.domain_id = smx::test::test_domain();
        c.topic = topic;
        c.slots = slots;
        c.reader_capacity = reader_capacity;
        c.session = 7;
        owner = Segment::create(c, FRAME);
        reader_side = Segment::attach(owner->name(), topic);
        ASSERT_TRUE(reader_side);
        writer = std::make_unique<SlotWriter>(*owner);
    }

    void TearDown() override {
        writer.reset();
        reader_side.reset();
        owner.reset();
        if (!topic.empty()) {
            EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
        }
    }

    // Writes frame `n` into a free slot and publishes it; returns the slot.
    std::uint32_t publish(std::uint64_t n) {
        const auto s = writer->acquire(0ns);
        EXPECT_TRUE(s) << "no free slot for frame " << n;
        if (!s) return UINT32_MAX;
        auto* words = reinterpret_cast<std::uint64_t*>(owner->payload(*s));
        for (std::size_t i = 0; i < 512; ++i) words[i] = n;
        writer->commit(*s, n, static_cast<std::int64_t>(n));
        return *s;
    }

    // Two slots, a writer with a pin lease, frames 1 and 2 published: returns frame 1's slot,
    // the one a pin there keeps the writer from (frame 2's is the newest).
    std::uint32_t two_slots_with_a_lease(std::chrono::nanoseconds lease) {
        open_segment(2);
        writer = std::make_unique<SlotWriter>(*owner, lease);
        const std::uint32_t first = publish(1);
        publish(2);
        return first;
    }

    std::uint64_t seq(std::uint32_t slot) const { return reader_side->slot(slot).seq.load(); }
    std::uint64_t frame_in(std::uint32_t slot) const {
        return reinterpret_cast<const std::uint64_t*>(reader_side->payload(slot))[0];
    }
    std::uint32_t pins_of(std::uint32_t registration, std::uint32_t slot) const {
        return reader_side->reader(registration).pins()[slot].load();
    }

    std::string topic;
    std::unique_ptr<Segment> owner, reader_side;
    std::unique_ptr<SlotWriter> writer;
};

// A child process that registers in the segment, pins `slots`, reports 'p' and then waits to be
// killed (at most a minute).
ForkedChild pinning_child(const std::string& name, const std::string& topic, std::vector<std::uint32_t> slots) {
    return ForkedChild([=](int report) {
        auto seg = Segment::attach(name, topic);
        if (!seg) return 2;
        ReaderRegistration reg(*seg, topic);
        for (std::uint32_t s : slots)
            if (!reg.pin(s, seg->slot(s).seq.load())) return 3;
        if (::write(report, "p", 1) != 1) return 4;
        for (int i = 0; i < 600; ++i) ::usleep(100'000);
        return 0;
    });
}

}  // namespace

TEST_F(Slots, acquire_makes_seq_odd_and_commit_makes_it_even_two_higher) {
    open_segment(3);
    const auto s = writer->acquire(0ns);
    ASSERT_TRUE(s);
    EXPECT_EQ(seq(*s), 1u);
    EXPECT_EQ(writer->commit(*s, 1, 100), 2u);
    EXPECT_EQ(seq(*s), 2u);
    EXPECT_EQ(reader_side->slot(*s).frame_number.load(), 1u);
    EXPECT_EQ(reader_side->slot(*s).timestamp_ns.load(), 100);
    EXPECT_TRUE(smx::detail::SlotReader(*reader_side).unchanged(*s, 2));
}

TEST_F(Slots, an_abandoned_slot_gets_a_new_even_seq_so_old_views_see_the_change) {
    open_segment(2);
    const std::uint32_t s = publish(1);
    const std::uint64_t before = seq(s);
    publish(2);
    const auto again = writer->acquire(0ns);
    ASSERT_TRUE(again);
    ASSERT_EQ(*again, s);
    writer->abandon(*again);
    EXPECT_EQ(seq(s) % 2, 0u);
    EXPECT_FALSE(smx::detail::SlotReader(*reader_side).unchanged(s, before));
}

// An abandoned slot's bytes are half a new frame: it must read as empty, never as the frame it
// held before (a reader behind would otherwise take it for that frame, torn).
TEST_F(Slots, an_abandoned_slot_holds_no_frame_so_a_reader_behind_skips_it) {
    open_segment(3);
    const std::uint32_t first = publish(1);
    publish(2);
    publish(3);
    const auto again = writer->acquire(0ns);
    ASSERT_TRUE(again);
    ASSERT_EQ(*again, first);
    writer->abandon(*again);
    const smx::detail::SlotReader slots(*reader_side);
    EXPECT_FALSE(slots.snapshot(first)) << "the abandoned slot still claims frame 1";
    const auto oldest = slots.oldest_after(0);
    ASSERT_TRUE(oldest);
    EXPECT_EQ(oldest->frame_number, 2u);
    EXPECT_EQ(slots.newest()->frame_number, 3u);
}

TEST_F(Slots, the_latest_published_slot_is_never_chosen_for_the_next_frame) {
    open_segment(2);
    std::uint32_t latest = publish(1);
    for (std::uint64_t n = 2; n < 50; ++n) {
        const std::uint32_t s = publish(n);
        EXPECT_NE(s, latest) << "frame " << n;
        latest = s;
    }
}

TEST_F(Slots, a_pinned_slot_is_never_chosen_and_its_frame_stays_intact) {
    open_segment(3);
    const std::uint32_t pinned = publish(1);
    publish(2);
    ReaderRegistration reg(*reader_side, topic);
    const std::uint64_t pinned_seq = seq(pinned);
    ASSERT_TRUE(reg.pin(pinned, pinned_seq));
    for (std::uint64_t n = 3; n < 100; ++n) EXPECT_NE(publish(n), pinned) << "frame " << n;
    EXPECT_EQ(seq(pinned), pinned_seq);
    EXPECT_EQ(frame_in(pinned), 1u);
    reg.unpin(pinned);
    std::set<std::uint32_t> used;
    for (std::uint64_t n = 100; n < 106; ++n) used.insert(publish(n));
    EXPECT_TRUE(used.count(pinned)) << "an unpinned slot is used again";
}

TEST_F(Slots, pin_refuses_a_slot_that_no_longer_holds_the_frame) {
    open_segment(2);
    const std::uint32_t s = publish(1);
    const std::uint64_t old_seq = seq(s);
    publish(2);
    publish(3);  // overwrites s
    ReaderRegistration reg(*reader_side, topic);
    EXPECT_FALSE(reg.pin(s, old_seq));
    EXPECT_EQ(pins_of(reg.index(), s), 0u) << "a refused pin leaves no count behind";
}

TEST_F(Slots, acquire_returns_nothing_and_touches_nothing_when_every_candidate_is_pinned) {
    open_segment(3);
    const std::uint32_t a = publish(1), b = publish(2), latest = publish(3);
    ReaderRegistration reg(*reader_side, topic);
    ASSERT_TRUE(reg.pin(a, seq(a)));
    ASSERT_TRUE(reg.pin(b, seq(b)));
    const std::uint64_t seqs[3] = {seq(0), seq(1), seq(2)};
    EXPECT_EQ(writer->acquire(0ns), std::nullopt);
    for (std::uint32_t s = 0; s < 3; ++s) EXPECT_EQ(seq(s), seqs[s]) << "slot " << s;
    EXPECT_EQ(frame_in(latest), 3u);
    EXPECT_EQ(owner->header().writer_waiting.load(), 0u);
}

TEST_F(Slots, a_waiting_acquire_gives_up_at_its_deadline_when_no_pin_is_released) {
    open_segment(2);
    const std::uint32_t a = publish(1);
    publish(2);
    ReaderRegistration reg(*reader_side, topic);
    ASSERT_TRUE(reg.pin(a, seq(a)));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(writer->acquire(200ms), std::nullopt);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
    EXPECT_EQ(owner->header().writer_waiting.load(), 0u) << "the waiting flag is cleared on the way out";
}

// The pin lease (WriterOptions::pin_lease): a pin that keeps the writer from every slot for
// longer than the lease is broken — that slot is written, the pin's frame reads as changed —
// while the writer waits no longer than the lease; the broken pin is then ignored, but a new pin
// (its count moved) is respected again for a lease of its own.
TEST_F(Slots, a_pin_holding_the_writer_up_past_its_lease_is_broken_and_a_fresh_one_is_respected) {
    const std::uint32_t a = two_slots_with_a_lease(150ms);
    ReaderRegistration reg(*reader_side, topic);
    ASSERT_TRUE(reg.pin(a, seq(a)));
    const std::uint64_t pinned_seq = seq(a);
    EXPECT_EQ(writer->acquire(0ns), std::nullopt) << "within the lease the pin holds";
    EXPECT_EQ(writer->pinning_pids(), std::vector<std::uint64_t>{static_cast<std::uint64_t>(::getpid())});
    const auto start = std::chrono::steady_clock::now();
    const auto s = writer->acquire(10s);
    const auto waited = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(s) << "the lease ended the wait";
    EXPECT_EQ(*s, a);
    EXPECT_LT(waited, 2s);
    EXPECT_NE(seq(a), pinned_seq) << "the pinning reader's frame reads as changed";
    writer->commit(*s, 3, 3);
    EXPECT_EQ(writer->pins_broken(), 1u);
    const auto broken = writer->take_broken();
    ASSERT_EQ(broken.size(), 1u);
    EXPECT_EQ(broken[0].slot, a);
    EXPECT_EQ(broken[0].pid, static_cast<std::uint64_t>(::getpid()));
    EXPECT_TRUE(writer->take_broken().empty());
    EXPECT_EQ(pins_of(reg.index(), a), 1u) << "the pin itself stays the reader's";
    EXPECT_TRUE(writer->pinning_pids().empty());

    // Frame 4 goes to the other slot; frame 5 may take slot a again: its pin is broken.
    publish(4);
    EXPECT_TRUE(writer->acquire(0ns)) << "a broken pin no longer holds the writer up";
    writer->abandon(a);
    // The same registration pins slot a anew (count 1 -> 2): a new pin, respected.
    ASSERT_TRUE(reg.pin(a, seq(a)));
    EXPECT_EQ(writer->acquire(0ns), std::nullopt) << "a fresh pin is not broken at once";
    reg.unpin(a);
    reg.unpin(a);
    EXPECT_TRUE(writer->acquire(0ns));
}

// After a break the reader lets the stale pin go and pins the slot's new frame: the count is 1
// again, as the broken pin's was, but the release in between (ReaderRecord::unpins) tells the
// writer it is a new pin, held for a lease of its own.
TEST_F(Slots, a_pin_taken_afresh_after_a_break_with_the_same_count_is_respected) {
    const std::uint32_t a = two_slots_with_a_lease(150ms);
    ReaderRegistration reg(*reader_side, topic);
    ASSERT_TRUE(reg.pin(a, seq(a)));
    const auto s = writer->acquire(10s);  // broken after the lease
    ASSERT_TRUE(s);
    ASSERT_EQ(*s, a);
    writer->commit(*s, 3, 3);
    ASSERT_EQ(writer->pins_broken(), 1u);
    reg.unpin(a);                      // the stale pin goes...
    ASSERT_TRUE(reg.pin(a, seq(a)));   // ...and frame 3 (slot a) is pinned: count 1 again
    publish(4);                        // the other slot
    EXPECT_EQ(writer->acquire(0ns), std::nullopt) << "the fresh pin on frame 3 was taken for the broken one";
    EXPECT_EQ(writer->pins_broken(), 1u);
    reg.unpin(a);
}

TEST_F(Slots, without_a_lease_a_pin_holds_the_writer_up_for_good) {
    open_segment(2);  // SlotWriter's default: no lease
    const std::uint32_t a = publish(1);
    publish(2);
    ReaderRegistration reg(*reader_side, topic);
    ASSERT_TRUE(reg.pin(a, seq(a)));
    EXPECT_EQ(writer->acquire(300ms), std::nullopt);
    EXPECT_EQ(writer->pins_broken(), 0u);
}

TEST_F(Slots, a_waiting_acquire_takes_the_slot_a_reader_releases) {
    open_segment(2);
    const std::uint32_t a = publish(1);
    publish(2);
    ReaderRegistration reg(*reader_side, topic);
    ASSERT_TRUE(reg.pin(a, seq(a)));
    std::thread release([&] {
        std::this_thread::sleep_for(100ms);
        reg.unpin(a);
    });
    const auto s = writer->acquire(60s);
    release.join();
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, a);
}

TEST_F(Slots, destroying_a_registration_releases_its_pins_and_its_entry) {
    open_segment(3);
    const std::uint32_t a = publish(1), b = publish(2);
    publish(3);
    std::uint32_t index;
    {
        ReaderRegistration reg(*reader_side, topic);
        index = reg.index();
        ASSERT_TRUE(reg.pin(a, seq(a)));
        ASSERT_TRUE(reg.pin(b, seq(b)));
        ASSERT_TRUE(reg.pin(b, seq(b)));
        EXPECT_EQ(pins_of(index, b), 2u);
        EXPECT_EQ(writer->reader_count(), 1u);
        EXPECT_EQ(reader_side->reader(index).pid.load(), static_cast<std::uint64_t>(::getpid()));
        EXPECT_EQ(writer->acquire(0ns), std::nullopt);
    }
    for (std::uint32_t s = 0; s < 3; ++s) EXPECT_EQ(pins_of(index, s), 0u);
    EXPECT_EQ(reader_side->reader(index).pid.load(), 0u);
    EXPECT_EQ(writer->reader_count(), 0u);
    EXPECT_TRUE(writer->acquire(0ns));
}

TEST_F(Slots, pins_of_a_reader_killed_while_holding_them_are_reclaimed) {
    open_segment(3);
    const std::uint32_t a = publish(1), b = publish(2);
    publish(3);
    ForkedChild child = pinning_child(owner->name(), topic, {a, b});
    ASSERT_EQ(child.read_report(20s), 'p') << smx::unit::describe_status(child.wait(0ms));
    EXPECT_EQ(writer->reader_count(), 1u);
    EXPECT_EQ(writer->acquire(0ns), std::nullopt) << "a live reader's pins are respected";

    child.kill(SIGKILL);
    const auto status = child.wait(20s);
    ASSERT_TRUE(status && WIFSIGNALED(*status)) << smx::unit::describe_status(status);
    const auto s = writer->acquire(0ns);
    ASSERT_TRUE(s) << "the dead reader's pins were not reclaimed";
    EXPECT_TRUE(*s == a || *s == b);
    EXPECT_EQ(writer->reader_count(), 0u);
}

TEST_F(Slots, a_writer_waiting_on_pins_of_a_reader_that_dies_is_not_stuck_until_its_deadline) {
    open_segment(2);
    const std::uint32_t a = publish(1);
    publish(2);
    ForkedChild child = pinning_child(owner->name(), topic, {a});
    ASSERT_EQ(child.read_report(20s), 'p') << smx::unit::describe_status(child.wait(0ms));
    std::thread killer([&] {
        std::this_thread::sleep_for(100ms);
        child.kill(SIGKILL);
    });
    const auto s = writer->acquire(60s);
    killer.join();
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, a);
    EXPECT_TRUE(child.wait(20s));
}

TEST_F(Slots, a_full_registration_table_throws_TooManyReaders_naming_topic_segment_and_fix) {
    open_segment(2, 2);
    auto r1 = std::make_unique<ReaderRegistration>(*reader_side, topic);
    ReaderRegistration r2(*reader_side, topic);
    EXPECT_NE(r1->index(), r2.index());
    EXPECT_EQ(message_of<smx::TooManyReaders>([&] { ReaderRegistration r3(*reader_side, topic); }),
              "topic '" + topic + "': all 2 reader registrations of segment '" + owner->name() +
                  "' are in use; start the writer with a larger reader_capacity");
    const std::uint32_t freed = r1->index();
    r1.reset();
    ReaderRegistration r3(*reader_side, topic);
    EXPECT_EQ(r3.index(), freed);
}

TEST_F(Slots, a_dead_readers_registration_makes_room_in_a_full_table) {
    open_segment(2, 1);
    publish(1);
    ForkedChild child = pinning_child(owner->name(), topic, {});
    ASSERT_EQ(child.read_report(20s), 'p') << smx::unit::describe_status(child.wait(0ms));
    EXPECT_THROW(ReaderRegistration r(*reader_side, topic), smx::TooManyReaders);
    child.kill(SIGKILL);
    ASSERT_TRUE(child.wait(20s));
    ReaderRegistration r(*reader_side, topic);
    EXPECT_EQ(r.index(), 0u);
    EXPECT_EQ(reader_side->reader(0).pid.load(), static_cast<std::uint64_t>(::getpid()));
}

// Writer and reader race for real: whatever the reader managed to pin must never change while
// pinned (the Dekker handshake between SlotWriter::acquire and ReaderRegistration::pin).
TEST_F(Slots, a_pin_won_against_a_concurrent_writer_keeps_its_frame_unchanged) {
    open_segment(3);
    publish(1);
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> frames{1};
    std::atomic<std::uint64_t> pins_won{0};
    std::thread writing([&] {
        // At least 20,000 frames, and on until the reader has won pins against them (on a
        // loaded machine the reading thread may only get scheduled late); bounded in time.
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        for (std::uint64_t n = 2; n <= 20000 || (pins_won.load() < 100 && std::chrono::steady_clock::now() < deadline);
             ++n) {
            const auto s = writer->acquire(5s);
            if (!s) break;
            auto* words = reinterpret_cast<std::uint64_t*>(owner->payload(*s));
            for (std::size_t i = 0; i < 512; ++i) words[i] = n;
            writer->commit(*s, n, 0);
            frames.store(n);
        }
        done.store(true);
    });
    ReaderRegistration reg(*reader_side, topic);
    std::uint64_t changed_while_pinned = 0;
    while (!done.load()) {
        for (std::uint32_t s = 0; s < 3; ++s) {
            const std::uint64_t q = seq(s);
            if (q == 0 || q % 2 != 0 || !reg.pin(s, q)) continue;
            ++pins_won;
            const auto* words = reinterpret_cast<const volatile std::uint64_t*>(reader_side->payload(s));
            const std::uint64_t first = words[0];
            for (int spin = 0; spin < 50; ++spin)
                for (std::size_t i = 0; i < 512; ++i)
                    if (words[i] != first) ++changed_while_pinned;
            if (seq(s) != q) ++changed_while_pinned;
            reg.unpin(s);
        }
    }
    writing.join();
    EXPECT_GE(frames.load(), 20000u) << "the writer was starved by a reader that pins only briefly";
    EXPECT_GE(pins_won.load(), 100u);
    EXPECT_EQ(changed_while_pinned, 0u);
}

TEST_F(Slots, a_stray_write_to_a_slots_seq_cannot_turn_its_odd_and_even_meaning_around) {
    open_segment(3);
    const std::uint32_t s = publish(1);
    reader_side->slot(s).seq.fetch_add(1);  // someone with write access makes a stable slot odd
    for (std::uint64_t n = 2; n <= 12; ++n) {
        const auto slot = writer->acquire(0ns);
        ASSERT_TRUE(slot);
        EXPECT_EQ(seq(*slot) % 2, 1u) << "slot " << *slot << " is being written but reads as stable";
        writer->commit(*slot, n, 0);
        EXPECT_EQ(seq(*slot) % 2, 0u) << "slot " << *slot << " is published but reads as being written";
    }
}

TEST_F(Slots, sleeping_marks_on_free_registrations_are_cleared_by_the_writers_sweep) {
    open_segment(3, 8);
    auto& sleeping = owner->header().sleeping[0];
    sleeping.fetch_or(std::uint64_t{1} << 5);  // planted (or left by a reader that exited oddly)
    // Rings that wake nobody make the writer sweep at most every 250 ms: publish until then.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while ((sleeping.load() >> 5) & 1u) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the mark was never cleared";
        publish(1);
        std::this_thread::sleep_for(1ms);
    }
}
