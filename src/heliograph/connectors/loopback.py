"""The loopback connector: a simulated SMSC inside the gateway.

It accepts parts with an upstream id of its own and, ``receipt_delay_s``
later, issues a receipt for each, as a real SMSC would after the handset
answered. Ratios make every lifecycle state reachable without a network:
``delivery_ratio`` of parts are delivered, the rest end in
``failure_state`` (undeliverable, expired or rejected) with ``failure_error``;
``temporary_failure_ratio`` and ``permanent_failure_ratio`` of submits are
refused outright. It is the default connector, the engine of test mode, and
the upstream of the benchmarks.

Receipts wait in a deque ordered by due time; one timer task releases all that
are due in one batch, so a thousand parts cost one wake-up, not a thousand.
Binary parts (WAP Push, OTA, vCard...) are built with the connectors' own
splitter (``domain.content.split_message``), so one that no SMSC could be sent
fails here too. ``inject_mo()`` makes up an MO message as if a subscriber had
sent one, for tests and demonstrations (``POST /v1/simulate/mo``).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from heliograph.domain.content import split_message
from heliograph.domain.ids import ConnectorId, UpstreamId
from heliograph.domain.messages import MessageState, MoMessage
from heliograph.domain.outcomes import (
    Accepted,
    PermanentFailure,
    Receipt,
    SubmitOutcome,
    TemporaryFailure,
)
from heliograph.services.ids import new_message_id
from heliograph.services.ports import Clock, Inbound, OutboundPart
from heliograph.wire.errors import EncodeError


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopbackSettings:
    receipt_delay_s: float = 0.5
    delivery_ratio: float = 1.0
    failure_state: MessageState = MessageState.UNDELIVERABLE
    failure_error: str = "001"
    temporary_failure_ratio: float = 0.0
    permanent_failure_ratio: float = 0.0
    receipts: bool = True
    seed: int | None = None


def _unencodable(part: OutboundPart) -> str | None:
    """Why a binary part cannot be built as an SMSC would receive it (None: it can)."""
    try:
        split = split_message(part)
    except EncodeError as exc:
        return str(exc)
    return None if 1 <= part.seq <= len(split.parts) else f"no part {part.seq}"


class LoopbackConnector:
    def __init__(self, cid: ConnectorId, settings: LoopbackSettings, clock: Clock) -> None:
        self.id = cid
        self._settings = settings
        self._clock = clock
        self._random = random.Random(settings.seed)
        self._counter = itertools.count(1)
        self._prefix = f"{self._random.getrandbits(32):08x}"
        self._due: deque[tuple[float, Receipt]] = deque()
        self._queue: asyncio.Queue[Sequence[Inbound] | None] = asyncio.Queue()
        self._added = asyncio.Event()
        self._timer: asyncio.Task[None] | None = None
        self._closed = False
        self.submitted = 0

    def is_ready(self) -> bool:
        return not self._closed

    @property
    def window_in_use(self) -> int:
        return 0

    async def start(self) -> None:
        if self._timer is None:
            self._timer = asyncio.create_task(self._release(), name=f"loopback-{self.id}")

    def resume(self, awaiting: Sequence[UpstreamId]) -> None:
        """Issue receipts for parts accepted before a restart: the simulated SMSC's
        memory died with the process, but the gateway's store still knows them."""
        now = self._clock.now()
        for upstream_id in awaiting:
            self._due.append(
                (now + self._settings.receipt_delay_s, self._receipt(upstream_id, now))
            )
        self._added.set()

    def _receipt(self, upstream_id: UpstreamId, now: float) -> Receipt:
        s = self._settings
        delivered = s.delivery_ratio >= 1.0 or self._random.random() < s.delivery_ratio
        return Receipt(
            connector=self.id,
            upstream_id=upstream_id,
            state=MessageState.DELIVERED if delivered else s.failure_state,
            error=None if delivered else s.failure_error,
            at=now + s.receipt_delay_s,
        )

    async def submit_batch(self, parts: Sequence[OutboundPart]) -> list[SubmitOutcome]:
        s = self._settings
        now = self._clock.now()
        outcomes: list[SubmitOutcome] = []
        rand = self._random.random
        for part in parts:
            if part.payload is not None and (problem := _unencodable(part)) is not None:
                outcomes.append(PermanentFailure(reason=f"cannot encode the part: {problem}"))
                continue
            if s.temporary_failure_ratio and rand() < s.temporary_failure_ratio:
                outcomes.append(TemporaryFailure(reason="loopback: simulated throttling"))
                continue
            if s.permanent_failure_ratio and rand() < s.permanent_failure_ratio:
                outcomes.append(PermanentFailure(reason="loopback: simulated rejection"))
                continue
            upstream_id = UpstreamId(f"{self._prefix}{next(self._counter):012x}")
            outcomes.append(Accepted(upstream_id=upstream_id))
            if s.receipts:
                self._due.append((now + s.receipt_delay_s, self._receipt(upstream_id, now)))
        self.submitted += len(parts)
        self._added.set()
        return outcomes

    def inject_mo(self, sender: str, to: str, text: str) -> MoMessage:
        """Receive an MO from ``sender`` to ``to`` now; it comes out of ``inbound()``."""
        now = self._clock.now()
        mo = MoMessage(
            id=new_message_id(now),
            connector=self.id,
            sender=sender,
            to=to,
            text=text,
            received_at=now,
        )
        self._queue.put_nowait([mo])
        return mo

    async def _release(self) -> None:
        while True:
            if not self._due:
                self._added.clear()
                await self._added.wait()
                continue
            wait = self._due[0][0] - self._clock.now()
            if wait > 0:
                await asyncio.sleep(wait)
            now = self._clock.now()
            batch: list[Inbound] = []
            while self._due and self._due[0][0] <= now:
                batch.append(self._due.popleft()[1])
            if batch:
                self._queue.put_nowait(batch)

    async def inbound(self) -> AsyncIterator[Sequence[Inbound]]:
        while True:
            batch = await self._queue.get()
            if batch is None:
                return
            yield batch

    async def aclose(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            await asyncio.wait([self._timer])
            self._timer = None
        self._queue.put_nowait(None)
