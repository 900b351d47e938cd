"""A reader on the network path sees what a local reader sees: the same template errors, the same
schema learnt without a template, a restarted writer with a new schema, and a killed writer gone
(issue 9's acceptance). Each test runs a writer process and readers of both transports side by
side (``transport="shm"`` and ``transport="dds"``)."""

from __future__ import annotations

import signal
import time

import numpy as np
import pytest

import pattern
import smx
from conftest import shm_entries
from seed_framebuffer import FrameBuffer

TRANSPORTS = ("shm", "dds")


def test_a_template_mismatch_is_the_same_error_over_dds_as_locally(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "rgbd", "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED")
    wrong = FrameBuffer(color=np.empty((480, 640, 3), np.uint8), depth=np.empty((480, 848), np.float32))
    messages = {}
    for transport in TRANSPORTS:
        with pytest.raises(smx.SchemaMismatch) as info:
            smx.SMReader(None, topic, wrong, timeout=30, transport=transport)
        assert info.value.code == smx.ErrorCode.SCHEMA_MISMATCH
        messages[transport] = str(info.value)
    assert messages["dds"] == messages["shm"]
    message = messages["dds"]
    assert f"topic '{topic}'" in message
    assert "color" in message and "(480, 640, 3)" in message and "(480, 848, 3)" in message
    assert "depth" in message and "<f4" in message and "<u2" in message
    assert writer.quit() == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_template_instances_say_how_they_came_as_frames_do(topic, spawn, transport):
    writer = spawn.py("writer", "--topic", topic, "--schema", "rgbd", "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED")
    with smx.SMReader(None, topic, FrameBuffer(), timeout=30, transport=transport) as reader:
        view = reader.next(timeout=20)
        assert isinstance(view, FrameBuffer) and view.transport == transport
        copy = reader.copy()
        assert copy.transport == transport and smx.frame_info(copy)["transport"] == transport
    assert FrameBuffer().transport is None  # no reader returned it
    assert writer.quit() == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_template_less_reader_learns_the_schema_on_either_transport(topic, spawn, transport):
    writer = spawn.cpp("writer", "--topic", topic, "--schema", "rgbd", "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED")
    with smx.SMReader(smx.DomainParticipant(), topic, timeout=30, transport=transport) as reader:
        assert reader.schema == pattern.schema("rgbd")
        assert reader.schema.names == ("timestamp", "color", "depth", "extrinsics", "intrinsics")
        assert reader.transport == transport
        frame = reader.next(timeout=20)
        assert frame is not None and frame.transport == transport
        assert frame.color.shape == (480, 848, 3) and frame.depth.dtype == np.uint16
        assert frame.frame_number == 1 and pattern.check_frame(frame, reader.schema, 1)
        with pytest.raises(AttributeError, match="no field 'colour'"):
            frame.colour
    writer.send("quit")
    assert writer.wait() == 0


def test_a_writer_killed_and_restarted_with_a_new_schema_reaches_readers_of_both_transports(topic, spawn):
    first = spawn.cpp("writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "20")
    first.wait_for("READY")
    readers = {t: smx.SMReader(None, topic, timeout=30, transport=t) for t in TRANSPORTS}
    try:
        sessions = {}
        for transport, reader in readers.items():
            got = reader.next(timeout=20)
            assert got is not None and got.transport == transport, transport
            assert pattern.check_frame(got, pattern.schema("small"), got.frame_number)
            sessions[transport] = got.info["session"]
        assert sessions["shm"] == sessions["dds"]
        first.signal(signal.SIGKILL)  # a crash: no goodbye
        first.wait()
        second = spawn.cpp("writer", "--topic", topic, "--schema", "rgbd640", "--forever", "--rate", "20")
        second.wait_for("READY")
        for transport, reader in readers.items():
            frame = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                frame = reader.next(timeout=1, pin=True)
                if frame is not None and frame.info["session"] != sessions[transport]:
                    break
            assert frame is not None and frame.info["session"] != sessions[transport], (transport, reader.stats)
            with frame:
                assert frame.transport == transport
                assert frame.color.shape == (480, 640, 3), transport
                assert reader.schema == pattern.schema("rgbd640"), transport
                assert pattern.check_frame(frame, reader.schema, frame.frame_number), transport
            assert reader.stats["attachments"] == 2, (transport, reader.stats)
        second.send("quit")
        assert second.wait() == 0
    finally:
        for reader in readers.values():
            reader.close()
    assert not shm_entries(topic)


def test_a_killed_writer_is_writer_gone_for_readers_of_both_transports(topic, spawn):
    writer = spawn.cpp("writer", "--topic", topic, "--schema", "small", "--forever", "--rate", "20")
    writer.wait_for("READY")
    readers = {t: smx.SMReader(None, topic, pattern.schema("small"), timeout=30, transport=t) for t in TRANSPORTS}
    try:
        for transport, reader in readers.items():
            assert reader.next(timeout=20) is not None, transport
            assert reader.state == "attached" and reader.transport == transport
        writer.signal(signal.SIGKILL)
        assert writer.wait(10) == -signal.SIGKILL
        killed = time.monotonic()
        # Locally the segment's lock says so within ~100 ms; remotely DDS's lease (10 s by
        # default, docs/network.md) does.
        bound = {"shm": 2.0, "dds": 20.0}
        for transport, reader in readers.items():
            while reader.state != "writer_gone" and time.monotonic() - killed < bound[transport]:
                reader.next(timeout=0.2)  # frames sent before the kill, then none
            assert reader.state == "writer_gone", (transport, time.monotonic() - killed)
            assert reader.next(timeout=0.2) is None, transport
    finally:
        for reader in readers.values():
            reader.close()
    assert shm_entries(topic) == [], "the local reader left the dead writer's segment"
