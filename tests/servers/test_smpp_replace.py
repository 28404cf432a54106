"""replace_sm (SMPP 3.4 §4.10) and cancel_sm by address (§4.9) over a real socket.

The whole gateway runs in process as in ``test_smpp_server.py`` (whose
fixtures these tests share). Messages scheduled an hour ahead stay in the
store untouched until a test moves them; one sent at once comes back as a
receipt, which is how a test knows it has left without waiting on a clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from heliograph.app import Gateway
from heliograph.domain.ids import MessageId
from heliograph.domain.messages import MessageState, MessageView
from heliograph.services.accounts import NewAccount
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import CommandStatus
from heliograph.wire.smpp.pdus import CancelSm, ReplaceSm, SubmitSm, SubmitSmResp
from tests.servers import test_smpp_server as harness
from tests.support.esme import Esme

gw, account, esme, submit = harness.gw, harness.account, harness.esme, harness.submit

S = CommandStatus
M = MessageState
LATER = "000000010000000R"  # in an hour
LATER2 = "000000020000000R"  # in two
NOW = "000000000000000R"


async def accepted(esme: Esme, pdu: SubmitSm) -> MessageId:
    resp = await esme.request(pdu)
    assert isinstance(resp, SubmitSmResp)
    assert resp.command_status == 0, hex(resp.command_status)
    return MessageId(resp.message_id)


async def view(gw: Gateway, account: NewAccount, mid: MessageId) -> MessageView:
    return await gw.messages.get(account.account.id, mid)


def replace_sm(mid: MessageId, text: bytes = b"", **kw: object) -> ReplaceSm:
    fields: dict[str, object] = dict(
        message_id=mid, source_addr_ton=5, source_addr="Heliograph", short_message=text
    )
    fields.update(kw)
    return ReplaceSm(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def other(gw: Gateway) -> AsyncIterator[Esme]:
    new = await gw.create_account("other")
    client = await Esme.connect(harness.port(gw))
    assert (await client.bind(new.smpp_system_id, new.smpp_password)).command_status == 0
    yield client
    client.close()


# --- replace_sm --------------------------------------------------------------------------------


async def test_replace_scheduled_message_text_parts_and_price(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    await gw.store.set_price(None, "", 10_000)
    await gw.store.adjust_balance(account.account.id, 100_000, "top up", 0)
    mid = await accepted(esme, submit(schedule_delivery_time=LATER))
    assert (await gw.store.balance(account.account.id)).balance_micros == 90_000
    longer = ("word " * 60).encode()  # 300 GSM 7-bit characters: 2 parts
    resp = await esme.request(
        replace_sm(mid, short_message=b"", tlvs=(tlv.MessagePayload(value=longer),))
    )
    assert resp.command_status == 0
    v = await view(gw, account, mid)
    assert (v.text, len(v.parts), v.state) == (longer.decode(), 2, M.SCHEDULED)
    assert (await gw.store.balance(account.account.id)).balance_micros == 80_000
    # and back to one part: the difference is given back
    assert (await esme.request(replace_sm(mid, b"short"))).command_status == 0
    v = await view(gw, account, mid)
    assert (v.text, len(v.parts)) == ("short", 1)
    assert (await gw.store.balance(account.account.id)).balance_micros == 90_000


async def test_replace_needing_more_credit_than_left_changes_nothing(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    await gw.store.set_price(None, "", 10_000)
    await gw.store.adjust_balance(account.account.id, 10_000, "top up", 0)
    mid = await accepted(esme, submit(schedule_delivery_time=LATER))
    resp = await esme.request(replace_sm(mid, ("x" * 200).encode()))  # 2 parts
    assert resp.command_status == S.ESME_RX_T_APPN  # as a submit without credit
    v = await view(gw, account, mid)
    assert (v.text, len(v.parts)) == ("Hello", 1)
    assert (await gw.store.balance(account.account.id)).balance_micros == 0


async def test_replace_in_the_stored_alphabet_and_schedule_kept(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    mid = await accepted(
        esme,
        submit(
            data_coding=8,
            short_message="Привет".encode("utf-16-be"),
            schedule_delivery_time=LATER,
        ),
    )
    before = await view(gw, account, mid)
    resp = await esme.request(replace_sm(mid, "Пока".encode("utf-16-be")))
    assert resp.command_status == 0
    after = await view(gw, account, mid)
    assert (after.text, after.encoding) == ("Пока", "ucs2")
    assert (after.due_at, after.expires_at) == (before.due_at, before.expires_at)
    # an empty short_message keeps the text and moves the schedule
    assert (await esme.request(replace_sm(mid, schedule_delivery_time=LATER2))).command_status == 0
    moved = await view(gw, account, mid)
    assert moved.text == "Пока" and moved.due_at > before.due_at + 3000


async def test_replaced_message_goes_now_with_its_new_receipt_request(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    mid = await accepted(esme, submit(schedule_delivery_time=LATER))
    resp = await esme.request(
        replace_sm(mid, b"now then", schedule_delivery_time=NOW, registered_delivery=1)
    )
    assert resp.command_status == 0
    receipt = await esme.next_deliver_sm()
    assert tlv.find(receipt.tlvs, tlv.ReceiptedMessageId) == tlv.ReceiptedMessageId(value=mid)
    v = await view(gw, account, mid)
    assert (v.text, v.state) == ("now then", M.DELIVERED)
    # sent and final: it can no longer be replaced
    assert (await esme.request(replace_sm(mid, b"too late"))).command_status == S.ESME_RREPLACEFAIL
    assert (await view(gw, account, mid)).text == "now then"


async def test_replace_refusals_change_nothing(
    gw: Gateway, account: NewAccount, esme: Esme, other: Esme
) -> None:
    mid = await accepted(esme, submit(schedule_delivery_time=LATER))
    cases = [
        (other, replace_sm(mid, b"mine now"), S.ESME_RREPLACEFAIL),  # another account's
        (esme, replace_sm(MessageId("NOPE"), b"x"), S.ESME_RREPLACEFAIL),
        (esme, replace_sm(mid, b"x", source_addr="Someone"), S.ESME_RINVSRCADR),
        (esme, replace_sm(mid, b"x", sm_default_msg_id=3), S.ESME_RINVDFTMSGID),
        (esme, replace_sm(mid, b"x", schedule_delivery_time="tomorrow"), S.ESME_RINVSCHED),
        (esme, replace_sm(mid, "é".encode("latin-1")), S.ESME_RREPLACEFAIL),  # not GSM 7-bit
        (
            esme,
            replace_sm(mid, b"x", tlvs=(tlv.MessagePayload(value=b"y"),)),
            S.ESME_ROPTPARNOTALLWD,
        ),
    ]
    for client, pdu, status in cases:
        assert (await client.request(pdu)).command_status == status, pdu
    v = await view(gw, account, mid)
    assert (v.text, v.state, len(v.parts)) == ("Hello", M.SCHEDULED, 1)
    # without a source (NULL, §4.10.1) the message is matched by its id alone
    resp = await esme.request(replace_sm(mid, b"Hi", source_addr_ton=0, source_addr=""))
    assert resp.command_status == 0
    assert (await view(gw, account, mid)).text == "Hi"


async def test_replace_of_cancelled_message_fails(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    mid = await accepted(esme, submit(schedule_delivery_time=LATER))
    assert (await esme.request(CancelSm(message_id=mid))).command_status == 0
    assert (await esme.request(replace_sm(mid, b"x"))).command_status == S.ESME_RREPLACEFAIL
    assert (await view(gw, account, mid)).state is M.CANCELLED


# --- cancel_sm by address ----------------------------------------------------------------------


def cancel_by_address(to: str, **kw: object) -> CancelSm:
    fields: dict[str, object] = dict(
        source_addr_ton=5,
        source_addr="Heliograph",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr=to,
    )
    fields.update(kw)
    return CancelSm(**fields)  # type: ignore[arg-type]


async def test_cancel_by_address_cancels_every_waiting_message(
    gw: Gateway, account: NewAccount, esme: Esme, other: Esme
) -> None:
    await gw.store.set_price(None, "", 10_000)
    await gw.store.adjust_balance(account.account.id, 100_000, "top up", 0)
    first = await accepted(esme, submit(1, b"one", schedule_delivery_time=LATER))
    second = await accepted(esme, submit(1, b"two", schedule_delivery_time=LATER2))
    elsewhere = await accepted(esme, submit(2, b"three", schedule_delivery_time=LATER))
    assert (await gw.store.balance(account.account.id)).balance_micros == 70_000
    # another account's cancel by the same addresses touches none of them
    resp = await other.request(cancel_by_address("447700900001"))
    assert resp.command_status == S.ESME_RCANCELFAIL
    resp = await esme.request(cancel_by_address("447700900001", service_type="WAP"))
    assert resp.command_status == 0
    states = [(await view(gw, account, m)).state for m in (first, second, elsewhere)]
    assert states == [M.CANCELLED, M.CANCELLED, M.SCHEDULED]
    assert (await gw.store.balance(account.account.id)).balance_micros == 90_000
    again = await esme.request(cancel_by_address("447700900001"))
    assert again.command_status == S.ESME_RCANCELFAIL


async def test_cancel_by_address_refusals(gw: Gateway, account: NewAccount, esme: Esme) -> None:
    mid = await accepted(esme, submit(1, schedule_delivery_time=LATER))
    for pdu, status in [
        (cancel_by_address(""), S.ESME_RCANCELFAIL),  # no destination
        (cancel_by_address("12"), S.ESME_RINVDSTADR),
        (cancel_by_address("447700900001", source_addr="Other"), S.ESME_RCANCELFAIL),
    ]:
        assert (await esme.request(pdu)).command_status == status
    assert (await view(gw, account, mid)).state is M.SCHEDULED
    # a NULL source matches whatever the message was sent from
    resp = await esme.request(cancel_by_address("447700900001", source_addr_ton=0, source_addr=""))
    assert resp.command_status == 0
    assert (await view(gw, account, mid)).state is M.CANCELLED
