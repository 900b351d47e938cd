"""The seed's users switch by changing imports: its README flow, its template and its call
shapes work unchanged."""

from __future__ import annotations

import dataclasses
import logging
import re
import signal
import sys
import time
from dataclasses import dataclass

import numpy as np
import pytest

import pattern
import smx

DOMAIN = smx._core.default_domain()
from conftest import EXAMPLES, shm_entries
from seed_framebuffer import FrameBuffer


def test_seed_readme_flow_runs_in_two_processes(topic, spawn):
    writer = spawn([sys.executable, EXAMPLES / "writer.py", "--topic", topic, "--rate", "50"])
    reader = spawn([sys.executable, EXAMPLES / "reader.py", "--topic", topic, "--frames", "20"])
    writer.wait_for("writing")
    assert reader.wait(60) == 0, reader.describe()
    frames = [l for l in reader.transcript if l.startswith("frame ")]
    assert len(frames) == 20, reader.describe()
    for line in frames:
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        if fields["valid"] == "True":  # a consistent frame: color is depth % 256, as written
            assert int(fields["color"]) == int(fields["depth"]) % 256, line
    writer.signal(signal.SIGINT)  # Ctrl-C: the writer stops and removes its segment
    assert writer.wait(30) == 0, writer.describe()
    assert writer.wait_for("wrote")


def test_verbatim_framebuffer_template_works_on_this_python():
    if sys.version_info >= (3, 11):  # where a plain @dataclass rejects the seed's ndarray defaults
        with pytest.raises(ValueError, match="mutable default"):
            @dataclass
            class Plain:
                color: np.ndarray = np.empty((2,), np.uint8)
    fb = FrameBuffer()
    assert [(n, s, d, b) for n, s, d, b in fb.get_fields()] == [
        ("timestamp", (1,), np.dtype(np.float64), 8),
        ("color", (480, 848, 3), np.dtype(np.uint8), 480 * 848 * 3),
        ("depth", (480, 848), np.dtype(np.uint16), 480 * 848 * 2),
        ("extrinsics", (4, 4), np.dtype(np.float64), 128),
        ("intrinsics", (3, 3), np.dtype(np.float64), 72),
    ]
    # Each instance has its own arrays (no shared mutable default), and the class attribute
    # still reads as the template array, as it did with the seed.
    a, b = FrameBuffer(), FrameBuffer()
    a.color[0, 0, 0] = 1
    b.color[0, 0, 0] = 2
    assert a.color[0, 0, 0] == 1
    assert FrameBuffer.color.shape == (480, 848, 3)
    assert dataclasses.is_dataclass(FrameBuffer)
    assert smx.Schema.from_template(fb) == pattern.schema("rgbd")
    assert smx.BaseIdl is smx.BaseIDL


def test_verbatim_framebuffer_travels_between_processes_with_keyword_arguments(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "framebuffer", "--frames", "5", "--wait-readers", "1",
                      "--rate", "20", "--linger")
    writer.wait_for("READY")
    # The seed's keyword form, with a template instance.
    reader = smx.SMReader(domain_participant=smx.DomainParticipant(), topic_name=topic,
                          idl_dataclass=FrameBuffer(), timeout=30)
    with reader:
        got = 0
        while got < 5:
            frame = reader.next(timeout=20, pin=True)
            assert frame is not None
            assert isinstance(frame, FrameBuffer)
            number = smx.frame_info(frame)["frame_number"]
            assert pattern.check_frame(frame, pattern.schema("rgbd"), number)
            smx.release(frame)
            got = number
    assert writer.quit() == 0


def test_positional_forms_and_nr_of_buffers_are_accepted(topic):
    dp = smx.DomainParticipant(smx._core.default_domain())
    with smx.SMWriter(dp, topic, FrameBuffer(), 4) as writer:
        reader = smx.SMReader(dp, topic, FrameBuffer(), 4, timeout=10)
        with pytest.raises(smx.WaitingForFirstMessageException):
            reader()
        frame = FrameBuffer(timestamp=np.array([time.time()]), color=np.full((480, 848, 3), 5, np.uint8),
                            depth=np.full((480, 848), 6, np.uint16), extrinsics=np.eye(4), intrinsics=np.eye(3))
        assert writer(frame) == 1
        out = reader()
        assert isinstance(out, FrameBuffer)
        assert out.color[1, 2, 0] == 5 and out.depth[3, 4] == 6
        # read_into: the seed's in-place variant (views), and a consistent copy.
        target = FrameBuffer()
        assert reader.read_into(target) is None
        assert target.depth[0, 0] == 6 and not target.depth.flags.writeable
        own = FrameBuffer()
        before = own.color
        reader.read_into(own, copy=True)
        assert own.color is before and own.color[0, 0, 0] == 5 and own.color.flags.writeable
        reader.stop()
        reader.stop()  # idempotent
    assert not shm_entries(topic)


def test_a_class_template_and_a_dataclass_without_defaults_work(topic):
    @dataclass
    class Pair(smx.BaseIdl):
        values: np.ndarray  # the seed's tests use templates without defaults

    template = Pair(values=np.zeros((8, 6), dtype=np.float32))
    with smx.SMWriter(None, topic, template, nr_of_buffers=2) as writer, \
            smx.SMReader(None, topic, template, nr_of_buffers=2, timeout=10) as reader:
        expected = np.arange(48, dtype=np.float32).reshape(8, 6)
        writer(Pair(values=expected))
        assert np.array_equal(reader().values, expected)
        assert isinstance(reader(), Pair)


def test_non_array_fields_raise_a_clear_error():
    @dataclass
    class Labelled(smx.BaseIdl):
        image: np.ndarray = np.zeros((2, 2), np.uint8)
        label: str = "cat"

    with pytest.raises(TypeError, match=r"Labelled\.label is a str, not a numpy array"):
        list(Labelled().get_fields())
    with pytest.raises(TypeError, match="label"):
        smx.SMWriter(None, "never_created", Labelled())


def test_reader_constructor_waits_for_the_writer_with_a_bounded_timeout_and_warns(topic, caplog):
    caplog.set_level(logging.WARNING, logger="smx")
    start = time.monotonic()
    with pytest.raises(smx.NoWriter, match=f"topic '{topic}' in domain {DOMAIN}: no writer appeared within 0.9 s"):
        smx.SMReader(smx.DomainParticipant(), topic, FrameBuffer(), timeout=0.9, warn_every=0.3)
    assert time.monotonic() - start >= 0.9
    warnings = [r.getMessage() for r in caplog.records if "waiting for Shared Memory Writer" in r.getMessage()]
    assert len(warnings) >= 2, caplog.text
    assert isinstance(smx.NoWriter("x"), RuntimeError)  # the seed raised RuntimeError here


def test_no_writer_names_the_domain_the_live_topics_and_a_near_match_of_a_misspelt_topic(topic, caplog):
    caplog.set_level(logging.WARNING, logger="smx")
    real = topic + "_camera"
    with smx.SMWriter(None, real, FrameBuffer()):
        typo = topic + "_camra"
        with pytest.raises(smx.NoWriter) as info:
            smx.SMReader(None, typo, FrameBuffer(), timeout=0.5, warn_every=0.2)
        message = str(info.value)
        assert f"topic '{typo}' in domain {DOMAIN}" in message
        assert f"did you mean '{real}'?" in message and f"live topics in domain {DOMAIN}: " in message, message
        warnings = [r.getMessage() for r in caplog.records if "waiting for Shared Memory Writer" in r.getMessage()]
        assert warnings and f"(domain {DOMAIN})" in warnings[0] and f"did you mean '{real}'?" in warnings[0], caplog.text


def test_reader_constructor_returns_once_a_late_writer_starts(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "framebuffer", "--frames", "0", "--linger")
    # Started before the writer is up (the writer child needs a moment to import and create).
    reader = smx.SMReader(smx.DomainParticipant(), topic, FrameBuffer(), timeout=30)
    with reader:
        assert reader.state == "attached"
        with pytest.raises(smx.WaitingForFirstMessageException):
            reader()
        with pytest.raises(smx.WaitingForFirstMessageException):
            reader.read_into(FrameBuffer())
        with pytest.raises(smx.WaitingForFirstMessageException):
            with reader.pin():
                pass
    assert writer.quit() == 0
