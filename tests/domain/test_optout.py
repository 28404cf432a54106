"""Opt-out keywords, consent from MO, and the MT refusal of opted-out recipients."""

from __future__ import annotations

import pytest

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.optout import (
    ConsentAction,
    ConsentSource,
    KeywordAction,
    Keywords,
    apply_optouts,
    check_reason,
    consent_for_mo,
    detect,
    optout_number,
)
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitLimits, SubmitRequest, plan_submission
from heliograph.services.ids import message_ids

ACC = AccountId("acct-a")
T0 = 1_800_000_000.0
KW = Keywords.of()


@pytest.mark.parametrize(
    ("text", "action", "keyword"),
    [
        ("STOP", KeywordAction.STOP, "STOP"),
        ("stop", KeywordAction.STOP, "STOP"),
        ("  Stop!  ", KeywordAction.STOP, "STOP"),
        ("unsubscribe.", KeywordAction.STOP, "UNSUBSCRIBE"),
        ("arrêt", KeywordAction.STOP, "ARRÊT"),
        ("Arret", KeywordAction.STOP, "ARRET"),
        ("stopp", KeywordAction.STOP, "STOPP"),
        ("baja", KeywordAction.STOP, "BAJA"),
        ("START", KeywordAction.START, "START"),
        ("unstop", KeywordAction.START, "UNSTOP"),
        ("Yes", KeywordAction.START, "YES"),
        ("help?", KeywordAction.HELP, "HELP"),
        ("ayuda", KeywordAction.HELP, "AYUDA"),
        ("aide", KeywordAction.HELP, "AIDE"),
    ],
)
def test_default_keywords_in_several_languages(
    text: str, action: KeywordAction, keyword: str
) -> None:
    assert detect(text, KW) == (action, keyword)


@pytest.mark.parametrize(
    "text", ["Stop by the shop at six", "STOPPED", "please stop", "", "   ", "s t o p", "x" * 500]
)
def test_only_a_whole_message_keyword_counts(text: str) -> None:
    assert detect(text, KW) is None


def test_keyword_lists_are_configurable() -> None:
    kw = Keywords.of(stop=["Halt"], start=["Go"], help=["Hilfe"])
    assert detect("halt", kw) == (KeywordAction.STOP, "HALT")
    assert detect("STOP", kw) is None
    assert detect("hilfe", kw) == (KeywordAction.HELP, "HILFE")


def test_keyword_lists_refuse_two_words_and_overlaps() -> None:
    with pytest.raises(Rejected) as info:
        Keywords.of(stop=["STOP NOW"])
    assert info.value.field == "stop_keywords"
    with pytest.raises(Rejected) as info:
        Keywords.of(stop=["stop"], start=["START", "Stop"])
    assert info.value.field == "start_keywords" and "'stop'" in info.value.detail


def test_stop_and_start_make_consent_records_help_does_not() -> None:
    stop = consent_for_mo(
        KeywordAction.STOP,
        "STOP",
        account_id=ACC,
        sender="447700900123",
        mo_id=MessageId("MO1"),
        at=T0,
    )
    assert stop is not None
    assert stop.number == "+447700900123" and stop.action is ConsentAction.OPT_OUT
    assert stop.source is ConsentSource.MO and stop.mo_id == "MO1" and stop.keyword == "STOP"
    assert stop.at == T0
    start = consent_for_mo(
        KeywordAction.START,
        "YES",
        account_id=ACC,
        sender="+447700900123",
        mo_id=MessageId("M"),
        at=T0,
    )
    assert start is not None and start.action is ConsentAction.OPT_IN
    assert (
        consent_for_mo(
            KeywordAction.HELP,
            "HELP",
            account_id=ACC,
            sender="+447700900123",
            mo_id=MessageId("M"),
            at=T0,
        )
        is None
    )


def test_a_sender_that_mt_cannot_reach_is_not_listed() -> None:
    for sender in ("07700900123", "Shop", "123"):
        assert (
            consent_for_mo(
                KeywordAction.STOP,
                "STOP",
                account_id=ACC,
                sender=sender,
                mo_id=MessageId("M"),
                at=T0,
            )
            is None
        )


def test_optout_numbers_and_reasons_are_validated() -> None:
    assert optout_number("00 44 7700 900123") == "+447700900123"
    with pytest.raises(Rejected) as info:
        optout_number("12")
    assert info.value.reason is RejectReason.INVALID_DESTINATION and info.value.field == "number"
    assert check_reason("") is None
    assert check_reason("asked by phone") == "asked by phone"
    with pytest.raises(Rejected) as info:
        check_reason("x" * 201)
    assert info.value.field == "reason"


def test_opted_out_recipients_are_refused_one_by_one() -> None:
    req = SubmitRequest(account_id=ACC, to=("+447700900001", "+447700900002", "12"), text="hi")
    plans = plan_submission(req, now=T0, ids=message_ids(T0), limits=SubmitLimits())
    out = apply_optouts(plans, {"+447700900002"})
    assert out[0].message is not None
    assert out[1].message is None and out[1].error is not None
    assert out[1].error.reason is RejectReason.OPTED_OUT and out[1].error.field == "to"
    assert out[2].error is not None and out[2].error.reason is RejectReason.INVALID_DESTINATION
    assert apply_optouts(plans, set()) is plans
