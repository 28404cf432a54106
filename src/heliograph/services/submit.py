"""SubmitService: the one submit path shared by every edge.

authenticate (done by the edge through ``AccountService``) → plan (pure, in
``domain.submission``) → persist (one commit, with the idempotency key) →
wake the dispatcher. The edge renders the answer; the rendered bytes are stored
with an idempotency key so that a repeated request gets exactly the first
answer and sends nothing again.

A request that names address books or a template, or asks for a personalized
text, is expanded first (``services/books.py``). Recipients on the account's
opt-out list are refused per recipient; the list is read only for accounts
that have one (``modes``, cached). In test mode (the
request's ``test`` or the account's flag) everything runs as usual and the
answer shows the price, but the messages are stored as test messages (for the
built-in "test" connector, see ``services/dispatch.py``) and nothing is charged.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from heliograph.domain.accounts import Account, receipt_url
from heliograph.domain.ids import AccountId
from heliograph.domain.messages import NewMessage
from heliograph.domain.optout import apply_optouts
from heliograph.domain.pricing import PriceList, from_micros, price_plans
from heliograph.domain.quiet import QuietHours
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.senders import Senders, apply_senders
from heliograph.domain.submission import (
    RecipientPlan,
    SubmitLimits,
    SubmitRequest,
    plan_submission,
)
from heliograph.services.books import BookService, needs_books
from heliograph.services.guards import Guards
from heliograph.services.ids import message_ids
from heliograph.services.metrics import Metrics
from heliograph.services.ports import Clock
from heliograph.services.quiet import apply_quiet_hours
from heliograph.store.base import (
    AccountModes,
    Charge,
    IdempotentAnswer,
    InsufficientCredit,
    Store,
)
from heliograph.wire.gsm.references import ReferenceAllocator


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitResult:
    answer: IdempotentAnswer
    plans: list[RecipientPlan]
    replayed: bool


Render = Callable[[list[RecipientPlan]], IdempotentAnswer]


class SubmitService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        metrics: Metrics,
        limits: SubmitLimits,
        on_accepted: Callable[[], None],
        guards: Guards | None = None,
        prices: Callable[[AccountId], Awaitable[PriceList]] | None = None,
        senders: Callable[[AccountId], Awaitable[Senders]] | None = None,
        modes: Callable[[AccountId], Awaitable[AccountModes]] | None = None,
        books: BookService | None = None,
        settle_on_delivery: bool = False,
    ) -> None:
        # [credit] settle = "delivery": the charge is a reservation that each part's
        # final state settles (delivered) or refunds (any other end), in the store
        self._reserve = settle_on_delivery
        self._books = books  # address books and templates: services/books.py
        self._senders = senders
        self._modes = modes
        self._guards = guards
        self.quiet_hours: QuietHours | None = None
        # TS 23.040 §9.2.3.24.1: references counted per destination, seeded with the
        # start time so that a restart does not replay the same sequence.
        self._references = ReferenceAllocator(seed=int(time.time()))
        self._prices = prices
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._limits = limits
        self._on_accepted = on_accepted

    async def submit(
        self,
        req: SubmitRequest,
        account: Account,
        render: Render,
        *,
        idempotency_key: str | None = None,
    ) -> SubmitResult:
        """Plan, commit and return the rendered answer. Raises: Rejected."""
        started = time.perf_counter()
        now = self._clock.now()
        if idempotency_key is not None:
            earlier = await self._store.idempotent_answer(account.id, idempotency_key, now)
            if earlier is not None:
                return SubmitResult(answer=earlier, plans=[], replayed=True)
        plans, answer, messages, cost = await self._prepare(req, account, render, now)
        key = (account.id, idempotency_key, answer) if idempotency_key is not None else None
        charge = (
            Charge(
                account_id=account.id,
                amount_micros=cost,
                reason=f"{len(messages)} messages",
                reserve=self._reserves(account),
            )
            if cost
            else None
        )
        try:
            earlier = await self._store.insert_messages(
                messages, idempotency=key, now=now, charge=charge
            )
        except InsufficientCredit as exc:
            if self._guards is not None:
                self._guards.undo(account.id, plans)
            raise Rejected(
                RejectReason.INSUFFICIENT_CREDIT,
                f"this request costs {from_micros(exc.needed_micros)}, the balance is "
                f"{from_micros(exc.balance_micros)}",
            ) from exc
        if earlier is not None:
            return SubmitResult(answer=earlier, plans=[], replayed=True)
        if messages:
            self._on_accepted()
        self._metrics.accepted.inc(len(messages))
        if len(messages) != len(plans):
            self._metrics.rejected.inc(len(plans) - len(messages))
        self._metrics.accept_latency.observe(time.perf_counter() - started)
        return SubmitResult(answer=answer, plans=plans, replayed=False)

    def _reserves(self, account: Account) -> bool:
        """Whether the account's prices are reserved until delivery (its rules, or [credit])."""
        own = account.rules.settle
        return self._reserve if own is None else own == "delivery"

    async def _prepare(
        self, req: SubmitRequest, account: Account, render: Render, now: float
    ) -> tuple[list[RecipientPlan], IdempotentAnswer, list[NewMessage], int]:
        """Plan, guard, price and render one request: (plans, answer, messages, cost)."""
        modes = await self._modes(account.id) if self._modes is not None else None
        test = _test_mode(req, modes)
        plans, cost = await self.estimate(req, account, now, modes=modes)
        if self._guards is not None:
            plans = self._guards.apply(account.id, plans, now, account.rules)
            cost = sum(p.message.price_micros * p.message.parts for p in plans if p.message)
        if test:
            plans = [
                replace(p, message=replace(p.message, test=True)) if p.message else p for p in plans
            ]
        answer = render(plans)
        messages = [p.message for p in plans if p.message is not None]
        if test:
            messages, cost = [replace(m, price_micros=0) for m in messages], 0
        return plans, answer, messages, cost

    async def submit_many(
        self, reqs: Sequence[SubmitRequest], account: Account, render: Render
    ) -> list[SubmitResult | Rejected]:
        """Several requests of one account committed together (an SMPP client's window).

        Each request is planned, guarded and priced exactly as by ``submit`` and
        gets its own result, or the ``Rejected`` that refused it as a whole; all
        accepted messages go to the store in one write. If the combined charge
        is refused, each request is submitted on its own instead.
        """
        started = time.perf_counter()
        now = self._clock.now()
        out: list[SubmitResult | Rejected] = []
        batch: list[NewMessage] = []
        plans_of: list[list[RecipientPlan]] = []
        total = 0
        for req in reqs:
            try:
                plans, answer, messages, cost = await self._prepare(req, account, render, now)
            except Rejected as exc:
                out.append(exc)
                continue
            out.append(SubmitResult(answer=answer, plans=plans, replayed=False))
            plans_of.append(plans)
            batch.extend(messages)
            total += cost
        charge = (
            Charge(
                account_id=account.id,
                amount_micros=total,
                reason=f"{len(batch)} messages",
                reserve=self._reserves(account),
            )
            if total
            else None
        )
        try:
            await self._store.insert_messages(batch, now=now, charge=charge)
        except InsufficientCredit:
            if self._guards is not None:
                for plans in plans_of:
                    self._guards.undo(account.id, plans)
            return [await self._submit_alone(req, account, render) for req in reqs]
        if batch:
            self._on_accepted()
        planned = sum(len(p) for p in plans_of)
        self._metrics.accepted.inc(len(batch))
        if len(batch) != planned:
            self._metrics.rejected.inc(planned - len(batch))
        self._metrics.accept_latency.observe(time.perf_counter() - started)
        return out

    async def _submit_alone(
        self, req: SubmitRequest, account: Account, render: Render
    ) -> SubmitResult | Rejected:
        try:
            return await self.submit(req, account, render)
        except Rejected as exc:
            return exc

    async def estimate(
        self,
        req: SubmitRequest,
        account: Account,
        now: float,
        *,
        modes: AccountModes | None = None,
    ) -> tuple[list[RecipientPlan], int]:
        """Plan and price without committing: (plans, total cost in micro-units).

        ``modes``: the account's, when the caller has read them already.
        Raises: Rejected for the request as a whole.
        """
        if self._books is not None and needs_books(req):  # no coroutine for a plain send
            req = await self._books.expand(req, account.id)
        plans = plan_submission(
            req,
            now=now,
            ids=message_ids(now),
            limits=self._limits,
            default_callback_url=receipt_url(account),  # mailto: when receipts go by e-mail
            references=self._references.next,
        )
        if self._senders is not None:
            plans = apply_senders(plans, req.sender, await self._senders(account.id))
        if modes is None and self._modes is not None:
            modes = await self._modes(account.id)
        if modes is not None and modes.has_optouts:
            numbers = [p.message.to for p in plans if p.message is not None]
            plans = apply_optouts(plans, await self._store.opted_out(account.id, numbers))
        quiet = self.quiet_hours
        if account.rules.quiet_hours is not None:
            own = account.rules.quiet_hours
            quiet = QuietHours.parse(own) if own else None
        if quiet is not None:
            plans = apply_quiet_hours(plans, quiet, now)
        if self._prices is None:
            return plans, 0
        return price_plans(plans, await self._prices(account.id))


def _test_mode(req: SubmitRequest, modes: AccountModes | None) -> bool:
    """Whether this request runs in test mode. Raises: Rejected(NOT_SUPPORTED)."""
    if modes is None or not modes.test_supported:
        if req.test:
            raise Rejected(
                RejectReason.NOT_SUPPORTED,
                "test mode is not supported by this gateway's store",
                field="test",
            )
        return False
    return req.test or modes.test_mode
