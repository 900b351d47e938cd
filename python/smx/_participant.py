"""``DomainParticipant``: joins one DDS domain (the seed imported it from cyclonedds)."""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional

from . import _core


class DomainParticipant:
    """One DDS domain participant; writers and readers are created from it.

    ``domain_id`` follows Cyclone DDS (0..230); without one, the environment variable
    ``SMX_DOMAIN`` chooses it, else 0 (``smx.InvalidArgument`` if ``SMX_DOMAIN`` is not a
    domain id). Without ``CYCLONEDDS_URI`` in the environment smx keeps every packet on this
    host (loopback only); an explicit configuration opts into the network.
    """

    __slots__ = ("_core",)

    def __init__(self, domain_id: Optional[int] = None) -> None:
        self._core = _core.Participant(_core.default_domain() if domain_id is None else int(domain_id))

    @property
    def domain_id(self) -> int:
        return int(self._core.domain_id)

    @property
    def configuration(self) -> str:
        """"built-in loopback-only" or the value of CYCLONEDDS_URI."""
        return str(self._core.configuration)

    def __repr__(self) -> str:
        core = getattr(self, "_core", None)
        return f"smx.DomainParticipant(domain_id={core.domain_id if core is not None else '?'})"


_defaults: Dict[int, DomainParticipant] = {}
_defaults_lock = threading.Lock()


def _participant(value: Any) -> DomainParticipant:
    """The participant to use for a writer/reader argument (None = the shared one of the default
    domain, SMX_DOMAIN or 0)."""
    if value is None:
        domain = _core.default_domain()
        with _defaults_lock:
            if domain not in _defaults:
                _defaults[domain] = DomainParticipant(domain)
            return _defaults[domain]
    if isinstance(value, DomainParticipant):
        return value
    raise TypeError(
        f"domain_participant must be an smx.DomainParticipant, not {type(value).__module__}."
        f"{type(value).__name__}: replace `from cyclonedds.domain import DomainParticipant` "
        "by `from smx import DomainParticipant`"
    )

