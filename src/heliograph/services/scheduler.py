"""Scheduler: release scheduled messages on time and expire what outlived its validity.

Runs every ``tick_s``. Releasing moves due scheduled messages to queued and
wakes the dispatcher; expiry catches queued parts waiting for a retry whose
validity passed (parts due now are expired by the dispatcher's claim itself).
With ``receipt_wait_s`` ([credit] receipt_wait_s) expiry also ends sent
parts whose price is reserved and whose validity ended that long ago without a
final receipt, which gives their price back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from heliograph.services.metrics import Metrics
from heliograph.services.ports import Clock
from heliograph.store.base import Changes, Store


class Scheduler:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        metrics: Metrics,
        *,
        on_released: Callable[[], None],
        on_changes: Callable[[Changes], None] | None = None,
        tick_s: float = 1.0,
        expire_every_s: float = 10.0,
        receipt_wait_s: float | None = None,
    ) -> None:
        self._receipt_wait_s = receipt_wait_s
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._on_released = on_released
        self._on_changes = on_changes
        self._tick_s = tick_s
        self._expire_every_s = expire_every_s
        self._last_expiry = 0.0

    async def run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._tick_s)

    async def tick(self) -> None:
        now = self._clock.now()
        changes = await self._store.release_scheduled(now)
        if changes.states:
            self._on_released()
        if now - self._last_expiry >= self._expire_every_s:
            self._last_expiry = now
            if self._receipt_wait_s is None:
                changes.merge(await self._store.expire_pending(now))
            else:
                before = now - self._receipt_wait_s
                changes.merge(await self._store.expire_pending(now, unreceipted_before=before))
        self._metrics.record(changes)
        if self._on_changes is not None:
            self._on_changes(changes)
