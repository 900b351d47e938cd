"""One wait for many readers: ``WaitSet``, the callback ``Executor`` built on it, and the
asyncio side (``AsyncReader``). See docs/python.md "Many topics in one loop"."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

from . import _core
from ._errors import Closed, InvalidArgument

log = logging.getLogger("smx")


class Timer:
    """A timer of a WaitSet (``add_timer``): compare it, or give it to ``remove_timer``."""

    __slots__ = ("id", "period", "oneshot", "callback_name")

    def __init__(self, id: int, period: float, oneshot: bool) -> None:
        self.id = id
        self.period = period
        self.oneshot = oneshot
        self.callback_name = ""  # an Executor's: what the timer calls, for reports

    def __repr__(self) -> str:
        kind = "one-shot after" if self.oneshot else "every"
        return f"<smx.Timer {self.id}: {kind} {self.period:g} s>"


@dataclass
class WaitResult:
    """What ``WaitSet.wait()`` found: ``readers`` whose ``next(0)`` returns at once (a frame, or
    the error it raises), ``timers`` that expired (``expirations[t]`` periods each; more than 1:
    the loop fell behind) and whether ``wake()`` was called. False when the timeout passed."""

    readers: List[Any] = field(default_factory=list)
    timers: List[Timer] = field(default_factory=list)
    expirations: Dict[Timer, int] = field(default_factory=dict)
    woken: bool = False

    def __bool__(self) -> bool:
        return bool(self.readers or self.timers or self.woken)


class WaitSet:
    """Blocks once for many readers, timers and a wake-up: no polling, no thread per reader.

    ::

        ws = smx.WaitSet()
        ws.attach(camera); ws.attach(depth)
        tick = ws.add_timer(0.1)
        while running:
            ready = ws.wait(1.0)
            for reader in ready.readers:
                frame = reader.next(0)       # never blocks here
            if tick in ready.timers: ...

    Readiness is level-triggered: a reader is reported while ``next(0)`` would return a frame
    (or raise its error), so read what you are given. Writers that crash, restart or start later
    are picked up as by a blocked ``next()``. The GIL is released while waiting and Ctrl-C
    raises KeyboardInterrupt out of ``wait()``. ``wake()`` may be called from any thread; the
    rest belongs to one thread at a time.
    """

    def __init__(self) -> None:
        self._core = _core.WaitSet()
        self._timers: Dict[int, Timer] = {}
        # The readers by key (the C++ set names them by key only, so that Python's collector sees
        # every reference to them).
        self._readers: Dict[int, Any] = {}
        self._next_key = 1

    def attach(self, reader: Any) -> None:
        """Adds an ``SMReader`` (it may be in several wait sets; closing it removes it)."""
        core = getattr(reader, "_core", None)
        if core is None or not hasattr(core, "_shared"):
            raise InvalidArgument(f"WaitSet.attach: {reader!r} is not an smx.SMReader")
        key = self._next_key
        self._core.attach(core._shared(), key)
        self._next_key += 1
        self._readers[key] = reader

    def detach(self, reader: Any) -> bool:
        """Removes a reader; False if it was not attached."""
        for key, r in list(self._readers.items()):
            if r is reader:
                del self._readers[key]
        core = getattr(reader, "_core", None)
        if core is None or core.closed:
            return False
        return bool(self._core.detach(core._shared()))

    def mute(self, reader: Any, seconds: float) -> bool:
        """Leaves ``reader`` out of the results for ``seconds`` (for a reader whose ``next()``
        keeps raising, which level-triggered readiness would report again at once)."""
        core = getattr(reader, "_core", None)
        if core is None or core.closed:
            return False
        return bool(self._core.mute(core._shared(), float(seconds)))

    @property
    def readers(self) -> List[Any]:
        """The readers attached, in order (closed ones leave by themselves)."""
        keys = list(self._core.keys())
        self._forget_all_but(keys)
        return [self._readers[k] for k in keys]

    def _forget_all_but(self, keys: List[int]) -> None:
        if len(keys) != len(self._readers):
            live = set(keys)
            for k in [k for k in self._readers if k not in live]:
                del self._readers[k]

    def close(self) -> None:
        """Lets go of its descriptors and readers now (the readers stay open)."""
        self._core.close()
        self._readers.clear()

    def __enter__(self) -> "WaitSet":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def add_timer(self, period: float, *, oneshot: bool = False) -> Timer:
        """A timer every ``period`` seconds from now (``oneshot=True``: once, after ``period``),
        on the monotonic clock, whether or not ``wait()`` runs."""
        if not oneshot and not period > 0:
            raise InvalidArgument(f"WaitSet.add_timer: the period must be positive, not {period!r}")
        timer = Timer(int(self._core.add_timer(float(period), oneshot)), float(period), oneshot)
        self._timers[timer.id] = timer
        return timer

    def remove_timer(self, timer: Timer) -> bool:
        """Removes a timer; False if it is not (or no longer) in this wait set."""
        self._timers.pop(timer.id, None)
        return bool(self._core.remove_timer(timer.id))

    def wake(self) -> None:
        """Makes the ``wait()`` running in another thread return with ``woken`` set (or the next
        one, if none runs). Thread-safe."""
        self._core.wake()

    def wait(self, timeout: Optional[float] = None) -> WaitResult:
        """Blocks up to ``timeout`` seconds (None: forever) until a reader has a frame, a timer
        expires or ``wake()`` is called; an empty (false) result means the timeout passed."""
        r = self._core.wait(timeout)
        if r is None:
            return WaitResult()
        keys, timers, woken = r
        result = WaitResult(readers=[self._readers[k] for k in keys if k in self._readers], woken=bool(woken))
        for tid, count in timers:
            timer = self._timers.get(tid)
            if timer is None:
                continue
            result.timers.append(timer)
            result.expirations[timer] = int(count)
        return result

    def fileno(self) -> int:
        """For another event loop: readable when ``wait(0)`` may find something. Call
        ``prepare()`` each time before the loop sleeps on it."""
        return int(self._core.fileno())

    def prepare(self) -> bool:
        """Arms the readers for a sleep on ``fileno()`` elsewhere; True if something is ready
        already (do not sleep: call ``wait(0)``)."""
        return bool(self._core.prepare())


#: Seconds a reader whose ``next()`` raised is left out of an Executor's waits.
_READER_ERROR_PAUSE = 1.0


def _report(on_error: Optional[Callable[[BaseException, Any], None]], exc: BaseException, source: Any) -> None:
    if on_error is not None:
        on_error(exc, source)
        return
    if hasattr(source, "topic_name"):
        what = f"topic '{source.topic_name}'"
    else:  # a timer: name its callback (Node._step, ...)
        what = f"{getattr(source, 'callback_name', '')} ({source!r})".strip()
    log.error("smx: a callback for %s raised %s: %s", what, type(exc).__name__, exc, exc_info=exc)


class Executor:
    """Runs callbacks from a WaitSet: ``callback(frame)`` for every frame of a reader, in order,
    with the frame pinned (unchanged, whatever the writer does) while the callback runs, and
    ``callback()`` for timers.

    ::

        ex = smx.Executor()
        ex.add(camera, on_image)             # or camera.on_frame(on_image); ex.add(camera)
        ex.add_timer(0.5, report)
        ex.spin()                            # until ex.stop(), Ctrl-C, or a timeout

    A callback that raises is reported — to ``on_error(exception, reader_or_timer)`` if given,
    else logged with its traceback on the "smx" logger — and counted in ``errors``; the loop
    goes on. KeyboardInterrupt and SystemExit stop it (after releasing the frame). A frame must
    not be kept past its callback: copy what you need (``reader.copy()``-style ``np.copy``).
    ``max_frames`` bounds the frames one reader gets per round, so a fast topic cannot starve
    the others.
    """

    def __init__(self, *, on_error: Optional[Callable[[BaseException, Any], None]] = None, max_frames: int = 8) -> None:
        self._ws = WaitSet()
        self._callbacks: Dict[int, Callable[[Any], Any]] = {}
        self._readers: Dict[int, Any] = {}
        self._timer_callbacks: Dict[int, Callable[[], Any]] = {}
        self._stop = threading.Event()
        self._on_error = on_error
        self._max_frames = max(1, int(max_frames))
        #: Callbacks that raised so far.
        self.errors = 0

    @property
    def wait_set(self) -> WaitSet:
        return self._ws

    def add(self, reader: Any, callback: Optional[Callable[[Any], Any]] = None) -> None:
        """Runs ``callback(frame)`` (default: the reader's ``on_frame`` callback) for every frame."""
        cb = callback if callback is not None else getattr(reader, "_on_frame", None)
        if cb is not None and not callable(cb):
            raise TypeError(f"Executor.add: the callback for topic '{getattr(reader, 'topic_name', reader)}' "
                            f"is not callable ({type(cb).__name__})")
        if cb is None:
            raise InvalidArgument(
                f"Executor.add: no callback for topic '{getattr(reader, 'topic_name', reader)}'; pass one, or "
                "set it with reader.on_frame(callback)")
        if id(reader) in self._readers:
            self._callbacks[id(reader)] = cb
            return
        self._ws.attach(reader)
        self._readers[id(reader)] = reader
        self._callbacks[id(reader)] = cb

    def remove(self, reader: Any) -> bool:
        """Stops calling back for ``reader``; False if it was not added."""
        if self._readers.pop(id(reader), None) is None:
            return False
        self._callbacks.pop(id(reader), None)
        self._ws.detach(reader)
        return True

    def add_timer(self, period: float, callback: Callable[[], Any], *, oneshot: bool = False) -> Timer:
        """Runs ``callback()`` every ``period`` seconds (or once, ``oneshot=True``)."""
        timer = self._ws.add_timer(period, oneshot=oneshot)
        timer.callback_name = getattr(callback, "__qualname__", repr(callback))
        self._timer_callbacks[timer.id] = callback
        return timer

    def remove_timer(self, timer: Timer) -> bool:
        self._timer_callbacks.pop(timer.id, None)
        return self._ws.remove_timer(timer)

    def stop(self) -> None:
        """Makes ``spin()`` return after the callback running now. Thread-safe (and safe from a
        callback)."""
        self._stop.set()
        self._ws.wake()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def spin_once(self, timeout: Optional[float] = None) -> int:
        """Waits up to ``timeout`` seconds for work, runs what is ready; returns the callbacks run."""
        for key, reader in list(self._readers.items()):  # closed elsewhere: forget it
            if reader.closed:
                self._readers.pop(key, None)
                self._callbacks.pop(key, None)
        ready = self._ws.wait(timeout)
        ran = 0
        for reader in ready.readers:
            cb = self._callbacks.get(id(reader))
            if cb is None:
                continue
            ran += self._deliver(reader, cb)
            if self._stop.is_set():
                return ran
        for timer in ready.timers:
            cb_t = self._timer_callbacks.get(timer.id)
            if cb_t is None:
                continue
            ran += 1
            if timer.oneshot:  # first: a callback that raises KeyboardInterrupt leaves nothing behind
                self.remove_timer(timer)
            self._call(cb_t, timer)
        return ran

    def spin(self, timeout: Optional[float] = None) -> None:
        """Runs callbacks until ``stop()`` (or ``timeout`` seconds, None: no limit). A ``stop()``
        that came before ``spin()`` started ends it at once; each stop ends one spin."""
        deadline = None if timeout is None else _now() + timeout
        while not self._stop.is_set():
            left = None if deadline is None else deadline - _now()
            if left is not None and left <= 0:
                return
            self.spin_once(left)
        self._stop.clear()

    def _deliver(self, reader: Any, cb: Callable[[Any], Any]) -> int:
        ran = 0
        for _ in range(self._max_frames):
            try:
                frame = reader.next(0, pin=True)
            except Closed:
                self.remove(reader)
                return ran
            except Exception as exc:  # the reader's own error (a schema mismatch, ...): report it,
                self.errors += 1     # then leave the reader out a second, not a flood of reports
                _report(self._on_error, exc, reader)
                self._ws.mute(reader, _READER_ERROR_PAUSE)
                return ran
            if frame is None:
                return ran
            ran += 1
            try:
                self._call(cb, reader, frame)
            finally:
                reader.release(frame)
            if self._stop.is_set():
                return ran
        return ran

    def _call(self, cb: Callable[..., Any], source: Any, *args: Any) -> None:
        try:
            cb(*args)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            self.errors += 1
            _report(self._on_error, exc, source)


def _now() -> float:
    return time.monotonic()


class AsyncReader:
    """asyncio reads of an ``SMReader``: ``await areader.next()``, ``async for frame in
    areader``. Integrated with the running loop through a file descriptor (``loop.add_reader``):
    no thread, no polling. Cancellation-safe: a cancelled ``next()`` takes no frame, so the next
    call gets it. Several tasks may await the same reader: each frame goes to one of them. Get
    one with ``reader.aio`` (or ``AsyncReader(reader)``); ``async for frame in reader`` works on
    the reader itself."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._ws = WaitSet()
        self._ws.attach(reader)
        self._waiters: "set[asyncio.Future[None]]" = set()
        self._watching: Optional[asyncio.AbstractEventLoop] = None
        self._closed = False

    @property
    def reader(self) -> Any:
        return self._reader

    async def next(self, timeout: Optional[float] = None, *, pin: bool = False, copy: bool = False) -> Any:
        """As ``SMReader.next()``, awaiting instead of blocking: the next frame not returned yet,
        or None after ``timeout`` seconds (None: no limit)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            frame = self._reader.next(0, pin=pin, copy=copy)
            if frame is not None:
                return frame
            if self._reader.closed:
                raise Closed(f"reader of topic '{self._reader.topic_name}' is closed")
            if deadline is not None and loop.time() >= deadline:
                return None
            if self._closed:
                raise Closed(f"topic '{self._reader.topic_name}': this AsyncReader was closed; use reader.aio for a new one")
            if self._ws.prepare():
                self._ws.wait(0)  # what was ready is looked at again at the top
                continue
            await self._readable(loop, deadline)

    def _on_readable(self) -> None:
        # One watcher for every task awaiting this reader: take the events (and disarm), then
        # let each look; those that find nothing arm again.
        self._ws.wait(0)
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    async def _readable(self, loop: asyncio.AbstractEventLoop, deadline: Optional[float]) -> None:
        woke: asyncio.Future[None] = loop.create_future()
        self._waiters.add(woke)
        if self._watching is None:
            loop.add_reader(self._ws.fileno(), self._on_readable)
            self._watching = loop
        timer = None if deadline is None else loop.call_at(deadline, lambda: woke.done() or woke.set_result(None))
        try:
            await woke
        finally:
            self._waiters.discard(woke)
            if timer is not None:
                timer.cancel()
            if not self._waiters and self._watching is not None and not self._closed:
                self._watching.remove_reader(self._ws.fileno())
                self._watching = None
                self._ws.wait(0)  # nobody waits: disarm, and take what fired

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        # As ``for frame in reader``: each frame stays pinned until the next step.
        held: Any = None
        try:
            while True:
                try:
                    frame = await self.next(pin=not self._reader._raw_views)
                except Closed:
                    return
                if held is not None:
                    self._reader.release(held)
                held = frame
                yield frame
        finally:
            if held is not None:
                self._reader.release(held)

    def close(self) -> None:
        """Lets go of its descriptors (the reader stays open); tasks awaiting ``next()`` look
        again (and raise smx.Closed if the reader was closed)."""
        if self._closed:
            return
        self._closed = True
        if self._watching is not None:
            self._watching.remove_reader(self._ws.fileno())
            self._watching = None
        self._ws.close()
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)
