"""SubAccountService and AccountService on every store backend: the family's pages merged,
its figures added up, its credentials refused with a suspended parent, its credit moved."""

from __future__ import annotations

import pytest

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.services.accounts import AccountService
from heliograph.services.subaccounts import SubAccountService, merge_stats
from heliograph.store.base import AccountChanges, Bucket, MessageFilter, MessageStats, Store
from heliograph.store.sqlite_admin import account_admin
from tests.store.test_contract import insert, message
from tests.support.clock import FakeClock


class Family:
    def __init__(self, store: Store) -> None:
        self.clock = FakeClock()
        admin = account_admin(store)
        self.accounts = AccountService(store, self.clock, administration=admin)
        self.subs = SubAccountService(store, self.accounts, self.clock, administration=admin)
        self.store = store

    async def make(self) -> tuple[Account, Account, Account]:
        parent = (await self.accounts.create("parent")).account
        kid = (await self.subs.create(parent, "kid")).account
        sibling = (await self.subs.create(parent, "sibling")).account
        return parent, kid, sibling


@pytest.fixture
async def family(store: Store) -> Family:
    return Family(store)


async def test_family_pages_merge_newest_first_without_gaps(family: Family) -> None:
    parent, kid, sibling = await family.make()
    ids = []
    for i in range(9):
        owner = (parent, kid, sibling)[i % 3].id
        t = 1_800_000_000.0 + i
        [mid] = await insert(family.store, message(account=owner, created_at=t))
        ids.append(mid)
    accounts = await family.subs.visible(parent, None, include_children=True)
    assert [a.name for a in accounts] == ["parent", "kid", "sibling"]
    seen, cursor = [], None
    while True:
        page, cursor = await family.subs.list_messages(
            [a.id for a in accounts], MessageFilter(), cursor=cursor, limit=4
        )
        seen += [v.id for v in page]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    only_kid = await family.subs.visible(parent, "kid", include_children=False)
    page, _ = await family.subs.list_messages(
        [a.id for a in only_kid], MessageFilter(), cursor=None, limit=100
    )
    assert {v.account_id for v in page} == {kid.id} and len(page) == 3
    with pytest.raises(Rejected) as info:
        await family.subs.visible(kid, "sibling", include_children=False)
    assert info.value.reason is RejectReason.NOT_FOUND
    found = await family.subs.find_message(parent, ids[1])
    assert found is not None and found[0].id == kid.id
    assert await family.subs.find_message(kid, ids[0]) is None
    assert await family.subs.find_message(sibling, ids[1]) is None


async def test_family_stats_add_up(family: Family) -> None:
    parent, kid, _ = await family.make()
    await insert(family.store, message(account=parent.id), message(account=kid.id, parts=2))
    accounts = await family.subs.visible(parent, None, include_children=True)
    total, each = await family.subs.stats(accounts, None, None)
    assert (total.total.messages, total.total.parts) == (2, 3)
    assert [(a.name, b.messages) for a, b in each] == [("parent", 1), ("kid", 1), ("sibling", 0)]


def test_merge_stats_adds_buckets_by_key() -> None:
    def b(key: str | None, n: int) -> Bucket:
        return Bucket(key=key, messages=n, parts=n, cost_micros=10 * n)

    one = MessageStats(
        total=b(None, 3),
        test_messages=1,
        by_status=[b("queued", 3)],
        by_day=[b("2026-11-21", 3)],
        by_connector=[b(None, 1), b("smsc", 2)],
    )
    two = MessageStats(
        total=b(None, 2),
        test_messages=0,
        by_status=[b("delivered", 1), b("queued", 1)],
        by_day=[b("2026-11-22", 2)],
        by_connector=[b("smsc", 2)],
    )
    merged = merge_stats([one, two])
    assert merged.total == b(None, 5) and merged.test_messages == 1
    assert merged.by_status == [b("delivered", 1), b("queued", 4)]
    assert merged.by_day == [b("2026-11-21", 3), b("2026-11-22", 2)]
    assert merged.by_connector == [b(None, 1), b("smsc", 4)]
    assert merge_stats([]).total == b(None, 0)


async def test_a_suspended_parent_suspends_its_children_on_every_credential(
    family: Family,
) -> None:
    parent = (await family.accounts.create("parent")).account
    kid = await family.subs.create(parent, "kid")
    found = await family.accounts.by_secret(CredentialKind.SMPP, "kid", kid.smpp_password)
    assert found.id == kid.account.id
    await family.accounts.update(parent, AccountChanges(disabled=True))
    for attempt in (
        family.accounts.by_secret(CredentialKind.SMPP, "kid", kid.smpp_password),
        family.accounts.by_secret(CredentialKind.PIN, "kid", kid.pin),
        family.accounts.by_api_key(kid.api_key),
    ):
        with pytest.raises(Rejected) as info:
            await attempt
        assert info.value.reason is RejectReason.ACCOUNT_DISABLED


async def test_transfers_through_the_service(family: Family) -> None:
    parent, kid, _ = await family.make()
    await family.store.adjust_balance(parent.id, 1_000_000, "top up", 0.0)
    p, k = await family.subs.transfer(kid, 400_000)
    assert (p.balance_micros, k.balance_micros) == (600_000, 400_000)
    p, k = await family.subs.transfer(kid, -100_000)
    assert (p.balance_micros, k.balance_micros) == (700_000, 300_000)
    with pytest.raises(Rejected) as info:
        await family.subs.transfer(kid, -300_001)
    assert info.value.reason is RejectReason.INSUFFICIENT_CREDIT and "kid" in info.value.detail
    with pytest.raises(Rejected) as info:
        await family.subs.transfer(parent, 1)
    assert info.value.reason is RejectReason.INVALID_REQUEST
    with pytest.raises(Rejected):
        await family.subs.create(kid, "grandkid")
    assert await family.store.find_account("grandkid") is None
    assert AccountId(kid.id) == (await family.subs.managed(parent, "kid")).id
