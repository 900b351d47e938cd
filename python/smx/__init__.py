"""smx — large numpy frames from one writer process to many readers through shared memory,
announced over Cyclone DDS.

The seed's API, with only the imports changed::

    from smx import BaseIDL, DomainParticipant, SMReader, SMWriter, WaitingForFirstMessageException

plus what the seed lacked: ``reader.next(timeout=)``, ``for frame in reader``,
``with reader.pin() as frame``, ``frame.valid``, ``reader.copy()``, template-less readers,
``writer.loan()``, read-only views and context managers.
"""

from __future__ import annotations

from . import _core
from ._errors import (
    AllSlotsHeld,
    Closed,
    DdsError,
    Error,
    ErrorCode,
    InvalidArgument,
    NoWriter,
    OutOfSpace,
    PermissionDenied,
    SchemaMismatch,
    SegmentCorrupt,
    SystemCallError,
    TooManyReaders,
    TornReadError,
    WaitingForFirstMessageException,
    WriterExists,
)
from ._frame import Frame, frame_info, is_valid, release
from ._idl import BaseIDL, BaseIdl, bounded, string, text
from ._participant import DomainParticipant
from ._reader import SMReader
from ._schema import BOUNDED, MAX_STRING_BYTES, SUPPORTED_TYPESTRS, Field, Schema, typestr
from ._waitset import AsyncReader, Executor, Timer, WaitResult, WaitSet
from ._writer import Loan, SMWriter

__version__: str = _core.__version__

__all__ = [
    "AllSlotsHeld",
    "AsyncReader",
    "BOUNDED",
    "BaseIDL",
    "BaseIdl",
    "Closed",
    "DdsError",
    "DomainParticipant",
    "Error",
    "ErrorCode",
    "Executor",
    "Field",
    "Frame",
    "InvalidArgument",
    "Loan",
    "MAX_STRING_BYTES",
    "NoWriter",
    "OutOfSpace",
    "PermissionDenied",
    "SMReader",
    "SMWriter",
    "SUPPORTED_TYPESTRS",
    "Schema",
    "SchemaMismatch",
    "SegmentCorrupt",
    "SystemCallError",
    "TooManyReaders",
    "Timer",
    "TornReadError",
    "WaitResult",
    "WaitSet",
    "WaitingForFirstMessageException",
    "WriterExists",
    "bounded",
    "frame_info",
    "is_valid",
    "release",
    "string",
    "text",
    "typestr",
]
