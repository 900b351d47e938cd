"""``BaseIdl``: the seed's dataclass base for frame templates, made to work on Python 3.11+.

The seed's templates give numpy arrays as class-attribute defaults under a plain ``@dataclass``::

    @dataclass
    class FrameBuffer(BaseIDL):
        color: np.ndarray = np.empty((480, 848, 3), dtype=np.uint8)

Since Python 3.11 ``@dataclass`` rejects such defaults (an ndarray is unhashable, so it counts
as mutable). ``BaseIdl.__init_subclass__`` runs when the class body is done and *before* the
decorator sees the class: it turns every ndarray default into
``dataclasses.field(default_factory=...)`` returning a copy, so each instance gets its own array.
The dataclass machinery then deletes those class attributes; the metaclass puts the template
array back instead, so ``FrameBuffer.color.shape`` keeps working as it did with the seed.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, Dict, Iterator, Optional, Tuple

import numpy as np

from . import _core
from ._errors import InvalidArgument

#: The longest string element (``|S65535``), as in C++ (smx::MAX_STRING_BYTES).
MAX_STRING_BYTES = 65535


class BoundedArray(np.ndarray):
    """The class default of a bounded field (``smx.bounded``): its first dimension is a capacity."""


def bounded(capacity_array: np.ndarray) -> np.ndarray:
    """Declares a bounded field in a template: up to ``capacity_array.shape[0]`` rows, each frame
    with its own number of them (0 for a new instance)::

        @dataclass
        class Detections(smx.BaseIdl):
            boxes: np.ndarray = smx.bounded(np.zeros((100, 4), np.float32))  # up to 100 boxes

    Assign any number of rows up to the capacity (``d.boxes = np.ones((3, 4), np.float32)``);
    readers get arrays of that many rows. (The class attribute keeps the capacity shape.)"""
    array = np.asarray(capacity_array)
    if array.ndim == 0:
        raise TypeError("smx.bounded() takes an array whose first dimension is the capacity in rows, e.g. "
                        "np.zeros((100, 4), np.float32) for up to 100 rows of 4; got a 0-d array")
    return array.view(BoundedArray)


def string(capacity: int, text: Any = b"") -> np.ndarray:
    """A string field's array: numpy's 0-d ``S<capacity>`` array (``capacity`` bytes, NUL-padded),
    for templates (``frame_id: np.ndarray = smx.string(32)``). Assign text with
    ``instance.frame_id = "camera"`` (str is stored as UTF-8) and read it back with
    ``smx.text(frame.frame_id)``. Text longer than the capacity is refused, not truncated."""
    try:
        size = operator.index(capacity)
    except TypeError:
        raise InvalidArgument(f"smx.string({capacity!r}): the capacity is a whole number of bytes") from None
    if not 1 <= size <= MAX_STRING_BYTES:
        raise InvalidArgument(f"smx.string({size}): a string field holds 1..{MAX_STRING_BYTES} bytes")
    return np.array(_encoded(text, size, "smx.string"), dtype=f"S{size}")


def string_array(value: Any, dtype: np.dtype, where: str) -> np.ndarray:
    """`value` (str, bytes, or an array or (nested) list of them) as an array of the string
    dtype `dtype`, each text checked: it must fit (numpy itself would cut longer text silently)
    and hold no NUL byte before its end (readers would see the text end there). Anything else —
    numbers, None — raises InvalidArgument naming `where`."""
    if isinstance(value, np.ndarray) and value.dtype == dtype:
        return value
    capacity = dtype.itemsize
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return np.array(_encoded(value, capacity, where), dtype=dtype)
    if isinstance(value, np.ndarray) and value.dtype.kind not in "SUO":
        raise InvalidArgument(f"{where}: a string field takes str or bytes, not an array of {value.dtype}")
    # dtype=object keeps each element as given ([b"a", 1] stays bytes and int, not two texts).
    try:
        array = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value.astype(object)
    except ValueError as e:  # a ragged list
        raise InvalidArgument(f"{where}: {e}") from None
    items = [_encoded(v, capacity, where) for v in array.ravel()]
    return np.array(items, dtype=dtype).reshape(array.shape)


def text(array: Any) -> Any:
    """The text of a string field: ``str`` for a 0-d ``S`` array, nested lists of them (the
    array's shape) for an array of strings. Trailing NUL bytes (padding) are dropped; bytes that
    are not UTF-8 become U+FFFD (the raw bytes stay in the array: ``bytes(array[()])``)."""
    a = np.asarray(array)
    if a.dtype.kind != "S":
        raise TypeError(f"smx.text() takes a string field (numpy dtype S<n>), not {a.dtype}")
    if a.ndim == 0:
        return bytes(a[()]).decode("utf-8", errors="replace")
    return np.vectorize(lambda v: bytes(v).decode("utf-8", errors="replace"), otypes=[object])(a).tolist()


def _encoded(value: Any, capacity: int, where: str) -> bytes:
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    if not isinstance(value, (str, bytes)):
        raise InvalidArgument(f"{where}: a string field takes str or bytes, not {type(value).__name__}")
    try:
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    except UnicodeEncodeError as e:
        raise InvalidArgument(f"{where}: {value!r} is not valid text ({e})") from None
    # Trailing NUL bytes are padding; one before other bytes would end the text there for readers.
    if b"\0" in data.rstrip(b"\0"):
        raise InvalidArgument(f"{where}: {data[:40]!r} holds a NUL byte before its end, where readers would see "
                              "the text end; remove it")
    if len(data) > capacity:
        raise InvalidArgument(f"{where}: {len(data)} bytes of text ({data[:40]!r}...) do not fit a string field of "
                         f"{capacity} bytes; nothing is truncated: shorten the text or declare a longer field")
    return data


class _ArrayDefault:
    """default_factory of an ndarray default: a fresh copy per instance (no rows of a bounded one)."""

    __slots__ = ("template",)

    def __init__(self, template: np.ndarray) -> None:
        self.template = template

    def __call__(self) -> np.ndarray:
        if isinstance(self.template, BoundedArray):
            return np.zeros((0,) + self.template.shape[1:], dtype=self.template.dtype)
        return self.template.copy()

    def __repr__(self) -> str:
        return f"<copy of {self.template.dtype} array {self.template.shape}>"


class _IdlMeta(type):
    """Keeps ndarray defaults readable as class attributes after ``@dataclass`` removed them."""

    def __delattr__(cls, name: str) -> None:
        defaults = cls.__dict__.get("_smx_array_defaults", {})
        if name in defaults:
            type.__setattr__(cls, name, defaults[name])
            return
        super().__delattr__(name)


def _core_frame_of(array: Any) -> Optional[Any]:
    """The smx._core.Frame whose memory `array` views, if any (follows numpy's base chain)."""
    seen = 0
    while isinstance(array, np.ndarray) and seen < 64:
        array = array.base
        seen += 1
    return array if isinstance(array, _core.Frame) else None


@dataclasses.dataclass
class BaseIdl(metaclass=_IdlMeta):
    """Base of frame templates: a dataclass whose fields are fixed-shape numpy arrays.

    Derive with ``@dataclass`` and give each field an array (as default or at construction);
    ``get_fields()`` yields ``(name, shape, dtype, nbytes)``. Instances returned by a reader
    hold zero-copy read-only views; ``valid`` tells whether they are still unchanged.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        defaults: Dict[str, np.ndarray] = {}
        for name in cls.__dict__.get("__annotations__", {}):
            value = cls.__dict__.get(name)
            if isinstance(value, np.ndarray):
                defaults[name] = value
                type.__setattr__(cls, name, dataclasses.field(default_factory=_ArrayDefault(value)))
        inherited = dict(getattr(cls, "_smx_array_defaults", {}))
        inherited.update(defaults)
        type.__setattr__(cls, "_smx_array_defaults", inherited)
        # Bounded fields: name -> capacity shape (a redefinition without smx.bounded drops it).
        bounded_fields = {k: v for k, v in getattr(cls, "_smx_bounded", {}).items() if k not in defaults}
        bounded_fields.update({k: v.shape for k, v in defaults.items() if isinstance(v, BoundedArray)})
        type.__setattr__(cls, "_smx_bounded", bounded_fields)

    def get_fields(self) -> Iterator[Tuple[str, Tuple[int, ...], np.dtype, int]]:
        """Yields ``(name, shape, dtype, nbytes)`` of every field, in order (a bounded field's
        capacity shape and bytes, whatever rows the instance holds).

        Raises TypeError naming the field if one is not a numpy array (smx frames hold only
        fixed-shape numeric arrays), or if the class is not a dataclass.
        """
        if "__dataclass_fields__" not in type(self).__dict__ and type(self) is not BaseIdl:
            raise TypeError(f"{type(self).__name__} must be decorated with @dataclass (like the seed's templates)")
        bounded_fields = getattr(type(self), "_smx_bounded", {})
        defaults = getattr(type(self), "_smx_array_defaults", {})
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            default = defaults.get(field.name)
            if isinstance(value, (str, bytes)) and default is not None and default.dtype.kind == "S":
                value = default  # text for a string field: the field is what the class declares
            if not isinstance(value, np.ndarray):
                raise TypeError(
                    f"{type(self).__name__}.{field.name} is a {type(value).__name__}, not a numpy array: smx "
                    "frames hold only fixed-shape numpy arrays (use e.g. np.empty((1,), dtype=np.float64))"
                )
            if field.name in bounded_fields:
                capacity = tuple(bounded_fields[field.name])
                yield (field.name, capacity, value.dtype, int(np.prod(capacity)) * value.dtype.itemsize)
            else:
                yield (field.name, value.shape, value.dtype, value.nbytes)

    # --- beyond the seed: frames from a reader ---------------------------------------------

    def _smx_core_frames(self) -> Iterator[Any]:
        seen = set()
        for field in dataclasses.fields(self):
            core = _core_frame_of(getattr(self, field.name, None))
            if core is not None and id(core) not in seen:
                seen.add(id(core))
                yield core

    @property
    def valid(self) -> bool:
        """True if every array still shows the frame it was read as (always true for copies
        and for instances whose arrays are not shared-memory views)."""
        return all(core.valid for core in self._smx_core_frames())

    @property
    def transport(self) -> Optional[str]:
        """How the frame reached its reader: ``"shm"`` or ``"dds"`` (``None`` for an instance no
        reader returned)."""
        for core in self._smx_core_frames():
            return str(core.transport)
        info = getattr(self, "_smx_info", None)
        return None if not isinstance(info, dict) else info.get("transport")

    def release(self) -> None:
        """Gives back the pin of a pinned frame (idempotent; no-op for views and copies)."""
        for core in self._smx_core_frames():
            core.release()

    def __enter__(self) -> "BaseIdl":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


#: The seed spells it both ways.
BaseIDL = BaseIdl
