"""InboundService: MO messages from every connector to the accounts they are routed to.

Connectors hand MO messages to the receipt correlator, which passes each to
``accept()`` (cheap, synchronous). One task takes everything waiting, reads the
MO routes, decides per MO (``domain.inbound.plan_mo``: route, delivery,
STOP/START consent) and writes the batch in one store transaction: the MO,
the outbox event that delivers it (signed JSON to a URL, or a deliver_sm on
the account's SMPP receiver binds; the callback service sends both) and the
opt-out change. Only then is HELP answered, with an MT through the one submit
path. An MO no route matches is stored without an account, logged and counted
(``heliograph_mo_received_total{result="unrouted"}``).

Also here: ``ModesCache`` (per account, briefly cached: test mode and whether
its opt-out list is empty, so that the submit path reads the list only for
accounts that have one), ``OptOutService`` (the opt-out list through the API)
and ``simulate()`` (an MO injected into a loopback connector, for trying MO
handling without an SMSC).

A batch that cannot be written because the store is unavailable stays waiting
and is tried again; one the store refuses outright is dropped with an
error in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from prometheus_client import Counter

from heliograph.domain.accounts import Account
from heliograph.domain.ids import AccountId, ConnectorId
from heliograph.domain.inbound import MoPlan, MoRoute, plan_mo, select_mo_route
from heliograph.domain.messages import MoMessage
from heliograph.domain.optout import (
    DEFAULT_HELP_TEXT,
    Consent,
    ConsentAction,
    ConsentSource,
    KeywordAction,
    Keywords,
    OptOut,
    check_reason,
    optout_number,
)
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.services.metrics import Metrics
from heliograph.services.ports import Clock
from heliograph.services.submit import SubmitService
from heliograph.store.base import (
    AccountModes,
    IdempotentAnswer,
    Store,
    StoreError,
    Unavailable,
)

log = logging.getLogger("heliograph.inbound")

MAX_PAGE = 1000
MAX_SIMULATED_TEXT = 1600


@runtime_checkable
class MoInjector(Protocol):
    """A connector that can make up MO messages (the loopback connector)."""

    id: ConnectorId

    def inject_mo(self, sender: str, to: str, text: str) -> MoMessage: ...


class ModesCache:
    """Account test mode and "has opt-outs", cached for ``ttl_s``.

    Changes made through this process (``forget``) apply at once; changes made
    elsewhere (the CLI, another node) within ``ttl_s``.
    """

    def __init__(self, store: Store, clock: Clock, *, ttl_s: float = 10.0) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl_s
        self._cache: dict[str, tuple[float, AccountModes]] = {}

    async def __call__(self, account_id: AccountId) -> AccountModes:
        now = self._clock.now()
        cached = self._cache.get(account_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        modes = await self._store.account_modes(account_id)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[account_id] = (now + self._ttl, modes)
        return modes

    def forget(self, account_id: AccountId) -> None:
        self._cache.pop(account_id, None)


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundSettings:
    keywords: Keywords | None = field(default_factory=Keywords.of)  # None: keywords off
    help_text: str = DEFAULT_HELP_TEXT
    max_batch: int = 500


def _no_answer(plans: list[RecipientPlan]) -> IdempotentAnswer:
    return IdempotentAnswer(status=202, body=b"")


class InboundService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        metrics: Metrics,
        settings: InboundSettings,
        *,
        submit: SubmitService | None = None,
        modes: ModesCache | None = None,
        on_queued: Callable[[], None] | None = None,
        connectors: Mapping[ConnectorId, object] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._submit = submit
        self._modes = modes
        self._on_queued = on_queued
        self._connectors = connectors or {}
        self._waiting: list[MoMessage] = []
        self._ready = asyncio.Event()
        self._flushing = asyncio.Lock()  # run() and shutdown's flush() never overlap
        self.received = Counter(
            "heliograph_mo_received",
            "MO messages by result: routed, unrouted, or dropped (the store refused them)",
            ["result"],
            registry=metrics.registry,
        )
        self.optout_changes = Counter(
            "heliograph_optout_changes",
            "Opt-out list changes made by STOP/START keywords",
            ["action"],
            registry=metrics.registry,
        )
        for result in ("routed", "unrouted", "dropped"):
            self.received.labels(result)

    def accept(self, mo: MoMessage) -> None:
        self._waiting.append(mo)
        self._ready.set()

    @property
    def backlog(self) -> int:
        return len(self._waiting)

    async def run(self) -> None:
        delay = 0.1
        while True:
            await self._ready.wait()
            try:
                await self.flush()
                delay = 0.1
            except Unavailable as exc:
                log.warning(
                    "store unavailable; %d MO waiting, retry in %.1f s: %s",
                    len(self._waiting),
                    delay,
                    exc,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def flush(self) -> int:
        """Route and store everything waiting; returns how many MO were new (not replays).

        Raises: Unavailable (the batch stays waiting).
        """
        async with self._flushing:
            self._ready.clear()
            new = 0
            try:
                while self._waiting:
                    batch = self._waiting[: self._settings.max_batch]
                    new += await self._write(batch)
                    del self._waiting[: len(batch)]
            finally:
                if self._waiting:
                    self._ready.set()
            return new

    async def _write(self, batch: list[MoMessage]) -> int:
        now = self._clock.now()
        plans = await self._plan(batch, now)
        try:
            ids = set(await self._store.insert_mo(plans, now))
        except Unavailable:
            raise
        except StoreError as exc:
            log.error("%d MO dropped: %s", len(batch), exc)
            self.received.labels("dropped").inc(len(batch))
            return 0
        new = [p for p in plans if p.record.id in ids]  # a replayed MO was handled before
        routed = sum(1 for p in new if p.record.account_id is not None)
        self.received.labels("routed").inc(routed)
        self.received.labels("unrouted").inc(len(new) - routed)
        for plan in new:
            self._log(plan)
        if self._on_queued is not None and any(p.delivery for p in new):
            self._on_queued()
        for plan in new:
            if plan.record.action is KeywordAction.HELP:
                await self._answer_help(plan)
        return len(new)

    async def _plan(self, batch: list[MoMessage], now: float) -> list[MoPlan]:
        routes = await self._store.mo_routes()
        chosen: list[MoRoute | None] = [select_mo_route(routes, mo.to, mo.text) for mo in batch]
        accounts: dict[AccountId, Account | None] = {}
        for route in chosen:
            if route is not None and route.account_id not in accounts:
                accounts[route.account_id] = await self._store.get_account(route.account_id)
        keywords = self._settings.keywords
        return [
            plan_mo(mo, route, accounts[route.account_id] if route else None, keywords, now)
            for mo, route in zip(batch, chosen, strict=True)
        ]

    def _log(self, plan: MoPlan) -> None:
        r = plan.record
        if r.account_id is None:
            log.warning(
                "MO %s from %s to %s matches no MO route; stored unrouted", r.id, r.sender, r.to
            )
            return
        if plan.undelivered is not None:
            log.warning("MO %s stored but not delivered: %s", r.id, plan.undelivered)
        consent = plan.consent
        if consent is not None:
            self.optout_changes.labels(consent.action.value).inc()
            if self._modes is not None:
                self._modes.forget(consent.account_id)
            log.info(
                "%s from %s for account %s (MO %s, keyword %s)",
                consent.action.value,
                consent.number,
                consent.account_id,
                r.id,
                consent.keyword,
            )
        elif r.action in (KeywordAction.STOP, KeywordAction.START):
            log.warning(
                "MO %s: %s from %s ignored, the sender is not an E.164 number",
                r.id,
                r.action.value,
                r.sender,
            )

    async def _answer_help(self, plan: MoPlan) -> None:
        r = plan.record
        account = await self._store.get_account(r.account_id) if r.account_id else None
        if self._submit is None or account is None:
            return
        req = SubmitRequest(
            account_id=account.id, to=(r.sender,), text=self._settings.help_text, sender=r.to
        )
        try:
            result = await self._submit.submit(req, account, _no_answer)
        except (Rejected, StoreError) as exc:
            log.warning("HELP from %s (MO %s) not answered: %s", r.sender, r.id, exc)
            return
        for p in result.plans:
            if p.error is not None:
                log.warning("HELP from %s (MO %s) not answered: %s", r.sender, r.id, p.error)

    async def simulate(
        self, account: Account, connector: str, sender: str, to: str, text: str
    ) -> MoMessage:
        """Inject an MO into a loopback connector, as if a subscriber had sent it.

        Only an MO routed to ``account`` itself may be made up, so that nobody
        can speak for another account's subscribers (a STOP, for instance).
        Raises: Rejected (NOT_FOUND: no such connector; NOT_SUPPORTED: not a
        loopback; NO_ROUTE: not routed to the account; INVALID_REQUEST).
        """
        for name, value, most in (("from", sender, 20), ("to", to, 20), ("text", text, 1600)):
            if not value or len(value) > most:
                raise Rejected(
                    RejectReason.INVALID_REQUEST,
                    f"{name} must be 1 to {most} characters",
                    field=name,
                )
        target = self._connectors.get(ConnectorId(connector))
        if target is None:
            raise Rejected(RejectReason.NOT_FOUND, f"no connector {connector!r}", field="connector")
        if not isinstance(target, MoInjector):
            raise Rejected(
                RejectReason.NOT_SUPPORTED,
                f"connector {connector!r} is not a loopback connector; MO is simulated only "
                "on loopback connectors",
                field="connector",
            )
        route = select_mo_route(await self._store.mo_routes(), to, text)
        if route is None or route.account_id != account.id:
            raise Rejected(
                RejectReason.NO_ROUTE,
                f"no MO route takes {to} to this account (an operator adds one with "
                "'heliograph routes mo add')",
                field="to",
            )
        return target.inject_mo(sender, to, text)


class OptOutService:
    """An account's opt-out list as its API sees it. Store refusals become ``Rejected``."""

    def __init__(self, store: Store, clock: Clock, modes: ModesCache | None = None) -> None:
        self._store = store
        self._clock = clock
        self._modes = modes

    async def page(
        self, account_id: AccountId, *, cursor: str | None, limit: int
    ) -> tuple[list[OptOut], str | None]:
        """A page of the list, by number, and the cursor of the next page."""
        if not 1 <= limit <= MAX_PAGE:
            raise Rejected(
                RejectReason.INVALID_REQUEST, f"limit must be 1 to {MAX_PAGE}", field="limit"
            )
        rows = await self._store.optouts(account_id, after=cursor, limit=limit + 1)
        if len(rows) > limit:
            return rows[:limit], rows[limit - 1].number
        return rows, None

    async def add(
        self, account_id: AccountId, number: str, reason: str | None, source: ConsentSource
    ) -> tuple[OptOut, bool]:
        """Put a number on the list. Returns the entry and whether it is new."""
        consent = Consent(
            account_id=account_id,
            number=optout_number(number),
            action=ConsentAction.OPT_OUT,
            at=self._clock.now(),
            source=source,
            reason=check_reason(reason),
        )
        added = await self._record(consent)
        entry = OptOut(
            account_id=account_id,
            number=consent.number,
            since=consent.at,
            source=source,
            mo_id=None,
            keyword=None,
            reason=consent.reason,
        )
        return entry, added

    async def remove(
        self, account_id: AccountId, number: str, source: ConsentSource, reason: str | None = None
    ) -> None:
        """Take a number off the list. Raises: Rejected(NOT_FOUND) when it is not on it."""
        value = optout_number(number)
        if not await self._store.opted_out(account_id, [value]):
            raise Rejected(
                RejectReason.NOT_FOUND, f"{value} is not on the opt-out list", field="number"
            )
        await self._record(
            Consent(
                account_id=account_id,
                number=value,
                action=ConsentAction.OPT_IN,
                at=self._clock.now(),
                source=source,
                reason=check_reason(reason),
            )
        )

    async def history(self, account_id: AccountId, number: str) -> tuple[str, bool, list[Consent]]:
        """(the number, whether it is on the list, every consent change recorded for it)."""
        value = optout_number(number)
        listed = bool(await self._store.opted_out(account_id, [value]))
        return value, listed, await self._store.consents(account_id, value)

    async def _record(self, consent: Consent) -> bool:
        try:
            changed = await self._store.record_consent(consent)
        except Unavailable as exc:
            raise Rejected(RejectReason.UNAVAILABLE, str(exc)) from exc
        except StoreError as exc:
            raise Rejected(RejectReason.NOT_SUPPORTED, str(exc)) from exc
        if self._modes is not None:
            self._modes.forget(consent.account_id)
        return changed
