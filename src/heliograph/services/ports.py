"""What services depend on, as Protocols: the clock, connectors, callback sender.

Connectors implement Kannel's smscconn contract as a type: they take parts,
answer each with a ``SubmitOutcome`` value, and hand receipts and MO back in
batches through ``inbound()``. Services never see sockets or PDUs.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from heliograph.domain.ids import ConnectorId, UpstreamId
from heliograph.domain.messages import MoMessage
from heliograph.domain.outcomes import Receipt, SubmitOutcome
from heliograph.store.base import ClaimedPart

OutboundPart = ClaimedPart
Inbound = Receipt | MoMessage


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class Connector(Protocol):
    id: ConnectorId

    def is_ready(self) -> bool: ...

    @property
    def window_in_use(self) -> int: ...

    async def start(self) -> None: ...

    def resume(self, awaiting: Sequence[UpstreamId]) -> None:
        """After a restart: the parts this connector accepted that still await a receipt.

        A real upstream keeps them and needs nothing; a simulated one re-issues receipts.
        """

    async def submit_batch(self, parts: Sequence[OutboundPart]) -> list[SubmitOutcome]:
        """One outcome per part, in order. Never raises for upstream problems."""

    def inbound(self) -> AsyncIterator[Sequence[Inbound]]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BindState:
    """One protocol bind as operators see it (``GET /v1/connectors``, the CLI, /metrics)."""

    name: str
    mode: str  # transceiver, transmitter, receiver
    state: str  # connecting, binding, bound, unbinding, waiting, closed
    peer: str
    window: int
    window_in_use: int
    since: float | None = None
    last_error: str | None = None
    requests_sent: int = 0
    requests_received: int = 0


class Observable(Protocol):
    """A connector or server that can list its binds."""

    def bind_states(self) -> list[BindState]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequest:
    method: str  # "POST" or "GET"
    url: str
    body: bytes
    headers: dict[str, str]


class CallbackSender(Protocol):
    async def send(self, request: CallbackRequest) -> str | None:
        """Make the request. Returns None on a 2xx answer, else a short error text."""

    async def aclose(self) -> None: ...
