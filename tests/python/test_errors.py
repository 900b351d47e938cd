"""Exceptions: one smx.Error base, one subclass per library error code, the library's message
intact, the most specific class raised."""

from __future__ import annotations

import numpy as np
import pytest

import smx


def test_every_library_error_code_has_its_own_class():
    codes = dict(smx._core.ERROR_CODES)
    assert {int(c): c.name.lower() for c in smx.ErrorCode} == codes
    classes = [smx.InvalidArgument, smx.SchemaMismatch, smx.WriterExists, smx.SegmentCorrupt, smx.OutOfSpace,
               smx.PermissionDenied, smx.SystemCallError, smx.DdsError, smx.NoWriter, smx.Closed,
               smx.TooManyReaders]
    assert sorted(int(c.code) for c in classes) == sorted(codes)
    for cls in classes:
        assert issubclass(cls, smx.Error) and issubclass(cls, RuntimeError)
    assert issubclass(smx.InvalidArgument, ValueError)
    assert issubclass(smx.TornReadError, smx.Error)
    assert not issubclass(smx.WaitingForFirstMessageException, smx.Error)


def test_library_messages_arrive_intact_as_the_most_specific_class():
    with pytest.raises(smx.InvalidArgument) as info:
        smx.Schema([("a", "<f4", (2,)), ("a", "<f4", (3,))])
    assert type(info.value) is smx.InvalidArgument
    assert "'a'" in str(info.value) and info.value.code == smx.ErrorCode.INVALID_ARGUMENT
    with pytest.raises(smx.InvalidArgument, match="topic name is empty"):
        smx.SMWriter(None, "", smx.Schema([("a", "<f4", (2,))]))
    with pytest.raises(smx.InvalidArgument, match="when_full must be 'fail' or 'wait'"):
        smx.SMWriter(None, "never_made", smx.Schema([("a", "<f4", (2,))]), when_full="sometimes")


def test_participant_refuses_a_bad_domain_id():
    with pytest.raises(smx.InvalidArgument, match="domain id 100000 is out of range"):
        smx.DomainParticipant(domain_id=100000)


def test_a_cyclonedds_participant_is_refused_with_the_migration_hint():
    class DomainParticipant:  # stands in for cyclonedds.domain.DomainParticipant
        pass

    with pytest.raises(TypeError, match="from smx import DomainParticipant"):
        smx.SMWriter(DomainParticipant(), "t", smx.Schema([("a", "<f4", (2,))]))


def test_typestr_maps_numpy_dtypes_to_the_library_spelling():
    assert smx.typestr(np.bool_) == "|b1"
    assert smx.typestr(np.float16) == "<f2"
    assert smx.typestr("complex128") == "<c16"
    assert smx.typestr(np.dtype("=u2")) == "<u2"
    with pytest.raises(ValueError, match="unsupported dtype >f8"):
        smx.typestr(">f8")


@pytest.mark.parametrize("shape", [(-1,), (3, -2), 0, (2, 0)])
def test_a_negative_or_zero_dimension_is_an_InvalidArgument_naming_the_field(shape):
    with pytest.raises(smx.InvalidArgument) as info:
        smx.Schema([("depth", np.uint16, shape)])
    assert "field 'depth'" in str(info.value) and "positive integer" in str(info.value)
