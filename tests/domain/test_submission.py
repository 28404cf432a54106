"""plan_submission(): whole-request checks, per-recipient errors, state, parts, validity."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from heliograph.domain.content import Binary, split_message
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageState
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import (
    RecipientPlan,
    SubmitLimits,
    SubmitRequest,
    plan_submission,
    text_data_coding,
)
from heliograph.wire.gsm.dcs import IndicationType, MessageWaiting, decode_dcs

NOW = 1_800_000_000.0
ACCOUNT = AccountId("acct-1")
LIMITS = SubmitLimits()


def _ids() -> Iterator[MessageId]:
    return (MessageId(f"M{n:025d}") for n in itertools.count(1))


def _plan(
    *,
    to: tuple[str, ...] = ("+447911123456",),
    text: str = "hello",
    limits: SubmitLimits = LIMITS,
    default_callback_url: str | None = None,
    **kw: object,
) -> list[RecipientPlan]:
    req = SubmitRequest(account_id=ACCOUNT, to=to, text=text, **kw)  # type: ignore[arg-type]
    return plan_submission(
        req, now=NOW, ids=_ids(), limits=limits, default_callback_url=default_callback_url
    )


def _one(**kw: object) -> RecipientPlan:
    plans = _plan(**kw)  # type: ignore[arg-type]
    assert len(plans) == 1
    return plans[0]


def _rejected(**kw: object) -> Rejected:
    with pytest.raises(Rejected) as info:
        _plan(**kw)  # type: ignore[arg-type]
    return info.value


# --- per recipient ---------------------------------------------------------------------


def test_plan_submission_bad_recipient_in_batch_gets_own_error_others_accepted() -> None:
    plans = _plan(to=("+447911123456", "not-a-number", "0044 7911 123457", "+0123"))
    assert [p.to for p in plans] == ["+447911123456", "not-a-number", "0044 7911 123457", "+0123"]
    good = [p for p in plans if p.message is not None]
    bad = [p for p in plans if p.message is None]
    assert [p.message.to for p in good if p.message] == ["+447911123456", "+447911123457"]
    assert all(p.error is None for p in good)
    assert [p.to for p in bad] == ["not-a-number", "+0123"]
    for p in bad:
        assert p.error is not None
        assert p.error.reason is RejectReason.INVALID_DESTINATION
        assert p.error.field == "to"


def test_plan_submission_each_accepted_recipient_gets_its_own_id() -> None:
    plans = _plan(to=("+447911123456", "+447911123457", "+447911123458"))
    ids = [p.message.id for p in plans if p.message]
    assert len(set(ids)) == 3


def test_plan_submission_message_carries_the_request() -> None:
    msg = _one(
        sender="Heliograph",
        reference="order-17",
        callback_url="https://client.example/cb",
        priority=2,
    ).message
    assert msg is not None
    assert msg.account_id == ACCOUNT
    assert msg.text == "hello"
    assert msg.sender == "Heliograph"
    assert msg.reference == "order-17"
    assert msg.callback_url == "https://client.example/cb"
    assert msg.priority == 2
    assert msg.created_at == NOW
    assert 0 <= msg.concat_ref <= 0xFF


def test_plan_submission_account_default_callback_url_when_request_has_none() -> None:
    msg = _one(default_callback_url="https://acct.example/cb").message
    assert msg is not None and msg.callback_url == "https://acct.example/cb"
    msg = _one(
        callback_url="https://req.example/cb", default_callback_url="https://acct.example/cb"
    ).message
    assert msg is not None and msg.callback_url == "https://req.example/cb"


def test_plan_submission_callback_format_only_with_own_callback_url() -> None:
    msg = _one(callback_url="https://req.example/cb", callback_format="kannel").message
    assert msg is not None and msg.callback_format == "kannel"
    msg = _one(callback_format="kannel", default_callback_url="https://acct.example/cb").message
    assert msg is not None
    assert (msg.callback_url, msg.callback_format) == ("https://acct.example/cb", "json")


def test_plan_submission_sender_normalised() -> None:
    msg = _one(sender="+44 7911 123456").message
    assert msg is not None and msg.sender == "+447911123456"


def test_plan_submission_bad_sender_rejects_request() -> None:
    err = _rejected(sender="ThisSenderIsTooLong")
    assert err.reason is RejectReason.INVALID_SENDER


# --- whole request rejections ----------------------------------------------------------


def test_plan_submission_empty_text_rejected() -> None:
    err = _rejected(text="")
    assert (err.reason, err.field) == (RejectReason.INVALID_TEXT, "text")


def test_plan_submission_no_recipient_rejected() -> None:
    err = _rejected(to=())
    assert (err.reason, err.field) == (RejectReason.INVALID_REQUEST, "to")


def test_plan_submission_more_than_max_recipients_rejected() -> None:
    limits = SubmitLimits(max_recipients=3)
    to = tuple(f"+4479111234{n:02d}" for n in range(4))
    err = _rejected(to=to, limits=limits)
    assert (err.reason, err.field) == (RejectReason.TOO_MANY_RECIPIENTS, "to")
    assert len(_plan(to=to[:3], limits=limits)) == 3


def test_plan_submission_too_many_recipients_even_if_all_invalid() -> None:
    err = _rejected(to=("x", "y", "z"), limits=SubmitLimits(max_recipients=2))
    assert err.reason is RejectReason.TOO_MANY_RECIPIENTS


@pytest.mark.parametrize("priority", [-1, 4, 100])
def test_plan_submission_bad_priority_rejected(priority: int) -> None:
    err = _rejected(priority=priority)
    assert (err.reason, err.field) == (RejectReason.INVALID_REQUEST, "priority")


@pytest.mark.parametrize("priority", [0, 1, 2, 3])
def test_plan_submission_priority_in_range_accepted(priority: int) -> None:
    msg = _one(priority=priority).message
    assert msg is not None and msg.priority == priority


def test_plan_submission_schedule_too_far_ahead_rejected() -> None:
    limits = SubmitLimits(max_schedule_ahead_s=86400.0)
    err = _rejected(schedule_at=NOW + 86400.0 + 1, limits=limits)
    assert (err.reason, err.field) == (RejectReason.INVALID_SCHEDULE, "schedule_at")
    msg = _one(schedule_at=NOW + 86400.0, limits=limits).message
    assert msg is not None and msg.due_at == NOW + 86400.0


@pytest.mark.parametrize("validity", [0, 59, 30 * 86400 + 1])
def test_plan_submission_validity_out_of_range_rejected(validity: int) -> None:
    err = _rejected(validity_s=validity)
    assert (err.reason, err.field) == (RejectReason.INVALID_VALIDITY, "validity_s")


@pytest.mark.parametrize("validity", [60, 3600, 30 * 86400])
def test_plan_submission_validity_in_range_sets_expiry(validity: int) -> None:
    msg = _one(validity_s=validity).message
    assert msg is not None and msg.expires_at == NOW + validity


def test_plan_submission_default_validity_applies() -> None:
    limits = SubmitLimits(default_validity_s=7200)
    msg = _one(limits=limits).message
    assert msg is not None and msg.expires_at == NOW + 7200


@pytest.mark.parametrize("encoding", ["utf8", "", "binary"])
def test_plan_submission_unknown_encoding_rejected(encoding: str) -> None:
    err = _rejected(encoding=encoding)
    assert (err.reason, err.field) == (RejectReason.INVALID_REQUEST, "encoding")


def test_plan_submission_too_many_parts_rejected() -> None:
    limits = SubmitLimits(max_parts=2)
    err = _rejected(text="a" * (153 * 2 + 1), limits=limits)
    assert (err.reason, err.field) == (RejectReason.MESSAGE_TOO_LONG, "text")
    msg = _one(text="a" * (153 * 2), limits=limits).message
    assert msg is not None and msg.parts == 2


def test_plan_submission_forced_gsm7_with_unencodable_text_rejected() -> None:
    err = _rejected(text="Привет", encoding="gsm7")
    assert (err.reason, err.field) == (RejectReason.INVALID_TEXT, "text")


# --- state and timing -------------------------------------------------------------------


def test_plan_submission_without_schedule_is_queued_now() -> None:
    msg = _one().message
    assert msg is not None
    assert msg.state is MessageState.QUEUED
    assert msg.due_at == NOW


def test_plan_submission_future_schedule_is_scheduled() -> None:
    msg = _one(schedule_at=NOW + 3600, validity_s=600).message
    assert msg is not None
    assert msg.state is MessageState.SCHEDULED
    assert msg.due_at == NOW + 3600
    assert msg.expires_at == NOW + 3600 + 600


@pytest.mark.parametrize("schedule_at", [NOW, NOW - 3600])
def test_plan_submission_schedule_now_or_past_is_queued_now(schedule_at: float) -> None:
    msg = _one(schedule_at=schedule_at).message
    assert msg is not None
    assert msg.state is MessageState.QUEUED
    assert msg.due_at == NOW


# --- parts and encoding -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "data_coding", "parts"),
    [
        ("a" * 160, "gsm7", 0x00, 1),
        ("a" * 161, "gsm7", 0x00, 2),
        ("a" * 306, "gsm7", 0x00, 2),
        ("a" * 307, "gsm7", 0x00, 3),
        ("ж" * 70, "ucs2", 0x08, 1),
        ("ж" * 71, "ucs2", 0x08, 2),
        ("€" * 80, "gsm7", 0x00, 1),  # an extension character takes two septets
        ("€" * 81, "gsm7", 0x00, 2),
    ],
)
def test_plan_submission_parts_count(
    text: str, encoding: str, data_coding: int, parts: int
) -> None:
    msg = _one(text=text).message
    assert msg is not None
    assert (msg.encoding, msg.data_coding, msg.parts) == (encoding, data_coding, parts)


def test_plan_submission_forced_ucs2_for_gsm_text() -> None:
    msg = _one(text="a" * 71, encoding="ucs2").message
    assert msg is not None
    assert (msg.encoding, msg.data_coding, msg.parts) == ("ucs2", 0x08, 2)


# --- message waiting indication (TS 23.038 §4 groups 1100-1110) ------------------------


def _waiting(kind: IndicationType, active: bool) -> MessageWaiting:
    return MessageWaiting(kind=kind, active=active)


@pytest.mark.parametrize(
    ("text", "encoding", "kind", "active", "dcs"),
    [
        ("2 new messages", "auto", IndicationType.VOICEMAIL, True, 0xD8),  # 1101 store, set
        ("fax", "auto", IndicationType.FAX, True, 0xD9),
        ("", "auto", IndicationType.EMAIL, True, 0xCA),  # nothing to store: 1100 discard
        ("cleared", "auto", IndicationType.OTHER, False, 0xC3),  # cleared: 1100 discard
        ("Привет", "auto", IndicationType.VOICEMAIL, True, 0xE8),  # 1110 store UCS-2
        ("hi", "ucs2", IndicationType.EMAIL, True, 0xEA),
        ("Привет", "auto", IndicationType.FAX, False, 0xE1),  # 1100 has no UCS-2
    ],
)
def test_plan_submission_message_waiting_data_coding(
    text: str, encoding: str, kind: IndicationType, active: bool, dcs: int
) -> None:
    plan = _one(text=text, encoding=encoding, waiting=_waiting(kind, active))
    assert plan.message is not None
    assert (plan.message.data_coding, plan.message.text, plan.message.parts) == (dcs, text, 1)
    # what the connectors send carries the indication, and decodes back to it
    split = split_message(plan.message)
    assert split.data_coding == dcs
    assert decode_dcs(dcs).waiting == _waiting(kind, active)


@pytest.mark.parametrize(
    "kw",
    [
        {"message_class": 0},  # the waiting groups have no class bits
        {"content": Binary(payload=b"\x01\x02")},  # nor an 8-bit alphabet
        {"encoding": "latin1"},
    ],
)
def test_plan_submission_message_waiting_refused_where_no_dcs_says_it(
    kw: dict[str, object],
) -> None:
    exc = _rejected(waiting=_waiting(IndicationType.VOICEMAIL, True), **kw)
    assert (exc.reason, exc.field) == (RejectReason.INVALID_REQUEST, "waiting")


def test_plan_submission_without_waiting_keeps_data_codings() -> None:
    assert text_data_coding("hi", "gsm7") == 0x00
    assert text_data_coding("hi", "ucs2", message_class=0) == 0x18
    assert _rejected(text="").reason is RejectReason.INVALID_TEXT


# --- a text behind the client's UDH is one part -----------------------------------------

_CONCAT = bytes.fromhex("050003070201")  # 6 octets: 7 septets with the fill bits


@pytest.mark.parametrize(
    ("text", "encoding", "fits"),
    [
        ("a" * 153, "gsm7", True),  # 7 + 153 = 160 septets
        ("a" * 154, "gsm7", False),
        ("[" * 76 + "a", "gsm7", True),  # escapes count two septets
        ("[" * 77, "gsm7", False),
        ("я" * 67, "ucs2", True),  # 6 + 134 = 140 octets
        ("я" * 68, "ucs2", False),
    ],
)
def test_plan_submission_text_behind_udh_must_fit_one_part(
    text: str, encoding: str, fits: bool
) -> None:
    if fits:
        plan = _one(text=text, encoding=encoding, udh=_CONCAT)
        assert plan.message is not None and plan.message.parts == 1
        assert len(split_message(plan.message).parts) == 1
    else:
        exc = _rejected(text=text, encoding=encoding, udh=_CONCAT)
        assert (exc.reason, exc.field) == (RejectReason.MESSAGE_TOO_LONG, "text")
