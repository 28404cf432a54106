"""Callback outbox worker: deliver status events to clients, signed, with retries.

Events are written to the outbox in the same commit as the state change they
report (see the store), so none is lost across restarts. This worker claims due
events in batches (a claim leases them for ``lease_s``, so a crash mid-send
only delays them), POSTs them concurrently through the ``CallbackSender`` (one
keep-alive connection pool), signs each with the account's callback secret
(``domain.accounts.sign_callback``), and then deletes the delivered ones and
reschedules the others with backoff. An event still failing ``max_age_s``
after it was created is dropped and logged.

How an event goes on the wire depends on the message's callback format:
``"json"`` (the REST API's signed JSON POST, ``json_callback``) or a format
that an HTTP dialect registers in ``renderers`` (Kannel's dlr-url GET with
%-escapes, for instance). A renderer may return None to skip an event the
client did not ask for (it then counts as delivered). A format may instead
have a delivery ``target``, which delivers the job itself and answers like a
sender: the SMPP server delivers ``"smpp"`` events as deliver_sm on the
account's receiver binds, and an account without one keeps them in the outbox
until it binds again (``Store.release_callbacks`` makes them due at once).
On a store shared by several nodes (``ReceiverRegistry``, PostgreSQL) an
"smpp" event is claimed only by the node holding a receiver bind of its
account, which a notification wakes when another node writes one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol, runtime_checkable

from heliograph.domain.accounts import sign_callback
from heliograph.domain.ids import AccountId
from heliograph.domain.retry import Backoff
from heliograph.services.metrics import Metrics
from heliograph.services.ports import CallbackRequest, CallbackSender, Clock
from heliograph.services.worker import Wakeable
from heliograph.store.base import CallbackJob, CallbackRetry, Store

Renderer = Callable[[CallbackJob, float], CallbackRequest | None]
Target = Callable[[CallbackJob], Awaitable[str | None]]
"""Delivers a job by other means than HTTP; None when done, else a short error text."""


@runtime_checkable
class ReceiverRegistry(Protocol):
    """What a store shared by several nodes offers so that "smpp" events reach the node
    holding the account's receiver bind (PostgreSQL; SQLite has one node and needs none)."""

    async def set_receiver(self, account_id: AccountId, present: bool, now: float) -> None: ...
    async def listen_outbox(self, on_event: Callable[[AccountId], None]) -> None: ...


def json_callback(job: CallbackJob, now: float) -> CallbackRequest:
    """The REST API's callback: the stored JSON event, POSTed and signed."""
    headers = {
        "Content-Type": "application/json",
        "X-Heliograph-Signature": sign_callback(job.secret, int(now), job.body),
        "X-Heliograph-Message-Id": job.message_id,
        "X-Heliograph-Attempt": str(job.attempts),
    }
    return CallbackRequest(method="POST", url=job.url, body=job.body, headers=headers)


log = logging.getLogger("heliograph.callbacks")


class CallbackService:
    def __init__(
        self,
        store: Store,
        sender: CallbackSender,
        clock: Clock,
        metrics: Metrics,
        *,
        backoff: Backoff,
        max_age_s: float = 86400.0,
        batch_size: int = 200,
        lease_s: float = 60.0,
        idle_poll_s: float = 1.0,
        renderers: Mapping[str, Renderer] | None = None,
        targets: Mapping[str, Target] | None = None,
    ) -> None:
        self.targets: dict[str, Target] = dict(targets or {})
        self._renderers: dict[str, Renderer] = {"json": json_callback, **(renderers or {})}
        self._store = store
        self._sender = sender
        self._clock = clock
        self._metrics = metrics
        self._backoff = backoff
        self._max_age_s = max_age_s
        self._batch = batch_size
        self._lease_s = lease_s
        self._random = random.Random()
        self._loop = Wakeable(idle_poll_s)
        self.wake = self._loop.wake

    async def run(self) -> None:
        await self._loop.run_steps(self.deliver_once)

    async def deliver_once(self) -> int:
        jobs = await self._store.claim_callbacks(self._clock.now(), self._batch, self._lease_s)
        if not jobs:
            return 0
        errors = await asyncio.gather(*(self._post(job) for job in jobs))
        now = self._clock.now()
        done: list[int] = []
        retry: list[CallbackRetry] = []
        dead: list[int] = []
        for job, error in zip(jobs, errors, strict=True):
            if error is None:
                done.append(job.id)
            elif now - job.created_at >= self._max_age_s:
                dead.append(job.id)
                log.warning(
                    "callback for message %s to %s dropped after %d attempts: %s",
                    job.message_id,
                    job.url,
                    job.attempts,
                    error,
                )
            else:
                delay = self._backoff.delay_s(job.attempts, self._random.random())
                retry.append(CallbackRetry(id=job.id, next_attempt_at=now + delay, error=error))
        await self._store.finish_callbacks(done, retry, dead)
        self._metrics.callbacks.labels("delivered").inc(len(done))
        self._metrics.callbacks.labels("retried").inc(len(retry))
        self._metrics.callbacks.labels("dropped").inc(len(dead))
        return len(jobs)

    async def _post(self, job: CallbackJob) -> str | None:
        target = self.targets.get(job.format)
        if target is not None:
            return await target(job)
        # "kannel:31" is rendered by "kannel:31" if registered, else by "kannel".
        renderer = self._renderers.get(job.format) or self._renderers.get(
            job.format.partition(":")[0]
        )
        if renderer is None:
            return f"no renderer for callback format {job.format!r}"
        request = renderer(job, self._clock.now())
        if request is None:
            return None
        return await self._sender.send(request)
