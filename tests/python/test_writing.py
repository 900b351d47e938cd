"""Beyond the seed, writing: loans, every fixed-size numeric dtype, non-contiguous inputs,
exact errors that publish nothing, one writer per topic, context managers and clean exits."""

from __future__ import annotations

import numpy as np
import pytest

import pattern
import smx
from conftest import parse_result, shm_entries

SMALL = pattern.schema("small")

ALL_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
              np.float16, np.float32, np.float64, np.complex64, np.complex128]


def test_every_fixed_size_numeric_dtype_round_trips_bit_exact(topic):
    rng = np.random.default_rng(7)
    fields = [(f"f_{np.dtype(t).name}", t, (3, 5)) for t in ALL_DTYPES]
    schema = smx.Schema(fields)
    assert [f.dtype.str for f in schema] == ["|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
                                             "<f2", "<f4", "<f8", "<c8", "<c16"]
    data = {}
    for name, t, shape in fields:
        raw = rng.integers(0, 256, size=np.dtype(t).itemsize * 15, dtype=np.uint8)
        if t is np.bool_:
            raw = raw % 2
        data[name] = raw.view(t).reshape(shape)
    with smx.SMWriter(None, topic, schema) as writer, smx.SMReader(None, topic, timeout=10) as reader:
        assert writer(data) == 1
        frame = reader()
        for name, t, _ in fields:
            assert frame[name].dtype == np.dtype(t)
            assert frame[name].tobytes() == data[name].tobytes(), name  # NaN payloads included


@pytest.mark.parametrize("dtype", [">f4", "<U4", "O", "M8[s]", np.longdouble, [("x", "<f4")]])
def test_types_smx_cannot_carry_are_refused_naming_the_field(dtype):
    with pytest.raises(smx.InvalidArgument, match="field 'bad'"):
        smx.Schema([("ok", "<f4", (2,)), ("bad", dtype, (2,))])


def test_non_contiguous_inputs_are_written_correctly(topic):
    base = np.arange(4 * 6 * 3, dtype=np.int32).reshape(4, 6, 3)
    cases = {
        "transposed": base.transpose(1, 0, 2),        # (6, 4, 3)
        "reversed": base[::-1, ::-1],                 # negative strides (4, 6, 3)
        "stepped": np.arange(200, dtype=np.int32)[::3][:40].reshape(5, 8),
        "broadcast": np.broadcast_to(np.arange(3, dtype=np.int32), (6, 4, 3)),  # zero strides
        "fortran": np.asfortranarray(base),
    }
    schema = smx.Schema([(k, v.dtype, v.shape) for k, v in cases.items()])
    with smx.SMWriter(None, topic, schema) as writer, smx.SMReader(None, topic, timeout=10) as reader:
        writer(cases)
        frame = reader()
        for name, value in cases.items():
            assert not value.flags.c_contiguous or name == "fortran"
            assert np.array_equal(frame[name], value), name


def test_wrong_shape_or_dtype_raises_value_error_naming_field_expected_and_given_and_publishes_nothing(topic):
    with smx.SMWriter(None, topic, SMALL) as writer, smx.SMReader(None, topic, timeout=10) as reader:
        good = pattern.frame_arrays(SMALL, 1)
        bad_shape = dict(good, b=np.zeros((3, 2), np.float32))
        with pytest.raises(ValueError, match=r"field 'b': expected shape \(2, 3\), got \(3, 2\)"):
            writer(bad_shape)
        bad_dtype = dict(good, a=np.zeros(4, np.int64))
        with pytest.raises(smx.InvalidArgument, match=r"field 'a': expected dtype <i4, got <i8"):
            writer(bad_dtype)
        with pytest.raises(ValueError, match=r"field 'a': expected dtype <i4, got >i4"):
            writer(dict(good, a=np.zeros(4, ">i4")))
        with pytest.raises(ValueError, match=r"field 'a': expected a numpy array"):
            writer(dict(good, a=[1, 2, 3, 4]))
        with pytest.raises(ValueError, match=r"the frame has no field 'b'"):
            writer({"a": good["a"]})
        # A misspelt key beside the right ones: refused, not silently left out.
        with pytest.raises(smx.InvalidArgument, match=r"fields the schema does not: 'B', 'c'"):
            writer(dict(good, B=good["b"], c=good["a"]))
        assert writer.frames_published == 0
        assert reader.next(timeout=0.3) is None  # nothing was announced
        assert writer(good) == 1


def test_loans_are_filled_in_place_and_published(topic):
    with smx.SMWriter(None, topic, SMALL) as writer, smx.SMReader(None, topic, timeout=10) as reader:
        loan = writer.loan()
        assert loan.frame_number == 1 and loan.active
        assert loan.a.flags.writeable and loan.a.shape == (4,)
        for i, f in enumerate(SMALL):
            pattern.fill(loan[f.name], loan.frame_number, i)
        with pytest.raises(smx.InvalidArgument, match="loan is outstanding"):
            writer(pattern.frame_arrays(SMALL, 1))
        assert writer.publish(loan) == 1
        assert not loan.active
        with pytest.raises(smx.Closed, match="already published"):
            writer.publish(loan)
        assert pattern.check_frame(reader.next(timeout=5), SMALL, 1)

        with writer.loan() as loan2:  # a context manager publishes on a normal exit...
            loan2.a = pattern.frame_arrays(SMALL, 2)["a"]  # assignment fills the field
            pattern.fill(loan2.b, 2, 1)
        assert pattern.check_frame(reader.next(timeout=5), SMALL, 2)
        with pytest.raises(RuntimeError):
            with writer.loan() as loan3:  # ...and abandons the slot on an exception
                raise RuntimeError("camera unplugged")
        assert not loan3.active
        assert reader.next(timeout=0.3) is None
        assert writer.frames_published == 2


def test_loan_arrays_outliving_the_writer_do_not_crash(topic):
    writer = smx.SMWriter(None, topic, SMALL)
    loan = writer.loan()
    a = loan.a
    writer.close()
    assert not shm_entries(topic)  # the name is gone at close...
    a[...] = 7  # ...while the memory stays mapped for the array: no segfault
    assert a.sum() == 28
    with pytest.raises(smx.Closed):
        writer.publish(loan)
    del a, loan


def test_python_loans_and_non_contiguous_writes_are_read_byte_exact_by_cpp(topic, spawn):
    for flags in (["--loan"], ["--noncontig"]):
        name = f"{topic}{flags[0][2:]}"
        reader = spawn.cpp("reader", "--topic", name, "--schema", "rgbd", "--mode", "pin", "--until", "20",
                           "--timeout-ms", "20000")
        writer = spawn.py("writer", "--topic", name, "--schema", "rgbd", "--frames", "20", "--rate", "100",
                          "--wait-readers", "1", "--linger", *flags)
        writer.wait_for("PUBLISHED")
        res = parse_result(reader.wait_for("RESULT"))
        assert res["bad"] == 0 and res["last"] == 20 and res["accepted"] > 0, reader.describe()
        assert writer.quit() == 0
        assert not shm_entries(name)


def test_a_second_writer_on_a_topic_is_refused_with_writer_exists(topic, spawn):
    first = spawn.py("writer", "--topic", topic, "--schema", "small", "--linger")
    pid = int(first.wait_for("READY").split()[1])
    with pytest.raises(smx.WriterExists) as info:
        smx.SMWriter(None, topic, SMALL)
    assert f"topic '{topic}' in domain {smx._core.default_domain()} already has a live writer (pid {pid}" in str(info.value)
    assert isinstance(info.value, smx.Error) and info.value.code == smx.ErrorCode.WRITER_EXISTS
    assert first.quit() == 0


def test_context_managers_and_close_are_idempotent(topic):
    with smx.SMWriter(None, topic, SMALL) as writer:
        with smx.SMReader(None, topic, timeout=10) as reader:
            pass
        assert reader.closed
        reader.close()
        with pytest.raises(smx.Closed):
            reader()
        writer.close()
        writer.close()
        assert writer.closed
        with pytest.raises(smx.Closed, match="is closed"):
            writer(pattern.frame_arrays(SMALL, 1))
    assert not shm_entries(topic)


def test_a_writer_left_open_is_closed_cleanly_at_interpreter_exit(topic, spawn):
    writer = spawn.py("writer", "--topic", topic, "--schema", "small", "--frames", "3", "--linger", "--no-close")
    writer.wait_for("READY")
    with smx.SMReader(None, topic, timeout=30) as reader:
        writer.wait_for("PUBLISHED")
        writer.proc.stdin.close()  # the child returns from main without closing anything
        assert writer.wait() == 0, writer.describe()
        assert not shm_entries(topic)  # its exit handler removed the segment
        deadline_frames = 0
        while reader.state != "writer_gone" and deadline_frames < 50:
            reader.next(timeout=0.1)
            deadline_frames += 1
        assert reader.state == "writer_gone"
