"""``smx.framework``: the seed's upstream ``Node`` framework (airo-ipc's ``airo_ipc.framework``),
driven by an ``smx.Executor`` instead of a polling loop.

Port a node by changing its imports::

    from smx import BaseIDL
    from smx.framework import IdlStruct, IpcKind, Node, initialize_ipc

Same shape as upstream: a ``Node`` is a process started with "spawn"; subclasses implement
``_setup``, ``_step`` and ``_teardown``, and call ``_subscribe(topic, template, kind, callback)``,
``_register_publisher(topic, template, kind)`` and ``_publish(topic, value)``; ``_step`` runs
``update_frequency`` times a second; ``stop()`` (from any process) ends it. What changed:

* callbacks run when a frame arrives — every frame, in order, the frame pinned while its
  callback runs — not once per step with whatever is newest;
* ``IpcKind.DDS`` messages (a dataclass of ints, floats, bools and short strings, like the
  upstream webcam example's resolution) travel as ordinary smx topics, so nothing but smx is
  needed; both kinds reach other hosts over smx's network path;
* a callback or ``_step`` that raises is logged with its traceback (see ``on_error``) and the
  node goes on; Ctrl-C (SIGINT) or SIGTERM stops the node cleanly: ``_teardown`` runs, readers
  and writers are closed, and the process exits with status 0.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import multiprocessing
import signal
import threading
import typing
from abc import ABC, abstractmethod
from multiprocessing.context import SpawnProcess
from typing import Any, Callable, Dict, Optional, Union

import numpy as np

from ._errors import InvalidArgument
from ._idl import text
from ._participant import DomainParticipant
from ._reader import SMReader
from ._schema import Schema
from ._waitset import Executor
from ._writer import SMWriter

log = logging.getLogger("smx")

#: The capacity, in UTF-8 bytes, of a ``str`` field of an ``IpcKind.DDS`` message.
MESSAGE_STRING_BYTES = 256


class IpcKind(enum.Enum):
    """How a topic travels upstream. In smx both are smx topics (shared memory on one machine,
    smx's network path between machines); the kind says what the template is."""

    #: A small message: a dataclass (type) of ints, floats, bools and short strings.
    DDS = "dds"
    #: Frames of arrays: a BaseIDL template instance, as for SMReader/SMWriter.
    SHARED_MEMORY = "shared_memory"


class IdlStruct:
    """Stands in for ``cyclonedds.idl.IdlStruct`` as the base of ``IpcKind.DDS`` message
    dataclasses (any plain dataclass works as well)."""


def initialize_ipc() -> None:
    """Kept for upstream scripts; smx needs no global set-up."""


_SCALARS = {int: np.dtype(np.int64), float: np.dtype(np.float64), bool: np.dtype(np.bool_)}


class _Message:
    """An IpcKind.DDS dataclass as an smx schema of 0-d fields, and back."""

    def __init__(self, cls: Any, topic: str) -> None:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise InvalidArgument(
                f"topic '{topic}': an IpcKind.DDS template is a dataclass type (like upstream's IdlStruct "
                f"messages), not {cls!r}; frames of arrays use IpcKind.SHARED_MEMORY with a BaseIDL instance")
        self.cls = cls
        hints = typing.get_type_hints(cls)
        entries = []
        self.kinds: Dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            kind = hints.get(f.name, f.type)
            if kind in _SCALARS:
                entries.append((f.name, _SCALARS[kind], ()))
            elif kind in (str, bytes):
                entries.append((f.name, np.dtype(f"S{MESSAGE_STRING_BYTES}"), ()))
            else:
                raise InvalidArgument(
                    f"topic '{topic}': field '{f.name}' of {cls.__name__} is {kind!r}; an IpcKind.DDS message holds "
                    f"int, float, bool and str (up to {MESSAGE_STRING_BYTES} bytes) fields — arrays go in a BaseIDL "
                    "template with IpcKind.SHARED_MEMORY")
            self.kinds[f.name] = kind
        self.schema = Schema(entries)

    def write(self, writer: SMWriter, value: Any) -> None:
        if not isinstance(value, self.cls):
            raise InvalidArgument(f"topic '{writer.topic_name}': publish a {self.cls.__name__}, not {type(value).__name__}")
        try:
            with writer.loan() as loan:
                for name in self.kinds:
                    setattr(loan, name, getattr(value, name))
        except InvalidArgument as e:
            raise InvalidArgument(f"publishing a {self.cls.__name__} on topic '{writer.topic_name}': {e}") from None

    def read(self, frame: Any) -> Any:
        values = {}
        for name, kind in self.kinds.items():
            a = getattr(frame, name)
            if kind is str:
                values[name] = text(a)
            elif kind is bytes:
                values[name] = bytes(a[()]).rstrip(b"\0")
            else:
                values[name] = kind(a[()])
        return self.cls(**values)


def _kind(ipc_kind: Any, topic: str) -> IpcKind:
    """smx's IpcKind of `ipc_kind`: one of ours, upstream's (by member name: a script that still
    imports airo_ipc's enum works), or its value ("dds", "shared_memory")."""
    if isinstance(ipc_kind, IpcKind):
        return ipc_kind
    name = ipc_kind.name if isinstance(ipc_kind, enum.Enum) else str(ipc_kind)
    for kind in IpcKind:
        if name in (kind.name, kind.value):
            return kind
    raise InvalidArgument(f"topic '{topic}': IPC kind {ipc_kind!r} is neither IpcKind.DDS nor IpcKind.SHARED_MEMORY")


class Node(SpawnProcess, ABC):
    """A process that subscribes and publishes smx topics; see the module's docstring.

    ``update_frequency`` (Hz) is how often ``_step`` runs. ``domain_id`` (default: the
    participant's default, ``SMX_DOMAIN``) is the DDS domain the node's topics live in.
    ``on_error(exception, source)`` overrides how a raising callback or ``_step`` is reported.
    """

    def __init__(self, update_frequency: float, verbose: bool = False, *, domain_id: Optional[int] = None,
                 on_error: Optional[Callable[[BaseException, Any], None]] = None) -> None:
        super().__init__()
        if not update_frequency > 0:
            raise InvalidArgument(f"Node: update_frequency must be positive (Hz), not {update_frequency!r}")
        self._update_frequency = float(update_frequency)
        self._verbose = verbose
        self._domain_id = domain_id
        self._on_error = on_error
        self._stop_event = multiprocessing.get_context("spawn").Event()

    @property
    def update_frequency(self) -> float:
        return self._update_frequency

    # --- in the child process ---------------------------------------------------------------------

    def run(self) -> None:
        # SIGTERM (Process.terminate(), a service manager) stops the node as Ctrl-C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            self._node_setup()
            watcher = threading.Thread(target=self._watch_stop, name="smx-node-stop", daemon=True)
            watcher.start()
            self._executor.add_timer(1.0 / self._update_frequency, self._step)
            try:
                self._executor.spin()
            except KeyboardInterrupt:
                if self._verbose:
                    log.info("Node %s: interrupted, stopping", type(self).__name__)
            self._teardown()
        except KeyboardInterrupt:
            pass  # during set-up or teardown: still leave cleanly
        finally:
            self._stop_event.set()  # ends the watcher
            self._close_all()

    def _watch_stop(self) -> None:
        self._stop_event.wait()
        self._executor.stop()

    def _node_setup(self) -> None:
        """Set-up that must happen in the child process."""
        self._cyclone_dp = DomainParticipant(self._domain_id)
        self._readers: Dict[str, SMReader] = {}
        self._callbacks: Dict[str, Callable[[Any], Any]] = {}
        self._writers: Dict[str, SMWriter] = {}
        self._messages: Dict[str, _Message] = {}
        self._executor = Executor(on_error=self._on_error)
        self._setup()

    def _close_all(self) -> None:
        for what, items in (("reader", getattr(self, "_readers", {})), ("writer", getattr(self, "_writers", {}))):
            for topic, item in list(items.items()):
                try:
                    item.close()
                except Exception:
                    log.exception("Node %s: closing the %s of topic '%s'", type(self).__name__, what, topic)
            items.clear()
        close = getattr(getattr(self, "_cyclone_dp", None), "close", None)
        if callable(close):
            close()

    def _template(self, topic_name: str, template: Any, ipc_kind: Any) -> Any:
        kind = _kind(ipc_kind, topic_name)
        if kind is IpcKind.DDS and isinstance(template, type):
            message = _Message(template, topic_name)
            self._messages[topic_name] = message
            return message.schema
        return template

    def _subscribe(self, topic_name: str, idl_dataclass: Any, ipc_kind: Union[IpcKind, str],
                   callback: Callable[[Any], Any]) -> None:
        """Runs ``callback(value)`` for every message or frame of ``topic_name`` (the frame is
        pinned while it runs). Subscribing again to a topic is ignored, as upstream. Safe in a
        callback."""
        if topic_name in self._readers:
            if self._verbose:
                log.warning("Node %s is already subscribed to topic %s; ignoring", type(self).__name__, topic_name)
            return
        template = self._template(topic_name, idl_dataclass, ipc_kind)
        reader = SMReader(self._cyclone_dp, topic_name, template, wait_for_writer=False)
        message = self._messages.get(topic_name)
        deliver = callback if message is None else (lambda frame: callback(message.read(frame)))
        self._readers[topic_name] = reader
        self._callbacks[topic_name] = callback
        self._executor.add(reader, deliver)

    def _register_publisher(self, topic_name: str, idl_dataclass: Any, ipc_kind: Union[IpcKind, str]) -> None:
        """Creates the writer of ``topic_name``. Registering a topic again is ignored."""
        if topic_name in self._writers:
            if self._verbose:
                log.warning("Node %s is already registered as a publisher for topic %s; ignoring",
                            type(self).__name__, topic_name)
            return
        template = self._template(topic_name, idl_dataclass, ipc_kind)
        self._writers[topic_name] = SMWriter(self._cyclone_dp, topic_name, template)

    def _publish(self, topic_name: str, value: Any) -> None:
        """Publishes ``value`` (a message dataclass, or a frame like the template) on a topic
        registered with ``_register_publisher``."""
        writer = self._writers.get(topic_name)
        if writer is None:
            raise RuntimeError(f"Cannot publish topics that were not registered. Violating topic: {topic_name}.")
        message = self._messages.get(topic_name)
        if message is not None:
            message.write(writer, value)
        else:
            writer(value)

    @abstractmethod
    def _setup(self) -> None:
        ...

    @abstractmethod
    def _step(self) -> None:
        ...

    @abstractmethod
    def _teardown(self) -> None:
        ...

    # --- from any process -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ends the node: its loop stops after the callback running now, ``_teardown`` runs."""
        self._stop_event.set()
