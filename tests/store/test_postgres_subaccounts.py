"""PostgreSQL beyond the shared contract: transfers between a parent and its children racing on
two nodes (two stores, each with its own pool, on one schema), against each other and against
charges, neither create nor lose credit, and the ledger accounts for every micro-unit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from heliograph.domain.ids import AccountId
from heliograph.store.base import Charge, InsufficientCredit
from heliograph.store.postgres import NodeIdentity, PostgresStore
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.store.test_contract import ACC, T0, account, credential, message

pytestmark = pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)

KIDS = (AccountId("acct-kid1"), AccountId("acct-kid2"))
OpenNode = Callable[[str], Awaitable[PostgresStore]]


@pytest.fixture
async def nodes() -> AsyncIterator[OpenNode]:
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    opened: list[PostgresStore] = []

    async def open_node(name: str) -> PostgresStore:
        dsn = postgres_dsn()
        assert dsn
        s = PostgresStore(dsn, schema=schema, node=NodeIdentity.new(name), pool_max=4)
        await s.open(now=T0)
        await s.join(T0)
        opened.append(s)
        return s

    try:
        yield open_node
    finally:
        for s in opened:
            await s.close(now=T0)
        await drop_postgres_schema(schema)


async def test_transfers_and_charges_on_two_nodes_keep_the_books(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await a.create_account(account(ACC, "parent"), [credential(ACC, "key-p")])
    for i, kid in enumerate(KIDS):
        await a.create_account(account(kid, f"kid{i}", parent_id=ACC), [])
    await a.adjust_balance(ACC, 40 * 5_000, "top up", T0)

    async def transfer(node: PostgresStore, src: AccountId, dst: AccountId) -> None:
        try:
            await node.transfer_credit(src, dst, 5_000, "move", T0)
        except InsufficientCredit:
            pass

    async def spend(node: PostgresStore, owner: AccountId) -> int:
        try:
            await node.insert_messages(
                [replace(message(account=owner), price_micros=2_000)],
                now=T0,
                charge=Charge(account_id=owner, amount_micros=2_000, reason="t"),
            )
        except InsufficientCredit:
            return 0
        return 2_000

    jobs: list[Awaitable[object]] = []
    for i in range(60):
        node = (a, b)[i % 2]
        kid = KIDS[i % 3 % 2]
        jobs.append(transfer(node, ACC, kid) if i % 3 else transfer(node, kid, ACC))
        jobs.append(spend(node, kid if i % 2 else ACC))
    results = await asyncio.gather(*jobs)
    spent = sum(r for r in results if isinstance(r, int))
    balances = [(await a.balance(x)).balance_micros for x in (ACC, *KIDS)]
    assert all(v >= 0 for v in balances)
    assert sum(balances) == 40 * 5_000 - spent
    for owner, held in zip((ACC, *KIDS), balances, strict=True):
        ledger = await a.db.read(
            lambda conn, owner=owner: conn.fetchval(
                "SELECT coalesce(sum(amount_micros), 0) FROM ledger WHERE account_id = $1", owner
            )
        )
        assert ledger == held, owner
