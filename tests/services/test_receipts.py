"""ReceiptService: receipts batched into store writes; MO handed on; the loopback round trip."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from heliograph.connectors.loopback import LoopbackConnector, LoopbackSettings
from heliograph.domain.accounts import Account
from heliograph.domain.ids import ConnectorId, MessageId, UpstreamId
from heliograph.domain.messages import MessageState, MoMessage
from heliograph.domain.outcomes import Receipt
from heliograph.domain.retry import Backoff
from heliograph.domain.routing import Route
from heliograph.services.dispatch import Dispatcher
from heliograph.services.metrics import Metrics
from heliograph.services.receipts import ReceiptService
from heliograph.store.base import Changes, PartResult, Store, Unavailable
from tests.services.fakes import ScriptedConnector, get, make_account, submit
from tests.support.clock import FakeClock

S = MessageState
SMSC = ConnectorId("smsc")


class CountingStore:
    """Delegates to a real store and records the size of every apply_receipts call."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.receipt_batches: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def apply_receipts(self, receipts: Sequence[Receipt], now: float) -> Changes:
        self.receipt_batches.append(len(receipts))
        return await self._inner.apply_receipts(receipts, now)


def rc(upstream: str, state: MessageState = S.DELIVERED, error: str | None = None) -> Receipt:
    return Receipt(
        connector=SMSC, upstream_id=UpstreamId(upstream), state=state, error=error, at=0.0
    )


def mo(text: str = "STOP") -> MoMessage:
    return MoMessage(
        id=MessageId("MO1"),
        connector=SMSC,
        sender="+447911123456",
        to="12345",
        text=text,
        received_at=0.0,
    )


async def sent_messages(store: Store, clock: FakeClock, acct: Account, n: int) -> list[MessageId]:
    """n single-part messages, sent on SMSC with upstream ids up-0 .. up-(n-1)."""
    ids = await submit(store, clock, acct, *(f"+4479110000{i:02d}" for i in range(n)))
    parts, _ = await store.claim_parts(clock.now(), 1000)
    order = {mid: i for i, mid in enumerate(ids)}
    await store.record_results(
        [
            PartResult(
                part_id=p.part_id,
                state=S.SENT,
                connector=SMSC,
                upstream_id=UpstreamId(f"up-{order[p.message_id]}"),
            )
            for p in parts
        ],
        clock.now(),
    )
    return ids


async def test_receipt_service_applies_receipts_on_flush(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    (mid,) = await sent_messages(memory_store, clock, acct, 1)
    seen: list[Changes] = []
    svc = ReceiptService(memory_store, clock, Metrics(), on_changes=seen.append)

    svc.accept([rc("up-0")])
    assert svc.backlog == 1
    assert (await get(memory_store, acct, mid)).state is S.SENT  # accept() writes nothing

    await svc.flush()
    assert (svc.backlog, svc.applied) == (0, 1)
    assert (await get(memory_store, acct, mid)).state is S.DELIVERED
    assert [c.states for c in seen] == [{S.DELIVERED: 1}]


async def test_receipt_service_flush_in_batches_of_max_batch(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    ids = await sent_messages(memory_store, clock, acct, 5)
    counting = CountingStore(memory_store)
    svc = ReceiptService(counting, clock, Metrics(), max_batch=2)  # type: ignore[arg-type]
    svc.accept([rc("up-0"), rc("up-1")])
    svc.accept([rc("up-2"), rc("up-3", S.UNDELIVERABLE, "001"), rc("up-4")])
    await svc.flush()
    assert counting.receipt_batches == [2, 2, 1]
    assert svc.applied == 5
    states = [(await get(memory_store, acct, m)).state for m in ids]
    assert states == [S.DELIVERED, S.DELIVERED, S.DELIVERED, S.UNDELIVERABLE, S.DELIVERED]


async def test_receipt_service_flush_with_nothing_waiting_writes_nothing(
    memory_store: Store, clock: FakeClock
) -> None:
    counting = CountingStore(memory_store)
    svc = ReceiptService(counting, clock, Metrics())  # type: ignore[arg-type]
    await svc.flush()
    assert counting.receipt_batches == []


async def test_receipt_service_receipt_before_submit_response_is_kept(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    (part,), _ = await memory_store.claim_parts(clock.now(), 10)
    seen: list[Changes] = []
    svc = ReceiptService(memory_store, clock, Metrics(), on_changes=seen.append)
    svc.accept([rc("up-early")])
    await svc.flush()
    assert seen[0].pending == 1
    assert (await get(memory_store, acct, mid)).state is S.SENDING

    result = PartResult(
        part_id=part.part_id, state=S.SENT, connector=SMSC, upstream_id=UpstreamId("up-early")
    )
    await memory_store.record_results([result], clock.now())
    assert (await get(memory_store, acct, mid)).state is S.DELIVERED


class FailingOnceStore(CountingStore):
    """apply_receipts fails once, as a busy or briefly unreachable database does."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.fail_next = True

    async def apply_receipts(self, receipts: Sequence[Receipt], now: float) -> Changes:
        if self.fail_next:
            self.fail_next = False
            raise Unavailable("database is locked")
        return await super().apply_receipts(receipts, now)


async def test_receipt_service_failed_write_keeps_receipts_for_next_flush(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    (mid,) = await sent_messages(memory_store, clock, acct, 1)
    flaky = FailingOnceStore(memory_store)
    svc = ReceiptService(flaky, clock, Metrics())  # type: ignore[arg-type]
    svc.accept([rc("up-0")])
    with contextlib.suppress(Unavailable):  # raising or logging: either is fine
        await svc.flush()
    await svc.flush()
    assert (await get(memory_store, acct, mid)).state is S.DELIVERED


async def test_receipt_service_mo_goes_to_handler_not_store(
    memory_store: Store, clock: FakeClock
) -> None:
    counting = CountingStore(memory_store)
    received: list[MoMessage] = []
    svc = ReceiptService(counting, clock, Metrics(), on_mo=received.append)  # type: ignore[arg-type]
    message = mo()
    svc.accept([message])
    assert received == [message]
    assert svc.backlog == 0
    await svc.flush()
    assert counting.receipt_batches == []


async def test_receipt_service_mo_without_handler_is_dropped(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    (mid,) = await sent_messages(memory_store, clock, acct, 1)
    svc = ReceiptService(memory_store, clock, Metrics())
    svc.accept([mo(), rc("up-0")])
    assert svc.backlog == 1
    await svc.flush()
    assert (await get(memory_store, acct, mid)).state is S.DELIVERED


async def test_receipt_service_consume_takes_every_batch_of_a_connector(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    ids = await sent_messages(memory_store, clock, acct, 3)
    conn = ScriptedConnector("smsc")
    svc = ReceiptService(memory_store, clock, Metrics())
    conn.push([rc("up-0")])
    conn.push([rc("up-1"), rc("up-2", S.REJECTED)])
    await conn.aclose()
    await asyncio.wait_for(svc.consume(conn), 5)
    assert svc.backlog == 3
    await svc.flush()
    states = [(await get(memory_store, acct, m)).state for m in ids]
    assert states == [S.DELIVERED, S.DELIVERED, S.REJECTED]


async def test_receipt_service_run_applies_what_arrives(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    (mid,) = await sent_messages(memory_store, clock, acct, 1)
    applied = asyncio.Event()
    svc = ReceiptService(memory_store, clock, Metrics(), on_changes=lambda c: applied.set())
    task = asyncio.create_task(svc.run())
    try:
        svc.accept([rc("up-0")])
        await asyncio.wait_for(applied.wait(), 5)
        assert (await get(memory_store, acct, mid)).state is S.DELIVERED
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _loopback_round_trip(
    store: Store, clock: FakeClock, settings: LoopbackSettings
) -> tuple[Account, MessageId]:
    acct = await make_account(store, clock)
    (mid,) = await submit(store, clock, acct, text="y" * 200)
    loop = LoopbackConnector(ConnectorId("loop"), settings, clock)
    await loop.start()
    dispatcher = Dispatcher(
        store,
        {loop.id: loop},
        [Route(connectors=(loop.id,))],
        clock,
        Metrics(),
        backoff=Backoff(),
    )
    svc = ReceiptService(store, clock, Metrics())
    arrived = asyncio.Event()

    async def pump() -> None:
        async for batch in loop.inbound():
            svc.accept(batch)
            arrived.set()

    consumer = asyncio.create_task(pump())
    try:
        assert await dispatcher.dispatch_once() == 2
        await dispatcher.drain()
        while svc.applied < 2:
            await asyncio.wait_for(arrived.wait(), 5)
            arrived.clear()
            await svc.flush()
    finally:
        await loop.aclose()
        await asyncio.wait_for(consumer, 5)
    return acct, mid


async def test_receipt_service_loopback_delivers(memory_store: Store, clock: FakeClock) -> None:
    settings = LoopbackSettings(receipt_delay_s=0.0, seed=1)
    acct, mid = await _loopback_round_trip(memory_store, clock, settings)
    v = await get(memory_store, acct, mid)
    assert v.state is S.DELIVERED
    assert [p.state for p in v.parts] == [S.DELIVERED, S.DELIVERED]


async def test_receipt_service_loopback_failure_state(
    memory_store: Store, clock: FakeClock
) -> None:
    settings = LoopbackSettings(receipt_delay_s=0.0, delivery_ratio=0.0, seed=1)
    acct, mid = await _loopback_round_trip(memory_store, clock, settings)
    v = await get(memory_store, acct, mid)
    assert (v.state, v.error) == (S.UNDELIVERABLE, "001")


async def test_worker_and_shutdown_flush_never_apply_a_batch_twice(memory_store: Store) -> None:
    counting = CountingStore(memory_store)
    service = ReceiptService(counting, FakeClock(), Metrics())  # type: ignore[arg-type]
    worker = asyncio.create_task(service.run())
    service.accept([rc(f"u{i}") for i in range(10)])
    await asyncio.gather(service.flush(), service.flush())
    service.accept([rc("late")])
    await service.flush()
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    assert sum(counting.receipt_batches) == 11
    assert service.backlog == 0


async def test_worker_resumes_waiting_receipts_after_a_failed_write(memory_store: Store) -> None:
    class FailOnce(CountingStore):
        failed = False

        async def apply_receipts(self, receipts: Sequence[Receipt], now: float) -> Changes:
            if not self.failed:
                self.failed = True
                raise Unavailable("disk busy")
            return await super().apply_receipts(receipts, now)

    store = FailOnce(memory_store)
    applied = asyncio.Event()
    service = ReceiptService(
        store,  # type: ignore[arg-type]
        FakeClock(),
        Metrics(),
        on_changes=lambda changes: applied.set(),
    )
    service.accept([rc("u1"), rc("u2")])
    first = asyncio.create_task(service.run())
    with contextlib.suppress(Unavailable):
        await asyncio.wait_for(first, 5)
    # a supervisor restarts the worker: it must pick up what is still waiting, unprompted
    second = asyncio.create_task(service.run())
    await asyncio.wait_for(applied.wait(), 5)
    second.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second
    assert service.backlog == 0 and store.receipt_batches == [2]
