"""``SMReader``: reads one topic — called for the latest frame as in the seed, plus ``next``,
iteration, ``pin``, ``copy`` and template-less reading."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Callable, Dict, Iterator, Optional, Sequence

import numpy as np

from . import _core, _lifecycle
from ._errors import Closed, InvalidArgument, NoWriter, TornReadError, WaitingForFirstMessageException
from ._frame import Frame, is_valid, release
from ._participant import DomainParticipant, _participant
from ._schema import Schema
from ._writer import _schema_of

log = logging.getLogger("smx")

#: Attempts of a consistent copy into caller arrays before giving up with TornReadError.
_COPY_ATTEMPTS = 8


class _Pin:
    """``with reader.pin() as frame:`` — the newest frame, unchanged until the block ends."""

    __slots__ = ("_reader", "_core")

    def __init__(self, reader: "SMReader") -> None:
        self._reader = reader
        self._core: Any = None

    def __enter__(self) -> Any:
        self._core = self._reader._core.latest(pin=True)
        if self._core is None:
            raise self._reader._nothing_yet()
        return self._reader._wrap(self._core)

    def __exit__(self, *exc: Any) -> None:
        if self._core is not None:
            self._core.release()
            self._core = None


#: Seconds before the first "still waiting" warning of a reader waiting for its writer.
FIRST_WARNING = 5.0


class SMReader:
    """Reads frames of one topic from shared memory, told by DDS what is there.

    Seed form: ``SMReader(domain_participant, topic_name, idl_dataclass, nr_of_buffers=3)``;
    like the seed it waits in the constructor until the writer is there (``timeout=`` seconds
    bounds the wait and then raises smx.NoWriter; a warning is logged after 5 s, then every
    ``warn_every`` seconds; both name the domain, and say what this machine's shared memory
    shows: the live topics, a near match of a misspelt name, a writer in another domain). ``reader()`` returns the newest frame as an instance of the template's class whose
    arrays are zero-copy **read-only** views; it raises WaitingForFirstMessageException if the
    writer has published nothing yet.

    Without ``idl_dataclass`` the schema is learnt from the writer (``reader.schema``) and
    frames are ``smx.Frame`` objects with one attribute per field. With it, a writer whose
    schema differs raises smx.SchemaMismatch naming every difference.

    ``nr_of_buffers`` is accepted for the seed's sake; the writer decides the slot count.

    ``trusted_uids=`` lists users whose writers this reader reads besides its own user and root;
    a segment at the topic's name owned by anyone else is refused (``PermissionDenied``), so no
    other local user can pose as the topic's writer.

    ``transport=`` chooses the path frames take: ``None``/``"auto"`` (default; shared memory when
    the writer is on this process's machine — by boot id and /dev/shm device, not by host name —
    the network path over DDS otherwise; ``SMX_TRANSPORT`` sets the default), ``"dds"`` (always the network path: frames
    arrive whole in the reader's own buffer) or ``"shm"`` (never the network).
    ``reader.transport`` and ``frame.transport`` say which one is used.

    **The seed's loop is safe.** A frame from ``reader()``, ``read_into()`` or ``for frame in
    reader`` stays *pinned* until the next such call on this reader (or ``close()``): the writer
    does not overwrite it while you process it, however slow, so its arrays never change under
    you — zero copy, no torn frames. Each reader holds at most one such pin, and the writer never
    writes the newest frame's slot, so a writer with ``nr_of_buffers >= readers + 2`` is never
    held up by them; with fewer it skips frames while every slot it could use is pinned (and
    logs it). Keep a frame past the next call with ``reader.copy()`` or ``next(pin=True)``.
    ``raw_views=True`` gives the seed's unpinned views instead (check ``frame.valid``).

    ``wait_for_writer=False`` returns at once instead of waiting for the writer in the
    constructor (as a reader in an ``smx.WaitSet``, ``Executor`` or asyncio loop wants).

    ``spin=`` (seconds, default 0) makes ``next()`` busy-poll up to that long for a new frame
    before sleeping, once per frame. It helps only when the frame comes within the spin: for a
    periodic writer, spin about the period minus your processing time (~1 µs instead of a
    ~10 µs wake-up, for about a core). At most 1 s; the default sleeps at once.
    """

    _smx_kind = "reader"

    def __init__(
        self,
        domain_participant: Optional[DomainParticipant] = None,
        topic_name: Optional[str] = None,
        idl_dataclass: Any = None,
        nr_of_buffers: int = 3,
        *,
        timeout: Optional[float] = None,
        warn_every: float = 60.0,
        spin: float = 0.0,
        trusted_uids: Sequence[int] = (),
        transport: Optional[str] = None,
        raw_views: bool = False,
        wait_for_writer: bool = True,
    ) -> None:
        self._held: Any = None
        self._on_frame: Optional[Callable[[Any], Any]] = None
        self._aio: Any = None  # the pin of the last reader()/read_into()/iteration frame
        self._raw_views = bool(raw_views)
        if topic_name is None:
            raise TypeError("SMReader needs a topic_name")
        self.domain_participant = _participant(domain_participant)
        self.topic_name = str(topic_name)
        self.buffer_template = idl_dataclass
        self.nr_of_buffers = int(nr_of_buffers)
        self._template_schema: Optional[Schema] = None
        self._make: Optional[Callable[..., Any]] = None
        if idl_dataclass is not None:
            self._template_schema = _schema_of(idl_dataclass)
            cls = idl_dataclass if isinstance(idl_dataclass, type) else type(idl_dataclass)
            if not isinstance(idl_dataclass, Schema) and dataclasses.is_dataclass(cls):
                self._make = cls
        self._schema_cache: Optional[Schema] = None
        self._schema_core: Any = None
        core_schema = None if self._template_schema is None else self._template_schema._core
        if transport is not None and not isinstance(transport, str):
            raise InvalidArgument(
                f"reader of topic '{self.topic_name}': transport={transport!r} is none of 'auto', 'shm', 'dds' (or None)"
            )
        self._core = _core.Reader(self.domain_participant._core, self.topic_name, core_schema, float(spin),
                                  [int(u) for u in trusted_uids], transport)
        _lifecycle.track(self)
        if not wait_for_writer:
            return
        try:
            self._wait_for_writer(timeout, warn_every)
        except BaseException:
            self.close()
            raise

    def _wait_for_writer(self, timeout: Optional[float], warn_every: float) -> None:
        start = time.monotonic()
        warned = 0
        # The first warning soon (a typo in the topic is the usual cause), then every warn_every.
        first = min(FIRST_WARNING, warn_every)

        def warning_due(n: int) -> float:
            return first + n * warn_every

        while True:
            elapsed = time.monotonic() - start
            chunk = warning_due(warned) - elapsed
            if timeout is not None:
                chunk = min(chunk, timeout - elapsed)
            if self._core.wait_for_writer(max(chunk, 0.0)):
                return
            if self._core.closed:
                raise Closed(f"reader of topic '{self.topic_name}' was closed while waiting for its writer")
            elapsed = time.monotonic() - start
            # Something at the topic's segment name that was refused (untrusted owner, corrupt).
            reason = self._core.waiting_reason
            domain = self.domain_participant.domain_id
            if timeout is not None and elapsed >= timeout:
                if reason:
                    raise NoWriter(f"topic '{self.topic_name}' in domain {domain}: no readable writer within "
                                   f"{timeout:g} s: {reason}")
                hint = _core.missing_writer_hint(domain, self.topic_name)
                raise NoWriter(
                    f"topic '{self.topic_name}' in domain {domain}: no writer appeared within {timeout:g} s"
                    + (f"; {hint}" if hint else "")
                    + "; start the writer (or check the topic, the domain id and CYCLONEDDS_URI), or pass a larger timeout="
                )
            if elapsed >= warning_due(warned):
                msg = (f"Shared Memory Reader {self.topic_name} (domain {domain}) has been waiting for Shared Memory "
                       f"Writer for more than {warning_due(warned):g} seconds. ")
                warned += 1
                msg += ("No timeout defined; will wait indefinitely." if timeout is None else
                        f"Timeout: {timeout:g} seconds. Will wait for {max(timeout - elapsed, 0):.0f} more seconds.")
                if reason:
                    msg += f" Meanwhile: {reason}"
                else:
                    hint = _core.missing_writer_hint(domain, self.topic_name)
                    if hint:
                        msg += f" Meanwhile: {hint}."
                log.warning(msg)

    # --- building results -------------------------------------------------------------------

    def _schema_for(self, core_schema: Any) -> Schema:
        # One Schema object per writer session schema, not one per frame.
        if self._schema_core is not core_schema and not (self._schema_core is not None and self._schema_core == core_schema):
            self._schema_cache = Schema(core_schema)
            self._schema_core = core_schema
        assert self._schema_cache is not None
        return self._schema_cache

    def _wrap(self, core_frame: Any) -> Any:
        arrays = core_frame.arrays()
        if self._make is not None:
            # smx.frame_info() finds the core frame through the arrays' base: nothing to attach.
            return self._make(**arrays)
        return Frame(arrays, self._schema_for(core_frame.schema), core_frame)

    def _wrap_copy(self, arrays: Dict[str, np.ndarray], core_schema: Any, info: Dict[str, int]) -> Any:
        if self._make is not None:
            return _with_info(self._make(**arrays), info)
        return Frame(arrays, self._schema_for(core_schema), None, info)

    def _nothing_yet(self) -> WaitingForFirstMessageException:
        return WaitingForFirstMessageException(
            f"topic '{self.topic_name}': the writer has not published a frame yet")

    # --- the seed's reads ---------------------------------------------------------------------

    # --- the seed loop's pin: one per reader, held until the next seed-style call ---------------

    def _let_go(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.release()

    def _latest_held(self) -> Any:
        """The newest frame's core frame, pinned and held until the next call (unpinned with
        raw_views); raises WaitingForFirstMessageException if there is none yet."""
        if self._raw_views:
            core_frame = self._core.latest(pin=False)
        else:
            # Released first: a reader holds at most one pin of this kind (the sizing rule).
            self._let_go()
            core_frame = self._core.latest(pin=True)
            self._held = core_frame
        if core_frame is None:
            raise self._nothing_yet()
        return core_frame

    def __call__(self) -> Any:
        """The newest frame (zero copy, read-only views). May return the same frame as the
        previous call. The frame stays pinned — unchanged, whatever the writer does — until the
        next ``reader()``, ``read_into()`` or iteration step on this reader, or ``close()``
        (``raw_views=True``: unpinned views; check ``frame.valid``). Raises
        WaitingForFirstMessageException if nothing was published yet."""
        return self._wrap(self._latest_held())

    def read_into(self, output_instance: Any, copy: bool = False) -> None:
        """Puts the newest frame into `output_instance`.

        ``copy=False`` (the seed's behaviour): its attributes become zero-copy read-only views
        of a frame pinned until the next ``reader()``/``read_into()``/iteration step, as
        ``reader()``'s. ``copy=True``: a consistent copy goes into its own arrays (reused when they are
        writable, C-contiguous and of the right dtype and shape; replaced otherwise); raises
        smx.TornReadError if the writer kept overwriting the frames tried.
        Raises WaitingForFirstMessageException if nothing was published yet."""
        if not copy:
            core_frame = self._latest_held()
            for name, array in core_frame.arrays().items():
                object.__setattr__(output_instance, name, array)
            _with_info(output_instance, core_frame.info)
            return
        for _attempt in range(_COPY_ATTEMPTS):
            core_frame = self._core.latest(pin=False)
            if core_frame is None:
                raise self._nothing_yet()
            targets = []
            bounded = []
            for name, ts, shape, _offset, _nbytes, is_bounded in core_frame.schema.fields:
                current = getattr(output_instance, name, None)
                if is_bounded:
                    # Copied at its capacity, then the instance gets the live rows of it.
                    current = np.empty(tuple(shape), dtype=np.dtype(ts))
                    bounded.append((name, len(targets), current))
                elif not (isinstance(current, np.ndarray) and current.dtype.str == ts and current.shape == tuple(shape)
                          and current.flags.c_contiguous and current.flags.writeable
                          and _core_frame_of_array(current) is None):
                    current = np.empty(tuple(shape), dtype=np.dtype(ts))
                    object.__setattr__(output_instance, name, current)
                targets.append(current)
            consistent, rows = core_frame.copy_into(targets)
            if consistent:
                for name, index, array in bounded:
                    object.__setattr__(output_instance, name, array[: rows[index]])
                _with_info(output_instance, core_frame.info)
                return
        raise TornReadError(
            f"topic '{self.topic_name}': the writer overwrote every frame tried ({_COPY_ATTEMPTS}) while it was "
            "being copied; read with pin(), or give the writer more slots (nr_of_buffers)")

    def stop(self) -> None:
        """The seed's name for close()."""
        self.close()

    # --- beyond the seed ----------------------------------------------------------------------

    def next(self, timeout: Optional[float] = None, *, pin: bool = False, copy: bool = False) -> Any:
        """Blocks up to `timeout` seconds (None = forever) for a frame this reader has not
        returned yet, oldest first; returns None on timeout. Frames overwritten before they
        could be read are skipped (counted in ``stats["missed"]``). The GIL is released while
        waiting and Ctrl-C interrupts it.

        ``pin=True``: the frame stays unchanged until ``release()``d (or used in a ``with``).
        ``copy=True``: the frame is a consistent copy (smx.TornReadError if none could be made).
        """
        if pin and copy:
            raise ValueError("next(): choose pin=True or copy=True, not both")
        if copy:
            result = self._core.copy_next(timeout)
            return self._copy_result(result)
        core_frame = self._core.next(timeout, pin=pin)
        return None if core_frame is None else self._wrap(core_frame)

    def copy(self) -> Any:
        """A consistent copy of the newest frame, in writable arrays the caller owns.
        Raises WaitingForFirstMessageException if nothing was published yet, smx.TornReadError
        if the writer overwrote every frame tried while copying."""
        result = self._core.copy_latest()
        if result is None:
            raise self._nothing_yet()
        return self._copy_result(result)

    def _copy_result(self, result: Any) -> Any:
        if result is None:
            return None
        status, arrays, core_schema, info = result
        if status != "ok":
            raise TornReadError(
                f"topic '{self.topic_name}': the writer overwrote every frame tried while it was being copied; "
                "read with pin(), or give the writer more slots (nr_of_buffers)")
        return self._wrap_copy(arrays, core_schema, info)

    def pin(self) -> _Pin:
        """``with reader.pin() as frame:`` — the newest frame, guaranteed unchanged (the writer
        skips its slot) until the block ends. Raises WaitingForFirstMessageException if nothing
        was published yet."""
        return _Pin(self)

    def latest(self, *, pin: bool = False) -> Any:
        """Like ``reader()`` but returns None instead of raising when nothing was published."""
        core_frame = self._core.latest(pin=pin)
        return None if core_frame is None else self._wrap(core_frame)

    def is_valid(self, frame: Any) -> bool:
        """True if `frame` still shows the frame it was read as (see smx.is_valid)."""
        return is_valid(frame)

    def release(self, frame: Any) -> None:
        """Gives back the pin of a frame from ``next(pin=True)`` or ``latest(pin=True)``."""
        release(frame)

    def __iter__(self) -> Iterator[Any]:
        """``for frame in reader:`` — every new frame (as ``next()``), until the reader is
        closed. Each frame stays pinned until the next step (or ``reader()``, ``close()``), as
        ``reader()``'s (``raw_views=True``: unpinned views)."""
        while True:
            self._let_go()
            try:
                core_frame = self._core.next(None, pin=not self._raw_views)
            except Closed:
                return
            if core_frame is None:
                if self.closed:
                    return
                continue
            if not self._raw_views:
                self._held = core_frame
            yield self._wrap(core_frame)

    def interrupt(self) -> None:
        """Makes a ``next()`` blocked in another thread return None."""
        self._core.interrupt()

    # --- many topics in one loop (smx.WaitSet, smx.Executor, asyncio) --------------------------

    def on_frame(self, callback: Optional[Callable[[Any], Any]]) -> None:
        """Sets the callback an ``smx.Executor`` (or ``smx.framework.Node``) runs for every frame
        of this reader once it is added there: ``callback(frame)``, the frame pinned while it
        runs. None removes it."""
        if callback is not None and not callable(callback):
            raise TypeError(f"reader of topic '{self.topic_name}': on_frame() takes a callable (or None), "
                            f"not {type(callback).__name__}")
        self._on_frame = callback

    @property
    def aio(self) -> Any:
        """asyncio reads: ``await reader.aio.next()``, ``async for frame in reader.aio`` (see
        smx.AsyncReader). ``reader.next()`` itself stays the blocking call of the seed's API."""
        if self._aio is None:
            from ._waitset import AsyncReader

            self._aio = AsyncReader(self)
        return self._aio

    def __aiter__(self) -> Any:
        """``async for frame in reader:`` — as ``for frame in reader``, awaiting instead of
        blocking (the running loop goes on meanwhile)."""
        return self.aio.__aiter__()

    @property
    def schema(self) -> Optional[Schema]:
        """The writer's schema (None before a writer was seen)."""
        core_schema = self._core.schema
        return None if core_schema is None else self._schema_for(core_schema)

    @property
    def topic(self) -> str:
        return self.topic_name

    @property
    def state(self) -> str:
        """"waiting_for_writer", "attached", "writer_gone" or "closed"."""
        return str(self._core.state)

    @property
    def transport(self) -> Optional[str]:
        """"shm" or "dds": how the attached writer's frames reach this reader (None while no
        writer is attached)."""
        return str(self._core.transport) or None

    @property
    def stats(self) -> Dict[str, int]:
        """delivered, missed, torn_views, torn_copies, notices_ignored, attachments, sleeps,
        unnoticed_frames, dropped_samples (cumulative; see smx::ReaderStats)."""
        return dict(self._core.stats)

    @property
    def closed(self) -> bool:
        core = getattr(self, "_core", None)
        return core is None or bool(core.closed)

    def close(self) -> None:
        """Releases DDS entities and the segment. Idempotent; arrays already handed out stay
        readable (they keep their mapping alive)."""
        core = getattr(self, "_core", None)
        if getattr(self, "_held", None) is not None:
            self._let_go()
        aio, self._aio = getattr(self, "_aio", None), None
        if aio is not None:
            aio.close()
        if core is not None:
            core.close()
        _lifecycle.untrack(self)

    def __enter__(self) -> "SMReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<smx.SMReader topic '{self.topic_name}' ({'closed' if self.closed else self.state})>"


def _with_info(instance: Any, info: Dict[str, int]) -> Any:
    """Remembers where a template instance came from (for smx.frame_info); skipped for
    classes that take no extra attributes (slots)."""
    try:
        object.__setattr__(instance, "_smx_info", info)
    except (AttributeError, TypeError):
        pass
    return instance


def _core_frame_of_array(array: np.ndarray) -> Any:
    from ._idl import _core_frame_of

    return _core_frame_of(array)
