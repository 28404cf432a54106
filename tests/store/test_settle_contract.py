"""The Store contract for the settle point: prices reserved on accept, settled on
delivery, refunded at any other end ([credit] settle = "delivery"), and the ledger
that shows it. Run against every backend through the ``store`` fixture.

The invariant every test ends on: the ledger's amounts sum to the available
balance and its reserve changes sum to the reserved amount.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from heliograph.domain.ids import AccountId
from heliograph.domain.messages import MessageState, NewMessage
from heliograph.store.base import Charge, LedgerKind, PartResult, Store
from heliograph.store.edits import message_edits
from tests.store.test_contract import (
    ACC,
    DAY,
    T0,
    claim_all,
    message,
    receipt,
    sent,
    view,
    with_accounts,
)

S = MessageState
TOP_UP = 1_000_000


@pytest.fixture
async def funded(store: Store) -> Store:
    await with_accounts(store)
    await store.adjust_balance(ACC, TOP_UP, "top up", T0)
    return store


def reserve(amount: int, account: AccountId = ACC) -> Charge:
    return Charge(account_id=account, amount_micros=amount, reason="test", reserve=True)


async def accept(store: Store, m: NewMessage, *, reserved: bool = True) -> None:
    amount = m.price_micros * m.parts
    charge = Charge(account_id=ACC, amount_micros=amount, reason="test", reserve=reserved)
    await store.insert_messages([m], now=T0, charge=charge)


async def money(store: Store) -> tuple[int, int]:
    """(available, reserved), after checking that the ledger adds up to both."""
    balance = await store.balance(ACC)
    rows = await store.ledger(ACC, limit=10_000)
    assert sum(r.amount_micros for r in rows) == balance.balance_micros
    assert sum(r.reserve_change_micros for r in rows) == balance.reserved_micros
    return balance.balance_micros, balance.reserved_micros


async def kinds(store: Store) -> list[LedgerKind]:
    return [r.kind for r in reversed(await store.ledger(ACC, limit=10_000))]


async def send_all(store: Store, prefix: str, now: float = T0) -> list[str]:
    """Claim every due part and record it sent with upstream id ``prefix-<seq>``."""
    parts = sorted(await claim_all(store, now), key=lambda p: (p.message_id, p.seq))
    ids = [f"{prefix}-{p.message_id}-{p.seq}" for p in parts]
    await store.record_results([sent(p, i) for p, i in zip(parts, ids, strict=True)], now)
    return ids


async def test_settle_on_submit_charges_once_and_reserves_nothing(funded: Store) -> None:
    m = replace(message(), price_micros=40_000)
    await accept(funded, m, reserved=False)
    [upstream] = await send_all(funded, "u")
    await funded.apply_receipts([receipt(upstream, S.UNDELIVERABLE)], T0 + 1)
    # the price was final once sent: an undeliverable receipt gives nothing back
    assert await money(funded) == (TOP_UP - 40_000, 0)
    assert await kinds(funded) == [LedgerKind.ADJUST, LedgerKind.CHARGE]


async def test_reserved_price_settles_on_delivery_and_comes_back_otherwise(funded: Store) -> None:
    m = replace(message(parts=3), price_micros=10_000)
    await accept(funded, m)
    assert await money(funded) == (TOP_UP - 30_000, 30_000)
    u1, u2, u3 = await send_all(funded, "u")
    assert await money(funded) == (TOP_UP - 30_000, 30_000)  # sent is not final yet
    await funded.apply_receipts([receipt(u1, S.DELIVERED)], T0 + 1)
    assert await money(funded) == (TOP_UP - 30_000, 20_000)
    await funded.apply_receipts([receipt(u2, S.UNDELIVERABLE), receipt(u3, S.REJECTED)], T0 + 2)
    assert await money(funded) == (TOP_UP - 10_000, 0)
    assert (await view(funded, m.id)).state in (S.UNDELIVERABLE, S.REJECTED)
    assert await kinds(funded) == [
        LedgerKind.ADJUST,
        LedgerKind.RESERVE,
        LedgerKind.SETTLE,
        LedgerKind.REFUND,
    ]
    settle = (await funded.ledger(ACC, limit=10))[1]
    assert (settle.amount_micros, settle.reserve_change_micros) == (0, -10_000)


async def test_the_same_receipt_twice_settles_or_refunds_once(funded: Store) -> None:
    a = replace(message(), price_micros=10_000)
    b = replace(message(), price_micros=20_000)
    await accept(funded, a)
    await accept(funded, b)
    ua, ub = await send_all(funded, "dup")
    # twice in one batch, then the whole batch again
    batch = [receipt(ua, S.DELIVERED), receipt(ua, S.DELIVERED)]
    batch += [receipt(ub, S.EXPIRED), receipt(ub, S.EXPIRED)]
    await funded.apply_receipts(batch, T0 + 1)
    await funded.apply_receipts(batch, T0 + 2)
    # a contradicting late receipt does not move a final part either
    await funded.apply_receipts([receipt(ua, S.UNDELIVERABLE)], T0 + 3)
    assert await money(funded) == (TOP_UP - 10_000, 0)
    assert (await kinds(funded)).count(LedgerKind.REFUND) == 1
    assert (await kinds(funded)).count(LedgerKind.SETTLE) == 1


async def test_receipts_before_the_submit_response_settle_once(funded: Store) -> None:
    m = replace(message(), price_micros=10_000)
    await accept(funded, m)
    [part] = await claim_all(funded)
    early = receipt("early-1", S.DELIVERED)
    await funded.apply_receipts([early], T0)
    await funded.apply_receipts([early], T0)  # kept twice, waiting for the id
    await funded.record_results([sent(part, "early-1")], T0 + 1)
    assert (await view(funded, m.id)).state is S.DELIVERED
    assert await money(funded) == (TOP_UP - 10_000, 0)
    assert (await kinds(funded)).count(LedgerKind.SETTLE) == 1


async def test_reserved_parts_that_never_reach_an_upstream_come_back(funded: Store) -> None:
    failed = replace(message(parts=2), price_micros=10_000)
    cancelled = replace(message(), price_micros=20_000)
    late = replace(message(expires_at=T0 + 5), price_micros=40_000)
    for m in (failed, cancelled, late):
        await accept(funded, m)
    assert await money(funded) == (TOP_UP - 80_000, 80_000)
    await funded.cancel_message(ACC, cancelled.id, T0)
    assert await money(funded) == (TOP_UP - 60_000, 60_000)
    parts = sorted(await claim_all(funded, T0 + 10), key=lambda p: p.seq)  # late expires here
    assert [p.message_id for p in parts] == [failed.id, failed.id]
    assert await money(funded) == (TOP_UP - 20_000, 20_000)
    await funded.record_results(
        [
            PartResult(part_id=parts[0].part_id, state=S.FAILED, error="refused"),
            PartResult(part_id=parts[1].part_id, state=S.QUEUED, due_at=T0 + 20),
        ],
        T0 + 10,
    )
    assert await money(funded) == (TOP_UP - 10_000, 10_000)
    await funded.expire_pending(T0 + 2 * DAY, unreceipted_before=T0 + 2 * DAY)
    assert await money(funded) == (TOP_UP, 0)


async def test_a_sent_part_without_a_final_receipt_is_expired_and_refunded(funded: Store) -> None:
    m = replace(message(expires_at=T0 + DAY), price_micros=10_000)
    await accept(funded, m)
    [upstream] = await send_all(funded, "quiet")
    await funded.expire_pending(T0 + 2 * DAY)  # without the option: sent parts are left alone
    await funded.expire_pending(T0 + 2 * DAY, unreceipted_before=T0 + DAY - 1)  # not yet
    assert (await view(funded, m.id)).state is S.SENT
    await funded.expire_pending(T0 + 2 * DAY, unreceipted_before=T0 + DAY)
    got = await view(funded, m.id)
    assert got.state is S.EXPIRED and got.error is not None
    assert await money(funded) == (TOP_UP, 0)
    await funded.apply_receipts([receipt(upstream, S.DELIVERED)], T0 + 3 * DAY)  # too late
    assert await money(funded) == (TOP_UP, 0)
    assert (await view(funded, m.id)).state is S.EXPIRED


async def test_expiry_leaves_unreserved_sent_parts_alone(funded: Store) -> None:
    m = replace(message(expires_at=T0 + DAY), price_micros=10_000)
    await accept(funded, m, reserved=False)
    await send_all(funded, "plain")
    await funded.expire_pending(T0 + 2 * DAY, unreceipted_before=T0 + 2 * DAY)
    assert (await view(funded, m.id)).state is S.SENT
    assert await money(funded) == (TOP_UP - 10_000, 0)


async def test_zero_price_parts_write_no_settle_rows(funded: Store) -> None:
    free = replace(message(), price_micros=0)
    paid = replace(message(), price_micros=10_000)
    await funded.insert_messages([free, paid], now=T0, charge=reserve(10_000))
    u_free, u_paid = await send_all(funded, "z")
    await funded.apply_receipts([receipt(u_free), receipt(u_paid)], T0 + 1)
    assert await money(funded) == (TOP_UP - 10_000, 0)
    assert await kinds(funded) == [LedgerKind.ADJUST, LedgerKind.RESERVE, LedgerKind.SETTLE]


async def test_receipts_racing_expiry_settle_or_refund_each_part_exactly_once(
    funded: Store,
) -> None:
    price = 1_000
    batch = [replace(message(expires_at=T0 + DAY), price_micros=price) for _ in range(60)]
    await funded.insert_messages(batch, now=T0, charge=reserve(price * len(batch)))
    upstream = await send_all(funded, "race")
    assert await money(funded) == (TOP_UP - 60 * price, 60 * price)
    # receipts for every part, each twice, in three overlapping batches, racing the
    # expiry of every sent part; half are delivered, half undeliverable
    receipts = [
        receipt(u, S.DELIVERED if i % 2 else S.UNDELIVERABLE) for i, u in enumerate(upstream)
    ]
    late = T0 + 2 * DAY
    await asyncio.gather(
        funded.apply_receipts(receipts[:40], late),
        funded.expire_pending(late, unreceipted_before=late),
        funded.apply_receipts(receipts[20:], late),
        funded.expire_pending(late, unreceipted_before=late),
        funded.apply_receipts(receipts[::-1], late),
    )
    views = [await view(funded, m.id) for m in batch]
    assert all(v.state in (S.DELIVERED, S.UNDELIVERABLE, S.EXPIRED) for v in views)
    delivered = sum(v.state is S.DELIVERED for v in views)
    available, reserved = await money(funded)
    assert reserved == 0
    assert available == TOP_UP - delivered * price
    rows = await funded.ledger(ACC, limit=10_000)
    settled = -sum(r.reserve_change_micros for r in rows if r.kind is LedgerKind.SETTLE)
    refunded = sum(r.amount_micros for r in rows if r.kind is LedgerKind.REFUND)
    assert settled == delivered * price
    assert settled + refunded == 60 * price


async def test_a_replaced_message_keeps_its_price_reserved_at_the_new_amount(
    funded: Store,
) -> None:
    edits = message_edits(funded)
    assert edits is not None
    m = replace(message(parts=2), price_micros=10_000)
    await accept(funded, m)
    more = replace(m, text="longer", parts=3, due_at=T0)
    await edits.replace_message(ACC, more, T0 + 1)
    assert await money(funded) == (TOP_UP - 30_000, 30_000)
    fewer = replace(m, text="short", parts=1, due_at=T0)
    await edits.replace_message(ACC, fewer, T0 + 2)
    assert await money(funded) == (TOP_UP - 10_000, 10_000)
    await edits.replace_message(ACC, more, T0 + 3)
    u1, u2, u3 = await send_all(funded, "edit", T0 + 4)
    receipts = [receipt(u1), receipt(u2), receipt(u3, S.UNDELIVERABLE)]
    await funded.apply_receipts(receipts, T0 + 5)
    assert await money(funded) == (TOP_UP - 20_000, 0)


async def test_statistics_count_only_what_a_reserved_message_really_cost(funded: Store) -> None:
    m = replace(message(parts=3), price_micros=10_000)
    await accept(funded, m)
    u1, u2, _ = await send_all(funded, "stats")
    await funded.apply_receipts([receipt(u1), receipt(u2, S.UNDELIVERABLE)], T0 + 1)
    stats = await funded.message_stats(ACC, None, None)
    assert stats.total.cost_micros == 20_000  # one settled, one still reserved
    assert await money(funded) == (TOP_UP - 20_000, 10_000)
