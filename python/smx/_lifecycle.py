"""Clean shutdown: every reader and writer still open when the interpreter exits is closed
(readers first), so readers see "writer gone" and no shared-memory object is left behind."""

from __future__ import annotations

import atexit
import threading
import weakref
from typing import Any

_open: "weakref.WeakSet[Any]" = weakref.WeakSet()
_lock = threading.Lock()


def track(obj: Any) -> None:
    with _lock:
        _open.add(obj)


def untrack(obj: Any) -> None:
    with _lock:
        _open.discard(obj)


@atexit.register
def _close_all() -> None:
    with _lock:
        objs = list(_open)
    # Readers before writers: a writer's segment should not vanish under an attached reader.
    objs.sort(key=lambda o: 0 if getattr(o, "_smx_kind", "") == "reader" else 1)
    for obj in objs:
        try:
            obj.close()
        except Exception:  # noqa: BLE001 - shutdown must go on
            pass
