"""domain.content: every content kind planned into message fields, counted as sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.domain.content import (
    Binary,
    GroupGraphic,
    Mms,
    MmsNotification,
    OperatorLogo,
    Picture,
    Ringtone,
    VCal,
    VCard,
    WapSi,
    WapSl,
    parse_languages,
    plan_content,
    split_message,
)
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import NewMessage
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitLimits, SubmitRequest, plan_submission
from heliograph.wire.gsm.udh import decode_udh
from heliograph.wire.ota.logos import decode_operator_logo, decode_picture_message
from heliograph.wire.ota.ringtone import decode_ringtone
from heliograph.wire.ota.smart import SmartPort, port_parts
from heliograph.wire.wap.push import push_parts
from heliograph.wire.wap.si import decode_si
from heliograph.wire.wap.wsp import decode_push

# csoft seed GroupGraphic: a bare 72x14 OTA bitmap (tests/vectors/ota.toml)
BITMAP_72X14 = bytes.fromhex("00480e01") + bytes(range(126))
BITMAP_72X28 = bytes.fromhex("00481c01") + bytes(252)
VCARD = "BEGIN:VCARD\nVERSION:2.1\nN:Smith;John\nTEL;PREF;VOICE:447700912345\nEND:VCARD"
WAP167 = WapSi(
    href="http://www.xyz.com/email/123/abc.wml",
    created=datetime(1999, 6, 25, 15, 23, 15, tzinfo=UTC),
    expires=datetime(1999, 6, 30, tzinfo=UTC),
    text="You have 4 new emails",
)


def _message(text: str = "x", **fields: Any) -> NewMessage:
    """A stored message for split_message, planned through plan_submission."""
    req = SubmitRequest(account_id=AccountId("a"), to=("+447700900123",), text=text, **fields)
    (plan,) = plan_submission(req, now=1000.0, ids=iter([MessageId("m1")]), limits=SubmitLimits())
    assert plan.message is not None
    return plan.message


def test_wap_si_is_the_wap167_example_behind_ports_2948_9200() -> None:
    planned = plan_content(WAP167)
    # WAP-167 §9.4 example (docs/content.md), behind TID 01, Push 06, HeadersLen 01, SI AE
    si_wbxml = (
        bytes.fromhex("02056a0045c60d03")
        + b"xyz"
        + bytes.fromhex("00850 3".replace(" ", ""))
        + b"email/123/abc.wml"
        + bytes.fromhex("000ac30719990625152315 10c30419990630 0103".replace(" ", ""))
        + b"You have 4 new emails"
        + bytes.fromhex("000101")
    )
    assert planned.payload == bytes.fromhex("010601ae") + si_wbxml
    si = decode_si(decode_push(planned.payload).data)
    assert si.href == WAP167.href and si.text == WAP167.text
    assert (planned.dest_port, planned.src_port) == (2948, 9200)
    assert planned.data_coding == 0x04 and planned.udh is None
    assert planned.parts == 1
    assert planned.description == f"WAP Push SI {WAP167.href}: You have 4 new emails"


def test_long_si_counts_exactly_what_push_parts_sends() -> None:
    si = replace(WAP167, href="https://www.example.org/" + "p" * 150, text="ready " * 40)
    planned = plan_content(si)
    expected = push_parts(planned.payload, reference=7)
    message = _message(content=si)
    split = split_message(replace(message, concat_ref=7))
    assert planned.parts == len(expected.parts) == 4
    assert split.parts == expected.parts
    assert split.data_coding == expected.data_coding == 0x04


def test_wap_sl_with_action() -> None:
    planned = plan_content(WapSl(href="http://a.example.net/x", action="execute-high"))
    push = decode_push(planned.payload)
    assert push.content_type.media_type == "application/vnd.wap.slc"
    assert (planned.dest_port, planned.src_port, planned.parts) == (2948, 9200, 1)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (WapSi(href=""), "content.href"),
        (WapSi(href="http://x", action="loud"), "content.action"),
        (WapSl(href="http://x", action="signal-high"), "content.action"),
        (VCard(text="hello"), "content.text"),
        (VCard(text="BEGIN:VCARD\nno property here\nEND:VCARD"), "content.text"),
        (VCard(text="BEGIN:VCARD\nEND:VCARD"), "content.text"),
        (VCal(text=VCARD), "content.text"),
        (Ringtone(rtttl="not a tune"), "content.rtttl"),
        (OperatorLogo(bitmap=b"\x01\x02"), "content.bitmap"),
        (OperatorLogo(bitmap=BITMAP_72X14), "content.mcc"),
        (OperatorLogo(bitmap=BITMAP_72X14, mcc="2345", mnc="15"), "content.mcc"),
        (OperatorLogo(bitmap=BITMAP_72X14, mcc="234", mnc="1"), "content.mnc"),
        (GroupGraphic(bitmap=b"\x00\x48"), "content.bitmap"),
        (Picture(bitmap=b""), "content.bitmap"),
        (Binary(payload=b""), "content.payload"),
        (Binary(payload=b"x", udh=b"\x09\x05\x04"), "content.udh"),
        (Binary(payload=b"x", udh=b"\x06\x05\x04\x0b\x84\x23\xf0", dest_port=1), "content.udh"),
        (Binary(payload=b"x", dest_port=70000), "content.dest_port"),
        (Binary(payload=b"x", src_port=5), "content.dest_port"),
        (Binary(payload=b"x", data_coding=256), "content.data_coding"),
        (MmsNotification(url="ftp://x/m", size=10), "content.url"),
        (MmsNotification(url="http://x/m", size=0), "content.size"),
        (MmsNotification(url="http://x/m", size=1, expiry_s=5), "content.expiry_s"),
    ],
)
def test_bad_content_names_the_field(content: object, field: str) -> None:
    with pytest.raises(Rejected) as caught:
        plan_content(content)
    assert caught.value.reason is RejectReason.INVALID_REQUEST
    assert caught.value.field == field


def test_vcard_to_port_9204_from_0_with_crlf() -> None:
    planned = plan_content(VCard(text=VCARD))
    assert planned.payload.startswith(b"BEGIN:VCARD\r\nVERSION:2.1\r\n")
    assert planned.payload.endswith(b"END:VCARD\r\n")
    assert (planned.dest_port, planned.src_port) == (SmartPort.VCARD, 0)
    expected = port_parts(planned.payload, SmartPort.VCARD, reference=0)
    assert planned.parts == len(expected.parts) == 1
    # the csoft PDU example's UDH: 06 05 04 23 F4 00 00
    assert expected.parts[0].udh == bytes.fromhex("06050423f40000")


def test_vcal_to_port_9205() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:1.0\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR"
    )
    planned = plan_content(VCal(text=text))
    assert (planned.dest_port, planned.src_port) == (SmartPort.VCALENDAR, 0)


def test_ringtone_is_the_csoft_fifth_on_port_5505() -> None:
    planned = plan_content(Ringtone(rtttl="fifth:d=4,o=5,b=63:8P,8G5,8G5,8G5,2D#5"))
    assert planned.payload == bytes.fromhex(
        "024a3a5599a599d1a004000f104189 30c30c30c28400".replace(" ", "")
    )
    assert (planned.dest_port, planned.src_port, planned.parts) == (5505, 5505, 1)
    assert decode_ringtone(planned.payload).name == "fifth"


def test_operator_logo_short_form_fits_one_sms() -> None:
    planned = plan_content(OperatorLogo(bitmap=BITMAP_72X14, mcc="244", mnc="05"))
    assert planned.payload[:3] == bytes.fromhex("42f450")
    assert (planned.dest_port, planned.src_port, planned.parts) == (5506, 5506, 1)
    with_headers = plan_content(
        OperatorLogo(bitmap=BITMAP_72X14, mcc="244", mnc="05", nokia_headers=True)
    )
    assert with_headers.payload[:1] == b"\x30" and with_headers.parts == 2


def test_operator_logo_keeps_the_network_code_it_came_with() -> None:
    ota = plan_content(OperatorLogo(bitmap=BITMAP_72X14, mcc="234", mnc="15")).payload
    again = plan_content(OperatorLogo(bitmap=ota))
    logo = decode_operator_logo(again.payload)
    assert (logo.mcc, logo.mnc) == ("234", "15")
    other = decode_operator_logo(plan_content(OperatorLogo(bitmap=ota, mnc="33")).payload)
    assert (other.mcc, other.mnc) == ("234", "33")


def test_group_graphic_and_picture_ports() -> None:
    icon = plan_content(GroupGraphic(bitmap=BITMAP_72X14))
    assert icon.payload == b"\x30" + BITMAP_72X14
    assert (icon.dest_port, icon.parts) == (5507, 1)
    assert plan_content(GroupGraphic(bitmap=icon.payload)).payload == icon.payload
    picture = plan_content(Picture(bitmap=BITMAP_72X28, text="Test"))
    assert decode_picture_message(picture.payload).text == "Test"
    assert (picture.dest_port, picture.parts) == (5514, 3)
    assert picture.description == "Picture message 72x28: Test"


def test_binary_with_ports_plain_and_client_udh() -> None:
    ported = plan_content(Binary(payload=b"\x01" * 200, dest_port=5000, src_port=0))
    assert ported.parts == 2
    plain = plan_content(Binary(payload=b"\x01" * 140))
    assert (plain.parts, plain.dest_port) == (1, None)
    udh = bytes.fromhex("06050450000000")
    own = plan_content(Binary(payload=b"x" * 133, udh=udh, data_coding=0xF5))
    assert (own.parts, own.udh, own.data_coding) == (1, udh, 0xF5)
    with pytest.raises(Rejected) as caught:
        plan_content(Binary(payload=b"x" * 134, udh=udh))
    assert caught.value.reason is RejectReason.MESSAGE_TOO_LONG
    # GSM 7-bit user data behind a UDH counts septets (TS 23.040 §9.2.3.16)
    plan_content(Binary(payload=b"a" * 152, udh=udh, data_coding=0x00))


def test_binary_client_udh_is_sent_as_given() -> None:
    udh = bytes.fromhex("06050423f40000")
    message = _message(content=Binary(payload=b"BEGIN:VCARD", udh=udh))
    (part,) = split_message(message).parts
    assert (part.udh, part.payload) == (udh, b"BEGIN:VCARD")


def test_message_class_goes_into_the_dcs() -> None:
    flash = plan_content(Binary(payload=b"x"), message_class=0)
    assert flash.data_coding == 0x14
    with pytest.raises(Rejected) as caught:
        plan_content(Binary(payload=b"x", data_coding=4), message_class=1)
    assert caught.value.field == "message_class"
    with pytest.raises(Rejected):
        plan_content(Binary(payload=b"x"), message_class=4)


def test_too_many_parts() -> None:
    with pytest.raises(Rejected) as caught:
        plan_content(Binary(payload=b"x" * 2000, dest_port=1), max_parts=10)
    assert caught.value.reason is RejectReason.MESSAGE_TOO_LONG
    assert caught.value.field == "content.payload"


def test_mms_is_not_planned_as_sms() -> None:
    with pytest.raises(Rejected) as caught:
        plan_content(Mms(data=b"x"))
    assert caught.value.reason is RejectReason.NOT_SUPPORTED


def test_parse_languages_names_and_ids() -> None:
    assert parse_languages(["turkish", " Urdu", 3, "13"]) == frozenset({1, 13, 3})
    for bad in (["klingon"], [0], ["14"]):
        with pytest.raises(Rejected) as caught:
            parse_languages(bad)
        assert caught.value.field == "languages"


def test_text_with_languages_counts_and_splits_with_the_shift_tables() -> None:
    text = "ğ" * 150  # Turkish: not in the default alphabet; one part with the locking shift
    plain = _message(text=text)
    turkish = _message(text=text, languages=frozenset({1}))
    assert (plain.encoding, plain.parts) == ("ucs2", 3)
    assert (turkish.encoding, turkish.parts) == ("gsm7", 1)
    assert turkish.languages == frozenset({1})
    (part,) = split_message(turkish).parts
    header = decode_udh(part.udh)
    assert header.locking_shift == 1 or header.single_shift == 1


def test_flash_text_has_class_0_dcs() -> None:
    flash = _message(text="hello", message_class=0)
    assert flash.data_coding == 0x10
    assert split_message(flash).data_coding == 0x10
    ucs2 = _message(text="привет", message_class=0)
    assert ucs2.data_coding == 0x18
    with pytest.raises(Rejected) as caught:
        _message(text="hello", encoding="latin1", message_class=0)
    assert caught.value.field == "message_class"


def test_content_request_stores_binary_fields() -> None:
    m = _message(content=WAP167, text="")
    assert m.encoding == "binary" and m.payload is not None
    assert (m.dest_port, m.src_port, m.data_coding) == (2948, 9200, 0x04)
    with pytest.raises(Rejected) as caught:
        _message(content=WAP167, languages=frozenset({1}))
    assert caught.value.field == "languages"


@given(st.binary(min_size=1, max_size=3000), st.integers(0, 0xFFFF), st.integers(0, 255))
def test_property_split_rejoins_and_matches_the_count(payload: bytes, port: int, ref: int) -> None:
    planned = plan_content(Binary(payload=payload, dest_port=port, src_port=port))
    message = replace(_message(content=Binary(payload=payload, dest_port=port)), concat_ref=ref)
    split = split_message(message)
    assert len(split.parts) == planned.parts
    assert b"".join(p.payload for p in split.parts) == payload
    for part in split.parts:
        assert len(part.udh) + len(part.payload) <= 140
        assert decode_udh(part.udh).ports is not None
