"""The Store contract for credit: balances, charges with messages, refunds, price lists.

Run against every backend through the ``store`` fixture (memory, SQLite, PostgreSQL).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from heliograph.domain.ids import AccountId
from heliograph.domain.messages import MessageState
from heliograph.store.base import Charge, InsufficientCredit, NotFound, PartResult, Store
from tests.store.test_contract import (
    ACC,
    OTHER,
    T0,
    claim_all,
    message,
    view,
    with_accounts,
)

S = MessageState


@pytest.fixture
async def credit_store(store: Store) -> Store:
    await with_accounts(store)
    return store


def charge(amount: int, account: AccountId = ACC) -> Charge:
    return Charge(account_id=account, amount_micros=amount, reason="test")


async def test_new_account_has_zero_balance_in_its_currency(credit_store: Store) -> None:
    balance = await credit_store.balance(ACC)
    assert balance.balance_micros == 0 and balance.currency == "EUR"
    with pytest.raises(NotFound):
        await credit_store.balance(AccountId("nobody"))


async def test_adjust_balance_adds_and_takes_but_never_below_zero(credit_store: Store) -> None:
    assert (await credit_store.adjust_balance(ACC, 5_000_000, "top up", T0)).balance_micros == (
        5_000_000
    )
    assert (await credit_store.adjust_balance(ACC, -2_000_000, "fee", T0)).balance_micros == (
        3_000_000
    )
    with pytest.raises(InsufficientCredit) as info:
        await credit_store.adjust_balance(ACC, -3_000_001, "too much", T0)
    assert info.value.balance_micros == 3_000_000
    assert (await credit_store.balance(ACC)).balance_micros == 3_000_000
    assert (await credit_store.balance(OTHER)).balance_micros == 0


async def test_charge_is_taken_with_the_messages(credit_store: Store) -> None:
    await credit_store.adjust_balance(ACC, 100_000, "top up", T0)
    m = replace(message(), price_micros=40_000)
    await credit_store.insert_messages([m], now=T0, charge=charge(40_000))
    assert (await credit_store.balance(ACC)).balance_micros == 60_000
    assert (await view(credit_store, m.id)).state is S.QUEUED


async def test_insufficient_credit_writes_nothing(credit_store: Store) -> None:
    await credit_store.adjust_balance(ACC, 30_000, "top up", T0)
    m = replace(message(), price_micros=40_000)
    with pytest.raises(InsufficientCredit) as info:
        await credit_store.insert_messages([m], now=T0, charge=charge(40_000))
    assert info.value.needed_micros == 40_000 and info.value.balance_micros == 30_000
    assert await credit_store.get_message(ACC, m.id) is None
    assert (await credit_store.balance(ACC)).balance_micros == 30_000


async def test_concurrent_charges_never_spend_the_same_credit_twice(credit_store: Store) -> None:
    await credit_store.adjust_balance(ACC, 10 * 7_000, "top up", T0)

    async def attempt() -> bool:
        m = replace(message(), price_micros=7_000)
        try:
            await credit_store.insert_messages([m], now=T0, charge=charge(7_000))
        except InsufficientCredit:
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(50)))
    assert sum(results) == 10
    assert (await credit_store.balance(ACC)).balance_micros == 0
    listed = await credit_store.list_messages(ACC, _no_filter(), before=None, limit=100)
    assert len(listed) == 10


def _no_filter():  # type: ignore[no-untyped-def]
    from heliograph.store.base import MessageFilter

    return MessageFilter()


async def test_parts_that_fail_before_an_upstream_are_refunded(credit_store: Store) -> None:
    await credit_store.adjust_balance(ACC, 1_000_000, "top up", T0)
    m = replace(message(parts=3), price_micros=10_000)
    await credit_store.insert_messages([m], now=T0, charge=charge(30_000))
    p1, p2, p3 = sorted(await claim_all(credit_store), key=lambda p: p.seq)
    await credit_store.record_results(
        [
            PartResult(part_id=p1.part_id, state=S.SENT, connector=None, upstream_id=None),
            PartResult(part_id=p2.part_id, state=S.FAILED, error="refused"),
            PartResult(part_id=p3.part_id, state=S.QUEUED, due_at=T0 + 10),
        ],
        T0,
    )
    assert (await credit_store.balance(ACC)).balance_micros == 1_000_000 - 30_000 + 10_000
    await credit_store.expire_pending(T0 + 2 * 86400)  # p3 outlives its validity in the queue
    assert (await credit_store.balance(ACC)).balance_micros == 1_000_000 - 10_000


async def test_cancel_refunds_every_part(credit_store: Store) -> None:
    await credit_store.adjust_balance(ACC, 100_000, "top up", T0)
    m = replace(message(parts=2), price_micros=20_000)
    await credit_store.insert_messages([m], now=T0, charge=charge(40_000))
    await credit_store.cancel_message(ACC, m.id, T0 + 1)
    assert (await credit_store.balance(ACC)).balance_micros == 100_000


async def test_expired_at_claim_is_refunded(credit_store: Store) -> None:
    await credit_store.adjust_balance(ACC, 100_000, "top up", T0)
    m = replace(message(expires_at=T0 + 5), price_micros=25_000)
    await credit_store.insert_messages([m], now=T0, charge=charge(25_000))
    assert await claim_all(credit_store, T0 + 10) == []
    assert (await view(credit_store, m.id)).state is S.EXPIRED
    assert (await credit_store.balance(ACC)).balance_micros == 100_000


async def test_price_lists_own_and_default(credit_store: Store) -> None:
    await credit_store.set_price(None, "", 50_000)
    await credit_store.set_price(None, "44", 40_000)
    await credit_store.set_price(ACC, "44", 30_000)
    assert await credit_store.price_lists(ACC) == ({"44": 30_000}, {"": 50_000, "44": 40_000})
    assert await credit_store.price_lists(OTHER) == ({}, {"": 50_000, "44": 40_000})
    await credit_store.set_price(ACC, "44", 35_000)
    assert (await credit_store.price_lists(ACC))[0] == {"44": 35_000}
    assert await credit_store.delete_price(ACC, "44") is True
    assert await credit_store.delete_price(ACC, "44") is False
    assert (await credit_store.price_lists(ACC))[0] == {}
