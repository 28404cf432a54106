"""Scheduler: release scheduled messages on time; expire queued parts past validity."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from heliograph.domain.accounts import Account
from heliograph.domain.ids import MessageId
from heliograph.domain.messages import MessageState
from heliograph.services.metrics import Metrics
from heliograph.services.scheduler import Scheduler
from heliograph.store.base import Changes, Charge, PartResult, Store
from tests.services.fakes import get, make_account, submit
from tests.store.test_contract import message, sent
from tests.support.clock import FakeClock

S = MessageState


class Recorder:
    def __init__(self) -> None:
        self.released = 0
        self.changes: list[Changes] = []

    def on_released(self) -> None:
        self.released += 1


def scheduler(store: Store, clock: FakeClock, rec: Recorder, **kw: float) -> Scheduler:
    return Scheduler(
        store,
        clock,
        Metrics(),
        on_released=rec.on_released,
        on_changes=rec.changes.append,
        **kw,
    )


async def waiting_for_retry(
    store: Store, clock: FakeClock, acct: Account, validity_s: int
) -> MessageId:
    """A message claimed once and put back in the queue for a retry far in the future."""
    (mid,) = await submit(store, clock, acct, validity_s=validity_s)
    (part,), _ = await store.claim_parts(clock.now(), 10)
    retry = PartResult(part_id=part.part_id, state=S.QUEUED, due_at=clock.now() + 86400)
    await store.record_results([retry], clock.now())
    return mid


async def test_scheduler_releases_scheduled_message_on_time(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct, schedule_at=clock.now() + 600)
    rec = Recorder()
    sched = scheduler(memory_store, clock, rec)

    clock.advance(599)
    await sched.tick()
    assert rec.released == 0
    assert (await get(memory_store, acct, mid)).state is S.SCHEDULED

    clock.advance(1)
    await sched.tick()
    assert rec.released == 1
    assert (await get(memory_store, acct, mid)).state is S.QUEUED
    assert rec.changes[-1].states == {S.QUEUED: 1}
    parts, _ = await memory_store.claim_parts(clock.now(), 10)
    assert [p.message_id for p in parts] == [mid]

    await sched.tick()
    assert rec.released == 1  # nothing more to release, no wake-up


async def test_scheduler_expires_parts_waiting_past_validity(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    mid = await waiting_for_retry(memory_store, clock, acct, validity_s=60)
    rec = Recorder()
    sched = scheduler(memory_store, clock, rec)
    clock.advance(59)
    await sched.tick()
    assert (await get(memory_store, acct, mid)).state is S.QUEUED

    clock.advance(10)
    await sched.tick()
    v = await get(memory_store, acct, mid)
    assert (v.state, [p.state for p in v.parts]) == (S.EXPIRED, [S.EXPIRED])
    assert rec.changes[-1].states == {S.EXPIRED: 1}
    assert rec.released == 0


async def test_scheduler_expires_only_every_expire_interval(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    rec = Recorder()
    sched = scheduler(memory_store, clock, rec, expire_every_s=10.0)
    mid = await waiting_for_retry(memory_store, clock, acct, validity_s=60)
    clock.advance(55)
    await sched.tick()  # expiry runs now: nothing due yet

    clock.advance(5)
    await sched.tick()  # validity passed, but the last expiry was 5 s ago
    assert (await get(memory_store, acct, mid)).state is S.QUEUED

    clock.advance(5)
    await sched.tick()
    assert (await get(memory_store, acct, mid)).state is S.EXPIRED


async def test_scheduler_run_ticks_until_cancelled(memory_store: Store, clock: FakeClock) -> None:
    acct = await make_account(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct, schedule_at=clock.now() + 60)
    clock.advance(60)
    released = asyncio.Event()
    sched = Scheduler(memory_store, clock, Metrics(), on_released=released.set, tick_s=0.0)
    task = asyncio.create_task(sched.run())
    try:
        await asyncio.wait_for(released.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (await get(memory_store, acct, mid)).state is S.QUEUED


async def test_scheduler_waits_for_receipts_then_refunds_reserved_sent_parts(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    await memory_store.adjust_balance(acct.id, 50_000, "top up", clock.now())
    m = replace(message(account=acct.id, expires_at=clock.now() + 60), price_micros=20_000)
    charge = Charge(account_id=acct.id, amount_micros=20_000, reason="1 messages", reserve=True)
    await memory_store.insert_messages([m], now=clock.now(), charge=charge)
    (part,), _ = await memory_store.claim_parts(clock.now(), 10)
    await memory_store.record_results([sent(part, "quiet-1")], clock.now())
    rec = Recorder()
    sched = scheduler(memory_store, clock, rec, expire_every_s=0.0, receipt_wait_s=30.0)
    clock.advance(60 + 29)
    await sched.tick()  # validity over, but the receipt may still come
    assert (await get(memory_store, acct, m.id)).state is S.SENT
    clock.advance(2)
    await sched.tick()
    assert (await get(memory_store, acct, m.id)).state is S.EXPIRED
    balance = await memory_store.balance(acct.id)
    assert (balance.balance_micros, balance.reserved_micros) == (50_000, 0)
