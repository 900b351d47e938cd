"""``SMWriter``: the single writer of a topic, called with a frame as in the seed."""

from __future__ import annotations

import operator
from typing import Any, Iterator, Mapping, Optional, Union

import numpy as np

from . import _core, _lifecycle
from ._errors import AllSlotsHeld, InvalidArgument
from ._idl import string_array
from ._participant import DomainParticipant, _participant
from ._schema import Schema


def _schema_of(template: Any) -> Schema:
    if isinstance(template, Schema):
        return template
    if isinstance(template, type):
        try:
            template = template()
        except TypeError as e:
            raise TypeError(
                f"cannot build the template {template.__name__}() without arguments ({e}); pass an instance "
                "whose arrays have the frame's shapes and dtypes, as the seed did"
            ) from None
    if isinstance(template, (list, tuple)):
        return Schema(template)
    return Schema.from_template(template)


# Which kinds of numbers a field of each kind takes from Python numbers (bool only into bool;
# integers into any number; floats into floats and complex; complex into complex only).
_TAKES = {"b": "b", "i": "iu", "u": "iu", "f": "iuf", "c": "iufc"}


def _exact(value: Any, dtype: np.dtype, where: str) -> Any:
    """`value` for a field of `dtype`, with nothing changed on the way but a float's rounding: an
    array of exactly that dtype, or numbers (Python or numpy scalars, lists of them) of a kind
    the field holds — integers only if each fits (300 or -1 into |u1 is refused), floats into
    floats (rounded to the field's precision; one that would become inf is refused), bool only
    into bool. Anything else raises InvalidArgument naming `where`."""
    if isinstance(value, np.ma.MaskedArray):
        raise InvalidArgument(f"{where}: a masked array's mask would be lost; pass array.filled(...)")
    if isinstance(value, np.ndarray):
        if value.dtype != dtype:
            raise InvalidArgument(f"{where}: expected dtype {dtype.str}, got {value.dtype.str} (no casting: convert "
                                  "it yourself, e.g. array.astype(...))")
        return value
    try:
        given = np.asarray(value)
    except ValueError as e:  # a ragged list
        raise InvalidArgument(f"{where}: {e}") from None
    if given.dtype.kind not in _TAKES.get(dtype.kind, ""):
        raise InvalidArgument(f"{where}: expected values of dtype {dtype.str}, got {type(value).__name__} of "
                              f"{given.dtype} (no casting: pass an array of {dtype.str})")
    with np.errstate(all="ignore"):
        converted = given.astype(dtype)
    if dtype.kind in "iu" and not np.array_equal(converted, given):
        raise InvalidArgument(f"{where}: {value!r} does not fit dtype {dtype.str}; nothing was written")
    if dtype.kind in "fc" and not np.array_equal(np.isfinite(converted), np.isfinite(given)):
        raise InvalidArgument(f"{where}: {value!r} is out of the range of dtype {dtype.str}; nothing was written")
    return converted


class Loan:
    """A slot lent for in-place filling: one writable array per field (``loan.color[...] = x``).

    Publish it with ``writer.publish(loan)``, or use it as a context manager, which publishes on
    normal exit and abandons the slot on an exception. Do not keep the arrays after publishing:
    they are the published frame's memory.

    When readers pinned every slot the writer could use, ``writer.loan()`` returns an *empty*
    loan: it is falsy (``if loan:`` skips the frame), and entering it (``with``) or touching a
    field raises smx.AllSlotsHeld naming the pinning readers' pids — never a TypeError on None.
    """

    __slots__ = ("_core", "_writer", "_arrays", "_refusal")

    def __init__(self, core: Any, writer: "SMWriter", refusal: str = "") -> None:
        object.__setattr__(self, "_core", core)
        object.__setattr__(self, "_writer", writer)
        object.__setattr__(self, "_arrays", {} if core is None else core.arrays())
        object.__setattr__(self, "_refusal", refusal)

    def __bool__(self) -> bool:
        """False for the empty loan of a writer whose slots were all pinned."""
        return self._core is not None

    def _check_lent(self) -> None:
        if self._core is None:
            raise AllSlotsHeld(self._refusal)

    def __getattr__(self, name: str) -> np.ndarray:
        self._check_lent()
        try:
            return self._arrays[name]
        except KeyError:
            raise AttributeError(f"loan has no field '{name}' (fields: {', '.join(self._arrays)})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._check_lent()
        if name not in self._arrays:
            raise AttributeError(f"loan has no field '{name}'")
        # `loan.depth = arr` means "fill the field with arr", not "rebind the name".
        field = self._writer.schema[name]
        where = f"loan on topic '{self._writer.topic_name}', field '{name}'"
        if value is self._arrays[name]:
            return  # `loan.x += 1`: changed in place already (a bounded field keeps its rows)
        if field.dtype.kind == "S":
            value = string_array(value, field.dtype, where)
        else:
            value = _exact(value, field.dtype, where)
        if field.bounded:
            value = np.asarray(value)
            if value.ndim != len(field.shape) or value.shape[1:] != field.shape[1:] or value.shape[0] > field.shape[0]:
                raise InvalidArgument(f"{where}: expected up to {field.shape[0]} rows of shape {field.shape[1:]}, "
                                      f"got an array of shape {value.shape}")
            self._arrays[name][: value.shape[0]] = value
            self._core.set_length(name, value.shape[0])
            return
        if isinstance(value, np.ndarray) and value.ndim and value.shape != field.shape:
            fill = "text" if field.dtype.kind == "S" else "number"
            raise InvalidArgument(f"{where}: expected shape {field.shape}, got {value.shape} (a single {fill} "
                                  "fills the field)")
        self._arrays[name][...] = value

    def length(self, name: str) -> int:
        """The rows bounded field `name` carries so far (0 when the loan was taken)."""
        self._check_lent()
        return int(self._core.length(name))

    def set_length(self, name: str, rows: int) -> None:
        """Sets how many rows of bounded field `name` the frame carries (every bounded field
        starts a loan at 0 rows): fill ``loan[name][:rows]``, then set it. Assigning
        ``loan.boxes = rows_array`` does both."""
        self._check_lent()
        try:
            count = operator.index(rows)
        except TypeError:
            raise InvalidArgument(f"loan on topic '{self._writer.topic_name}', field '{name}': rows={rows!r} is "
                                  "not a whole number") from None
        if count < 0:
            raise InvalidArgument(f"loan on topic '{self._writer.topic_name}', field '{name}': rows={count} is "
                                  "negative")
        self._core.set_length(name, min(count, 2**64 - 1))

    def __getitem__(self, name: str) -> np.ndarray:
        self._check_lent()
        return self._arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def keys(self) -> list:
        return list(self._arrays)

    @property
    def frame_number(self) -> int:
        """The number this frame will be published as (0 for an empty loan)."""
        return 0 if self._core is None else int(self._core.frame_number)

    @property
    def active(self) -> bool:
        """True until published or abandoned (never for an empty loan)."""
        return self._core is not None and bool(self._core.active)

    def set_timestamp_ns(self, timestamp_ns: int) -> None:
        """Overrides the frame's timestamp: integer nanoseconds since the Unix epoch
        (``time.time_ns()``); default: when the loan was taken."""
        self._check_lent()
        self._core.set_timestamp_ns(int(timestamp_ns))

    def set_timestamp(self, seconds: float) -> None:
        """``set_timestamp_ns`` spelt in seconds (``time.time()``), kept for earlier code."""
        self.set_timestamp_ns(int(round(seconds * 1e9)))

    def abandon(self) -> None:
        """Gives the slot back unpublished (idempotent)."""
        if self._core is not None:
            self._core.abandon()

    def __enter__(self) -> "Loan":
        self._check_lent()
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None and self.active:
            self._writer.publish(self)
        else:
            self.abandon()

    def __repr__(self) -> str:
        if self._core is None:
            return "<smx.Loan empty: every slot was pinned by readers>"
        state = "active" if self.active else "done"
        return f"<smx.Loan frame {self.frame_number} ({state}) fields {', '.join(self._arrays)}>"


class SMWriter:
    """Writes frames of one topic to shared memory and announces them over DDS.

    Seed form: ``SMWriter(domain_participant, topic_name, idl_dataclass, nr_of_buffers=3)``,
    then ``writer(frame)``. ``idl_dataclass`` is a template instance (a BaseIdl dataclass whose
    arrays give the shapes and dtypes) or an ``smx.Schema``. ``nr_of_buffers`` is the number of
    slots. If readers pin every other slot, a write waits up to ``full_wait`` seconds
    (``when_full="wait"``) or returns None at once (``when_full="fail"``).

    Readers on other hosts (docs/network.md) get frames over DDS: ``compression`` (None,
    ``"lz4"`` or ``"zstd"`` at ``compression_level`` 1..19) compresses them losslessly for slow
    links; ``network_reliable=False`` sends them best effort; ``network_depth`` (1..16) is how
    many frames each side keeps for them. Nothing is sent while no remote reader is there.

    A reader's pin that has kept the writer from every slot for longer than ``pin_lease``
    seconds (default 10; None: never) is broken: the writer may overwrite that frame, whose
    ``valid`` then reads False — so a forgotten pin (a REPL's ``_``) cannot stall it for good.
    A writer whose slots are all pinned logs a warning (logger "smx") naming the readers' pids,
    at most every 10 s; ``writer.stats`` counts such refusals and broken pins.

    Timestamps are seconds since the epoch (``time.time()``), stored as nanoseconds.

    Raises smx.WriterExists if a live writer already owns the topic.
    """

    _smx_kind = "writer"

    def __init__(
        self,
        domain_participant: Optional[DomainParticipant] = None,
        topic_name: Optional[str] = None,
        idl_dataclass: Any = None,
        nr_of_buffers: int = 3,
        *,
        reader_capacity: int = 64,
        mode: int = 0o600,
        when_full: str = "wait",
        full_wait: float = 0.1,
        compression: Optional[str] = None,
        compression_level: int = 1,
        network_reliable: bool = True,
        network_depth: int = 3,
        pin_lease: Optional[float] = 10.0,
    ) -> None:
        if topic_name is None:
            raise TypeError("SMWriter needs a topic_name")
        if idl_dataclass is None:
            raise TypeError("SMWriter needs idl_dataclass: a template instance (BaseIdl dataclass) or an smx.Schema")
        self.domain_participant = _participant(domain_participant)
        self.topic_name = str(topic_name)
        self.buffer_template = idl_dataclass
        self.nr_of_buffers = int(nr_of_buffers)
        self._schema = _schema_of(idl_dataclass)
        self._names = self._schema.names
        self._name_set = frozenset(self._names)
        # String fields take str/bytes too (converted and checked to fit on each write).
        self._string_fields = tuple((i, f) for i, f in enumerate(self._schema) if f.dtype.kind == "S")
        _check_network_options(self.topic_name, compression, compression_level, network_reliable, network_depth)
        self._core = _core.Writer(
            self.domain_participant._core, self.topic_name, self._schema._core, slots=self.nr_of_buffers,
            reader_capacity=reader_capacity, mode=mode, when_full=when_full, full_wait=full_wait,
            compression=compression, compression_level=int(compression_level),
            network_reliable=bool(network_reliable), network_depth=int(network_depth),
            pin_lease=None if pin_lease is None else float(pin_lease),
        )
        _lifecycle.track(self)

    # --- writing ----------------------------------------------------------------------------

    def _arrays_of(self, frame: Any) -> list:
        out = []
        is_mapping = isinstance(frame, Mapping)
        for name in self._names:
            try:
                out.append(frame[name] if is_mapping else getattr(frame, name))
            except (KeyError, AttributeError):
                if is_mapping:
                    self._refuse_unknown_keys(frame)  # a misspelt key says more than the field it missed
                raise InvalidArgument(
                    f"write to topic '{self.topic_name}': the frame has no field '{name}' "
                    f"(schema: {self._schema})"
                ) from None
        # Every field found: a dict with more keys has some the schema does not (one length
        # check per write; the keys are looked at only then).
        if is_mapping and len(frame) != len(out):
            self._refuse_unknown_keys(frame)
        for i, field in self._string_fields:
            out[i] = string_array(out[i], field.dtype, f"write to topic '{self.topic_name}', field '{field.name}'")
        return out

    def _refuse_unknown_keys(self, frame: Mapping) -> None:
        unknown = sorted(str(k) for k in frame if k not in self._name_set)
        if unknown:
            raise InvalidArgument(
                f"write to topic '{self.topic_name}': the frame has fields the schema does not: "
                f"{', '.join(repr(k) for k in unknown)} (schema: {self._schema})"
            )

    def write(self, frame: Union[Any, Mapping[str, np.ndarray]], timestamp: Optional[float] = None, *,
              timestamp_ns: Optional[int] = None) -> Optional[int]:
        """Copies `frame` (template instance, smx.Frame, or {name: array}) into a slot and
        announces it. Returns the frame number, or None if readers held every slot.

        The frame's timestamp is ``timestamp_ns``: integer nanoseconds since the Unix epoch
        (``time.time_ns()``), smx's one unit for timestamps (``frame_info(f)["timestamp_ns"]``,
        C++ ``Frame::timestamp_ns()``); default: when the write starts. ``timestamp=`` (seconds,
        as ``time.time()``) is the same thing spelt in seconds, kept for earlier code.

        Shapes and dtypes must match exactly (no casting): otherwise ValueError
        (smx.InvalidArgument) names the field, the expected and the given, and nothing is
        published. Non-contiguous arrays are fine. A bounded field takes 0..capacity rows; a
        string field also takes str (stored as UTF-8) or bytes, refused if longer than it holds."""
        if timestamp is not None:
            if timestamp_ns is not None:
                raise InvalidArgument(f"write to topic '{self.topic_name}': give timestamp_ns or timestamp, not both")
            if not -9.2e9 < float(timestamp) < 9.2e9:
                raise InvalidArgument(f"write to topic '{self.topic_name}': timestamp={timestamp!r} is not seconds since "
                                      "the epoch (time.time()); nanoseconds (time.time_ns()) go in timestamp_ns=")
            timestamp_ns = int(round(timestamp * 1e9))
        elif timestamp_ns is not None and not isinstance(timestamp_ns, (int, np.integer)):
            raise InvalidArgument(f"write to topic '{self.topic_name}': timestamp_ns={timestamp_ns!r} is not an integer "
                                  "count of nanoseconds (time.time_ns()); seconds (time.time()) go in timestamp=")
        return self._core.write(self._arrays_of(frame), None if timestamp_ns is None else int(timestamp_ns))

    __call__ = write

    def loan(self) -> Loan:
        """A slot to fill in place (zero copy). If readers pinned every slot the writer could use
        (after ``when_full``), the loan is empty: falsy, and ``with`` on it raises
        smx.AllSlotsHeld naming the pinning readers' pids."""
        core = self._core.loan()
        if core is not None:
            return Loan(core, self)
        return Loan(None, self, self._all_slots_held_message())

    def _all_slots_held_message(self) -> str:
        pids = self._core.pinning_pids
        who = f"pid{'s' if len(pids) != 1 else ''} {', '.join(map(str, pids))}" if pids else "readers since gone"
        return (f"topic '{self.topic_name}': every slot the writer could use is pinned by readers ({who}), so no slot "
                f"was lent; skip the frame (`if loan:`), have readers release frames sooner, or give the writer more "
                f"slots (nr_of_buffers={self.nr_of_buffers})")

    def publish(self, loan: Loan) -> Optional[int]:
        """Publishes a filled loan; returns its frame number (None if it could not be)."""
        if not isinstance(loan, Loan):
            raise TypeError(f"publish() takes the Loan from this writer's loan(), not {type(loan).__name__}")
        loan._check_lent()  # an empty loan (every slot was pinned) has nothing to publish
        return self._core.publish(loan._core)

    # --- state ------------------------------------------------------------------------------

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def topic(self) -> str:
        return self.topic_name

    @property
    def closed(self) -> bool:
        return bool(self._core.closed)

    @property
    def session(self) -> int:
        return int(self._core.session)

    @property
    def segment_name(self) -> str:
        """The POSIX shared memory object, e.g. "/smx.0.frame_data"."""
        return str(self._core.segment_name)

    @property
    def reader_count(self) -> int:
        """Readers currently registered in the segment."""
        return int(self._core.reader_count)

    @property
    def frames_published(self) -> int:
        return int(self._core.frames_published)

    @property
    def stats(self) -> dict:
        """Back-pressure: ``all_slots_held`` (writes and loans refused because readers pinned
        every slot the writer could use) and ``pins_broken`` (pins broken after ``pin_lease``)."""
        return dict(self._core.stats)

    @property
    def pinning_pids(self) -> list:
        """Pids of the readers pinning slots the writer could write next: who holds it up."""
        return list(self._core.pinning_pids)

    @property
    def network_stats(self) -> dict:
        """The network path: ``remote_readers`` (readers on other hosts matched now),
        ``frames_sent`` (frames sent whole over DDS so far) and ``frames_skipped`` (not sent: the
        sender was more than network_depth - 1 frames behind, or the frame was rewritten while copied) and
        ``bytes_sent`` (after compression). Nothing is sent while ``remote_readers`` is 0. All 0
        once closed."""
        return dict(self._core.network_stats)

    def close(self) -> None:
        """Readers see "writer gone", the segment is removed. Idempotent."""
        core = getattr(self, "_core", None)
        if core is not None:
            core.close()
        _lifecycle.untrack(self)

    #: The seed's name for close().
    stop = close

    def __enter__(self) -> "SMWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.frames_published} frames"
        return f"<smx.SMWriter topic '{self.topic_name}' ({state}) {self._schema}>"


def _check_network_options(topic: str, compression: Any, level: Any, reliable: Any, depth: Any) -> None:
    """Types the C++ side would take loosely (a truthy string as reliable, 2.5 as a level) or
    refuse with a binding error: refused here, naming the topic and the keyword."""

    def bad(what: str) -> InvalidArgument:
        return InvalidArgument(f"writer of topic '{topic}': {what}")

    if compression is not None and not isinstance(compression, str):
        raise bad(f"compression={compression!r} is none of None, 'none', 'lz4', 'zstd'")
    for name, value in (("compression_level", level), ("network_depth", depth)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise bad(f"{name}={value!r} is not an integer")
    if not isinstance(reliable, (bool, np.bool_)):
        raise bad(f"network_reliable={reliable!r} is not True or False")
