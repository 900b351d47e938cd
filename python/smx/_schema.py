"""Schemas in numpy terms: fields with a numpy dtype and a shape, and the mapping between numpy
dtypes and the typestr spelling the C++ library and the shared segment use."""

from __future__ import annotations

import operator
from typing import Any, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._errors import InvalidArgument

#: numpy typestr of every element type smx carries (little-endian, fixed size).
SUPPORTED_TYPESTRS = (
    "|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16",
)


def typestr(dtype: Any, field: Optional[str] = None) -> str:
    """The smx typestr of a numpy dtype (``np.uint16`` -> ``"<u2"``). Raises InvalidArgument
    (a ValueError) for anything smx cannot carry: big-endian, strings, objects, records."""
    where = f"field '{field}': " if field else ""
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise InvalidArgument(f"{where}{dtype!r} is not a numpy dtype ({e})") from None
    s = dt.str
    if dt.fields is not None or dt.subdtype is not None or s not in SUPPORTED_TYPESTRS:
        raise InvalidArgument(
            f"{where}unsupported dtype {s} ({dt}): smx carries fixed-size little-endian numbers and bool "
            f"({' '.join(SUPPORTED_TYPESTRS)})"
        )
    return s


class Field(NamedTuple):
    """One named array of a frame."""

    name: str
    dtype: np.dtype
    shape: Tuple[int, ...]
    nbytes: int
    offset: int  #: byte offset inside a slot (64-byte aligned)


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
                name, dtype, shape = entry
                shape = _dimensions(name, shape)
                spec.append((str(name), typestr(dtype, name), list(shape)))
            core = _core.Schema(spec)
        self._core = core
        self._fields = tuple(
            Field(name, np.dtype(ts), tuple(int(d) for d in shape), int(nbytes), int(offset))
            for name, ts, shape, offset, nbytes in core.fields
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
        return cls([(name, dtype, shape) for name, shape, dtype, _nbytes in get_fields()])

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
        """Stable 64-bit hash of names, dtypes and shapes (the same value C++ computes)."""
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
