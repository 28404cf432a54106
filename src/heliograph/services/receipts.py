"""Receipt correlator: apply receipts from every connector to their parts, in batches.

Connectors push what they receive with ``accept()`` (cheap, synchronous); one
task applies everything waiting in one store write, so while a write commits
the next batch builds up. Receipts that name an upstream id the store does not
know yet (they may arrive before the submit response is recorded) are kept by
the store and matched when the id appears. MO messages are passed to the
inbound handler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from heliograph.domain.messages import MoMessage
from heliograph.domain.outcomes import Receipt
from heliograph.services.metrics import Metrics
from heliograph.services.ports import Clock, Connector, Inbound
from heliograph.store.base import Changes, Store

log = logging.getLogger("heliograph.receipts")


class ReceiptService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        metrics: Metrics,
        *,
        on_mo: Callable[[MoMessage], None] | None = None,
        on_changes: Callable[[Changes], None] | None = None,
        max_batch: int = 2000,
    ) -> None:
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._on_mo = on_mo
        self._on_changes = on_changes
        self._max_batch = max_batch
        self._waiting: list[Receipt] = []
        self._ready = asyncio.Event()
        self._flushing = asyncio.Lock()
        self.applied = 0

    def accept(self, items: Sequence[Inbound]) -> None:
        for item in items:
            if isinstance(item, Receipt):
                self._waiting.append(item)
            elif self._on_mo is not None:
                self._on_mo(item)
            else:
                log.warning(
                    "MO from %s to %s dropped: MO routing is not supported yet",
                    item.sender,
                    item.to,
                )
        if self._waiting:
            self._ready.set()

    async def consume(self, connector: Connector) -> None:
        async for batch in connector.inbound():
            self.accept(batch)

    async def run(self) -> None:
        while True:
            if not self._waiting:
                self._ready.clear()
                await self._ready.wait()
            await self.flush()

    async def flush(self) -> None:
        """Apply everything waiting. One flush at a time (the worker's and shutdown's)."""
        async with self._flushing:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                started = time.perf_counter()
                # A failed write leaves the batch waiting for the next flush.
                changes = await self._store.apply_receipts(batch, self._clock.now())
                del self._waiting[: len(batch)]
                self._metrics.delivery_latency.observe(time.perf_counter() - started)
                self._metrics.record(changes)
                self.applied += len(batch)
                if self._on_changes is not None:
                    self._on_changes(changes)

    @property
    def backlog(self) -> int:
        return len(self._waiting)
