"""The Store contract for the inbound side: MO routes and messages, opt-outs, test mode, stats.

Run against every backend through the ``store`` fixture (memory, SQLite, PostgreSQL).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.inbound import (
    DeliveryMethod,
    MoDelivery,
    MoPlan,
    MoRecord,
    mo_route_spec,
)
from heliograph.domain.messages import MessageState
from heliograph.domain.optout import Consent, ConsentAction, ConsentSource, KeywordAction
from heliograph.store.base import AccountModes, Conflict, NotFound, PartResult, Store
from tests.store.test_contract import (
    ACC,
    DAY,
    OTHER,
    SMSC,
    T0,
    claim_all,
    insert,
    message,
    receipt,
    sent,
    view,
    with_accounts,
)

S = MessageState
N1 = "+447700900001"
N2 = "+447700900002"
N3 = "+447700900003"


@pytest.fixture
async def inbound_store(store: Store) -> Store:
    await with_accounts(store)
    return store


def record(
    id: str,
    account: AccountId | None = ACC,
    *,
    text: str = "hello",
    action: KeywordAction | None = None,
) -> MoRecord:
    return MoRecord(
        id=MessageId(id),
        connector="loopback",
        sender="+447911123456",
        to="+447700900000",
        text=text,
        received_at=T0,
        incomplete=False,
        account_id=account,
        route_id=1 if account else None,
        keyword=None,
        action=action,
    )


def plan(
    id: str,
    account: AccountId | None = ACC,
    *,
    url: str | None = "https://a.example/mo",
    consent: Consent | None = None,
    event: dict[str, Any] | None = None,
    action: KeywordAction | None = None,
) -> MoPlan:
    delivery = (
        MoDelivery(url=url, format="json", event=event or {"event": "message.received", "id": id})
        if url and account
        else None
    )
    return MoPlan(
        record=record(id, account, action=action),
        delivery=delivery,
        consent=consent,
        undelivered=None,
    )


def consent(
    number: str,
    action: ConsentAction = ConsentAction.OPT_OUT,
    *,
    account: AccountId = ACC,
    at: float = T0,
    source: ConsentSource = ConsentSource.MO,
    mo_id: str | None = "MO1",
    keyword: str | None = "STOP",
    reason: str | None = None,
) -> Consent:
    return Consent(
        account_id=account,
        number=number,
        action=action,
        at=at,
        source=source,
        mo_id=MessageId(mo_id) if mo_id else None,
        keyword=keyword,
        reason=reason,
    )


# --- MO routes -----------------------------------------------------------------------------


async def test_mo_routes_are_added_listed_and_removed(inbound_store: Store) -> None:
    s = inbound_store
    first = await s.add_mo_route(mo_route_spec("+447700900000"), ACC, T0)
    second = await s.add_mo_route(
        mo_route_spec("447700900000", keyword="Pizza", method="smpp"), OTHER, T0 + 1
    )
    third = await s.add_mo_route(mo_route_spec("4477*", url="https://b.example/mo"), OTHER, T0 + 2)
    routes = await s.mo_routes()
    assert routes == [first, second, third]
    assert first.number == "447700900000" and first.keyword is None
    assert first.method is DeliveryMethod.HTTP and first.account_id == ACC
    assert second.keyword == "pizza" and second.method is DeliveryMethod.SMPP
    assert third.url == "https://b.example/mo" and third.created_at == T0 + 2
    assert await s.remove_mo_route(second.id) is True
    assert await s.remove_mo_route(second.id) is False
    assert [r.id for r in await s.mo_routes()] == [first.id, third.id]


async def test_a_number_and_keyword_route_only_once(inbound_store: Store) -> None:
    s = inbound_store
    await s.add_mo_route(mo_route_spec("447700900000"), ACC, T0)
    with pytest.raises(Conflict):
        await s.add_mo_route(mo_route_spec("+447700900000", method="smpp"), OTHER, T0)
    await s.add_mo_route(mo_route_spec("447700900000", keyword="pizza"), OTHER, T0)
    with pytest.raises(Conflict):
        await s.add_mo_route(mo_route_spec("447700900000", keyword="PIZZA"), ACC, T0)
    with pytest.raises(NotFound):
        await s.add_mo_route(mo_route_spec("12345"), AccountId("nobody"), T0)
    assert len(await s.mo_routes()) == 2


# --- MO messages ---------------------------------------------------------------------------


async def test_mo_and_its_delivery_are_stored_together(inbound_store: Store) -> None:
    s = inbound_store
    event = {"event": "message.received", "id": "MO1", "text": "hello"}
    assert await s.insert_mo([plan("MO1", event=event), plan("MO2", None)], T0) == ["MO1", "MO2"]
    assert await s.list_mo(ACC, before=None, limit=10) == [record("MO1")]
    assert await s.list_mo(None, before=None, limit=10) == [record("MO2", None)]
    assert await s.list_mo(OTHER, before=None, limit=10) == []
    jobs = await s.claim_callbacks(T0, 10, 60.0)
    assert len(jobs) == 1
    job = jobs[0]
    assert job.account_id == ACC and job.message_id == "MO1" and job.format == "json"
    assert job.url == "https://a.example/mo" and job.secret == "whsec_alpha"
    assert json.loads(job.body) == event


async def test_the_same_mo_again_is_not_stored_or_delivered_twice(inbound_store: Store) -> None:
    s = inbound_store
    assert await s.insert_mo([plan("MO1")], T0) == ["MO1"]
    assert await s.insert_mo([plan("MO1"), plan("MO2")], T0 + 1) == ["MO2"]
    assert [r.id for r in await s.list_mo(ACC, before=None, limit=10)] == ["MO2", "MO1"]
    assert len(await s.claim_callbacks(T0 + 1, 10, 60.0)) == 2


async def test_a_batch_that_fails_writes_nothing(inbound_store: Store) -> None:
    s = inbound_store
    bad = plan("MO2", event={"unencodable": object()})
    with pytest.raises(TypeError):
        await s.insert_mo([plan("MO1", consent=consent(N1)), bad], T0)
    assert await s.list_mo(ACC, before=None, limit=10) == []
    assert await s.claim_callbacks(T0, 10, 60.0) == []
    assert await s.opted_out(ACC, [N1]) == set()


async def test_mo_list_pages_newest_first(inbound_store: Store) -> None:
    s = inbound_store
    await s.insert_mo([plan(f"MO{i}", url=None) for i in range(1, 6)], T0)
    page = await s.list_mo(ACC, before=None, limit=2)
    assert [r.id for r in page] == ["MO5", "MO4"]
    page = await s.list_mo(ACC, before=page[-1].id, limit=10)
    assert [r.id for r in page] == ["MO3", "MO2", "MO1"]


async def test_keyword_action_is_kept_with_the_mo(inbound_store: Store) -> None:
    s = inbound_store
    await s.insert_mo([plan("MO1", action=KeywordAction.HELP)], T0)
    assert (await s.list_mo(ACC, before=None, limit=1))[0].action is KeywordAction.HELP


# --- opt-outs ------------------------------------------------------------------------------


async def test_stop_in_an_mo_opts_out_in_the_same_commit(inbound_store: Store) -> None:
    s = inbound_store
    assert (await s.account_modes(ACC)).has_optouts is False
    await s.insert_mo([plan("MO1", consent=consent(N1))], T0)
    assert await s.opted_out(ACC, [N1, N2, N1]) == {N1}
    assert await s.opted_out(OTHER, [N1]) == set()
    modes = await s.account_modes(ACC)
    assert modes.has_optouts is True and modes.test_mode is False
    assert (await s.account_modes(OTHER)).has_optouts is False
    [entry] = await s.optouts(ACC, after=None, limit=10)
    assert entry.number == N1 and entry.since == T0 and entry.source is ConsentSource.MO
    assert entry.mo_id == "MO1" and entry.keyword == "STOP" and entry.reason is None


async def test_start_opts_back_in_and_the_consent_history_stays(inbound_store: Store) -> None:
    s = inbound_store
    stop = consent(N1)
    start = consent(N1, ConsentAction.OPT_IN, at=T0 + 60, mo_id="MO2", keyword="START")
    assert await s.record_consent(stop) is True
    assert await s.record_consent(replace(stop, at=T0 + 30, mo_id=MessageId("MO3"))) is False
    assert await s.record_consent(start) is True
    assert await s.record_consent(start) is False
    assert await s.opted_out(ACC, [N1]) == set()
    assert (await s.account_modes(ACC)).has_optouts is False
    history = await s.consents(ACC, N1)
    assert [(c.action, c.at, c.mo_id) for c in history] == [
        (ConsentAction.OPT_OUT, T0, "MO1"),
        (ConsentAction.OPT_OUT, T0 + 30, "MO3"),
        (ConsentAction.OPT_IN, T0 + 60, "MO2"),
        (ConsentAction.OPT_IN, T0 + 60, "MO2"),
    ]
    assert await s.consents(OTHER, N1) == []


async def test_optout_list_pages_by_number(inbound_store: Store) -> None:
    s = inbound_store
    for number in (N3, N1, N2):
        await s.record_consent(
            consent(number, source=ConsentSource.API, mo_id=None, keyword=None, reason="asked")
        )
    await s.record_consent(consent(N1, account=OTHER))
    page = await s.optouts(ACC, after=None, limit=2)
    assert [o.number for o in page] == [N1, N2]
    assert page[0].source is ConsentSource.API and page[0].reason == "asked"
    assert [o.number for o in await s.optouts(ACC, after=N2, limit=2)] == [N3]
    assert [o.number for o in await s.optouts(OTHER, after=None, limit=10)] == [N1]


async def test_many_numbers_are_checked_at_once(inbound_store: Store) -> None:
    s = inbound_store
    await s.record_consent(consent("+447700901199"))
    numbers = [f"+4477009{i:05d}" for i in range(1200)]
    assert await s.opted_out(ACC, numbers) == {"+447700901199"}


# --- test mode -----------------------------------------------------------------------------


async def test_test_mode_per_account(inbound_store: Store) -> None:
    s = inbound_store
    await s.set_test_mode(ACC, True)
    assert (await s.account_modes(ACC)).test_mode is True
    assert (await s.account_modes(OTHER)).test_mode is False
    await s.set_test_mode(ACC, False)
    assert (await s.account_modes(ACC)).test_mode is False
    with pytest.raises(NotFound):
        await s.set_test_mode(AccountId("nobody"), True)
    assert await s.account_modes(AccountId("nobody")) == AccountModes()


async def test_test_messages_are_claimed_and_read_as_such(inbound_store: Store) -> None:
    s = inbound_store
    [tid] = await insert(s, replace(message(), test=True))
    [rid] = await insert(s, message())
    parts = {p.message_id: p for p in await claim_all(s)}
    assert parts[tid].test is True and parts[rid].test is False
    assert (await view(s, tid)).test is True and (await view(s, rid)).test is False


# --- statistics ----------------------------------------------------------------------------


def day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


async def test_stats_by_status_day_and_connector_with_cost(inbound_store: Store) -> None:
    s = inbound_store
    priced = replace(message(parts=2), price_micros=10_000)
    refunded = replace(message(to=N2), price_micros=10_000)
    test = replace(message(created_at=T0 + DAY), test=True)
    await insert(s, priced, refunded, test)
    await insert(s, message(created_at=T0 - 1), message(account=OTHER))
    parts = [p for p in await claim_all(s, T0 + 1) if p.message_id in (priced.id, refunded.id)]
    results = [
        sent(p, f"up-{p.seq}")
        if p.message_id == priced.id
        else PartResult(part_id=p.part_id, state=S.FAILED, error="no")
        for p in parts
    ]
    await s.record_results(results, T0 + 1)
    await s.apply_receipts([receipt("up-1"), receipt("up-2")], T0 + 2)

    stats = await s.message_stats(ACC, T0, T0 + 2 * DAY)
    assert (stats.total.messages, stats.total.parts, stats.total.cost_micros) == (3, 4, 20_000)
    assert stats.test_messages == 1
    assert {b.key: (b.messages, b.parts, b.cost_micros) for b in stats.by_status} == {
        "delivered": (1, 2, 20_000),
        "failed": (1, 1, 0),
        "queued": (1, 1, 0),
    }
    assert [(b.key, b.messages, b.parts, b.cost_micros) for b in stats.by_day] == [
        (day(T0), 2, 3, 20_000),
        (day(T0 + DAY), 1, 1, 0),
    ]
    assert {b.key: (b.messages, b.parts, b.cost_micros) for b in stats.by_connector} == {
        None: (2, 2, 0),
        SMSC: (1, 2, 20_000),
    }
    everything = await s.message_stats(ACC, None, None)
    assert everything.total.messages == 4
    assert (await s.message_stats(ACC, T0 + 2 * DAY, None)).total.messages == 0
    assert (await s.message_stats(OTHER, None, None)).total.messages == 1


async def test_stats_of_an_empty_history(inbound_store: Store) -> None:
    stats = await inbound_store.message_stats(ACC, None, None)
    assert stats.total.messages == 0 and stats.total.cost_micros == 0
    assert stats.by_status == [] and stats.by_day == [] and stats.by_connector == []
