"""The contract for sub-accounts (``store.base.AccountAdmin``): a parent and its children,
one level deep, and credit moved between them atomically. Run through the ``store`` fixture
(memory, SQLite, PostgreSQL).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from heliograph.domain.accounts import CredentialKind
from heliograph.domain.ids import AccountId, MessageId
from heliograph.store.base import (
    AccountAdmin,
    Charge,
    Conflict,
    InsufficientCredit,
    NotFound,
    Store,
)
from heliograph.store.postgres import PostgresStore
from heliograph.store.sqlite import SqliteStore
from heliograph.store.sqlite_admin import account_admin
from tests.store.test_contract import ACC, OTHER, T0, account, credential, insert, message

KID = AccountId("acct-kid")
KID2 = AccountId("acct-kid2")


@pytest.fixture
async def admin(store: Store) -> AccountAdmin:
    await store.create_account(account(ACC, "parent"), [credential(ACC, "key-p")])
    await store.create_account(account(OTHER, "stranger"), [credential(OTHER, "key-s")])
    await store.create_account(account(KID, "kid", parent_id=ACC), [credential(KID, "key-k")])
    got = account_admin(store)
    assert got is not None
    return got


async def set_currency(store: Store, account_id: AccountId, currency: str) -> None:
    """No API changes a currency yet: set it in the row, as an operator would."""
    if isinstance(store, PostgresStore):

        async def pg(conn):  # type: ignore[no-untyped-def]
            await conn.execute(
                "UPDATE accounts SET currency = $1 WHERE id = $2", currency, account_id
            )

        await store.db.write(pg)
    else:
        assert isinstance(store, SqliteStore)
        await store._write(
            lambda conn: conn.execute(
                "UPDATE accounts SET currency = ? WHERE id = ?", (currency, account_id)
            )
        )


async def test_a_child_knows_its_parent_and_the_parent_lists_it(
    store: Store, admin: AccountAdmin
) -> None:
    kid = await store.get_account(KID)
    assert kid is not None and kid.parent_id == ACC
    found = await store.find_credential(CredentialKind.API_KEY, "key-k")
    assert found is not None and found[0].parent_id == ACC
    parent = await store.find_account("parent")
    assert parent is not None and parent.parent_id is None
    await store.create_account(account(KID2, "another-kid", parent_id=ACC), [])
    assert [a.name for a in await admin.children(ACC)] == ["another-kid", "kid"]
    assert await admin.children(OTHER) == []
    assert await admin.children(KID) == []


async def test_a_child_takes_its_parents_currency(store: Store, admin: AccountAdmin) -> None:
    await set_currency(store, ACC, "USD")
    await store.create_account(account(KID2, "dollar-kid", parent_id=ACC), [])
    assert (await store.balance(KID2)).currency == "USD"


async def test_sub_accounts_are_one_level_deep_and_never_a_cycle(
    store: Store, admin: AccountAdmin
) -> None:
    with pytest.raises(Conflict):  # a child's child
        await store.create_account(account(KID2, "grandkid", parent_id=KID), [])
    with pytest.raises(NotFound):
        await store.create_account(account(KID2, "orphan", parent_id=AccountId("nobody")), [])
    assert await store.find_account("grandkid") is None
    assert await store.find_account("orphan") is None
    with pytest.raises(Conflict):  # a parent under its own child
        await admin.set_parent(ACC, KID)
    with pytest.raises(Conflict):  # a parent under anyone: it has children
        await admin.set_parent(ACC, OTHER)
    with pytest.raises(Conflict):
        await admin.set_parent(OTHER, OTHER)
    with pytest.raises(NotFound):
        await admin.set_parent(AccountId("nobody"), ACC)
    assert (await store.get_account(ACC)).parent_id is None  # type: ignore[union-attr]


async def test_an_account_is_attached_and_detached(store: Store, admin: AccountAdmin) -> None:
    attached = await admin.set_parent(OTHER, ACC)
    assert attached.parent_id == ACC
    assert [a.id for a in await admin.children(ACC)] == [KID, OTHER]
    detached = await admin.set_parent(KID, None)
    assert detached.parent_id is None
    assert [a.id for a in await admin.children(ACC)] == [OTHER]


async def test_an_account_in_another_currency_cannot_be_attached(
    store: Store, admin: AccountAdmin
) -> None:
    await set_currency(store, OTHER, "USD")
    with pytest.raises(Conflict):
        await admin.set_parent(OTHER, ACC)


async def test_a_transfer_moves_exactly_the_amount(store: Store, admin: AccountAdmin) -> None:
    await store.adjust_balance(ACC, 5_000_000, "top up", T0)
    parent, kid = await admin.transfer_credit(ACC, KID, 1_250_000, "to kid", T0)
    assert (parent.balance_micros, kid.balance_micros) == (3_750_000, 1_250_000)
    parent, kid = await admin.transfer_credit(KID, ACC, 250_000, "back", T0)
    assert (parent.balance_micros, kid.balance_micros) == (1_000_000, 4_000_000)
    assert (await store.balance(ACC)).balance_micros == 4_000_000
    assert (await store.balance(KID)).balance_micros == 1_000_000


async def test_a_transfer_beyond_the_balance_changes_nothing(
    store: Store, admin: AccountAdmin
) -> None:
    await store.adjust_balance(ACC, 1_000_000, "top up", T0)
    with pytest.raises(InsufficientCredit) as info:
        await admin.transfer_credit(ACC, KID, 1_000_001, "too much", T0)
    assert info.value.balance_micros == 1_000_000
    with pytest.raises(NotFound):
        await admin.transfer_credit(ACC, AccountId("nobody"), 1, "lost", T0)
    assert (await store.balance(ACC)).balance_micros == 1_000_000
    assert (await store.balance(KID)).balance_micros == 0
    with pytest.raises(ValueError):
        await admin.transfer_credit(ACC, KID, 0, "nothing", T0)


async def test_a_transfer_across_currencies_is_refused(store: Store, admin: AccountAdmin) -> None:
    await store.adjust_balance(ACC, 1_000_000, "top up", T0)
    await set_currency(store, KID, "USD")
    with pytest.raises(Conflict):
        await admin.transfer_credit(ACC, KID, 1_000, "abroad", T0)
    assert (await store.balance(ACC)).balance_micros == 1_000_000


async def test_concurrent_transfers_and_charges_neither_create_nor_lose_credit(
    store: Store, admin: AccountAdmin
) -> None:
    """Transfers both ways and the child's and parent's charges race; the books must close:
    what the family holds at the end is what it had less what its messages were charged."""
    await store.adjust_balance(ACC, 10 * 7_000, "top up", T0)

    async def transfer(src: AccountId, dst: AccountId) -> int:
        try:
            await admin.transfer_credit(src, dst, 7_000, "move", T0)
        except InsufficientCredit:
            return 0
        return 1

    async def spend(owner: AccountId) -> int:
        m = replace(message(account=owner), price_micros=3_000)
        try:
            await store.insert_messages(
                [m], now=T0, charge=Charge(account_id=owner, amount_micros=3_000, reason="t")
            )
        except InsufficientCredit:
            return 0
        return 3_000

    jobs = [transfer(ACC, KID) for _ in range(30)]
    jobs += [transfer(KID, ACC) for _ in range(10)]
    jobs += [spend(KID) for _ in range(10)] + [spend(ACC) for _ in range(5)]
    results = await asyncio.gather(*jobs)
    spent = sum(results[40:])
    parent, kid = await store.balance(ACC), await store.balance(KID)
    assert parent.balance_micros >= 0 and kid.balance_micros >= 0
    assert parent.balance_micros + kid.balance_micros == 70_000 - spent
    assert sum(results[:30]) <= 10 + sum(results[30:40])


async def test_concurrent_transfers_from_one_parent_never_exceed_its_balance(
    store: Store, admin: AccountAdmin
) -> None:
    await store.create_account(account(KID2, "kid-two", parent_id=ACC), [])
    await store.adjust_balance(ACC, 10 * 5_000, "top up", T0)

    async def attempt(kid: AccountId) -> bool:
        try:
            await admin.transfer_credit(ACC, kid, 5_000, "move", T0)
        except InsufficientCredit:
            return False
        return True

    results = await asyncio.gather(*(attempt(KID if i % 2 else KID2) for i in range(40)))
    assert sum(results) == 10
    assert (await store.balance(ACC)).balance_micros == 0
    moved = (await store.balance(KID)).balance_micros + (await store.balance(KID2)).balance_micros
    assert moved == 50_000


async def test_message_account_names_the_owner(store: Store, admin: AccountAdmin) -> None:
    [mid] = await insert(store, message(account=KID))
    assert await admin.message_account(mid) == KID
    assert await admin.message_account(MessageId(mid + "x")) is None
