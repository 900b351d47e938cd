"""Beyond the seed, reading: read-only views that keep their mapping alive, valid, next with a
timeout, iteration, pin, copy, template checks and template-less readers."""

from __future__ import annotations

import gc
import signal
import threading
import time

import numpy as np
import pytest

import pattern
import smx
from seed_framebuffer import FrameBuffer

SMALL = pattern.schema("small")


def publish(writer: smx.SMWriter, n: int) -> int:
    sch = writer.schema
    return writer(pattern.frame_arrays(sch, n))


def test_reader_arrays_are_read_only_views(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "rgbd", "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED")
    with smx.SMReader(None, topic, FrameBuffer(), timeout=30) as reader:
        frame = reader()
        for name in ("color", "depth", "timestamp"):
            array = getattr(frame, name)
            assert not array.flags.writeable
            with pytest.raises(ValueError, match="read-only"):
                array[...] = 0
            with pytest.raises(ValueError):
                array.setflags(write=True)  # the pages are mapped read-only anyway
            assert isinstance(array.base, smx._core.Frame)
        assert pattern.check_frame(frame, pattern.schema("rgbd"), 1)
    assert writer.quit() == 0


def test_arrays_keep_the_mapping_alive_after_reader_and_writer_are_gone(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "small", "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED")
    reader = smx.SMReader(None, topic, timeout=30)
    frame = reader()
    a, b = frame.a, frame["b"][1:]  # a view of a view
    expected_a = pattern.frame_arrays(SMALL, 1)["a"]
    del frame
    reader.close()
    del reader
    gc.collect()
    assert writer.quit() == 0  # the writer unlinks its segment; our mapping stays
    assert np.array_equal(a, expected_a)
    assert np.array_equal(b, pattern.frame_arrays(SMALL, 1)["b"][1:])


def test_valid_turns_false_once_the_writer_reuses_the_slot_but_never_for_pins(topic):
    with smx.SMWriter(None, topic, SMALL, nr_of_buffers=3) as writer, \
            smx.SMReader(None, topic, timeout=10) as reader:
        publish(writer, 1)
        view = reader.latest()
        assert view.valid and reader.is_valid(view) and smx.is_valid(view)
        with reader.pin() as pinned:
            assert pinned.frame_number == 1 and pinned.pinned
            for n in range(2, 8):  # the writer keeps going around the pinned slot
                assert publish(writer, n) == n
            assert pinned.valid and pattern.check_frame(pinned, SMALL, 1)
            assert view.valid  # same slot as the pin
        for n in range(8, 11):  # pin released: the slot is fair game again
            assert publish(writer, n) == n
        assert not view.valid  # slot reused while we held only a view: said, not hidden
        assert reader.stats["torn_views"] >= 1


def test_valid_works_on_template_instances_too(topic):
    tmpl = SMALL
    # raw_views: the seed's unpinned reader() (by default its frame stays pinned: test_seed_safety.py).
    with smx.SMWriter(None, topic, tmpl, nr_of_buffers=2) as writer, \
            smx.SMReader(None, topic, tmpl, timeout=10, raw_views=True) as reader:
        publish(writer, 1)
        frame = reader()
        assert isinstance(frame, smx.Frame) and frame.valid
        for n in range(2, 5):
            assert publish(writer, n) == n
        assert not reader.is_valid(frame)


def test_next_returns_new_frames_in_order_and_none_on_timeout(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "small", "--frames", "0", "--linger")
    writer.wait_for("READY")
    with smx.SMReader(None, topic, timeout=30) as reader:
        assert reader.next(timeout=0.3) is None  # nothing published: a timeout is a None
        assert reader.next(timeout=0) is None
    assert writer.quit() == 0

    with smx.SMWriter(None, topic, SMALL) as w, smx.SMReader(None, topic, timeout=10) as reader:
        for n in (1, 2):
            publish(w, n)
        assert [reader.next(timeout=5).frame_number for _ in range(2)] == [1, 2]
        assert reader.next(timeout=0.2) is None


def test_iteration_yields_every_frame_until_the_reader_is_closed(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "small", "--frames", "30", "--rate", "200",
                      "--wait-readers", "1", "--slots", "8", "--linger")
    writer.wait_for("READY")
    numbers = []
    with smx.SMReader(None, topic, timeout=30) as reader:
        for frame in reader:
            assert pattern.check_frame(frame, SMALL, frame.frame_number) or not frame.valid
            numbers.append(frame.frame_number)
            if frame.frame_number == 30:
                stats = reader.stats
                reader.close()  # ends the loop
        assert numbers == sorted(numbers) and numbers[-1] == 30
        assert len(numbers) + stats["missed"] == 30
    assert writer.quit() == 0


def test_interrupt_from_another_thread_makes_next_return_none(topic):
    with smx.SMWriter(None, topic, SMALL), smx.SMReader(None, topic, timeout=10) as reader:
        timer = threading.Timer(0.3, reader.interrupt)
        timer.start()
        assert reader.next(timeout=60) is None
        timer.join()


def test_ctrl_c_interrupts_a_blocked_next(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "small", "--frames", "0", "--linger")
    writer.wait_for("READY")
    blocker = spawn.py("blocker", "--topic", topic)
    blocker.wait_for("BLOCKING")
    time.sleep(0.3)  # let it settle into the wait
    blocker.signal(signal.SIGINT)
    blocker.wait_for("INTERRUPTED", timeout=20)
    assert blocker.wait() == 0
    assert writer.quit() == 0


def test_copy_gives_consistent_writable_arrays(topic):
    with smx.SMWriter(None, topic, SMALL) as writer, smx.SMReader(None, topic, timeout=10) as reader:
        with pytest.raises(smx.WaitingForFirstMessageException):
            reader.copy()
        publish(writer, 1)
        c = reader.copy()
        assert c.valid and c.frame_number == 1 and not c.pinned
        assert c.a.flags.writeable and c.a.base is not None
        assert pattern.check_frame(c, SMALL, 1)
        publish(writer, 2)
        publish(writer, 3)
        publish(writer, 4)
        assert pattern.check_frame(c, SMALL, 1)  # a copy does not change under us
        n = reader.next(timeout=5, copy=True)
        assert n is not None and pattern.check_frame(n, SMALL, n.frame_number)
        with pytest.raises(ValueError):
            reader.next(pin=True, copy=True)


def test_read_into_with_copy_replaces_arrays_that_cannot_take_the_data(topic):
    with smx.SMWriter(None, topic, FrameBuffer()) as writer, \
            smx.SMReader(None, topic, FrameBuffer(), timeout=10) as reader:
        writer(FrameBuffer(**pattern.frame_arrays(pattern.schema("rgbd"), 1)))
        target = FrameBuffer()
        target.depth = np.zeros((2, 2), np.uint16)  # wrong shape: replaced
        target.color = np.zeros((480, 848, 3), np.uint8)[:, ::-1]  # not contiguous: replaced
        keep = target.extrinsics
        reader.read_into(target, copy=True)
        assert target.extrinsics is keep
        assert target.depth.shape == (480, 848) and target.color.flags.c_contiguous
        assert pattern.check_frame(target, pattern.schema("rgbd"), 1)
        assert smx.frame_info(target)["frame_number"] == 1


def test_a_template_that_differs_from_the_writer_raises_schema_mismatch_naming_every_difference(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "rgbd", "--frames", "1", "--linger")
    writer.wait_for("READY")

    class Wrong(FrameBuffer):
        pass

    wrong = FrameBuffer(color=np.empty((480, 640, 3), np.uint8), depth=np.empty((480, 848), np.float32))
    with pytest.raises(smx.SchemaMismatch) as info:
        smx.SMReader(None, topic, wrong, timeout=30)
    message = str(info.value)
    assert f"topic '{topic}'" in message
    assert "color" in message and "(480, 640, 3)" in message and "(480, 848, 3)" in message
    assert "depth" in message and "<f4" in message and "<u2" in message
    assert info.value.code == smx.ErrorCode.SCHEMA_MISMATCH
    assert writer.quit() == 0


def test_a_template_less_reader_learns_the_schema_and_gives_one_attribute_per_field(topic, spawn):
    writer = spawn.cpp("writer", "--topic", topic, "--schema", "rgbd", "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED")
    with smx.SMReader(smx.DomainParticipant(), topic, timeout=30) as reader:
        assert reader.schema == pattern.schema("rgbd")
        assert reader.schema.names == ("timestamp", "color", "depth", "extrinsics", "intrinsics")
        assert reader.schema["depth"].dtype == np.uint16 and reader.schema["depth"].shape == (480, 848)
        frame = reader()
        assert isinstance(frame, smx.Frame)
        assert frame.color.shape == (480, 848, 3) and frame.depth.dtype == np.uint16
        assert frame["timestamp"].shape == (1,) and "intrinsics" in dir(frame)
        assert sorted(frame.keys()) == sorted(reader.schema.names)
        assert pattern.check_frame(frame, reader.schema, 1)
        with pytest.raises(AttributeError, match="no field 'colour'"):
            frame.colour
        with pytest.raises(AttributeError):
            frame.color = None
    writer.send("quit")
    assert writer.wait() == 0


def test_a_spinning_reader_gets_every_frame_and_a_spin_out_of_range_is_refused(topic):
    with smx.SMWriter(None, topic, SMALL) as w, smx.SMReader(None, topic, timeout=10, spin=50e-6) as reader:
        for n in (1, 2, 3):
            publish(w, n)
            frame = reader.next(timeout=5)
            assert frame.frame_number == n
            assert pattern.check_frame(frame, SMALL, n)
        assert reader.stats["missed"] == 0
    with smx.SMWriter(None, topic + "_b", SMALL):
        for bad in (-1.0, 2.0, float("nan")):
            with pytest.raises(smx.InvalidArgument, match=r"spin=.* s is out of range 0\.\.1"):
                smx.SMReader(None, topic + "_b", timeout=10, spin=bad)
