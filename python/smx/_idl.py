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
from typing import Any, Dict, Iterator, Optional, Tuple

import numpy as np

from . import _core


class _ArrayDefault:
    """default_factory of an ndarray default: a fresh copy per instance."""

    __slots__ = ("template",)

    def __init__(self, template: np.ndarray) -> None:
        self.template = template

    def __call__(self) -> np.ndarray:
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

    def get_fields(self) -> Iterator[Tuple[str, Tuple[int, ...], np.dtype, int]]:
        """Yields ``(name, shape, dtype, nbytes)`` of every field, in order.

        Raises TypeError naming the field if one is not a numpy array (smx frames hold only
        fixed-shape numeric arrays), or if the class is not a dataclass.
        """
        if "__dataclass_fields__" not in type(self).__dict__ and type(self) is not BaseIdl:
            raise TypeError(f"{type(self).__name__} must be decorated with @dataclass (like the seed's templates)")
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, np.ndarray):
                raise TypeError(
                    f"{type(self).__name__}.{field.name} is a {type(value).__name__}, not a numpy array: smx "
                    "frames hold only fixed-shape numpy arrays (use e.g. np.empty((1,), dtype=np.float64))"
                )
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
