"""What services depend on, as Protocols: the clock, connectors, callback sender.

Connectors implement Kannel's smscconn contract as a type: they take parts,
answer each with a ``SubmitOutcome`` value, and hand receipts and MO back in
batches through ``inbound()``. Services never see sockets or PDUs.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from heliograph.domain.ids import AccountId, ConnectorId, UpstreamId
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
class CallbackResponse:
    """A client's 2xx answer to a callback, for a request that asked for it."""

    status: int
    content_type: str  # lower case, without parameters; "" when absent
    charset: str | None
    body: bytes  # at most MAX_RESPONSE_BYTES


MAX_RESPONSE_BYTES = 64 * 1024


class Replies(Protocol):
    """What a response hook may do with a client's answer: send replies to an MO."""

    async def send(
        self,
        account_id: AccountId,
        *,
        to: str,
        sender: str | None,
        text: str,
        encoding: str,
        key: str,
    ) -> str | None:
        """Submit one MT for the account through the submit path; ``key`` makes it idempotent.

        Returns None when it is done with (accepted, or refused and logged), or a
        short error text when the whole answer should be tried again later.
        """


ResponseHook = Callable[[CallbackResponse, Replies], Awaitable[str | None]]
"""Takes the 2xx answer to a callback; its result counts as the delivery's (None: done)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequest:
    method: str  # "POST" or "GET"
    url: str
    body: bytes
    headers: dict[str, str]
    # A dialect that acts on the client's answer (Ozeki's reply lines, Kannel's
    # reply text): the callback service awaits it with the 2xx answer.
    on_response: ResponseHook | None = None


class CallbackSender(Protocol):
    async def send(self, request: CallbackRequest) -> str | None:
        """Make the request. Returns None on a 2xx answer, else a short error text."""

    async def exchange(self, request: CallbackRequest) -> CallbackResponse | str:
        """Make the request and keep a 2xx answer (its first MAX_RESPONSE_BYTES), else the
        short error text ``send`` would return."""

    async def aclose(self) -> None: ...
