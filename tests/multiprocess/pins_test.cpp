// Pins across processes: the writer (this process) never overwrites a slot a reader process
// pins, says so when every slot is held, and takes back the pins of a reader that was killed.

#include "multiprocess.hpp"
#include "pattern.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <future>

using namespace std::chrono_literals;
using smx::test::Child;
using smx::test::write_frame;

namespace {

const smx::Schema SCHEMA = smx::pattern::rgbd_schema(320, 240);

// Copy path (Writer::write) with the pattern of frame `n`.
smx::PublishResult write_copy(smx::Writer& writer, std::uint64_t n) {
    std::vector<std::vector<std::byte>> buffers;
    std::vector<smx::ArrayRef> refs;
    for (std::size_t i = 0; i < SCHEMA.size(); ++i) {
        buffers.emplace_back(SCHEMA[i].nbytes());
        smx::pattern::fill(buffers.back(), n, i);
    }
    for (std::size_t i = 0; i < SCHEMA.size(); ++i)
        refs.emplace_back(buffers[i].data(), SCHEMA[i].dtype, SCHEMA[i].shape);
    return writer.write(refs);
}

smx::WriterOptions options(std::uint32_t slots, smx::WhenFull when_full,
                           std::chrono::nanoseconds full_wait = 100ms) {
    smx::WriterOptions o;
    o.slots = slots;
    o.when_full = when_full;
    o.full_wait = full_wait;
    return o;
}

// Starts a pinner and has it pin `pins` frames, the writer publishing one frame per pin (so each
// lands in a slot no pin holds yet). Returns the "PINNED ..." line.
std::string pin_frames(smx::Writer& writer, Child& pinner, int pins) {
    for (int k = 1; k <= pins; ++k) {
        EXPECT_TRUE(write_frame(writer));
        const auto pin = pinner.wait_for_line("PIN ", 15s);
        EXPECT_TRUE(pin) << pinner.transcript();
        if (!pin) return {};
        EXPECT_EQ(*pin, "PIN " + std::to_string(k - 1) + ":" + std::to_string(k)) << pinner.transcript();
    }
    const auto pinned = pinner.wait_for_line("PINNED", 5s);
    EXPECT_TRUE(pinned) << pinner.transcript();
    return pinned ? *pinned : std::string();
}

// Has the pinner re-verify the content of every frame it pins and expects `line` back.
void expect_pinned_frames_intact(Child& pinner, const std::string& line) {
    pinner.send_line("check");
    const auto checked = pinner.wait_for_line("CHECKED", 10s);
    ASSERT_TRUE(checked) << pinner.transcript();
    EXPECT_EQ(*checked, line);
}

}  // namespace

TEST(Pins, the_writer_reclaims_the_pins_of_a_reader_killed_while_pinning_and_keeps_writing) {
    const std::string topic = smx::test::unique_topic("reclaim");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    // Two slots: with one pinned and the other the latest, the writer has nowhere to write.
    smx::Writer writer(participant, topic, SCHEMA, options(2, smx::WhenFull::fail));
    Child pinner({smx::test::peer(), "pinner", "--topic", topic, "--pins", "1"});
    EXPECT_EQ(pin_frames(writer, pinner, 1), "PINNED 1 0:1");
    EXPECT_EQ(writer.reader_count(), 1u);

    ASSERT_TRUE(write_frame(writer));  // frame 2 goes to slot 1
    // Slot 0 pinned, slot 1 the latest: held, and held for as long as the pinner lives.
    const auto held = write_frame(writer);
    EXPECT_EQ(held.status, smx::PublishStatus::all_slots_held);
    EXPECT_EQ(held.frame_number, 0u);
    EXPECT_EQ(writer.frames_published(), 2u);

    pinner.signal(SIGKILL);
    ASSERT_EQ(pinner.exit_code(10s), -SIGKILL);

    // Without reclaiming the dead reader's pin this write would report all_slots_held again.
    for (std::uint64_t n = 3; n <= 10; ++n) {
        const auto r = (n % 2) ? write_frame(writer) : write_copy(writer, n);
        ASSERT_EQ(r.status, smx::PublishStatus::published) << "frame " << n;
        EXPECT_EQ(r.frame_number, n);
    }
    EXPECT_EQ(writer.reader_count(), 0u);

    // A new reader process sees the writer's newest frame intact.
    Child reader({smx::test::peer(), "reader", "--topic", topic, "--mode", "pin", "--until", "10", "--timeout-ms",
                  "10000"});
    const auto line = reader.wait_for_line("RESULT", 20s);
    ASSERT_TRUE(line) << reader.transcript();
    auto r = smx::test::values(*line);
    EXPECT_EQ(r["last"], 10u) << *line;
    EXPECT_EQ(r["accepted"], 1u) << *line;
    EXPECT_EQ(reader.exit_code(10s), 0);
    writer.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(Pins, with_every_slot_pinned_a_fail_fast_writer_reports_all_slots_held_and_overwrites_nothing) {
    const std::string topic = smx::test::unique_topic("allheld");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    smx::Writer writer(participant, topic, SCHEMA, options(3, smx::WhenFull::fail));
    Child pinner({smx::test::peer(), "pinner", "--topic", topic, "--pins", "3"});
    EXPECT_EQ(pin_frames(writer, pinner, 3), "PINNED 3 0:1 1:2 2:3");

    for (int attempt = 0; attempt < 5; ++attempt) {
        const auto r = write_copy(writer, 4);
        EXPECT_EQ(r.status, smx::PublishStatus::all_slots_held);
        EXPECT_FALSE(r);
        EXPECT_FALSE(writer.loan()) << "a loan was granted on a pinned slot";
    }
    EXPECT_EQ(writer.frames_published(), 3u);
    // The pinning process finds every pinned frame exactly as it was written.
    expect_pinned_frames_intact(pinner, "CHECKED ok=3 bad=0 pinned=3");

    // Once the pins are released the writer proceeds.
    pinner.send_line("release");
    ASSERT_TRUE(pinner.wait_for_line("RELEASED", 10s)) << pinner.transcript();
    const auto r = write_frame(writer);
    EXPECT_EQ(r.status, smx::PublishStatus::published);
    EXPECT_EQ(r.frame_number, 4u);
    pinner.send_line("quit");
    EXPECT_EQ(pinner.exit_code(10s), 0) << pinner.transcript();
    writer.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(Pins, with_every_slot_pinned_a_waiting_writer_reports_all_slots_held_after_its_wait_and_overwrites_nothing) {
    const std::string topic = smx::test::unique_topic("waitheld");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    smx::Writer writer(participant, topic, SCHEMA, options(3, smx::WhenFull::wait, 300ms));
    Child pinner({smx::test::peer(), "pinner", "--topic", topic, "--pins", "3"});
    EXPECT_EQ(pin_frames(writer, pinner, 3), "PINNED 3 0:1 1:2 2:3");

    const auto r = write_copy(writer, 4);  // returns after its bounded wait
    EXPECT_EQ(r.status, smx::PublishStatus::all_slots_held);
    EXPECT_FALSE(writer.loan());
    EXPECT_EQ(writer.frames_published(), 3u);
    expect_pinned_frames_intact(pinner, "CHECKED ok=3 bad=0 pinned=3");
    pinner.send_line("quit");
    EXPECT_EQ(pinner.exit_code(10s), 0) << pinner.transcript();
    writer.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(Pins, a_waiting_writer_publishes_as_soon_as_a_reader_process_releases_its_pins) {
    const std::string topic = smx::test::unique_topic("release");
    smx::test::ShmGuard guard(topic);
    smx::Participant participant;
    // The wait is a bound, not an expectation: the release wakes the writer long before.
    smx::Writer writer(participant, topic, SCHEMA, options(3, smx::WhenFull::wait, 60s));
    Child pinner({smx::test::peer(), "pinner", "--topic", topic, "--pins", "3"});
    EXPECT_EQ(pin_frames(writer, pinner, 3), "PINNED 3 0:1 1:2 2:3");

    auto pending = std::async(std::launch::async, [&] { return write_copy(writer, 4); });
    pinner.send_line("release");
    ASSERT_TRUE(pinner.wait_for_line("RELEASED", 10s)) << pinner.transcript();
    ASSERT_EQ(pending.wait_for(60s), std::future_status::ready);
    const auto r = pending.get();
    EXPECT_EQ(r.status, smx::PublishStatus::published);
    EXPECT_EQ(r.frame_number, 4u);
    pinner.send_line("quit");
    EXPECT_EQ(pinner.exit_code(10s), 0) << pinner.transcript();
    writer.close();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
