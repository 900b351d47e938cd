"""``Frame``: what a template-less reader returns — one attribute per field — and the helpers
that work on any frame, template instance or not (``is_valid``, ``release``, ``frame_info``)."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from . import _core
from ._idl import _core_frame_of
from ._schema import Schema


class Frame:
    """One frame: ``frame.color``, ``frame["depth"]``, ``frame.valid``, ``frame.frame_number``.

    A field whose name is also one of the attributes below (``valid``, ``info``, ...) is reached
    as ``frame["name"]``.

    From a view or pin read, the arrays are read-only zero-copy views into shared memory that
    keep the mapping alive; from a copy read, they are the caller's own writable arrays.
    """

    __slots__ = ("_arrays", "_core", "_info", "_schema", "__weakref__")

    def __init__(self, arrays: Dict[str, np.ndarray], schema: Schema, core: Optional[Any] = None,
                 info: Optional[Dict[str, int]] = None) -> None:
        object.__setattr__(self, "_arrays", arrays)
        object.__setattr__(self, "_core", core)
        # From a view or pin the info is asked of the core frame when first needed: next() is on
        # the latency path, and most callers never look.
        object.__setattr__(self, "_info", info)
        object.__setattr__(self, "_schema", schema)

    def _info_dict(self) -> Dict[str, int]:
        if self._info is None:
            object.__setattr__(self, "_info", dict(self._core.info) if self._core is not None else {})
        return self._info

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self._arrays[name]
        except KeyError:
            raise AttributeError(f"frame has no field '{name}' (fields: {', '.join(self._arrays)})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("frame fields are read-only; copy() the frame to get writable arrays")

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def __contains__(self, name: object) -> bool:
        return name in self._arrays

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __dir__(self) -> List[str]:
        return sorted(set(object.__dir__(self)) | set(self._arrays))

    def keys(self) -> List[str]:
        return list(self._arrays)

    def items(self) -> List[Tuple[str, np.ndarray]]:
        return list(self._arrays.items())

    def to_dict(self) -> Dict[str, np.ndarray]:
        """{field: array} (the same arrays, not copies)."""
        return dict(self._arrays)

    def copy(self) -> "Frame":
        """Writable copies of the arrays. Check ``valid`` afterwards if this was a view."""
        return Frame({k: np.array(v, copy=True) for k, v in self._arrays.items()}, self._schema, None, self._info_dict())

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def valid(self) -> bool:
        """True while the slot still holds this frame (always for pins and copies)."""
        return True if self._core is None else bool(self._core.valid)

    @property
    def pinned(self) -> bool:
        return False if self._core is None else bool(self._core.pinned)

    @property
    def transport(self) -> str:
        """How the frame reached this reader: "shm" (zero copy from the writer's shared memory) or
        "dds" (received whole over the network path into the reader's own buffer)."""
        if self._core is not None:
            return str(self._core.transport)
        return str(self._info_dict().get("transport") or "shm")

    @property
    def frame_number(self) -> int:
        return int(self._info_dict().get("frame_number", 0))

    @property
    def timestamp_ns(self) -> int:
        """CLOCK_REALTIME at the writer when it wrote the frame, in nanoseconds."""
        return int(self._info_dict().get("timestamp_ns", 0))

    @property
    def info(self) -> Dict[str, int]:
        """session, frame_number, timestamp_ns, slot, seq."""
        return dict(self._info_dict())

    def release(self) -> None:
        """Gives back the pin (idempotent; no-op for views and copies)."""
        if self._core is not None:
            self._core.release()

    def __enter__(self) -> "Frame":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __repr__(self) -> str:
        kind = "copy" if self._core is None else ("pinned" if self.pinned else "view")
        fields = ", ".join(f"{k}: {v.dtype.str} {v.shape}" for k, v in self._arrays.items())
        return f"<smx.Frame #{self.frame_number} ({kind}) {fields}>"


def _core_frames(frame: Any) -> List[Any]:
    if isinstance(frame, Frame):
        return [] if frame._core is None else [frame._core]
    if isinstance(frame, _core.Frame):
        return [frame]
    if dataclasses.is_dataclass(frame) and not isinstance(frame, type):
        out: List[Any] = []
        for f in dataclasses.fields(frame):
            core = _core_frame_of(getattr(frame, f.name, None))
            if core is not None and all(core is not c for c in out):
                out.append(core)
        return out
    raise TypeError(f"not a frame: {type(frame).__name__}")


def is_valid(frame: Any) -> bool:
    """True if `frame` (an smx.Frame or a template instance from a reader) still shows the frame
    it was read as. Check *after* using the data: true then means it was used consistently."""
    return all(core.valid for core in _core_frames(frame))


def release(frame: Any) -> None:
    """Gives back the pin of a pinned frame (idempotent)."""
    for core in _core_frames(frame):
        core.release()


def frame_info(frame: Any) -> Optional[Dict[str, int]]:
    """session, frame_number, timestamp_ns, slot and seq of a frame read from shared memory
    (None for instances that hold no shared-memory views)."""
    if isinstance(frame, Frame):
        return frame.info if frame._info_dict() else None
    info = getattr(frame, "_smx_info", None)
    if info is not None:
        return dict(info)
    cores = _core_frames(frame)
    return dict(cores[0].info) if cores else None
