"""Strings and bounded fields across languages, byte-exact: a typed C++ writer (smx::String,
smx::FixedString, smx::Bounded) read by Python dataclass readers, and a Python dataclass writer
read by typed C++ readers. The content of frame n is defined twice, here (expected) and in the
test peer (detections_expected), and must agree byte for byte: strings with their NUL padding,
bounded fields with exactly their live rows."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest

import smx
from conftest import parse_result

FRAMES = 40


@dataclass
class Detections(smx.BaseIdl):
    frame_id: np.ndarray = smx.string(16)
    labels: np.ndarray = np.zeros((3,), "S8")
    boxes: np.ndarray = smx.bounded(np.zeros((10, 4), np.float32))
    ids: np.ndarray = smx.bounded(np.zeros((5,), np.uint32))
    stamp: np.ndarray = np.zeros((), np.float64)


def expected(n: int) -> Detections:
    d = Detections()
    d.frame_id = f"camera_{n % 1000}"
    d.labels = ["12345678" if (i == 2 and n % 2 == 0) else f"l{n % 100}_{i}" for i in range(3)]
    rows = n % 11
    d.boxes = (n * 100 + np.arange(rows * 4)).reshape(rows, 4).astype(np.float32)
    d.ids = (n * 10 + np.arange((n * 3) % 6)).astype(np.uint32)
    d.stamp = np.array(n + 0.5)
    return d


def as_bytes(value, dtype) -> bytes:
    return np.asarray(smx._idl.string_array(value, np.dtype(dtype), "test")).tobytes()


def matches(frame, n: int) -> bool:
    want = expected(n)
    return (frame.frame_id.tobytes() == as_bytes(want.frame_id, "S16")
            and frame.labels.tobytes() == as_bytes(want.labels, "S8")
            and frame.boxes.shape == want.boxes.shape and frame.boxes.tobytes() == want.boxes.tobytes()
            and frame.ids.shape == want.ids.shape and frame.ids.tobytes() == want.ids.tobytes()
            and float(frame.stamp) == n + 0.5)


def test_the_dataclass_and_the_cpp_struct_have_one_schema():
    schema = smx.Schema.from_template(Detections())
    assert str(schema) == ("frame_id |S16 (); labels |S8 (3,); boxes <f4 (<=10, 4); ids <u4 (<=5,); "
                           "stamp <f8 ()")
    assert [f.bounded for f in schema] == [False, False, True, True, False]


def read_frames(topic: str, mode: str, until: int) -> dict:
    counts = {"accepted": 0, "torn": 0, "bad": 0, "last": 0}
    # "dds": whole frames over DDS (the network path), the live lengths inside them.
    with smx.SMReader(None, topic, Detections(), transport="dds" if mode == "dds" else None) as reader:
        deadline = time.monotonic() + 60
        while counts["last"] < until and time.monotonic() < deadline:
            frame = reader.next(timeout=20, pin=(mode == "pin"), copy=(mode == "copy"))
            if frame is None:
                break
            n = smx.frame_info(frame)["frame_number"]
            counts["last"] = n
            ok = matches(frame, n)
            if not smx.is_valid(frame):
                counts["torn"] += 1
            elif ok:
                counts["accepted"] += 1
            else:
                counts["bad"] += 1
            smx.release(frame)
    return counts


@pytest.mark.parametrize("how", ["loan", "copy"])
@pytest.mark.parametrize("mode", ["view", "pin", "copy", "dds"])
def test_typed_cpp_strings_and_bounded_fields_are_read_byte_exact_by_python(topic, spawn, how, mode):
    writer = spawn.cpp("detections-writer", "--topic", topic, "--frames", str(FRAMES), "--rate", "200",
                       "--wait-readers", "1", "--linger", *(["--copy"] if how == "copy" else []))
    writer.wait_for("READY")
    counts = read_frames(topic, mode, FRAMES)
    assert counts["bad"] == 0, (counts, writer.describe())
    assert counts["last"] == FRAMES and counts["accepted"] > 0, (counts, writer.describe())
    writer.wait_for("PUBLISHED", timeout=60)
    assert writer.quit() == 0


def test_python_strings_and_bounded_fields_are_read_byte_exact_by_typed_cpp_readers(topic, spawn):
    readers = [spawn.cpp("detections-reader", "--topic", topic, "--mode", mode, "--until", str(FRAMES),
                         "--timeout-ms", "20000")
               for mode in ("view", "pin")]
    with smx.SMWriter(None, topic, Detections()) as writer:
        deadline = time.monotonic() + 30
        while writer.reader_count < len(readers):
            assert time.monotonic() < deadline, [r.describe() for r in readers]
            time.sleep(0.01)
        for n in range(1, FRAMES + 1):
            frame = expected(n)
            if n % 2:
                assert writer.write(frame) == n
            else:  # the loan's way: assigning a bounded field sets its rows, a string its text
                with writer.loan() as loan:
                    for name in ("frame_id", "labels", "boxes", "ids", "stamp"):
                        setattr(loan, name, getattr(frame, name))
            time.sleep(0.005)
        for r in readers:
            res = parse_result(r.wait_for("RESULT", timeout=60))
            assert res["bad"] == 0 and res["last"] == FRAMES and res["accepted"] > 0, r.describe()
            assert r.wait() == 0


def test_a_python_reader_that_declares_a_bounded_field_fixed_is_refused_naming_it(topic, spawn):
    @dataclass
    class Fixed(smx.BaseIdl):
        frame_id: np.ndarray = smx.string(16)
        labels: np.ndarray = np.zeros((3,), "S8")
        boxes: np.ndarray = np.zeros((10, 4), np.float32)
        ids: np.ndarray = smx.bounded(np.zeros((5,), np.uint32))
        stamp: np.ndarray = np.zeros((), np.float64)

    writer = spawn.cpp("detections-writer", "--topic", topic, "--frames", "1", "--linger")
    writer.wait_for("PUBLISHED")
    with pytest.raises(smx.SchemaMismatch, match=r"boxes: shape \(10, 4\) vs \(<=10, 4\)"):
        smx.SMReader(None, topic, Fixed(), timeout=20)
    assert writer.quit() == 0


def test_text_longer_than_a_string_field_is_refused_not_truncated(topic):
    with smx.SMWriter(None, topic, Detections()) as writer:
        frame = expected(1)
        frame.frame_id = "x" * 17
        with pytest.raises(smx.InvalidArgument, match="17 bytes of text .* do not fit a string field of 16 bytes"):
            writer.write(frame)
        frame = expected(1)
        frame.labels = ["123456789", "", ""]
        with pytest.raises(smx.InvalidArgument, match="field 'labels'"):
            writer.write(frame)
        frame = expected(1)
        frame.boxes = np.zeros((11, 4), np.float32)
        with pytest.raises(smx.InvalidArgument, match=r"expected shape \(<=10, 4\), got \(11, 4\)"):
            writer.write(frame)
        with writer.loan() as loan:
            with pytest.raises(smx.InvalidArgument, match="holds at most 5 rows, not 6"):
                loan.set_length("ids", 6)
            with pytest.raises(smx.InvalidArgument, match="do not fit"):
                loan.frame_id = b"y" * 20
        assert writer.frames_published == 1  # only the loan, published empty-handed


def test_values_that_would_change_on_the_way_are_refused_by_writes_and_loans_alike(topic):
    with smx.SMWriter(None, topic, Detections()) as writer:
        frame = expected(2)
        frame.frame_id = "cam\0era"
        with pytest.raises(smx.InvalidArgument, match="holds a NUL byte before its end"):
            writer.write(frame)
        frame = expected(2)
        frame.frame_id = b"cam\0\0"  # trailing NULs are padding
        assert writer.write(frame) == 1
        frame.labels = [b"a", "b", 1]  # a number among the strings is not text
        with pytest.raises(smx.InvalidArgument, match="takes str or bytes, not int"):
            writer.write(frame)
        with writer.loan() as loan:
            assert loan.length("boxes") == 0
            with pytest.raises(smx.InvalidArgument, match="expected dtype <u4, got <f8"):
                loan.ids = np.array([300.7, -1.0])
            with pytest.raises(smx.InvalidArgument, match="does not fit dtype <u4"):
                loan.ids = [-1]
            with pytest.raises(smx.InvalidArgument, match="takes str or bytes, not int"):
                loan.frame_id = 12345
            with pytest.raises(smx.InvalidArgument, match=r"expected shape \(\), got \(1,\)"):
                loan.stamp = np.array([1.0])
            with pytest.raises(smx.InvalidArgument, match="rows=-1 is negative"):
                loan.set_length("boxes", -1)
            with pytest.raises(smx.InvalidArgument, match="loan on topic .*no field 'nope'"):
                loan.set_length("nope", 1)
            loan.stamp = 0  # a number fills the field
            loan.ids = [1, 2]
            assert loan.length("ids") == 2
    with pytest.raises(smx.InvalidArgument, match="holds 1..65535 bytes"):
        smx.string(0)
    with pytest.raises(smx.InvalidArgument, match="whole number"):
        smx.string(8.9)
    assert smx.text(np.array([[b"a", b"b"]], "S2")) == [["a", "b"]]


def test_loan_assignment_takes_numbers_the_field_holds_and_keeps_in_place_changes(topic):
    schema = smx.Schema([("boxes", np.float32, (5, 2), "bounded"), ("v", np.int32, (3,)), ("f", np.float32, ()),
                         ("name", "S4", ())])
    with smx.SMWriter(None, topic, schema) as writer, smx.SMReader(None, topic, schema, timeout=10) as reader:
        with writer.loan() as loan:  # fill every row of a slot, for a later loan to find
            loan.boxes = np.full((5, 2), 9, np.float32)
        reader.next(timeout=10)
        for _ in range(3):  # the slots round-robin: one of these reuses the one of 9s
            with writer.loan() as loan:
                loan.boxes = np.ones((2, 2), np.float32)
                loan.boxes += 1  # in place: still 2 rows, not the capacity's old ones
                assert loan.length("boxes") == 2
                loan.f = 0.1  # rounded to float32, as numpy does
                loan.v = [1, 2, 3]
                loan.name = bytearray(b"ab")
                for bad, message in ((True, "got bool"), ([1.5, 2, 3], "got list of float64"),
                                     ([2**40, 0, 0], "does not fit dtype <i4"), (1 + 0j, "got complex")):
                    with pytest.raises(smx.InvalidArgument, match=message):
                        loan.v = bad
                with pytest.raises(smx.InvalidArgument, match="out of the range of dtype <f4"):
                    loan.f = 1e300
                with pytest.raises(smx.InvalidArgument, match="mask would be lost"):
                    loan.v = np.ma.masked_array(np.zeros(3, np.int32))
            frame = reader.next(timeout=10)
            assert frame.boxes.tolist() == [[2, 2], [2, 2]]
            assert frame.f == np.float32(0.1) and frame.v.tolist() == [1, 2, 3] and smx.text(frame.name) == "ab"
