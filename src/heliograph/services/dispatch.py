"""Dispatcher: claim due parts in batches, hand them to connectors, record outcomes.

Theory of operation
-------------------
One loop per node. It claims up to ``batch_size`` due parts (queued → sending,
in one commit), groups them by the connector the routing table picks, calls
each connector's ``submit_batch`` and turns every outcome into a ``PartResult``:

* ``Accepted`` → sent, with the upstream id (receipts match on it);
* ``TemporaryFailure`` or no ready connector → queued again after a backoff
  with jitter, until ``max_attempts``, then failed;
* ``PermanentFailure`` or no route at all → failed.

Test-mode parts fail like the others when no route matches, but never go
upstream: they go to the built-in loopback connector ``TEST_CONNECTOR`` (and
fail if it is missing).

A part whose message names a connector of its own (``ClaimedPart.forced``,
Kannel's smsc) goes to that one whatever the routes say: queued again while it
is not ready, failed when it is no longer configured.

Results are written by a background task so that the next claim does not wait
for the previous write; both ride the same group commit. When nothing is due
the loop sleeps until ``wake()`` (a submit) or ``idle_poll_s`` passes.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

from heliograph.domain.ids import AccountId, ConnectorId
from heliograph.domain.messages import MessageState
from heliograph.domain.outcomes import Accepted, PermanentFailure, SubmitOutcome
from heliograph.domain.retry import Backoff
from heliograph.domain.routing import NoRoute, NotReady, Route, RouteQuery, select
from heliograph.services.metrics import Metrics
from heliograph.services.ports import Clock, Connector
from heliograph.services.worker import Wakeable
from heliograph.store.base import Changes, ClaimedPart, PartResult, Store, Unavailable

log = logging.getLogger("heliograph.dispatch")
S = MessageState
TEST_CONNECTOR = ConnectorId("test")


class Dispatcher:
    def __init__(
        self,
        store: Store,
        connectors: Mapping[ConnectorId, Connector],
        routes: Sequence[Route],
        clock: Clock,
        metrics: Metrics,
        *,
        backoff: Backoff,
        batch_size: int = 500,
        idle_poll_s: float = 0.5,
        max_pending_writes: int = 4,
        max_batches_in_flight: int = 8,
        on_changes: Callable[[Changes], None] | None = None,
        account_names: Callable[[AccountId], Awaitable[str | None]] | None = None,
    ) -> None:
        self._account_names = account_names
        self._names: dict[str, str] = {}
        self._turns: dict[str, int] = {}
        self._conditional = any(
            r.pattern is not None or r.accounts or r.senders or r.kinds for r in routes
        )
        self._on_changes = on_changes
        self._store = store
        self._connectors = connectors
        self._routes = routes
        self._clock = clock
        self._metrics = metrics
        self._backoff = backoff
        self._batch = batch_size
        self._inflight: set[asyncio.Task[None]] = set()
        self._batch_slots = asyncio.Semaphore(max_batches_in_flight)
        self._write_slots = asyncio.Semaphore(max_pending_writes)
        self._random = random.Random()
        self._loop = Wakeable(idle_poll_s)
        self.wake = self._loop.wake

    async def run(self) -> None:
        await self._loop.run_steps(self.dispatch_once)

    async def dispatch_once(self) -> int:
        """Claim one batch and start sending it. Returns the number of parts claimed.

        Sending and recording run as a task of their own, one per connector of the
        batch, so a slow or silent upstream holds only its own parts: the loop goes
        on claiming while fewer than ``max_batches_in_flight`` batches are under way.
        """
        await self._batch_slots.acquire()
        try:
            parts, changes = await self._store.claim_parts(self._clock.now(), self._batch)
        except BaseException:
            self._batch_slots.release()
            raise
        self._changed(changes)
        if not parts:
            self._batch_slots.release()
            return 0
        task = asyncio.create_task(self._process(parts))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return len(parts)

    async def _process(self, parts: list[ClaimedPart]) -> None:
        try:
            early, groups = await self._route(parts)
            jobs: list[Coroutine[Any, Any, object]] = [
                self._send_group(cid, group) for cid, group in groups.items()
            ]
            if early:
                jobs.append(self._record(early))
            for failure in await asyncio.gather(*jobs, return_exceptions=True):
                if isinstance(failure, BaseException):
                    # The parts stay in sending; recover_inflight queues them again.
                    log.error("a batch failed: %r", failure, exc_info=failure)
        finally:
            self._batch_slots.release()

    async def _record(self, results: list[PartResult]) -> Changes:
        """Write results, retrying while the store is unavailable.

        The upstream has these parts already: losing their results would leave
        them in sending until a restart, and then send them again.
        """
        delay = 0.1
        async with self._write_slots:
            while True:
                try:
                    changes = await self._store.record_results(results, self._clock.now())
                except Unavailable:
                    log.warning(
                        "store unavailable; retrying %d results in %.1f s", len(results), delay
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                self._changed(changes)
                return changes

    def _changed(self, changes: Changes) -> None:
        self._metrics.record(changes)
        if self._on_changes is not None:
            self._on_changes(changes)

    async def drain(self) -> None:
        """Wait for every batch in flight to be sent and recorded (shutdown)."""
        while self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _query(self, part: ClaimedPart) -> RouteQuery | None:
        """What routing may look at; None when no route has conditions beyond prefixes."""
        if not self._conditional:
            return None
        name = self._names.get(part.account_id)
        if name is None and self._account_names is not None:
            name = await self._account_names(part.account_id)
            if name is not None:
                self._names[part.account_id] = name
        return RouteQuery(
            account_id=part.account_id,
            account_name=name,
            sender=part.sender,
            kind="binary" if part.payload is not None else "text",
        )

    def _turn(self, route: Route) -> int:
        turn = self._turns.get(route.name, 0)
        self._turns[route.name] = turn + 1
        return turn

    async def _route(
        self, parts: list[ClaimedPart]
    ) -> tuple[list[PartResult], dict[ConnectorId, list[ClaimedPart]]]:
        """Results for parts with no route or no ready connector; the others by connector."""
        ready = {cid for cid, c in self._connectors.items() if c.is_ready()}
        groups: dict[ConnectorId, list[ClaimedPart]] = defaultdict(list)
        results: list[PartResult] = []
        for part in parts:
            if part.test:
                choice = self._test_route(part, ready)
            elif part.forced is not None:
                choice = self._forced_route(part.forced, ready)
            else:
                choice = select(
                    self._routes,
                    part.to,
                    ready,
                    part=await self._query(part) if self._conditional else None,
                    turn=self._turn,
                )
            if isinstance(choice, NoRoute):
                results.append(
                    PartResult(part_id=part.part_id, state=S.FAILED, error=choice.reason)
                )
            elif isinstance(choice, NotReady):
                results.append(self._retry(part, None, choice.reason))
            else:
                groups[choice].append(part)
        return results, groups

    def _test_route(
        self, part: ClaimedPart, ready: set[ConnectorId]
    ) -> ConnectorId | NoRoute | NotReady:
        real = select(self._routes, part.to, self._connectors)
        if isinstance(real, NoRoute):
            return real
        if TEST_CONNECTOR not in self._connectors:
            return NoRoute(reason="test mode: there is no test connector")
        if TEST_CONNECTOR not in ready:
            return NotReady(reason="test mode: the test connector is not ready")
        return TEST_CONNECTOR

    def _forced_route(
        self, cid: ConnectorId, ready: set[ConnectorId]
    ) -> ConnectorId | NoRoute | NotReady:
        """The message's own connector: no routes, no failover (the test connector is
        for test-mode parts only)."""
        if cid == TEST_CONNECTOR or cid not in self._connectors:
            return NoRoute(reason=f"connector {cid} is not configured")
        if cid not in ready:
            return NotReady(reason=f"connector {cid} is not ready")
        return cid

    async def _send_group(self, cid: ConnectorId, parts: list[ClaimedPart]) -> None:
        outcomes = await self._connectors[cid].submit_batch(parts)
        self._metrics.parts_submitted.labels(cid).inc(len(parts))
        await self._record([self._result(cid, p, o) for p, o in zip(parts, outcomes, strict=True)])

    def _result(self, cid: ConnectorId, part: ClaimedPart, outcome: SubmitOutcome) -> PartResult:
        if isinstance(outcome, Accepted):
            return PartResult(
                part_id=part.part_id, state=S.SENT, connector=cid, upstream_id=outcome.upstream_id
            )
        if isinstance(outcome, PermanentFailure):
            return PartResult(
                part_id=part.part_id, state=S.FAILED, connector=cid, error=outcome.reason
            )
        return self._retry(part, cid, outcome.reason, outcome.retry_after_s)

    def _retry(
        self,
        part: ClaimedPart,
        cid: ConnectorId | None,
        reason: str,
        retry_after_s: float | None = None,
    ) -> PartResult:
        if self._backoff.exhausted(part.attempts):
            return PartResult(
                part_id=part.part_id,
                state=S.FAILED,
                connector=cid,
                error=f"gave up after {part.attempts} attempts: {reason}",
            )
        delay = self._backoff.delay_s(part.attempts, self._random.random())
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        return PartResult(
            part_id=part.part_id,
            state=S.QUEUED,
            connector=cid,
            error=reason,
            due_at=self._clock.now() + delay,
        )
