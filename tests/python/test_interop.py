"""Across languages and lifetimes: C++ <-> Python byte-exact in both directions, a writer
restart seen by a running reader, and a torn-read stress with zero inconsistent frames accepted."""

from __future__ import annotations

import signal
import time

import numpy as np
import pytest

import pattern
import smx
from conftest import parse_result, shm_entries

RGBD = pattern.schema("rgbd")


def assert_all_frames_byte_exact(writer, readers, frames):
    """Every reader saw frame `frames` last, accepted no bad frame, and accounted for each one."""
    writer.wait_for("PUBLISHED", timeout=60)
    for r in readers:
        res = parse_result(r.wait_for("RESULT"))
        assert res["bad"] == 0, r.describe()
        assert res["last"] == frames and res["accepted"] > 0, r.describe()
        assert res["accepted"] + res["torn_detected"] + res["missed"] == frames, r.describe()
        assert r.wait() == 0
    assert writer.quit() == 0


def test_python_writer_is_read_byte_exact_by_a_cpp_reader(topic, spawn):
    readers = [spawn.cpp("reader", "--topic", topic, "--schema", schema, "--mode", mode, "--until", "40",
                         "--timeout-ms", "20000")
               for schema, mode in (("rgbd", "view"), ("none", "copy"), ("rgbd", "pin"))]
    writer = spawn.py("writer", "--topic", topic, "--schema", "framebuffer", "--frames", "40", "--rate", "100",
                      "--wait-readers", "3", "--linger")
    assert_all_frames_byte_exact(writer, readers, frames=40)


def test_cpp_writer_is_read_byte_exact_by_python_readers(topic, spawn):
    readers = [spawn.py("reader", "--topic", topic, "--schema", schema, "--mode", mode, "--until", "40")
               for schema, mode in (("framebuffer", "view"), ("none", "copy"), ("rgbd", "pin"))]
    writer = spawn.cpp("writer", "--topic", topic, "--schema", "rgbd", "--frames", "40", "--rate", "100",
                       "--wait-readers", "3", "--linger")
    assert_all_frames_byte_exact(writer, readers, frames=40)


def test_typed_cpp_writer_is_read_byte_exact_by_python_dataclass_readers(topic, spawn):
    # smx::TypedWriter<Rgbd> (smx/typed.hpp) against the seed's FrameBuffer dataclass as the
    # template: the two describe the same schema, and every byte arrives. Loans, then copies.
    for how in ((), ("--copy",)):
        name = f"{topic}{len(how)}"
        readers = [spawn.py("reader", "--topic", name, "--schema", "framebuffer", "--mode", mode, "--until", "40")
                   for mode in ("view", "pin", "copy")]
        writer = spawn.cpp("typed-writer", "--topic", name, "--frames", "40", "--rate", "100", "--wait-readers", "3",
                           "--linger", *how)
        assert_all_frames_byte_exact(writer, readers, frames=40)


def test_python_dataclass_writer_is_read_byte_exact_by_typed_cpp_readers(topic, spawn):
    readers = [spawn.cpp("typed-reader", "--topic", topic, "--mode", mode, "--until", "40", "--timeout-ms", "20000")
               for mode in ("view", "pin")]
    writer = spawn.py("writer", "--topic", topic, "--schema", "framebuffer", "--frames", "40", "--rate", "100",
                      "--wait-readers", "2", "--linger")
    assert_all_frames_byte_exact(writer, readers, frames=40)


def test_a_typed_cpp_reader_refuses_a_python_writer_of_another_schema(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "rgbd640", "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED", timeout=60)
    reader = spawn.cpp("typed-reader", "--topic", topic, "--timeout-ms", "20000")
    line = reader.wait_for("EXCEPTION")
    assert "schema_mismatch" in line and "color: shape (480, 848, 3) vs (480, 640, 3)" in line, reader.describe()
    assert reader.wait() == 4
    assert writer.quit() == 0


def test_pattern_word_matches_the_cpp_definition():
    # Values computed from tools/common/pattern.hpp's word() by hand-checked 64-bit arithmetic.
    assert pattern.word(0, 0, 0) == 0
    assert pattern.word(1, 0, 0) == 1 << 32
    assert pattern.word(0, 1, 0) == 1 << 56
    assert pattern.word(0, 0, 1) == (0x9E3779B97F4A7C15 >> 16) ^ 1
    k = 12345
    assert pattern.word(3, 2, k) == ((3 << 32) ^ (2 << 56) ^ (((k * 0x9E3779B97F4A7C15) % 2**64) >> 16) ^ k) % 2**64
    a = np.empty(13, np.uint8)
    pattern.fill(a, 3, 2)
    assert a[:8].view("<u8")[0] == pattern.word(3, 2, 0)
    assert bytes(a[8:]) == pattern.word(3, 2, 1).to_bytes(8, "little")[:5]


def test_a_writer_restart_is_picked_up_by_a_running_reader(topic, spawn):
    first = spawn.py("writer", "--topic", topic, "--schema", "small", "--frames", "3", "--linger")
    first.wait_for("READY")
    with smx.SMReader(None, topic, timeout=30) as reader:  # template-less: the schema may change
        first.wait_for("PUBLISHED")
        got = reader.next(timeout=20)
        assert got is not None and pattern.check_frame(got, pattern.schema("small"), got.frame_number)
        session = got.info["session"]
        first.signal(signal.SIGKILL)  # a crash: no goodbye, its segment left behind
        first.wait()
        # The new writer has another schema and replaces the stale segment.
        second = spawn.cpp("writer", "--topic", topic, "--schema", "rgbd640", "--frames", "5", "--rate", "50",
                           "--linger")
        second.wait_for("READY")
        frame = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            frame = reader.next(timeout=1, pin=True)
            if frame is not None and frame.info["session"] != session:
                break
        assert frame is not None and frame.info["session"] != session, reader.stats
        with frame:
            assert frame.color.shape == (480, 640, 3)
            assert reader.schema == pattern.schema("rgbd640")
            assert pattern.check_frame(frame, reader.schema, frame.frame_number)
        assert reader.stats["attachments"] == 2
        second.send("quit")
        assert second.wait() == 0
    assert not shm_entries(topic)


@pytest.mark.parametrize("mode", ["pin", "copy", "view"])
def test_torn_read_stress_accepts_no_inconsistent_frame(topic, spawn, mode):
    # A fast C++ writer with 1 MiB slots laps a Python reader that checks every byte. Views and
    # copies race with two slots. A pin holds one slot, and with only two the writer would
    # have to wait for every release (never lapping the reader): pins get three, so the
    # writer runs on in the other two and the race is real.
    frames = 3000
    slots = "3" if mode == "pin" else "2"
    writer = spawn.cpp("writer", "--topic", topic, "--schema", "blob:1048576", "--slots", slots,
                       "--frames", str(frames), "--wait-readers", "1", "--linger")
    writer.wait_for("READY")
    schema = pattern.schema("blob:1048576")
    accepted = torn = bad = 0
    with smx.SMReader(None, topic, timeout=30) as reader:
        while True:
            try:
                frame = reader.next(timeout=10, pin=mode == "pin", copy=mode == "copy")
            except smx.TornReadError:
                torn += 1
                continue
            if frame is None:
                break
            ok = pattern.check_frame(frame, schema, frame.frame_number)
            if mode == "view" and not frame.valid:  # checked after use: a torn view is said
                torn += 1
            elif ok:
                accepted += 1
            else:
                bad += 1  # an inconsistent frame that the read mode let through
            frame.release()
            if frame.frame_number >= frames:
                break
        stats = reader.stats
    writer.send("quit")
    assert writer.wait() == 0
    assert bad == 0, (accepted, torn, bad, stats)
    assert accepted > 0
    assert torn + stats["missed"] > 0  # the writer did lap the reader: this was a real race
    assert set(stats) >= {"torn_views", "torn_copies", "missed"}  # torn copies are skipped but counted
    print(f"\n{mode}: accepted={accepted} torn_detected={torn} missed={stats['missed']} "
          f"torn_copies={stats['torn_copies']}")
