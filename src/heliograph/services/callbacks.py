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

A ``mailto:`` URL goes to the ``"email"`` target whatever its format (the SMTP
edge's relay, servers/smtp/receipts.py): status events of a mail that asked for
notifications or of an account whose receipts go by e-mail, and MO of routes
with the email method. A target may answer ``Refused`` (a mail server's 5xx):
the event is dropped at once, logged and counted ``refused``. For an account
whose ``email_receipts`` is ``also``, each status event going elsewhere is
copied to the account's address (``Store.copy_callback``) on its first attempt,
so that a retry of the original sends no second mail.

A rendered request may carry an ``on_response`` hook (Ozeki's HTTP Client
reply lines, Kannel's reply text): the 2xx answer is then kept and handed to
the hook with ``replies`` (``SubmitReplies``: MT through the one submit path,
idempotent by a key the hook gives, so that a delivery tried again sends no
reply twice); the hook's result counts as the delivery's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from heliograph.domain.accounts import Account, ReceiptMail, sign_callback
from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected
from heliograph.domain.retry import Backoff
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.services.metrics import Metrics
from heliograph.services.ports import (
    CallbackRequest,
    CallbackResponse,
    CallbackSender,
    Clock,
    Replies,
    ResponseHook,
)
from heliograph.services.submit import SubmitService
from heliograph.services.worker import Wakeable
from heliograph.store.base import (
    CallbackJob,
    CallbackRetry,
    IdempotentAnswer,
    Store,
    StoreError,
    Unavailable,
)

MAIL_FORMAT = "email"  # the target that takes every mailto: URL


@dataclass(frozen=True, slots=True)
class Refused:
    """A target's answer: the event can never be delivered (a mail server's 5xx)."""

    reason: str


Renderer = Callable[[CallbackJob, float], CallbackRequest | None]
Target = Callable[[CallbackJob], Awaitable[str | Refused | None]]
"""Delivers a job by other means than HTTP; None when done, ``Refused`` when it never
will be, else a short error text (tried again)."""


@runtime_checkable
class ReceiverRegistry(Protocol):
    """What a store shared by several nodes offers so that "smpp" events reach the node
    holding the account's receiver bind (PostgreSQL; SQLite has one node and needs none)."""

    async def set_receiver(self, account_id: AccountId, present: bool, now: float) -> None: ...
    async def listen_outbox(self, on_event: Callable[[AccountId], None]) -> None: ...


def _is_status_event(body: bytes) -> bool:
    try:
        event = json.loads(body)
    except ValueError:
        return False
    return isinstance(event, dict) and event.get("event") == "message.status"


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


def _no_answer(plans: list[RecipientPlan]) -> IdempotentAnswer:
    return IdempotentAnswer(status=202, body=b"")


class NoReplies:
    """Until the composition root gives the submit path, replies are logged and dropped."""

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
        log.warning("reply to %s from account %s dropped: no submit service", to, account_id)
        return None


class SubmitReplies:
    """``Replies`` through the submit path: the account's rules, prices and opt-outs apply."""

    def __init__(self, store: Store, submit: SubmitService) -> None:
        self._store = store
        self._submit = submit

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
        account = await self._store.get_account(account_id)
        if account is None:
            log.warning("reply to %s not sent: account %s no longer exists", to, account_id)
            return None
        req = SubmitRequest(
            account_id=account.id, to=(to,), text=text, sender=sender, encoding=encoding
        )
        try:
            result = await self._submit.submit(req, account, _no_answer, idempotency_key=key)
        except Unavailable as exc:
            return f"reply to {to} not stored: {exc}"
        except (Rejected, StoreError) as exc:
            log.warning("reply to %s from account %s refused: %s", to, account.name, exc)
            return None
        for plan in result.plans:
            if plan.error is not None:
                log.warning("reply to %s from account %s refused: %s", to, account.name, plan.error)
        return None


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
        self.replies: Replies = NoReplies()  # for response hooks; the composition root sets it
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
        self._accounts: dict[str, tuple[float, Account | None]] = {}  # for "also" copies

    async def run(self) -> None:
        await self._loop.run_steps(self.deliver_once)

    async def deliver_once(self) -> int:
        jobs = await self._store.claim_callbacks(self._clock.now(), self._batch, self._lease_s)
        if not jobs:
            return 0
        if MAIL_FORMAT in self.targets:
            await self._copy_to_mail(jobs)
        errors = await asyncio.gather(*(self._post(job) for job in jobs))
        now = self._clock.now()
        done: list[int] = []
        retry: list[CallbackRetry] = []
        dead: list[int] = []
        refused = 0
        for job, error in zip(jobs, errors, strict=True):
            if error is None:
                done.append(job.id)
            elif isinstance(error, Refused):
                dead.append(job.id)
                refused += 1
                log.warning(
                    "callback for message %s to %s refused for good: %s",
                    job.message_id,
                    job.url,
                    error.reason,
                )
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
        self._metrics.callbacks.labels("dropped").inc(len(dead) - refused)
        self._metrics.callbacks.labels("refused").inc(refused)
        return len(jobs)

    async def _copy_to_mail(self, jobs: list[CallbackJob]) -> None:
        """Status events of ``also`` accounts: a copy to the account's address, once."""
        for job in jobs:
            if job.attempts != 1 or job.url.startswith("mailto:"):
                continue
            account = await self._account(job.account_id)
            if (
                account is None
                or account.email is None
                or account.email_receipts is not ReceiptMail.ALSO
                or not _is_status_event(job.body)
            ):
                continue
            try:
                await self._store.copy_callback(
                    job.id, f"mailto:{account.email}", MAIL_FORMAT, self._clock.now()
                )
            except StoreError as exc:
                log.warning("no mail copy of callback %d (%s): %s", job.id, job.message_id, exc)

    async def _account(self, account_id: str) -> Account | None:
        now = self._clock.now()
        cached = self._accounts.get(account_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        account = await self._store.get_account(AccountId(account_id))
        if len(self._accounts) > 10_000:
            self._accounts.clear()
        self._accounts[account_id] = (now + 10.0, account)
        return account

    async def _post(self, job: CallbackJob) -> str | Refused | None:
        target = self.targets.get(MAIL_FORMAT if job.url.startswith("mailto:") else job.format)
        if target is not None:
            return await target(job)
        if job.url.startswith("mailto:"):
            return "no mail relay is configured ([smtp] relay_host)"
        # "kannel:31" is rendered by "kannel:31" if registered, else by "kannel".
        renderer = self._renderers.get(job.format) or self._renderers.get(
            job.format.partition(":")[0]
        )
        if renderer is None:
            return f"no renderer for callback format {job.format!r}"
        try:
            request = renderer(job, self._clock.now())
        except Exception as exc:  # one bad event must not stop every client's callbacks
            log.exception("callback %d (%s) could not be rendered", job.id, job.format)
            return f"could not render the {job.format} callback: {type(exc).__name__}: {exc}"
        if request is None:
            return None
        if request.on_response is None:
            return await self._sender.send(request)
        answer = await self._sender.exchange(request)
        if isinstance(answer, str):
            return answer
        return await self._respond(job, request.on_response, answer)

    async def _respond(
        self, job: CallbackJob, hook: ResponseHook, answer: CallbackResponse
    ) -> str | None:
        try:
            return await hook(answer, self.replies)
        except Exception:  # a dialect's hook: its bug must not stop the outbox worker
            log.exception("answer to callback %s for message %s failed", job.id, job.message_id)
            return None
