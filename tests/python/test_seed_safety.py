"""The seed's read loop is safe by default: a frame from ``reader()`` (or iteration) stays pinned
until the next call, so slow processing never sees a frame that mixes two writes; a forgotten
pin is broken after the writer's pin lease; a writer whose slots are all pinned says so (a log
line naming the pinning readers' pids, a counter), and ``with writer.loan()`` raises a named
error instead of a TypeError. Writers and pinning readers run in separate processes."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

import smx
from pattern import check_frame, frame_arrays, schema

RGBD = schema("rgbd")


def seed_loop(reader: smx.SMReader, seconds: float, work: float):
    """The seed's loop, `frame = reader(); process(frame)`, with `work` seconds of processing
    (a stand-in for real work, not a synchronisation), then the frame's content checked against
    the frame number it was read as. Returns (frames processed, torn, frame numbers)."""
    processed = torn = 0
    numbers = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame = reader()
        number = smx.frame_info(frame)["frame_number"]
        time.sleep(work)
        processed += 1
        numbers.append(number)
        if not check_frame(frame, RGBD, number):
            torn += 1
    return processed, torn, numbers


def seed_loop_against_a_fast_writer(topics, spawn, seconds: float, raw_views: bool):
    """The issue's case: a C++ writer at 200 Hz with 3 slots in another process, and the seed
    loop with 20 ms of processing for `seconds`. Returns seed_loop's result and the writer."""
    topic = topics()
    writer = spawn.cpp("writer", "--topic", topic, "--schema", "rgbd", "--frames", "1400", "--rate", "200",
                       "--linger")
    writer.wait_for("READY")
    reader = smx.SMReader(smx.DomainParticipant(), topic, None, timeout=10, raw_views=raw_views)
    try:
        while reader.latest() is None:
            reader.next(timeout=5)
        return seed_loop(reader, seconds, 0.02), writer
    finally:
        reader.close()


def test_the_seed_loop_with_slow_processing_accepts_no_torn_frame(topics, spawn):
    (processed, torn, numbers), writer = seed_loop_against_a_fast_writer(topics, spawn, 2.0, raw_views=False)
    assert processed >= 30, processed
    assert torn == 0, f"{torn} of {processed} frames changed while being processed"
    # The writer went on meanwhile (one pin per reader never holds a 3-slot writer up).
    assert numbers == sorted(numbers) and numbers[-1] - numbers[0] >= 150, numbers

    # The control: the same loop with the seed's raw views sees torn frames, so the check can fail.
    (processed, torn, _), writer2 = seed_loop_against_a_fast_writer(topics, spawn, 1.0, raw_views=True)
    assert torn > processed // 2, f"raw views: {torn} of {processed} torn; the control should tear"
    writer.quit()
    writer2.quit()


def test_iteration_pins_each_frame_until_the_next_step(topic, spawn):
    writer = spawn.cpp("writer", "--topic", topic, "--schema", "rgbd", "--frames", "600", "--rate", "200",
                       "--linger")
    writer.wait_for("READY")
    reader = smx.SMReader(smx.DomainParticipant(), topic, None, timeout=10)
    processed = torn = 0
    try:
        for frame in reader:
            time.sleep(0.02)  # processing, not synchronisation
            processed += 1
            if not check_frame(frame, RGBD, smx.frame_info(frame)["frame_number"]):
                torn += 1
            if processed == 40:
                break
    finally:
        reader.close()
    assert torn == 0, f"{torn} of {processed} iterated frames changed while processed"
    writer.quit()


def test_the_previous_frame_is_let_go_at_the_next_call(topic):
    # One pin per reader: with 2 slots, the frame of the last reader() call holds the writer up
    # until the next call lets it go.
    w = smx.SMWriter(smx.DomainParticipant(), topic, RGBD, 2, when_full="fail", pin_lease=None)
    try:
        assert w.write(frame_arrays(RGBD, 1)) == 1
        reader = smx.SMReader(smx.DomainParticipant(), topic, None, timeout=10)
        first = reader()
        assert smx.frame_info(first)["frame_number"] == 1
        assert w.write(frame_arrays(RGBD, 2)) == 2  # the free slot
        # Frame 1's slot is pinned by `first` and frame 2 is the newest: the writer is held up.
        assert w.write(frame_arrays(RGBD, 3)) is None
        second = reader()  # lets frame 1 go, pins frame 2 (the newest)
        assert smx.frame_info(second)["frame_number"] == 2
        assert w.write(frame_arrays(RGBD, 3)) == 3
        assert not smx.is_valid(first), "frame 1 was let go and its slot rewritten"
        assert smx.is_valid(second) and check_frame(second, RGBD, 2)
        reader.close()
    finally:
        w.close()


def test_a_writer_with_every_slot_pinned_logs_the_pids_counts_and_refuses_loans_by_name(topic, spawn, caplog):
    w = smx.SMWriter(smx.DomainParticipant(), topic, RGBD, 2, when_full="fail", pin_lease=None)
    try:
        assert w.write(frame_arrays(RGBD, 1)) == 1
        pinner = spawn.cpp("pinner", "--topic", topic, "--pins", "1")
        assert pinner.wait_for("PINNED").split()[1:] == ["1", "0:1"]
        assert w.write(frame_arrays(RGBD, 2)) == 2
        with caplog.at_level(logging.WARNING, logger="smx"):
            assert w.write(frame_arrays(RGBD, 3)) is None
            assert w.write(frame_arrays(RGBD, 3)) is None
        assert w.stats == {"all_slots_held": 2, "pins_broken": 0}
        assert w.pinning_pids == [pinner.pid]
        warnings = [r.getMessage() for r in caplog.records if r.name == "smx"]
        assert len(warnings) == 1, f"rate-limited to one line: {warnings}"
        assert f"topic '{topic}'" in warnings[0] and f"pid {pinner.pid}" in warnings[0]
        assert "more slots" in warnings[0], warnings[0]

        loan = w.loan()
        assert not loan and not loan.active
        with pytest.raises(smx.AllSlotsHeld, match=f"topic '{topic}'.*pid {pinner.pid}"):
            with w.loan() as loan:
                loan.color[...] = 0
        assert w.stats["all_slots_held"] == 4

        pinner.send("release")
        pinner.wait_for("RELEASED")
        with w.loan() as loan:  # a slot again
            assert loan
            for name, array in frame_arrays(RGBD, 3).items():
                setattr(loan, name, array)
        assert w.frames_published == 3
        pinner.quit()
    finally:
        w.close()


def test_a_forgotten_pin_is_broken_after_the_writers_lease_and_the_frame_reads_invalid(topic, spawn, caplog):
    lease = 1.0
    w = smx.SMWriter(smx.DomainParticipant(), topic, RGBD, 2, when_full="wait", full_wait=10.0, pin_lease=lease)
    try:
        assert w.write(frame_arrays(RGBD, 1)) == 1
        pinner = spawn.cpp("pinner", "--topic", topic, "--pins", "1")
        pinner.wait_for("PINNED 1 0:1")
        assert w.write(frame_arrays(RGBD, 2)) == 2
        start = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="smx"):
            assert w.write(frame_arrays(RGBD, 3)) == 3, "the lease should have let the writer through"
        waited = time.monotonic() - start
        assert lease * 0.9 <= waited < 5.0, f"the writer waited {waited:.2f} s for a {lease} s lease"
        assert w.stats == {"all_slots_held": 0, "pins_broken": 1}
        assert w.pinning_pids == [], "a broken pin holds nobody up"
        broke = [r.getMessage() for r in caplog.records if "broke the pin" in r.getMessage()]
        assert len(broke) == 1 and f"reader pid {pinner.pid}" in broke[0], caplog.text
        # The pinning reader learns its frame changed: valid is false.
        pinner.send("check")
        assert pinner.wait_for("CHECKED") == "CHECKED ok=0 bad=1 pinned=1"
        # The broken pin is ignored from now on; the writer goes on at once (fail would show it).
        assert w.write(frame_arrays(RGBD, 4)) == 4
        assert w.write(frame_arrays(RGBD, 5)) == 5
        # The reader's own release of it changes nothing for anyone.
        pinner.send("release")
        pinner.wait_for("RELEASED")
        assert w.write(frame_arrays(RGBD, 6)) == 6
        assert w.stats["pins_broken"] == 1
        pinner.quit()
    finally:
        w.close()


def test_a_fresh_pin_on_a_slot_whose_old_pin_was_broken_is_respected(topic, spawn):
    w = smx.SMWriter(smx.DomainParticipant(), topic, RGBD, 2, when_full="wait", full_wait=10.0, pin_lease=0.5)
    try:
        assert w.write(frame_arrays(RGBD, 1)) == 1
        old = spawn.cpp("pinner", "--topic", topic, "--pins", "1")
        old.wait_for("PINNED 1 0:1")
        assert w.write(frame_arrays(RGBD, 2)) == 2
        assert w.write(frame_arrays(RGBD, 3)) == 3  # after the lease: slot 0 rewritten
        assert w.stats["pins_broken"] == 1
        # A new reader pins frame 3 (slot 0) and frame 4 goes to slot 1: frame 5 needs slot 0,
        # pinned afresh, so the writer waits its lease again instead of ignoring the new pin.
        fresh = smx.SMReader(smx.DomainParticipant(), topic, None, timeout=10)
        held = fresh.next(timeout=5, pin=True)
        assert smx.frame_info(held)["frame_number"] == 3
        assert w.write(frame_arrays(RGBD, 4)) == 4
        start = time.monotonic()
        assert w.write(frame_arrays(RGBD, 5)) == 5
        assert time.monotonic() - start >= 0.45, "a fresh pin was broken at once"
        assert w.stats["pins_broken"] == 2
        fresh.close()
        old.quit()
    finally:
        w.close()


def test_pin_lease_must_be_positive(topic):
    with pytest.raises(smx.InvalidArgument, match="pin_lease"):
        smx.SMWriter(smx.DomainParticipant(), topic, RGBD, 3, pin_lease=0)


def test_timestamps_are_nanoseconds_since_the_epoch_in_and_out(topic):
    w = smx.SMWriter(smx.DomainParticipant(), topic, RGBD, 3)
    r = smx.SMReader(smx.DomainParticipant(), topic, None, timeout=10)
    try:
        before = time.time_ns()
        w.write(frame_arrays(RGBD, 1))
        after = time.time_ns()
        f = r.next(timeout=5)
        assert before <= f.timestamp_ns <= after
        w.write(frame_arrays(RGBD, 2), timestamp_ns=1_700_000_000_123_456_789)
        assert r.next(timeout=5).timestamp_ns == 1_700_000_000_123_456_789
        w.write(frame_arrays(RGBD, 3), timestamp=1_700_000_000.5)  # seconds, the older spelling
        assert r.next(timeout=5).timestamp_ns == 1_700_000_000_500_000_000
        with pytest.raises(smx.InvalidArgument, match="not both"):
            w.write(frame_arrays(RGBD, 4), timestamp=1.0, timestamp_ns=1)
        with pytest.raises(smx.InvalidArgument, match=r"go in timestamp_ns="):
            w.write(frame_arrays(RGBD, 4), timestamp=time.time_ns())  # nanoseconds given as seconds
        with pytest.raises(smx.InvalidArgument, match=r"go in timestamp="):
            w.write(frame_arrays(RGBD, 4), timestamp_ns=time.time())  # seconds given as nanoseconds
        with w.loan() as loan:
            for name, array in frame_arrays(RGBD, 4).items():
                setattr(loan, name, array)
            loan.set_timestamp_ns(42)
        assert r.next(timeout=5).timestamp_ns == 42
    finally:
        r.close()
        w.close()
