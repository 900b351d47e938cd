"""The exceptions of smx: one base, one class per library error code, plus the seed's
``WaitingForFirstMessageException``.

Every failure the C++ library reports arrives here as the class of its code (the most specific
one), with the library's message intact. Ordinary outcomes (a timeout, nothing new) are return
values (``None``), not exceptions.
"""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Type


class ErrorCode(enum.IntEnum):
    """The library's error codes (``smx::ErrorCode``), stable across C++ and Python."""

    INVALID_ARGUMENT = 1
    SCHEMA_MISMATCH = 2
    WRITER_EXISTS = 3
    SEGMENT_CORRUPT = 4
    OUT_OF_SPACE = 5
    PERMISSION_DENIED = 6
    SYSTEM = 7
    DDS = 8
    NO_WRITER = 9
    CLOSED = 10
    TOO_MANY_READERS = 11


class Error(RuntimeError):
    """Base of every exception smx raises for a failure. ``code`` names the category."""

    code: Optional[ErrorCode] = None


class InvalidArgument(Error, ValueError):
    """A schema, array, shape, dtype or option that cannot be accepted (also a ValueError)."""

    code = ErrorCode.INVALID_ARGUMENT


class SchemaMismatch(Error):
    """The reader's template differs from the writer's schema; the message lists every difference."""

    code = ErrorCode.SCHEMA_MISMATCH


class WriterExists(Error):
    """Another live writer already owns the topic (its pid and host are in the message)."""

    code = ErrorCode.WRITER_EXISTS


class SegmentCorrupt(Error):
    """The shared segment is not one smx can trust (truncated, foreign, other layout version)."""

    code = ErrorCode.SEGMENT_CORRUPT


class OutOfSpace(Error):
    """/dev/shm cannot hold the segment; nothing was left behind."""

    code = ErrorCode.OUT_OF_SPACE


class PermissionDenied(Error):
    """The segment exists but this user may not open it."""

    code = ErrorCode.PERMISSION_DENIED


class SystemCallError(Error):
    """Another failing system call; ``errno`` holds its error number."""

    code = ErrorCode.SYSTEM
    errno: Optional[int] = None


class DdsError(Error):
    """Cyclone DDS refused an operation; ``dds_code`` holds its return code."""

    code = ErrorCode.DDS
    dds_code: Optional[int] = None


class NoWriter(Error):
    """The operation needs a writer and none is attached (for example a reader's bounded wait)."""

    code = ErrorCode.NO_WRITER


class Closed(Error):
    """The writer or reader was closed."""

    code = ErrorCode.CLOSED


class TooManyReaders(Error):
    """Every reader registration of the writer's segment is taken by a live reader."""

    code = ErrorCode.TOO_MANY_READERS


class TornReadError(Error):
    """A consistent copy was asked for, but the writer overwrote every frame tried while it was
    being copied. Read with ``pin()``, or give the writer more slots (``nr_of_buffers``)."""

    code = None


class AllSlotsHeld(Error):
    """``with writer.loan() as loan:`` found every slot the writer could use pinned by readers:
    no slot was lent (``bool(writer.loan())`` is False then; check it to skip the frame). The
    message names the pinning readers' pids."""

    code = None


class WaitingForFirstMessageException(Exception):
    """Raised by ``SMReader()`` (and ``read_into``, ``copy``, ``pin``) when the writer has not
    published a frame yet — the seed's exception, kept for its users."""


_BY_CODE: Dict[str, Type[Error]] = {
    "invalid_argument": InvalidArgument,
    "schema_mismatch": SchemaMismatch,
    "writer_exists": WriterExists,
    "segment_corrupt": SegmentCorrupt,
    "out_of_space": OutOfSpace,
    "permission_denied": PermissionDenied,
    "system": SystemCallError,
    "dds": DdsError,
    "no_writer": NoWriter,
    "closed": Closed,
    "too_many_readers": TooManyReaders,
}


def _from_core(code: str, message: str, extra: Dict[str, Any]) -> Error:
    """Called by the extension's exception translator: the exception for a library error."""
    exc = _BY_CODE.get(code, Error)(message)
    for key, value in extra.items():
        setattr(exc, key, value)
    return exc


# Shown as smx.SchemaMismatch (not smx._errors.SchemaMismatch) in tracebacks.
for _cls in (Error, InvalidArgument, SchemaMismatch, WriterExists, SegmentCorrupt, OutOfSpace, PermissionDenied,
             SystemCallError, DdsError, NoWriter, Closed, TooManyReaders, TornReadError, AllSlotsHeld,
             WaitingForFirstMessageException, ErrorCode):
    _cls.__module__ = "smx"
del _cls
