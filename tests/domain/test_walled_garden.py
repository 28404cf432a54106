"""The walled-garden rule in the planner: numbers of listed networks get a WAP Push SI
pointing at the content instead of an MMS notification, each planned with its own id."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from heliograph.domain.content import (
    MESSAGE_ID_PLACEHOLDER,
    MmsNotification,
    WalledGarden,
    WapSi,
    for_message,
    per_recipient,
    plan_content,
)
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.submission import SubmitLimits, SubmitRequest, plan_submission
from heliograph.wire.mms.pdus import NotificationInd, decode_pdu
from heliograph.wire.wap.si import decode_si
from heliograph.wire.wap.wsp import decode_push

BASE = "https://gw.example.com"
PUSH = WapSi(href=f"{BASE}/wap/tok/{MESSAGE_ID_PLACEHOLDER}", text="Hello")
GARDEN = WalledGarden(prefixes=("447700901",), push=PUSH)
NOTIFICATION = MmsNotification(
    url=f"{BASE}/mms/tok/{MESSAGE_ID_PLACEHOLDER}", size=1234, subject="Hello", walled_garden=GARDEN
)


def _ids() -> Iterator[MessageId]:
    return (MessageId(f"M{n:025d}") for n in itertools.count(1))


def test_walled_garden_holds_numbers_by_prefix() -> None:
    assert GARDEN.holds("+447700901555") and GARDEN.holds("447700901")
    assert not GARDEN.holds("+447700900555") and not GARDEN.holds("+44770090")


def test_for_message_picks_the_push_inside_the_garden_only() -> None:
    inside = for_message(NOTIFICATION, "MID", "+447700901555")
    outside = for_message(NOTIFICATION, "MID", "+447700900555")
    assert inside == WapSi(href=f"{BASE}/wap/tok/MID", text="Hello")
    assert isinstance(outside, MmsNotification) and outside.url == f"{BASE}/mms/tok/MID"
    assert per_recipient(NOTIFICATION) and per_recipient(PUSH)
    assert for_message(PUSH, "MID") == WapSi(href=f"{BASE}/wap/tok/MID", text="Hello")


def test_plan_gives_each_recipient_its_own_kind_of_push() -> None:
    req = SubmitRequest(
        account_id=AccountId("acct-1"),
        to=("+447700900555", "+447700901555"),
        text="",
        content=NOTIFICATION,
    )
    plans = plan_submission(req, now=1_800_000_000.0, ids=_ids(), limits=SubmitLimits())
    mms, push = (p.message for p in plans)
    assert mms is not None and push is not None
    assert mms.payload is not None and push.payload is not None
    notification = decode_pdu(decode_push(mms.payload).data)
    assert isinstance(notification, NotificationInd)
    assert notification.content_location == f"{BASE}/mms/tok/{mms.id}"
    si = decode_si(decode_push(push.payload).data)
    assert (si.href, si.text) == (f"{BASE}/wap/tok/{push.id}", "Hello")
    assert push.text.startswith("WAP Push SI") and f"/wap/tok/{push.id}" in push.text
    assert push.parts == plan_content(for_message(NOTIFICATION, push.id, push.to)).parts


def test_without_a_garden_every_recipient_gets_the_notification() -> None:
    plain = MmsNotification(url=NOTIFICATION.url, size=1234, subject="Hello")
    req = SubmitRequest(
        account_id=AccountId("acct-1"), to=("+447700901555",), text="", content=plain
    )
    (plan,) = plan_submission(req, now=1_800_000_000.0, ids=_ids(), limits=SubmitLimits())
    assert plan.message is not None and plan.message.payload is not None
    assert isinstance(decode_pdu(decode_push(plan.message.payload).data), NotificationInd)
