"""The Store contract: one suite, run against every backend through the ``store`` fixture.

Only the ``Store`` protocol (``heliograph.store.base``) and domain types are used here, so
that any backend (memory, SQLite, PostgreSQL) can join by adding itself to the fixture.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Sequence

import pytest

from heliograph.domain.accounts import Account, Credential, CredentialKind
from heliograph.domain.ids import AccountId, ConnectorId, MessageId, PartId, UpstreamId
from heliograph.domain.messages import MessageState, MessageView, NewMessage
from heliograph.domain.outcomes import Receipt
from heliograph.store.base import (
    CallbackJob,
    CallbackRetry,
    Changes,
    ClaimedPart,
    Conflict,
    IdempotentAnswer,
    MessageFilter,
    NotFound,
    PartResult,
    Store,
)

S = MessageState
T0 = 1_800_000_000.0
DAY = 86400.0
ACC = AccountId("acct-a")
OTHER = AccountId("acct-b")
SMSC = ConnectorId("smsc-1")
SMSC2 = ConnectorId("smsc-2")
HOOK = "https://client.example/hook"

_numbers = itertools.count(1)


def new_id() -> MessageId:
    """Increasing ids, as the services make them (time-ordered)."""
    return MessageId(f"M{next(_numbers):025d}")


def message(
    *,
    account: AccountId = ACC,
    id: MessageId | None = None,
    to: str = "+447911123456",
    parts: int = 1,
    state: MessageState = S.QUEUED,
    created_at: float = T0,
    due_at: float | None = None,
    expires_at: float | None = T0 + DAY,
    priority: int = 0,
    callback_url: str | None = None,
    callback_format: str = "json",
    reference: str | None = None,
    sender: str | None = "Heliograph",
    text: str = "hello",
) -> NewMessage:
    return NewMessage(
        id=id or new_id(),
        account_id=account,
        to=to,
        sender=sender,
        text=text,
        encoding="gsm7",
        data_coding=0,
        parts=parts,
        concat_ref=42,
        state=state,
        reference=reference,
        callback_url=callback_url,
        callback_format=callback_format,
        priority=priority,
        created_at=created_at,
        due_at=created_at if due_at is None else due_at,
        expires_at=expires_at,
    )


def account(id: AccountId = ACC, name: str = "alpha", **kw: object) -> Account:
    return Account(
        id=id,
        name=name,
        callback_url=kw.pop("callback_url", None),  # type: ignore[arg-type]
        callback_secret=f"whsec_{name}",
        created_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def credential(
    account_id: AccountId, lookup: str, kind: CredentialKind = CredentialKind.API_KEY
) -> Credential:
    return Credential(
        account_id=account_id,
        kind=kind,
        lookup=lookup,
        secret_hash="" if kind is CredentialKind.API_KEY else f"scrypt$hash-of-{lookup}",
        created_at=T0,
    )


async def with_accounts(store: Store) -> None:
    await store.create_account(account(ACC, "alpha"), [credential(ACC, "key-a")])
    await store.create_account(account(OTHER, "beta"), [credential(OTHER, "key-b")])


async def insert(store: Store, *messages: NewMessage) -> list[MessageId]:
    assert await store.insert_messages(messages, now=T0) is None
    return [m.id for m in messages]


async def view(store: Store, mid: MessageId, account_id: AccountId = ACC) -> MessageView:
    got = await store.get_message(account_id, mid)
    assert got is not None
    return got


async def claim_all(store: Store, now: float = T0) -> list[ClaimedPart]:
    parts, _ = await store.claim_parts(now, 1000)
    return parts


def sent(part: ClaimedPart | PartId, upstream: str, connector: ConnectorId = SMSC) -> PartResult:
    pid = part if isinstance(part, int) else part.part_id
    return PartResult(
        part_id=pid, state=S.SENT, connector=connector, upstream_id=UpstreamId(upstream)
    )


def receipt(
    upstream: str,
    state: MessageState = S.DELIVERED,
    *,
    connector: ConnectorId = SMSC,
    error: str | None = None,
) -> Receipt:
    return Receipt(
        connector=connector, upstream_id=UpstreamId(upstream), state=state, error=error, at=T0
    )


def part_states(v: MessageView) -> list[MessageState]:
    return [p.state for p in v.parts]


async def events(store: Store, now: float = T0 + 10 * DAY) -> list[dict[str, object]]:
    jobs = await store.claim_callbacks(now, 1000, 60.0)
    return [json.loads(j.body) for j in sorted(jobs, key=lambda j: j.id)]


# --- accounts ------------------------------------------------------------------------------


async def test_create_account_found_by_id_name_and_credential(store: Store) -> None:
    acct = account(ACC, "alpha", callback_url=HOOK)
    key = credential(ACC, "sha-of-key")
    pin = credential(ACC, "alice", CredentialKind.PIN)
    await store.create_account(acct, [key, pin])

    assert await store.get_account(ACC) == acct
    assert await store.find_account("alpha") == acct
    assert await store.find_credential(CredentialKind.API_KEY, "sha-of-key") == (acct, key)
    assert await store.find_credential(CredentialKind.PIN, "alice") == (acct, pin)


async def test_find_credential_unknown_or_other_kind_is_none(store: Store) -> None:
    await store.create_account(account(), [credential(ACC, "alice", CredentialKind.PASSWORD)])
    assert await store.find_credential(CredentialKind.PASSWORD, "bob") is None
    assert await store.find_credential(CredentialKind.PIN, "alice") is None
    assert await store.get_account(AccountId("nobody")) is None
    assert await store.find_account("nobody") is None


async def test_create_account_name_taken_conflict_writes_nothing(store: Store) -> None:
    await store.create_account(account(ACC, "alpha"), [credential(ACC, "key-a")])
    with pytest.raises(Conflict):
        await store.create_account(account(OTHER, "alpha"), [credential(OTHER, "key-b")])
    assert await store.get_account(OTHER) is None
    assert await store.find_credential(CredentialKind.API_KEY, "key-b") is None


async def test_create_account_credential_taken_conflict_writes_nothing(store: Store) -> None:
    await store.create_account(account(ACC, "alpha"), [credential(ACC, "key-a")])
    with pytest.raises(Conflict):
        await store.create_account(
            account(OTHER, "beta"),
            [credential(OTHER, "fresh"), credential(OTHER, "key-a")],
        )
    assert await store.get_account(OTHER) is None
    assert await store.find_account("beta") is None
    assert await store.find_credential(CredentialKind.API_KEY, "fresh") is None
    found = await store.find_credential(CredentialKind.API_KEY, "key-a")
    assert found is not None and found[0].id == ACC


async def test_create_account_same_lookup_of_another_kind_is_fine(store: Store) -> None:
    await store.create_account(
        account(),
        [
            credential(ACC, "alice", CredentialKind.PASSWORD),
            credential(ACC, "alice", CredentialKind.PIN),
            credential(ACC, "alice", CredentialKind.SMPP),
        ],
    )
    for kind in (CredentialKind.PASSWORD, CredentialKind.PIN, CredentialKind.SMPP):
        assert await store.find_credential(kind, "alice") is not None


async def test_add_credentials_then_conflict_on_taken_lookup(store: Store) -> None:
    await with_accounts(store)
    await store.add_credentials([credential(ACC, "key-a2")])
    found = await store.find_credential(CredentialKind.API_KEY, "key-a2")
    assert found is not None and found[0].id == ACC
    with pytest.raises(Conflict):
        await store.add_credentials([credential(ACC, "key-a3"), credential(ACC, "key-b")])
    assert await store.find_credential(CredentialKind.API_KEY, "key-a3") is None


async def test_account_and_credential_flags_round_trip(store: Store) -> None:
    acct = account(ACC, "alpha", disabled=True)
    revoked = Credential(
        account_id=ACC,
        kind=CredentialKind.API_KEY,
        lookup="old",
        secret_hash="",
        created_at=T0,
        revoked=True,
    )
    await store.create_account(acct, [revoked])
    assert await store.find_credential(CredentialKind.API_KEY, "old") == (acct, revoked)


async def test_list_accounts_returns_every_account(store: Store) -> None:
    assert await store.list_accounts() == []
    await with_accounts(store)
    assert sorted(a.name for a in await store.list_accounts()) == ["alpha", "beta"]


# --- insert, idempotency, reads -------------------------------------------------------------


async def test_insert_messages_readable_with_parts(store: Store) -> None:
    m = message(parts=3, reference="ref-1", callback_url=HOOK, priority=2)
    await insert(store, m)
    v = await view(store, m.id)
    assert (v.id, v.account_id, v.to, v.sender, v.text, v.encoding) == (
        m.id,
        ACC,
        m.to,
        "Heliograph",
        "hello",
        "gsm7",
    )
    assert (v.state, v.reference, v.callback_url, v.priority) == (S.QUEUED, "ref-1", HOOK, 2)
    assert (v.created_at, v.due_at, v.expires_at, v.error) == (T0, T0, T0 + DAY, None)
    assert [p.seq for p in v.parts] == [1, 2, 3]
    for p in v.parts:
        assert (p.state, p.attempts, p.connector, p.upstream_id, p.error) == (
            S.QUEUED,
            0,
            None,
            None,
            None,
        )


async def test_insert_messages_scheduled_state_kept(store: Store) -> None:
    m = message(state=S.SCHEDULED, due_at=T0 + 3600, expires_at=T0 + 7200)
    await insert(store, m)
    v = await view(store, m.id)
    assert v.state is S.SCHEDULED
    assert part_states(v) == [S.SCHEDULED]


async def test_insert_messages_idempotency_key_replays_first_answer(store: Store) -> None:
    first = message()
    answer = IdempotentAnswer(status=202, body=b'{"first":true}')
    got = await store.insert_messages([first], idempotency=(ACC, "k1", answer), now=T0)
    assert got is None

    second = message()
    again = IdempotentAnswer(status=202, body=b'{"second":true}')
    got = await store.insert_messages([second], idempotency=(ACC, "k1", again), now=T0 + 60)
    assert got == answer
    assert await store.get_message(ACC, second.id) is None
    assert await store.get_message(ACC, first.id) is not None
    assert await store.idempotent_answer(ACC, "k1", T0 + DAY - 1) == answer


async def test_insert_messages_idempotency_key_expires_after_a_day(store: Store) -> None:
    answer = IdempotentAnswer(status=202, body=b"one")
    await store.insert_messages([message()], idempotency=(ACC, "k1", answer), now=T0)
    later = T0 + DAY + 1
    assert await store.idempotent_answer(ACC, "k1", later) is None

    fresh = message(created_at=later)
    answer2 = IdempotentAnswer(status=202, body=b"two")
    got = await store.insert_messages([fresh], idempotency=(ACC, "k1", answer2), now=later)
    assert got is None
    assert await store.get_message(ACC, fresh.id) is not None
    assert await store.idempotent_answer(ACC, "k1", later + 1) == answer2


async def test_insert_messages_idempotency_key_is_per_account(store: Store) -> None:
    a = IdempotentAnswer(status=202, body=b"a")
    b = IdempotentAnswer(status=202, body=b"b")
    await store.insert_messages([message()], idempotency=(ACC, "k", a), now=T0)
    other = message(account=OTHER)
    assert await store.insert_messages([other], idempotency=(OTHER, "k", b), now=T0) is None
    assert await store.get_message(OTHER, other.id) is not None
    assert await store.idempotent_answer(OTHER, "k", T0) == b
    assert await store.idempotent_answer(ACC, "k", T0) == a


async def test_idempotent_answer_unknown_key_is_none(store: Store) -> None:
    assert await store.idempotent_answer(ACC, "never", T0) is None


async def test_insert_messages_duplicate_id_conflict_writes_nothing(store: Store) -> None:
    existing = message()
    await insert(store, existing)
    fresh = message()
    with pytest.raises(Conflict):
        await store.insert_messages([fresh, message(id=existing.id)], now=T0)
    assert await store.get_message(ACC, fresh.id) is None


async def test_get_message_of_another_account_is_none(store: Store) -> None:
    m = message()
    await insert(store, m)
    assert await store.get_message(OTHER, m.id) is None
    assert await store.get_message(ACC, MessageId("M-unknown")) is None


async def test_list_messages_newest_first_with_before_cursor(store: Store) -> None:
    ids = await insert(store, *(message(created_at=T0 + n) for n in range(5)))
    page = await store.list_messages(ACC, MessageFilter(), before=None, limit=2)
    assert [v.id for v in page] == [ids[4], ids[3]]
    page = await store.list_messages(ACC, MessageFilter(), before=page[-1].id, limit=2)
    assert [v.id for v in page] == [ids[2], ids[1]]
    page = await store.list_messages(ACC, MessageFilter(), before=page[-1].id, limit=2)
    assert [v.id for v in page] == [ids[0]]
    assert all(len(v.parts) == 1 for v in page)


async def test_list_messages_only_own_account(store: Store) -> None:
    mine = await insert(store, message(), message())
    await insert(store, message(account=OTHER))
    got = await store.list_messages(ACC, MessageFilter(), before=None, limit=100)
    assert sorted(v.id for v in got) == sorted(mine)


async def test_list_messages_filters(store: Store) -> None:
    a = message(to="+447911000001", created_at=T0 + 1)
    b = message(to="+447911000002", created_at=T0 + 2)
    c = message(to="+447911000001", created_at=T0 + 3)
    await insert(store, a, b, c)
    await store.cancel_message(ACC, b.id, T0 + 4)

    async def ids(flt: MessageFilter) -> list[MessageId]:
        return [v.id for v in await store.list_messages(ACC, flt, before=None, limit=100)]

    assert await ids(MessageFilter(state=S.CANCELLED)) == [b.id]
    assert await ids(MessageFilter(state=S.QUEUED)) == [c.id, a.id]
    assert await ids(MessageFilter(to="+447911000001")) == [c.id, a.id]
    assert await ids(MessageFilter(created_from=T0 + 1.5)) == [c.id, b.id]
    assert await ids(MessageFilter(created_to=T0 + 2.5)) == [b.id, a.id]
    assert await ids(MessageFilter(created_from=T0 + 1.5, created_to=T0 + 2.5)) == [b.id]
    assert await ids(MessageFilter(state=S.QUEUED, to="+447911000002")) == []


# --- cancel ---------------------------------------------------------------------------------


async def test_cancel_message_queued_becomes_cancelled(store: Store) -> None:
    m = message(parts=2)
    await insert(store, m)
    v = await store.cancel_message(ACC, m.id, T0 + 5)
    assert v.state is S.CANCELLED
    assert part_states(v) == [S.CANCELLED, S.CANCELLED]
    assert (await view(store, m.id)).state is S.CANCELLED
    assert await claim_all(store, T0 + 10) == []


async def test_cancel_message_scheduled_becomes_cancelled(store: Store) -> None:
    m = message(state=S.SCHEDULED, due_at=T0 + 3600)
    await insert(store, m)
    assert (await store.cancel_message(ACC, m.id, T0)).state is S.CANCELLED
    await store.release_scheduled(T0 + 3600)
    assert (await view(store, m.id)).state is S.CANCELLED


async def test_cancel_message_sending_or_sent_conflict(store: Store) -> None:
    a, b = message(), message()
    await insert(store, a, b)
    parts = {p.message_id: p for p in await claim_all(store)}
    await store.record_results([sent(parts[b.id], "up-b")], T0)
    for mid, state in ((a.id, S.SENDING), (b.id, S.SENT)):
        with pytest.raises(Conflict):
            await store.cancel_message(ACC, mid, T0)
        assert (await view(store, mid)).state is state


async def test_cancel_message_partly_claimed_multipart_conflict(store: Store) -> None:
    m = message(parts=2)
    await insert(store, m)
    await store.claim_parts(T0, 1)
    with pytest.raises(Conflict):
        await store.cancel_message(ACC, m.id, T0)
    v = await view(store, m.id)
    assert sorted(part_states(v)) == sorted([S.SENDING, S.QUEUED])


async def test_cancel_message_unknown_or_other_account_not_found(store: Store) -> None:
    m = message()
    await insert(store, m)
    with pytest.raises(NotFound):
        await store.cancel_message(ACC, MessageId("M-unknown"), T0)
    with pytest.raises(NotFound):
        await store.cancel_message(OTHER, m.id, T0)
    assert (await view(store, m.id)).state is S.QUEUED


# --- claim_parts ----------------------------------------------------------------------------


async def test_claim_parts_only_due_queued_parts(store: Store) -> None:
    due = message()
    later = message(due_at=T0 + 60)
    scheduled = message(state=S.SCHEDULED, due_at=T0 - 10)
    await insert(store, due, later, scheduled)
    assert [p.message_id for p in await claim_all(store)] == [due.id]
    assert await claim_all(store) == []  # already sending
    assert [p.message_id for p in await claim_all(store, T0 + 60)] == [later.id]
    assert (await view(store, scheduled.id)).state is S.SCHEDULED


async def test_claim_parts_priority_order_and_limit(store: Store) -> None:
    low_old = message(priority=0, due_at=T0 - 30)
    high = message(priority=3, due_at=T0 - 1)
    mid_new = message(priority=1, due_at=T0 - 5)
    mid_old = message(priority=1, due_at=T0 - 20)
    await insert(store, low_old, high, mid_new, mid_old)
    first, _ = await store.claim_parts(T0, 2)
    assert [p.message_id for p in first] == [high.id, mid_old.id]
    second, _ = await store.claim_parts(T0, 10)
    assert [p.message_id for p in second] == [mid_new.id, low_old.id]


async def test_claim_parts_moves_to_sending_with_attempt(store: Store) -> None:
    m = message(to="+14155550100", priority=2, text="hi there", expires_at=T0 + 600)
    await insert(store, m)
    parts, changes = await store.claim_parts(T0 + 1, 10)
    assert len(parts) == 1
    p = parts[0]
    assert (p.message_id, p.account_id, p.seq, p.parts, p.to) == (m.id, ACC, 1, 1, m.to)
    assert (p.sender, p.text, p.encoding, p.data_coding, p.concat_ref) == (
        "Heliograph",
        "hi there",
        "gsm7",
        0,
        42,
    )
    assert (p.priority, p.attempts, p.expires_at) == (2, 1, T0 + 600)
    assert changes.states == {S.SENDING: 1}
    v = await view(store, m.id)
    assert v.state is S.SENDING
    assert [(x.state, x.attempts) for x in v.parts] == [(S.SENDING, 1)]


async def test_claim_parts_carry_the_messages_own_connector(store: Store) -> None:
    from dataclasses import replace

    forced = replace(message(parts=2), connector=ConnectorId("second"))
    routed = message()
    # a batch this big goes in by COPY on PostgreSQL, a small one by one statement
    many = [replace(message(), connector=ConnectorId(f"c{i % 2}")) for i in range(64)]
    await insert(store, forced, routed)
    await insert(store, *many)
    got = {(p.message_id, p.seq): p.forced for p in await claim_all(store)}
    assert got[forced.id, 1] == got[forced.id, 2] == "second"
    assert got[routed.id, 1] is None
    assert [got[m.id, 1] for m in many] == [m.connector for m in many]


async def test_claim_parts_carry_the_messages_tlvs(store: Store) -> None:
    from dataclasses import replace

    tlvs = ((0x1401, b"spring\0"), (0x0019, b"\x01"), (0x1403, b""))
    with_tlvs = replace(message(parts=2), tlvs=tlvs)
    plain = message()
    # a batch this big goes in by COPY on PostgreSQL, a small one by one statement
    many = [
        replace(message(), tlvs=((0x1400 + i, bytes([i])),) if i % 2 else None) for i in range(64)
    ]
    await insert(store, with_tlvs, plain)
    await insert(store, *many)
    got = {(p.message_id, p.seq): p.tlvs for p in await claim_all(store)}
    assert got[with_tlvs.id, 1] == got[with_tlvs.id, 2] == tlvs
    assert got[plain.id, 1] is None
    assert [got[m.id, 1] for m in many] == [m.tlvs for m in many]


async def test_claim_parts_multipart_claims_each_part(store: Store) -> None:
    m = message(parts=3)
    await insert(store, m)
    parts = await claim_all(store)
    assert sorted(p.seq for p in parts) == [1, 2, 3]
    assert len({p.part_id for p in parts}) == 3
    assert all(p.parts == 3 for p in parts)


async def test_claim_parts_expired_parts_are_expired_not_claimed(store: Store) -> None:
    stale = message(due_at=T0 - 100, expires_at=T0 - 1)
    fresh = message(due_at=T0 - 100, expires_at=T0 + 100)
    await insert(store, stale, fresh)
    parts, changes = await store.claim_parts(T0, 10)
    assert [p.message_id for p in parts] == [fresh.id]
    assert changes.states == {S.SENDING: 1, S.EXPIRED: 1}
    v = await view(store, stale.id)
    assert v.state is S.EXPIRED
    assert part_states(v) == [S.EXPIRED]
    assert v.error


async def test_claim_parts_concurrent_claims_never_share_a_part(store: Store) -> None:
    await insert(store, *(message(parts=3) for _ in range(10)))
    batches = await asyncio.gather(*(store.claim_parts(T0, 7) for _ in range(6)))
    ids = [p.part_id for parts, _ in batches for p in parts]
    assert len(ids) == 30
    assert len(set(ids)) == 30


# --- record_results -------------------------------------------------------------------------


async def test_record_results_sent_with_upstream_id(store: Store) -> None:
    m = message()
    await insert(store, m)
    (p,) = await claim_all(store)
    changes = await store.record_results([sent(p, "up-1")], T0 + 1)
    assert changes.states == {S.SENT: 1}
    v = await view(store, m.id)
    assert v.state is S.SENT
    assert [(x.state, x.connector, x.upstream_id) for x in v.parts] == [(S.SENT, SMSC, "up-1")]


async def test_record_results_retry_goes_back_to_queued_until_due(store: Store) -> None:
    m = message()
    await insert(store, m)
    (p,) = await claim_all(store)
    retry = PartResult(
        part_id=p.part_id, state=S.QUEUED, connector=SMSC, error="throttled", due_at=T0 + 30
    )
    changes = await store.record_results([retry], T0 + 1)
    assert changes.states == {S.QUEUED: 1}
    v = await view(store, m.id)
    assert v.state is S.QUEUED
    assert (v.parts[0].state, v.parts[0].error) == (S.QUEUED, "throttled")
    assert await claim_all(store, T0 + 29) == []
    (again,) = await claim_all(store, T0 + 30)
    assert (again.part_id, again.attempts) == (p.part_id, 2)


async def test_record_results_failed(store: Store) -> None:
    m = message()
    await insert(store, m)
    (p,) = await claim_all(store)
    failed = PartResult(part_id=p.part_id, state=S.FAILED, connector=SMSC, error="rejected: 0x0B")
    changes = await store.record_results([failed], T0 + 1)
    assert changes.states == {S.FAILED: 1}
    v = await view(store, m.id)
    assert (v.state, v.error) == (S.FAILED, "rejected: 0x0B")
    assert v.parts[0].error == "rejected: 0x0B"
    assert await claim_all(store, T0 + DAY) == []


async def test_record_results_several_messages_in_one_call(store: Store) -> None:
    a, b, c = message(), message(), message()
    await insert(store, a, b, c)
    parts = {p.message_id: p for p in await claim_all(store)}
    changes = await store.record_results(
        [
            sent(parts[a.id], "up-a"),
            PartResult(part_id=parts[b.id].part_id, state=S.FAILED, error="no"),
            PartResult(part_id=parts[c.id].part_id, state=S.QUEUED, error="busy", due_at=T0 + 9),
        ],
        T0,
    )
    assert changes.states == {S.SENT: 1, S.FAILED: 1, S.QUEUED: 1}
    assert [(await view(store, x.id)).state for x in (a, b, c)] == [S.SENT, S.FAILED, S.QUEUED]


# --- apply_receipts -------------------------------------------------------------------------


async def sent_message(store: Store, upstream: str, **kw: object) -> NewMessage:
    m = message(**kw)  # type: ignore[arg-type]
    await insert(store, m)
    parts = [p for p in await claim_all(store) if p.message_id == m.id]
    await store.record_results([sent(parts[0], upstream)], T0)
    return m


async def test_apply_receipts_delivered(store: Store) -> None:
    m = await sent_message(store, "up-1")
    changes = await store.apply_receipts([receipt("up-1")], T0 + 5)
    assert changes.states == {S.DELIVERED: 1}
    assert changes.pending == 0
    v = await view(store, m.id)
    assert v.state is S.DELIVERED
    assert part_states(v) == [S.DELIVERED]


async def test_apply_receipts_undeliverable_keeps_error(store: Store) -> None:
    m = await sent_message(store, "up-1")
    await store.apply_receipts([receipt("up-1", S.UNDELIVERABLE, error="001")], T0 + 5)
    v = await view(store, m.id)
    assert (v.state, v.error, v.parts[0].error) == (S.UNDELIVERABLE, "001", "001")


async def test_apply_receipts_duplicate_ignored(store: Store) -> None:
    await with_accounts(store)
    m = await sent_message(store, "up-1", callback_url=HOOK)
    await store.apply_receipts([receipt("up-1")], T0 + 5)
    changes = await store.apply_receipts([receipt("up-1")], T0 + 6)
    assert changes == Changes()
    assert (await view(store, m.id)).state is S.DELIVERED
    statuses = [e["status"] for e in await events(store)]
    assert statuses == ["sending", "sent", "delivered"]


async def test_apply_receipts_duplicate_in_one_batch_counted_once(store: Store) -> None:
    await sent_message(store, "up-1")
    changes = await store.apply_receipts([receipt("up-1"), receipt("up-1")], T0 + 5)
    assert changes.states == {S.DELIVERED: 1}


async def test_apply_receipts_mixed_batch_each_part_gets_its_own(store: Store) -> None:
    # One batch, several outcomes and errors: rows updated alike are written together.
    ms = [await sent_message(store, f"up-{i}") for i in range(5)]
    batch = [
        receipt("up-0"),
        receipt("up-1", S.UNDELIVERABLE, error="001"),
        receipt("up-2", S.UNDELIVERABLE, error="002"),
        receipt("up-3", S.UNDELIVERABLE, error="001"),
        receipt("up-4", S.EXPIRED),
        receipt("up-0", S.UNDELIVERABLE, error="late"),  # after delivered: ignored
    ]
    changes = await store.apply_receipts(batch, T0 + 5)
    assert changes.states == {S.DELIVERED: 1, S.UNDELIVERABLE: 3, S.EXPIRED: 1}
    views = [await view(store, m.id) for m in ms]
    assert [(v.state, v.error, v.parts[0].error) for v in views] == [
        (S.DELIVERED, None, None),
        (S.UNDELIVERABLE, "001", "001"),
        (S.UNDELIVERABLE, "002", "002"),
        (S.UNDELIVERABLE, "001", "001"),
        (S.EXPIRED, None, None),
    ]


async def test_apply_receipts_enroute_and_late_receipts_ignored(store: Store) -> None:
    m = await sent_message(store, "up-1")
    changes = await store.apply_receipts([receipt("up-1", S.SENT)], T0 + 1)
    assert changes.states == {}
    await store.apply_receipts([receipt("up-1", S.DELIVERED)], T0 + 2)
    await store.apply_receipts([receipt("up-1", S.SENT), receipt("up-1", S.UNDELIVERABLE)], T0 + 3)
    v = await view(store, m.id)
    assert (v.state, part_states(v)) == (S.DELIVERED, [S.DELIVERED])


async def test_apply_receipts_matched_on_connector_and_upstream_id(store: Store) -> None:
    m = await sent_message(store, "up-1")
    changes = await store.apply_receipts([receipt("up-1", connector=SMSC2)], T0 + 5)
    assert changes.states == {}
    assert changes.pending == 1
    assert (await view(store, m.id)).state is S.SENT


async def test_apply_receipts_before_upstream_id_is_matched_later(store: Store) -> None:
    await with_accounts(store)
    m = message(callback_url=HOOK)
    await insert(store, m)
    (p,) = await claim_all(store)
    early = await store.apply_receipts([receipt("up-early")], T0 + 1)
    assert early.pending == 1
    assert early.states == {}
    assert (await view(store, m.id)).state is S.SENDING

    changes = await store.record_results([sent(p, "up-early")], T0 + 2)
    assert changes.states == {S.SENT: 1, S.DELIVERED: 1}
    v = await view(store, m.id)
    assert (v.state, part_states(v)) == (S.DELIVERED, [S.DELIVERED])
    statuses = [e["status"] for e in await events(store)]
    assert statuses == ["sending", "sent", "delivered"]


async def test_apply_receipts_pending_receipt_applied_once(store: Store) -> None:
    m = message()
    await insert(store, m)
    (p,) = await claim_all(store)
    await store.apply_receipts([receipt("up-early", S.UNDELIVERABLE, error="001")], T0)
    await store.record_results([sent(p, "up-early")], T0 + 1)
    # The same upstream id recorded again (a resend after a crash) finds nothing waiting.
    m2 = message()
    await insert(store, m2)
    (p2,) = await claim_all(store)
    changes = await store.record_results([sent(p2, "up-early")], T0 + 2)
    assert changes.states == {S.SENT: 1}
    assert (await view(store, m.id)).state is S.UNDELIVERABLE


async def test_apply_receipts_pending_receipt_kept_for_its_own_connector(store: Store) -> None:
    a, b = message(), message()
    await insert(store, a, b)
    parts = {p.message_id: p for p in await claim_all(store)}
    # smsc-2 reports on its id "42" before its submit response is recorded ...
    await store.apply_receipts([receipt("42", connector=SMSC2)], T0)
    # ... meanwhile smsc-1 happens to answer another part with the same id "42".
    await store.record_results([sent(parts[a.id], "42", SMSC)], T0 + 1)
    await store.record_results([sent(parts[b.id], "42", SMSC2)], T0 + 2)
    assert (await view(store, a.id)).state is S.SENT
    assert (await view(store, b.id)).state is S.DELIVERED


# --- multi-part messages through the whole flow ---------------------------------------------


async def test_multipart_state_derived_through_whole_flow(store: Store) -> None:
    await with_accounts(store)
    m = message(parts=3, callback_url=HOOK, reference="r-9")
    await insert(store, m)

    first, changes = await store.claim_parts(T0, 2)
    assert changes.states == {}
    assert (await view(store, m.id)).state is S.QUEUED  # the slowest part is still queued
    (third,) = await claim_all(store)
    assert (await view(store, m.id)).state is S.SENDING

    by_seq = {p.seq: p for p in [*first, third]}
    await store.record_results(
        [
            sent(by_seq[1], "u1"),
            sent(by_seq[2], "u2"),
            PartResult(part_id=by_seq[3].part_id, state=S.QUEUED, error="busy", due_at=T0 + 10),
        ],
        T0 + 1,
    )
    v = await view(store, m.id)
    assert v.state is S.QUEUED
    assert part_states(v) == [S.SENT, S.SENT, S.QUEUED]

    (retry,) = await claim_all(store, T0 + 10)
    assert (retry.seq, retry.attempts) == (3, 2)
    await store.record_results([sent(retry, "u3")], T0 + 11)
    assert (await view(store, m.id)).state is S.SENT

    await store.apply_receipts([receipt("u1")], T0 + 12)
    assert (await view(store, m.id)).state is S.SENT
    await store.apply_receipts([receipt("u2", S.UNDELIVERABLE, error="001")], T0 + 13)
    assert (await view(store, m.id)).state is S.SENT
    changes = await store.apply_receipts([receipt("u3")], T0 + 14)
    assert changes.states == {S.UNDELIVERABLE: 1}  # the worst outcome of the parts
    v = await view(store, m.id)
    assert v.state is S.UNDELIVERABLE
    assert part_states(v) == [S.DELIVERED, S.UNDELIVERABLE, S.DELIVERED]

    evs = await events(store)
    assert [(e["previous_status"], e["status"]) for e in evs] == [
        ("queued", "sending"),
        ("sending", "queued"),
        ("queued", "sending"),
        ("sending", "sent"),
        ("sent", "undeliverable"),
    ]
    assert all((e["id"], e["reference"], e["parts"]) == (m.id, "r-9", 3) for e in evs)


async def test_expire_pending_multipart_with_a_sent_part(store: Store) -> None:
    m = message(parts=2, expires_at=T0 + 100)
    await insert(store, m)
    p1, p2 = sorted(await claim_all(store), key=lambda p: p.seq)
    await store.record_results(
        [sent(p1, "u1"), PartResult(part_id=p2.part_id, state=S.QUEUED, due_at=T0 + 500)], T0
    )
    await store.expire_pending(T0 + 200)
    v = await view(store, m.id)
    assert part_states(v) == [S.SENT, S.EXPIRED]
    await store.apply_receipts([receipt("u1")], T0 + 300)
    assert (await view(store, m.id)).state is S.EXPIRED


async def test_claim_parts_expires_part_of_multipart_with_a_failed_part(store: Store) -> None:
    m = message(parts=2, expires_at=T0 + 100)
    other = message(due_at=T0 + 200, expires_at=T0 + DAY)
    await insert(store, m, other)
    p1, p2 = sorted(await claim_all(store), key=lambda p: p.seq)
    await store.record_results(
        [sent(p1, "u1"), PartResult(part_id=p2.part_id, state=S.QUEUED, due_at=T0 + 150)], T0
    )
    await store.apply_receipts([receipt("u1", S.UNDELIVERABLE)], T0 + 1)
    assert (await view(store, m.id)).state is S.QUEUED
    parts = await claim_all(store, T0 + 200)
    assert [p.message_id for p in parts] == [other.id]
    assert (await view(store, m.id)).state is S.UNDELIVERABLE


async def test_record_results_expired_part_of_multipart_with_undeliverable_part(
    store: Store,
) -> None:
    m = message(parts=2)
    await insert(store, m)
    p1, p2 = sorted(await claim_all(store), key=lambda p: p.seq)
    await store.record_results(
        [sent(p1, "u1"), PartResult(part_id=p2.part_id, state=S.QUEUED, due_at=T0 + 10)], T0
    )
    await store.apply_receipts([receipt("u1", S.UNDELIVERABLE)], T0 + 1)
    (again,) = await claim_all(store, T0 + 10)
    expired = PartResult(part_id=again.part_id, state=S.EXPIRED, error="validity passed")
    await store.record_results([expired], T0 + 11)
    v = await view(store, m.id)
    assert (v.state, part_states(v)) == (S.UNDELIVERABLE, [S.UNDELIVERABLE, S.EXPIRED])


# --- recovery, scheduling, expiry -----------------------------------------------------------


async def test_recover_inflight_requeues_sending_parts(store: Store) -> None:
    a, b, done = message(parts=2), message(), message()
    await insert(store, a, b, done)
    parts = await claim_all(store)
    await store.record_results([sent(p, "u-done") for p in parts if p.message_id == done.id], T0)

    changes = await store.recover_inflight(T0 + 5)
    assert changes.resent == 3
    assert changes.states == {S.QUEUED: 2}
    for mid in (a.id, b.id):
        v = await view(store, mid)
        assert v.state is S.QUEUED
        assert all((p.state, p.attempts) == (S.QUEUED, 1) for p in v.parts)
    assert (await view(store, done.id)).state is S.SENT

    again = await claim_all(store, T0 + 5)
    assert sorted(p.message_id for p in again) == sorted([a.id, a.id, b.id])
    assert all(p.attempts == 2 for p in again)
    assert (await store.recover_inflight(T0 + 6)).resent == 3


async def test_recover_inflight_nothing_in_flight(store: Store) -> None:
    await insert(store, message())
    changes = await store.recover_inflight(T0)
    assert (changes.resent, changes.states) == (0, {})


async def test_release_scheduled_on_time(store: Store) -> None:
    m = message(parts=2, state=S.SCHEDULED, due_at=T0 + 3600, expires_at=T0 + 7200)
    later = message(state=S.SCHEDULED, due_at=T0 + 7200, expires_at=T0 + 9000)
    await insert(store, m, later)
    assert (await store.release_scheduled(T0 + 3599)).states == {}
    assert await claim_all(store, T0 + 3599) == []

    changes = await store.release_scheduled(T0 + 3600)
    assert changes.states == {S.QUEUED: 1}
    v = await view(store, m.id)
    assert (v.state, part_states(v)) == (S.QUEUED, [S.QUEUED, S.QUEUED])
    assert (await view(store, later.id)).state is S.SCHEDULED
    assert len(await claim_all(store, T0 + 3600)) == 2
    assert (await store.release_scheduled(T0 + 3600)).states == {}


async def test_expire_pending_expires_queued_parts_past_validity(store: Store) -> None:
    retrying = message(expires_at=T0 + 100)
    waiting = message(due_at=T0 + 50, expires_at=T0 + 100)
    valid = message(expires_at=T0 + 1000)
    in_flight = message(expires_at=T0 + 100)
    await insert(store, retrying, waiting, valid, in_flight)
    parts = {p.message_id: p for p in await claim_all(store)}
    await store.record_results(
        [
            PartResult(part_id=parts[retrying.id].part_id, state=S.QUEUED, due_at=T0 + 500),
            PartResult(part_id=parts[valid.id].part_id, state=S.QUEUED, due_at=T0 + 500),
            sent(parts[in_flight.id], "u-f"),
        ],
        T0,
    )
    assert (await store.expire_pending(T0 + 99)).states == {}

    changes = await store.expire_pending(T0 + 100)
    assert changes.states == {S.EXPIRED: 2}
    for mid in (retrying.id, waiting.id):
        v = await view(store, mid)
        assert (v.state, part_states(v)) == (S.EXPIRED, [S.EXPIRED])
        assert v.error
    assert (await view(store, valid.id)).state is S.QUEUED
    assert (await view(store, in_flight.id)).state is S.SENT
    assert (await store.expire_pending(T0 + 200)).states == {}


# --- callbacks outbox -----------------------------------------------------------------------


async def test_callbacks_row_per_state_change_with_url(store: Store) -> None:
    await with_accounts(store)
    m = message(callback_url=HOOK, reference="ref-7", to="+14155550100")
    quiet = message()
    await insert(store, m, quiet)
    _, claim_changes = await store.claim_parts(T0, 10)
    assert claim_changes.callbacks == 1
    assert await claim_all(store) == []  # both already sending

    jobs = await store.claim_callbacks(T0, 100, 60.0)
    assert len(jobs) == 1
    job = jobs[0]
    assert (job.account_id, job.message_id, job.url, job.secret) == (
        ACC,
        m.id,
        HOOK,
        "whsec_alpha",
    )
    assert (job.attempts, job.format) == (1, "json")
    body = json.loads(job.body)
    assert body["id"] == m.id
    assert body["from"] == "Heliograph"
    assert body["reference"] == "ref-7"
    assert body["to"] == "+14155550100"
    assert (body["previous_status"], body["status"]) == ("queued", "sending")


async def test_status_events_name_the_connector_and_upstream_id_that_caused_them(
    store: Store,
) -> None:
    await with_accounts(store)
    m = message(callback_url=HOOK)
    await insert(store, m)
    [p] = await claim_all(store)
    await store.record_results([sent(p, "u-77")], T0)
    await store.apply_receipts([receipt("u-77")], T0)
    evs = await events(store)
    assert [(e["status"], e["connector"], e["upstream_id"]) for e in evs] == [
        ("sending", None, None),
        ("sent", SMSC, "u-77"),
        ("delivered", SMSC, "u-77"),
    ]


async def test_callbacks_carry_the_message_format(store: Store) -> None:
    await with_accounts(store)
    await insert(store, message(callback_url=HOOK, callback_format="kannel"))
    await claim_all(store)
    (job,) = await store.claim_callbacks(T0, 10, 60.0)
    assert job.format == "kannel"


async def test_callbacks_none_without_url(store: Store) -> None:
    await with_accounts(store)
    m = await sent_message(store, "u1")
    changes = await store.apply_receipts([receipt("u1")], T0)
    assert changes.callbacks == 0
    assert (await view(store, m.id)).state is S.DELIVERED
    assert await events(store) == []


async def test_callbacks_cancel_records_event(store: Store) -> None:
    await with_accounts(store)
    m = message(callback_url=HOOK)
    await insert(store, m)
    await store.cancel_message(ACC, m.id, T0)
    assert [(e["previous_status"], e["status"]) for e in await events(store)] == [
        ("queued", "cancelled")
    ]


async def test_claim_callbacks_lease_hides_job_until_it_ends(store: Store) -> None:
    await with_accounts(store)
    await insert(store, message(callback_url=HOOK))
    await claim_all(store)
    (job,) = await store.claim_callbacks(T0, 10, 60.0)
    assert await store.claim_callbacks(T0 + 59, 10, 60.0) == []
    (again,) = await store.claim_callbacks(T0 + 60, 10, 60.0)
    assert (again.id, again.attempts, again.body) == (job.id, 2, job.body)


async def test_claim_callbacks_limit_and_not_due(store: Store) -> None:
    await with_accounts(store)
    await insert(store, *(message(callback_url=HOOK) for _ in range(5)))
    await claim_all(store)
    assert await store.claim_callbacks(T0 - 1, 10, 60.0) == []
    first = await store.claim_callbacks(T0, 3, 60.0)
    second = await store.claim_callbacks(T0, 3, 60.0)
    assert (len(first), len(second)) == (3, 2)
    assert not {j.id for j in first} & {j.id for j in second}


async def test_finish_callbacks_done_retry_dead(store: Store) -> None:
    await with_accounts(store)
    await insert(store, *(message(callback_url=HOOK) for _ in range(3)))
    await claim_all(store)
    done, retry, dead = await store.claim_callbacks(T0, 10, 60.0)
    await store.finish_callbacks(
        [done.id],
        [CallbackRetry(id=retry.id, next_attempt_at=T0 + 500, error="HTTP 503")],
        [dead.id],
    )
    assert await store.claim_callbacks(T0 + 499, 10, 60.0) == []
    (again,) = await store.claim_callbacks(T0 + 500, 10, 60.0)
    assert (again.id, again.attempts) == (retry.id, 2)
    await store.finish_callbacks([again.id], [], [])
    assert await store.claim_callbacks(T0 + 30 * DAY, 10, 60.0) == []


async def test_claim_callbacks_uses_the_account_secret(store: Store) -> None:
    await with_accounts(store)
    await insert(store, message(callback_url=HOOK), message(account=OTHER, callback_url=HOOK))
    await claim_all(store)
    jobs: Sequence[CallbackJob] = await store.claim_callbacks(T0, 10, 60.0)
    assert sorted((j.account_id, j.secret) for j in jobs) == [
        (ACC, "whsec_alpha"),
        (OTHER, "whsec_beta"),
    ]


# --- queue depth ------------------------------------------------------------------------


async def test_queue_depth_counts_waiting_work(store: Store) -> None:
    await with_accounts(store)
    empty = await store.queue_depth()
    assert (empty.scheduled, empty.queued, empty.sending, empty.callbacks) == (0, 0, 0, 0)
    await insert(
        store,
        message(state=S.SCHEDULED, due_at=T0 + 60),
        message(state=S.SCHEDULED, due_at=T0 + 60),
        message(callback_url=HOOK, priority=3),
        message(),
        message(),
    )
    await store.claim_parts(T0, 1)
    depth = await store.queue_depth()
    assert (depth.scheduled, depth.queued, depth.sending, depth.callbacks) == (2, 2, 1, 1)


# --- Changes ----------------------------------------------------------------------------


def test_changes_merge_adds_everything() -> None:
    a = Changes(pending=1, resent=2, callbacks=3)
    a.states[S.SENT] += 2
    b = Changes(pending=10, resent=20, callbacks=30)
    b.states[S.SENT] += 1
    b.states[S.FAILED] += 4
    a.merge(b)
    assert (a.pending, a.resent, a.callbacks) == (11, 22, 33)
    assert a.states == {S.SENT: 3, S.FAILED: 4}


# --- concurrency (group commit) -------------------------------------------------------------


async def test_insert_messages_many_concurrent_calls_all_committed(store: Store) -> None:
    batches = [[message(to=f"+4479110{n:05d}")] for n in range(200)]
    results = await asyncio.gather(*(store.insert_messages(b, now=T0) for b in batches))
    assert results == [None] * 200
    got = await store.list_messages(ACC, MessageFilter(), before=None, limit=1000)
    assert {v.id for v in got} == {b[0].id for b in batches}


async def test_insert_messages_failing_call_does_not_roll_back_others(store: Store) -> None:
    existing = message()
    await insert(store, existing)
    good = [message() for _ in range(60)]
    orphan = message()
    calls = [store.insert_messages([m], now=T0) for m in good[:30]]
    calls.append(store.insert_messages([orphan, message(id=existing.id)], now=T0))
    calls += [store.insert_messages([m], now=T0) for m in good[30:]]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[30], Conflict)
    assert results[:30] + results[31:] == [None] * 60
    assert await store.get_message(ACC, orphan.id) is None
    got = await store.list_messages(ACC, MessageFilter(), before=None, limit=1000)
    assert {v.id for v in got} == {m.id for m in good} | {existing.id}


async def test_content_fields_reach_the_claimed_part(store: Store) -> None:
    from dataclasses import replace

    m = replace(
        message(),
        encoding="binary",
        payload=b"\x01\x06\x03\xae\x81\xea",
        dest_port=2948,
        src_port=9200,
        message_class=0,
        languages=frozenset({1, 13}),
    )
    await insert(store, m)
    (part,) = await claim_all(store)
    assert part.payload == m.payload
    assert (part.dest_port, part.src_port, part.message_class) == (2948, 9200, 0)
    assert part.languages == frozenset({1, 13})
    plain = message()
    await insert(store, plain)
    (other,) = await claim_all(store)
    assert other.payload is None and other.languages is None and other.message_class is None
