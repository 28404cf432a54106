"""SubmitService: plan, commit with the idempotency key, wake the dispatcher, replay."""

from __future__ import annotations

import asyncio
import json

import pytest

from heliograph.domain.accounts import Account
from heliograph.domain.messages import MessageState
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitLimits, SubmitRequest
from heliograph.services.metrics import Metrics
from heliograph.services.submit import SubmitResult, SubmitService
from heliograph.store.base import IdempotentAnswer, MessageFilter, Store
from tests.services.fakes import make_account
from tests.support.clock import FakeClock

S = MessageState


class Harness:
    def __init__(self, store: Store, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.metrics = Metrics()
        self.woken = 0
        self.rendered = 0
        self.service = SubmitService(
            store, clock, self.metrics, SubmitLimits(max_recipients=5), self._wake
        )

    def _wake(self) -> None:
        self.woken += 1

    def render(self, plans: list[RecipientPlan]) -> IdempotentAnswer:
        self.rendered += 1
        entries = [
            {"to": p.to, "id": p.message.id}
            if p.message is not None
            else {"to": p.to, "error": p.error.reason.value if p.error else None}
            for p in plans
        ]
        return IdempotentAnswer(status=202, body=json.dumps(entries).encode())

    async def submit(
        self, acct: Account, *to: str, key: str | None = None, text: str = "hello", **kw: object
    ) -> SubmitResult:
        req = SubmitRequest(account_id=acct.id, to=to, text=text, **kw)  # type: ignore[arg-type]
        return await self.service.submit(req, acct, self.render, idempotency_key=key)

    async def stored(self, acct: Account) -> list[str]:
        views = await self.store.list_messages(acct.id, MessageFilter(), before=None, limit=100)
        return sorted(v.id for v in views)

    def accepted(self) -> float | None:
        return self.metrics.registry.get_sample_value("heliograph_messages_accepted_total")


@pytest.fixture
def harness(memory_store: Store, clock: FakeClock) -> Harness:
    return Harness(memory_store, clock)


async def test_submit_service_commits_and_wakes(harness: Harness) -> None:
    acct = await make_account(harness.store, harness.clock)
    result = await harness.submit(acct, "+447911000001", "+447911000002")
    assert not result.replayed
    ids = sorted(p.message.id for p in result.plans if p.message)
    assert len(ids) == 2
    assert await harness.stored(acct) == ids
    assert harness.woken == 1
    assert harness.accepted() == 2
    assert [e["id"] for e in json.loads(result.answer.body)] == [
        p.message.id for p in result.plans if p.message
    ]


async def test_submit_service_bad_recipient_not_stored(harness: Harness) -> None:
    acct = await make_account(harness.store, harness.clock)
    result = await harness.submit(acct, "+447911000001", "nope")
    body = json.loads(result.answer.body)
    assert body[1] == {"to": "nope", "error": "invalid_destination"}
    assert await harness.stored(acct) == [body[0]["id"]]
    assert harness.woken == 1


async def test_submit_service_all_recipients_bad_stores_nothing_wakes_nobody(
    harness: Harness,
) -> None:
    acct = await make_account(harness.store, harness.clock)
    result = await harness.submit(acct, "nope", "07911")
    assert all(p.message is None for p in result.plans)
    assert await harness.stored(acct) == []
    assert harness.woken == 0


async def test_submit_service_whole_request_rejected_writes_nothing(harness: Harness) -> None:
    acct = await make_account(harness.store, harness.clock)
    with pytest.raises(Rejected) as info:
        await harness.submit(acct, *(f"+4479110000{i:02d}" for i in range(6)), key="k")
    assert info.value.reason is RejectReason.TOO_MANY_RECIPIENTS
    assert await harness.stored(acct) == []
    assert harness.woken == 0
    # the key was not spent on the refused request
    result = await harness.submit(acct, "+447911000001", key="k")
    assert not result.replayed
    assert len(await harness.stored(acct)) == 1


async def test_submit_service_idempotency_key_replays_first_answer(harness: Harness) -> None:
    acct = await make_account(harness.store, harness.clock)
    first = await harness.submit(acct, "+447911000001", key="order-1")
    stored = await harness.stored(acct)

    harness.clock.advance(3600)
    again = await harness.submit(acct, "+447911000009", text="changed", key="order-1")
    assert again.replayed
    assert again.answer == first.answer
    assert again.plans == []
    assert await harness.stored(acct) == stored
    assert (harness.woken, harness.rendered) == (1, 1)
    assert harness.accepted() == 1


async def test_submit_service_other_key_or_account_is_a_new_submit(harness: Harness) -> None:
    acct = await make_account(harness.store, harness.clock)
    other = await make_account(harness.store, harness.clock, "beta")
    await harness.submit(acct, "+447911000001", key="k1")
    assert not (await harness.submit(acct, "+447911000001", key="k2")).replayed
    assert not (await harness.submit(other, "+447911000001", key="k1")).replayed
    assert len(await harness.stored(acct)) == 2
    assert len(await harness.stored(other)) == 1


async def test_submit_service_idempotency_key_reusable_after_a_day(harness: Harness) -> None:
    acct = await make_account(harness.store, harness.clock)
    first = await harness.submit(acct, "+447911000001", key="k")
    harness.clock.advance(86400 + 1)
    later = await harness.submit(acct, "+447911000001", key="k")
    assert not later.replayed
    assert later.answer != first.answer
    assert len(await harness.stored(acct)) == 2


async def test_submit_service_concurrent_same_key_writes_once(harness: Harness) -> None:
    acct = await make_account(harness.store, harness.clock)
    a, b = await asyncio.gather(
        harness.submit(acct, "+447911000001", key="k"),
        harness.submit(acct, "+447911000001", key="k"),
    )
    assert sorted([a.replayed, b.replayed]) == [False, True]
    assert a.answer == b.answer
    assert len(await harness.stored(acct)) == 1
    assert harness.woken == 1


async def test_submit_service_account_callback_url_and_schedule(
    memory_store: Store, clock: FakeClock
) -> None:
    h = Harness(memory_store, clock)
    acct = await make_account(memory_store, clock, callback_url="https://acct.example/cb")
    result = await h.submit(acct, "+447911000001", schedule_at=clock.now() + 600)
    (plan,) = result.plans
    assert plan.message is not None
    v = await memory_store.get_message(acct.id, plan.message.id)
    assert v is not None
    assert (v.state, v.callback_url, v.due_at) == (
        S.SCHEDULED,
        "https://acct.example/cb",
        clock.now() + 600,
    )
