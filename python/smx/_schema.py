"""Schemas in numpy terms: fields with a numpy dtype and a shape, and the mapping between numpy
dtypes and the typestr spelling the C++ library and the shared segment use."""

from __future__ import annotations

import operator
from typing import Any, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._errors import InvalidArgument
from ._idl import MAX_STRING_BYTES

#: numpy typestr of every numeric element type smx carries (little-endian, fixed size); byte
#: strings of 1..MAX_STRING_BYTES bytes (``|S<n>``, numpy's ``np.bytes_``) come on top.
SUPPORTED_TYPESTRS = (
    "|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16",
)
#: The 4th entry of a Schema field that makes it bounded: ``("boxes", np.float32, (100, 4), BOUNDED)``.
BOUNDED = "bounded"


def typestr(dtype: Any, field: Optional[str] = None) -> str:
    """The smx typestr of a numpy dtype (``np.uint16`` -> ``"<u2"``, ``"S32"`` -> ``"|S32"``).
    Raises InvalidArgument (a ValueError) for anything smx cannot carry: big-endian numbers,
    unicode (``<U``: use bytes, ``S``), objects, records."""
    where = f"field '{field}': " if field else ""
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise InvalidArgument(f"{where}{dtype!r} is not a numpy dtype ({e})") from None
    s = dt.str
    if dt.kind == "S" and 1 <= dt.itemsize <= MAX_STRING_BYTES:
        return f"|S{dt.itemsize}"
    if dt.fields is not None or dt.subdtype is not None or s not in SUPPORTED_TYPESTRS:
        hint = " (text: use a byte-string dtype such as 'S32', which holds 32 bytes)" if dt.kind == "U" else ""
        raise InvalidArgument(
            f"{where}unsupported dtype {s} ({dt}): smx carries fixed-size little-endian numbers and bool "
            f"({' '.join(SUPPORTED_TYPESTRS)}) and byte strings |S1..|S{MAX_STRING_BYTES}{hint}"
        )
    return s


class Field(NamedTuple):
    """One named array of a frame. A *bounded* field holds up to ``shape[0]`` rows, and each
    frame carries how many it has: readers get arrays of that many rows."""

    name: str
    dtype: np.dtype
    shape: Tuple[int, ...]  #: a bounded field's ``shape[0]`` is its capacity in rows
    nbytes: int
    offset: int  #: byte offset inside a slot (64-byte aligned)
    bounded: bool = False


def _dimensions(name: Any, shape: Any) -> Tuple[int, ...]:
    # Integers only (operator.index: no float truncated, no string parsed), each 1..2**63-1.
    dims = (shape,) if np.isscalar(shape) else tuple(shape)
    out = []
    for d in dims:
        try:
            value = operator.index(d)
        except TypeError:
            raise InvalidArgument(f"field '{name}': shape {tuple(dims)!r} has a dimension {d!r} that is not an "
                                  "integer; every dimension must be a positive integer") from None
        if value < 1 or value >= 2**63:
            raise InvalidArgument(f"field '{name}': shape {tuple(dims)!r} has a dimension {value} out of range; "
                                  "every dimension must be a positive integer below 2**63")
        out.append(value)
    return tuple(out)


class Schema:
    """An ordered list of fields (name, dtype, shape): the fixed layout of one frame.

    ``Schema([("color", np.uint8, (480, 848, 3)), ("depth", "<u2", (480, 848))])``

    A fourth entry ``"bounded"`` (``smx.BOUNDED``) makes a field of up to ``shape[0]`` rows:
    ``("boxes", np.float32, (100, 4), "bounded")``. Strings are numpy byte strings:
    ``("frame_id", "S32", ())``.
    """

    __slots__ = ("_core", "_fields")

    def __init__(self, fields: Union["Schema", "_core.Schema", Iterable[Tuple[str, Any, Sequence[int]]]]) -> None:
        if isinstance(fields, Schema):
            core = fields._core
        elif isinstance(fields, _core.Schema):
            core = fields
        else:
            spec = []
            for entry in fields:
                entry = tuple(entry)
                if len(entry) == 4 and entry[3] in (BOUNDED, None):
                    name, dtype, shape, flag = entry
                elif len(entry) == 3:
                    (name, dtype, shape), flag = entry, None
                else:
                    raise InvalidArgument(f"schema entry {entry!r}: give (name, dtype, shape) or "
                                          f"(name, dtype, shape, {BOUNDED!r})")
                shape = _dimensions(name, shape)
                spec.append((str(name), typestr(dtype, name), list(shape), flag == BOUNDED))
            core = _core.Schema(spec)
        self._core = core
        self._fields = tuple(
            Field(name, np.dtype(ts), tuple(int(d) for d in shape), int(nbytes), int(offset), bool(bounded))
            for name, ts, shape, offset, nbytes, bounded in core.fields
        )

    @classmethod
    def from_template(cls, template: Any) -> "Schema":
        """The schema of a BaseIdl dataclass instance (or of anything with ``get_fields()``)."""
        get_fields = getattr(template, "get_fields", None)
        if get_fields is None:
            raise TypeError(
                f"{type(template).__name__} is not an smx template: derive it from smx.BaseIDL (or smx.BaseIdl) "
                "(a dataclass of numpy arrays) or pass an smx.Schema"
            )
        bounded = getattr(template, "_smx_bounded", {})
        return cls([(name, dtype, shape, BOUNDED if name in bounded else None)
                    for name, shape, dtype, _nbytes in get_fields()])

    @property
    def fields(self) -> Tuple[Field, ...]:
        return self._fields

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(f.name for f in self._fields)

    @property
    def frame_size(self) -> int:
        """Bytes of one frame in a slot, alignment padding included."""
        return int(self._core.frame_size)

    @property
    def hash(self) -> int:
        """Stable 64-bit hash of names, dtypes, shapes and boundedness (the same value C++ computes)."""
        return int(self._core.hash)

    def differences(self, actual: "Schema") -> List[str]:
        """Every difference between this (expected) schema and ``actual``, in words."""
        return list(self._core.differences(actual._core))

    def __getitem__(self, key: Union[int, str]) -> Field:
        if isinstance(key, str):
            for f in self._fields:
                if f.name == key:
                    return f
            raise KeyError(f"no field '{key}' in schema ({self})")
        return self._fields[key]

    def __contains__(self, name: object) -> bool:
        return any(f.name == name for f in self._fields)

    def __iter__(self) -> Iterator[Field]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schema):
            return NotImplemented
        return bool(self._core == other._core)

    def __hash__(self) -> int:
        return hash(self._core.hash)

    def __str__(self) -> str:
        return str(self._core)

    def __repr__(self) -> str:
        return f"smx.Schema({self._core})"
