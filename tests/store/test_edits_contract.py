"""The MessageEdits contract (``store.edits``): replace_sm and cancel_sm by address.

Run against every backend through the ``store`` fixture (SQLite, and PostgreSQL
when HELIOGRAPH_TEST_POSTGRES_DSN is set). Prices are per part and taken when a
message is accepted, so a replacement moves the difference and a cancel refunds.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from heliograph.domain.ids import MessageId
from heliograph.domain.messages import MessageState, NewMessage
from heliograph.store.base import Charge, Conflict, InsufficientCredit, NotFound, PartResult, Store
from heliograph.store.edits import MessageEdits, SourceMismatch, message_edits
from tests.store.test_contract import (
    ACC,
    OTHER,
    T0,
    claim_all,
    message,
    part_states,
    sent,
    view,
    with_accounts,
)

S = MessageState
PRICE = 50_000  # per part
HOUR = 3600.0


@pytest.fixture
async def edits(store: Store) -> MessageEdits:
    await with_accounts(store)
    found = message_edits(store)
    assert found is not None
    return found


async def accepted(store: Store, *messages: NewMessage, balance: int = 1_000_000) -> None:
    """Top the account up to ``balance`` plus the messages' price, then insert them charged."""
    cost = sum(m.price_micros * m.parts for m in messages)
    await store.adjust_balance(ACC, balance + cost, "top up", T0)
    charge = Charge(account_id=ACC, amount_micros=cost, reason=f"{len(messages)} messages")
    await store.insert_messages(messages, now=T0, charge=charge)


def priced(**kw: object) -> NewMessage:
    return replace(message(**kw), price_micros=PRICE)  # type: ignore[arg-type]


def replacement(m: NewMessage, **kw: object) -> NewMessage:
    fields: dict[str, object] = dict(text="a new text", due_at=T0, state=S.QUEUED)
    fields.update(kw)
    return replace(m, **fields)  # type: ignore[arg-type]


# --- replace --------------------------------------------------------------------------------


async def test_replace_queued_message_with_more_parts_charges_the_difference(
    store: Store, edits: MessageEdits
) -> None:
    m = priced()
    await accepted(store, m)
    new = replacement(m, parts=3, concat_ref=7, expires_at=T0 + 2 * HOUR)
    v = await edits.replace_message(ACC, new, T0 + 1)
    assert (v.text, v.state, v.expires_at) == ("a new text", S.QUEUED, T0 + 2 * HOUR)
    assert part_states(v) == [S.QUEUED] * 3
    assert (await store.balance(ACC)).balance_micros == 1_000_000 - 2 * PRICE
    parts = await claim_all(store, T0 + 2)
    assert sorted((p.seq, p.parts, p.text, p.concat_ref) for p in parts) == [
        (seq, 3, "a new text", 7) for seq in (1, 2, 3)
    ]


async def test_replace_with_fewer_parts_refunds_and_drops_part_rows(
    store: Store, edits: MessageEdits
) -> None:
    m = priced(parts=3)
    await accepted(store, m)
    v = await edits.replace_message(ACC, replacement(m, parts=1), T0 + 1)
    assert part_states(v) == [S.QUEUED]
    assert (await store.balance(ACC)).balance_micros == 1_000_000 + 2 * PRICE
    [part] = await claim_all(store, T0 + 2)
    assert (part.seq, part.parts, part.text) == (1, 1, "a new text")


async def test_replace_scheduled_message_moves_its_schedule(
    store: Store, edits: MessageEdits
) -> None:
    m = priced(state=S.SCHEDULED, due_at=T0 + HOUR)
    await accepted(store, m)
    new = replacement(m, state=S.SCHEDULED, due_at=T0 + 2 * HOUR)
    v = await edits.replace_message(ACC, new, T0 + 1)
    assert (v.state, v.due_at) == (S.SCHEDULED, T0 + 2 * HOUR)
    await store.release_scheduled(T0 + HOUR + 1)
    assert (await view(store, m.id)).state is S.SCHEDULED  # not at the old time
    await store.release_scheduled(T0 + 2 * HOUR)
    assert (await view(store, m.id)).state is S.QUEUED
    # and back to sending now
    now = await edits.replace_message(ACC, replacement(m, text="now"), T0 + 2 * HOUR)
    assert now.state is S.QUEUED


async def test_replace_needing_more_credit_than_left_changes_nothing(
    store: Store, edits: MessageEdits
) -> None:
    m = priced()
    await accepted(store, m, balance=PRICE)  # room for one more part, not two
    with pytest.raises(InsufficientCredit):
        await edits.replace_message(ACC, replacement(m, parts=3), T0 + 1)
    v = await view(store, m.id)
    assert (v.text, len(v.parts)) == ("hello", 1)
    assert (await store.balance(ACC)).balance_micros == PRICE
    await edits.replace_message(ACC, replacement(m, parts=2), T0 + 1)
    assert (await store.balance(ACC)).balance_micros == 0


async def test_replace_after_the_dispatcher_claimed_or_sent_is_refused(
    store: Store, edits: MessageEdits
) -> None:
    a, b, c = priced(), priced(), priced(parts=2)
    await accepted(store, a, b)
    parts = {p.message_id: p for p in await claim_all(store)}
    await store.record_results([sent(parts[b.id], "up-b")], T0)
    await accepted(store, c, balance=0)
    await store.claim_parts(T0, 1)  # one part of c only
    before = (await store.balance(ACC)).balance_micros
    for mid in (a.id, b.id, c.id):
        original = await view(store, mid)
        with pytest.raises(Conflict):
            await edits.replace_message(ACC, replacement(original_of(mid, a, b, c)), T0 + 1)
        assert await view(store, mid) == original
    assert (await store.balance(ACC)).balance_micros == before


def original_of(mid: MessageId, *messages: NewMessage) -> NewMessage:
    return next(m for m in messages if m.id == mid)


async def test_replace_final_message_is_refused(store: Store, edits: MessageEdits) -> None:
    m = priced()
    await accepted(store, m)
    await store.cancel_message(ACC, m.id, T0)
    with pytest.raises(Conflict):
        await edits.replace_message(ACC, replacement(m), T0 + 1)
    assert (await view(store, m.id)).text == "hello"


async def test_replace_unknown_or_other_accounts_message_is_not_found(
    store: Store, edits: MessageEdits
) -> None:
    m = priced()
    await accepted(store, m)
    with pytest.raises(NotFound):
        await edits.replace_message(OTHER, replace(replacement(m), account_id=OTHER), T0)
    with pytest.raises(NotFound):
        await edits.replace_message(ACC, replacement(m, id=MessageId("M-nope")), T0)
    assert (await view(store, m.id)).text == "hello"


async def test_replace_from_another_sender_is_refused(store: Store, edits: MessageEdits) -> None:
    m = priced(sender="Heliograph")
    await accepted(store, m)
    with pytest.raises(SourceMismatch):
        await edits.replace_message(ACC, replacement(m), T0, sender="Other")
    assert (await view(store, m.id)).text == "hello"
    v = await edits.replace_message(ACC, replacement(m), T0, sender="Heliograph")
    assert v.text == "a new text"


async def test_replace_of_client_udh_message_is_refused(store: Store, edits: MessageEdits) -> None:
    m = replace(priced(), udh=bytes.fromhex("050003010201"))
    await accepted(store, m)
    with pytest.raises(Conflict):
        await edits.replace_message(ACC, replacement(m, udh=None), T0)


async def test_replaced_part_sent_keeps_the_lifecycle(store: Store, edits: MessageEdits) -> None:
    m = priced(parts=2)
    await accepted(store, m)
    await edits.replace_message(ACC, replacement(m, parts=1), T0)
    [part] = await claim_all(store, T0 + 1)
    await store.record_results(
        [PartResult(part_id=part.part_id, state=S.FAILED, error="nope")], T0 + 2
    )
    assert (await view(store, m.id)).state is S.FAILED
    # the one part is refunded as any failed part: the balance is the start again
    assert (await store.balance(ACC)).balance_micros == 1_000_000 + 2 * PRICE


# --- cancel by address ----------------------------------------------------------------------


async def test_cancel_matching_cancels_what_has_not_left(store: Store, edits: MessageEdits) -> None:
    to, elsewhere = "+447911000001", "+447911000002"
    claimed = priced(to=to)
    await accepted(store, claimed, balance=0)
    await claim_all(store)
    queued = priced(to=to, parts=2)
    later = priced(to=to, state=S.SCHEDULED, due_at=T0 + HOUR)
    other_sender = priced(to=to, sender="Other")
    other_to = priced(to=elsewhere)
    await accepted(store, queued, later, other_sender, other_to, balance=0)
    ids = await edits.cancel_matching(ACC, to=to, sender="Heliograph", now=T0 + 1)
    assert ids == [queued.id, later.id]
    for mid, state in (
        (queued.id, S.CANCELLED),
        (later.id, S.CANCELLED),
        (claimed.id, S.SENDING),
        (other_sender.id, S.QUEUED),
        (other_to.id, S.QUEUED),
    ):
        assert (await view(store, mid)).state is state
    assert (await store.balance(ACC)).balance_micros == 3 * PRICE
    assert await edits.cancel_matching(ACC, to=to, sender="Heliograph", now=T0 + 2) == []
    assert await edits.cancel_matching(ACC, to=to, sender=None, now=T0 + 2) == [other_sender.id]


async def test_cancel_matching_only_the_accounts_own(store: Store, edits: MessageEdits) -> None:
    m = priced()
    await accepted(store, m)
    assert await edits.cancel_matching(OTHER, to=m.to, sender=None, now=T0) == []
    assert (await view(store, m.id)).state is S.QUEUED
