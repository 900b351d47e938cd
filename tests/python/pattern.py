"""Python twin of tools/common/pattern.hpp: every byte of frame F is derived from F, so a reader
can tell a consistent frame from a torn one — and C++ and Python agree byte for byte."""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, Iterable, Mapping

import numpy as np

import smx

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def word(frame: int, field: int, index: int) -> int:
    """pattern.hpp word(), exactly (64-bit wrap-around)."""
    return ((frame << 32) ^ (field << 56) ^ (((index * GOLDEN) & MASK) >> 16) ^ index) & MASK


@lru_cache(maxsize=64)
def _index_part(words: int) -> np.ndarray:
    idx = np.arange(words, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (idx * np.uint64(GOLDEN)) >> np.uint64(16)
    out = h ^ idx
    out.setflags(write=False)
    return out


def expected_bytes(nbytes: int, frame: int, field: int) -> np.ndarray:
    """The bytes pattern.hpp fill() writes for one field of `nbytes` bytes."""
    words = nbytes // 8 + 1  # the last (partial) word too
    w = _index_part(words) ^ np.uint64(((frame << 32) ^ (field << 56)) & MASK)
    return w.astype("<u8", copy=False).view(np.uint8)[:nbytes]


def fill(array: np.ndarray, frame: int, field: int) -> None:
    array.reshape(-1).view(np.uint8)[:] = expected_bytes(array.nbytes, frame, field)


def check(array: np.ndarray, frame: int, field: int) -> bool:
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return bool(np.array_equal(flat, expected_bytes(array.nbytes, frame, field)))


def check_all(arrays: Iterable[np.ndarray], frame: int) -> bool:
    return all(check(a, frame, i) for i, a in enumerate(arrays))


# The schemas smx_test_peer knows (tests/support/peer.cpp), in Python.
def schema(name: str) -> smx.Schema:
    if name == "rgbd":
        return rgbd_schema(848, 480)
    if name == "rgbd640":
        return rgbd_schema(640, 480)
    if name == "small":
        return smx.Schema([("a", "<i4", (4,)), ("b", "<f4", (2, 3))])
    if name.startswith("blob:"):
        return smx.Schema([("data", "|u1", (int(name[5:]),))])
    raise ValueError(f"unknown schema {name}")


def rgbd_schema(width: int, height: int) -> smx.Schema:
    return smx.Schema([
        ("timestamp", "<f8", (1,)),
        ("color", "|u1", (height, width, 3)),
        ("depth", "<u2", (height, width)),
        ("extrinsics", "<f8", (4, 4)),
        ("intrinsics", "<f8", (3, 3)),
    ])


def frame_arrays(sch: smx.Schema, frame: int) -> Dict[str, np.ndarray]:
    """Fresh arrays holding frame `frame`'s pattern, one per field."""
    out = {}
    for i, f in enumerate(sch.fields):
        a = np.empty(f.shape, dtype=f.dtype)
        fill(a, frame, i)
        out[f.name] = a
    return out


def check_frame(frame: object, sch: smx.Schema, number: int) -> bool:
    """Checks a frame (template instance or smx.Frame) field by field in schema order."""
    arrays = [frame[f.name] if isinstance(frame, Mapping) or isinstance(frame, smx.Frame) else getattr(frame, f.name)
              for f in sch.fields]
    return check_all(arrays, number)
