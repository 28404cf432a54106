"""POST /v1/messages with a content object, flash, message_class and languages (in process)."""

from __future__ import annotations

import base64
import io
import os
import uuid
from typing import Any

import pytest

from heliograph.domain.accounts import Account, CredentialKind, secret_credential
from heliograph.domain.content import split_message
from heliograph.domain.ids import AccountId
from heliograph.wire.gsm.gsm7 import DEFAULT
from heliograph.wire.mms.pdus import NotificationInd, decode_pdu
from heliograph.wire.ota.bitmap import decode_ota_bitmap
from heliograph.wire.ota.logos import decode_operator_logo, decode_picture_message
from heliograph.wire.wap.si import decode_si
from heliograph.wire.wap.wsp import decode_push
from tests.servers.conftest import Api, post

TO = "+447700900123"
BITMAP_72X14 = "00480e01" + "ff00" * 63
VCARD = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Smith;John\r\nTEL;PREF;VOICE:447700912345\r\nEND:VCARD"


async def _stored(api: Api, mid: str) -> Any:
    """The message as the store keeps it (the fields the connectors read)."""
    parts, _ = await api.gateway.store.claim_parts(now=api.clock.now() + 10, limit=100)
    return sorted((p for p in parts if p.message_id == mid), key=lambda p: p.seq)


async def test_wap_si_is_accepted_as_one_binary_part(api: Api) -> None:
    body = {
        "to": TO,
        "content": {
            "type": "wap_si",
            "href": "http://www.example.com/ticket",
            "text": "Your ticket",
            "action": "signal-high",
            "si_id": "t-1",
            "created": "2026-01-31T09:00:00Z",
            "expires": "2026-02-07T09:00:00+01:00",
        },
    }
    status, answer = await post(api, body)
    assert status == 202, answer
    (entry,) = answer["messages"]
    assert entry["parts"] == 1
    resp = await api.client.get(f"/v1/messages/{entry['id']}", headers=api.auth())
    view = await resp.json()
    assert view["encoding"] == "binary"
    assert view["text"] == "WAP Push SI http://www.example.com/ticket: Your ticket"
    (part,) = await _stored(api, entry["id"])
    assert (part.dest_port, part.src_port, part.data_coding) == (2948, 9200, 0x04)
    assert part.payload[:4] == bytes.fromhex("010601ae")


@pytest.mark.parametrize(
    ("content", "parts", "port"),
    [
        ({"type": "wap_sl", "href": "http://a.example.net/x", "action": "execute-low"}, 1, 2948),
        ({"type": "vcard", "text": VCARD}, 1, 9204),
        (
            {"type": "vcal", "text": "BEGIN:VCALENDAR\nVERSION:1.0\nEND:VCALENDAR"},
            1,
            9205,
        ),
        ({"type": "ringtone", "rtttl": "fifth:d=4,o=5,b=63:8P,8G5,8G5,8G5,2D#5"}, 1, 5505),
        (
            {"type": "operator_logo", "mcc": "234", "mnc": "15", "bitmap": BITMAP_72X14},
            1,
            5506,
        ),
        ({"type": "group_graphic", "bitmap": BITMAP_72X14}, 1, 5507),
        ({"type": "picture", "bitmap": "00481c01" + "00" * 252, "text": "Hi"}, 3, 5514),
        ({"type": "binary", "payload": "0102 03", "dest_port": 5000}, 1, 5000),
    ],
)
async def test_every_kind_reaches_the_store_with_its_port(
    api: Api, content: dict[str, Any], parts: int, port: int
) -> None:
    status, answer = await post(api, {"to": TO, "content": content})
    assert status == 202, answer
    (entry,) = answer["messages"]
    assert entry["parts"] == parts
    stored = await _stored(api, entry["id"])
    assert len(stored) == parts
    assert stored[0].dest_port == port and stored[0].encoding == "binary"


async def test_binary_with_client_udh_and_data_coding(api: Api) -> None:
    content = {"type": "binary", "payload": "41", "udh": "06050450000000", "data_coding": 0xF5}
    status, answer = await post(api, {"to": TO, "content": content})
    assert status == 202, answer
    (part,) = await _stored(api, answer["messages"][0]["id"])
    assert (part.udh, part.payload, part.data_coding) == (
        bytes.fromhex("06050450000000"),
        b"A",
        0xF5,
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"to": TO}, 400, "invalid_request", "text"),
        (
            {"to": TO, "text": "x", "content": {"type": "vcard", "text": VCARD}},
            400,
            "invalid_request",
            "text",
        ),
        ({"to": TO, "content": {"type": "fax"}}, 400, "invalid_request", "content.type"),
        ({"to": TO, "content": {"type": "wap_si"}}, 400, "invalid_request", "content.href"),
        (
            {"to": TO, "content": {"type": "wap_si", "href": "http://x", "extra": 1}},
            400,
            "invalid_request",
            "content.extra",
        ),
        (
            {"to": TO, "content": {"type": "wap_si", "href": "http://x", "action": "loud"}},
            400,
            "invalid_request",
            "content.action",
        ),
        (
            {
                "to": TO,
                "content": {"type": "wap_si", "href": "http://x", "created": "2026-01-01T00:00"},
            },
            400,
            "invalid_request",
            "content.created",
        ),
        (
            {"to": TO, "content": {"type": "binary", "payload": "0g"}},
            400,
            "invalid_request",
            "content.payload",
        ),
        (
            {"to": TO, "content": {"type": "vcard", "text": "hello"}},
            400,
            "invalid_request",
            "content.text",
        ),
        (
            {"to": TO, "content": {"type": "ringtone", "rtttl": "nope"}},
            400,
            "invalid_request",
            "content.rtttl",
        ),
        (
            {"to": TO, "content": {"type": "group_graphic"}},
            400,
            "invalid_request",
            "content.bitmap",
        ),
        (
            {"to": TO, "content": {"type": "operator_logo", "bitmap": BITMAP_72X14}},
            400,
            "invalid_request",
            "content.mcc",
        ),
        (
            {"to": TO, "content": {"type": "picture", "image": "bm90IGFuIGltYWdl"}},
            400,
            "invalid_request",
            "content.image",
        ),
        ({"to": TO, "text": "x", "languages": ["klingon"]}, 400, "invalid_request", "languages"),
        ({"to": TO, "text": "x", "message_class": 4}, 400, "invalid_request", "message_class"),
        (
            {"to": TO, "text": "x", "flash": True, "message_class": 2},
            400,
            "invalid_request",
            "message_class",
        ),
        (
            {"to": TO, "content": {"type": "mms", "data": "AAAA"}},
            501,
            "not_supported",
            "content.type",
        ),
    ],
)
async def test_bad_content_names_the_field(
    api: Api, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    got, answer = await post(api, body)
    assert got == status, answer
    assert answer["error"]["code"] == code
    assert answer["error"]["field"] == field
    listed = await api.client.get("/v1/messages", headers=api.auth())
    assert (await listed.json())["messages"] == []  # nothing stored


async def test_flash_text_and_languages(api: Api) -> None:
    status, answer = await post(api, {"to": TO, "text": "Alert", "flash": True})
    assert status == 202
    (part,) = await _stored(api, answer["messages"][0]["id"])
    assert (part.message_class, part.data_coding) == (0, 0x10)
    text = "ş" * 100  # Turkish: UCS-2 without the tables, GSM 7-bit with them
    status, plain = await post(api, {"to": TO, "text": text})
    other = "+447700900124"  # the same text to the same number twice would be a duplicate
    status, turkish = await post(api, {"to": other, "text": text, "languages": ["turkish"]})
    assert status == 202, turkish
    assert plain["messages"][0]["parts"] == 2
    assert turkish["messages"][0]["parts"] == 1
    (part,) = await _stored(api, turkish["messages"][0]["id"])
    assert part.languages == frozenset({1}) and part.encoding == "gsm7"


async def test_operator_logo_from_an_image(api: Api) -> None:
    image_module = pytest.importorskip("PIL.Image", reason="Pillow not installed")
    picture = image_module.new("L", (144, 28), 255)
    for x in range(72):  # left half black
        for y in range(28):
            picture.putpixel((x, y), 0)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    content = {
        "type": "operator_logo",
        "mcc": "234",
        "mnc": "15",
        "image": base64.b64encode(buffer.getvalue()).decode(),
    }
    status, answer = await post(api, {"to": TO, "content": content})
    assert status == 202, answer
    (part,) = await _stored(api, answer["messages"][0]["id"])
    logo = decode_operator_logo(part.payload)
    assert (logo.bitmap.width, logo.bitmap.height) == (72, 14)
    rows = logo.bitmap.rows()
    assert rows[7] == "#" * 36 + "." * 36
    assert decode_ota_bitmap(part.payload[3:]) == logo.bitmap


async def test_openapi_documents_the_content_kinds(api: Api) -> None:
    resp = await api.client.get("/openapi.json")
    schemas = (await resp.json())["components"]["schemas"]
    assert "WapSiBody" in schemas and "BinaryBody" in schemas
    assert "content" in schemas["SubmitBody"]["properties"]


# --- dialects: the seed documents' content requests, output bytes checked ---------------


async def _pin_account(api: Api, username: str, pin: str) -> None:
    now = api.clock.now()
    account = Account(
        id=AccountId(uuid.uuid4().hex),
        name=username,
        callback_url=None,
        callback_secret="whsec_test",
        created_at=now,
    )
    cred = secret_credential(account.id, CredentialKind.PIN, username, pin, os.urandom(16), now)
    await api.gateway.store.create_account(account, [cred])


async def _csoft(api: Api, body: str) -> tuple[str, list[Any]]:
    """POST a csoft form body verbatim; (answer, the parts stored for the message)."""
    await _pin_account(api, "ANOther.12345", "12345678")
    resp = await api.client.post(
        "/webservices/http/sendmms",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = await resp.text()
    parts, _ = await api.gateway.store.claim_parts(now=api.clock.now() + 10, limit=100)
    return answer, sorted(parts, key=lambda p: p.seq)


async def test_csoft_pdu_text_to_port_5000_byte_for_byte(api: Api) -> None:
    body = (
        "UserName=ANOther.12345&PIN=12345678&SendTo=447700912345&&ResponseFormat=3"
        "&SmsSubmitPduDataCodingScheme=00&SmsSubmitPduProtocolIdentifier=00"
        "&SmsSubmitPduUserDataHeader=06050450000000&Message=This%20is%20a%20message%20to%20port"
        "%205000"
    )
    answer, (part,) = await _csoft(api, body)
    assert "Report=%2D2" in answer
    (sent,) = split_message(part).parts
    assert sent.udh == bytes.fromhex("06050450000000")
    assert sent.payload == DEFAULT.encode("This is a message to port 5000")  # unpacked septets
    assert part.data_coding == 0x00


async def test_csoft_pdu_vcard_byte_for_byte(api: Api) -> None:
    body = (
        "UserName=ANOther.12345&PIN=12345678&SendTo=447700912345&SmsSubmitPduDataCodingScheme=00"
        "&SmsSubmitPduProtocolIdentifier=00&SmsSubmitPduUserDataHeader=06050423F40000"
        "&Message=BEGIN:VCARD%0D%0AVERSION:2.1D%0D%0AN:Smith,John,MD%0D%0ATEL;PREF;VOICE:"
        "447700912345%0D%0AEND:VCARD&ResponseFormat=3"
    )
    answer, (part,) = await _csoft(api, body)
    assert "Report=%2D2" in answer
    (sent,) = split_message(part).parts
    assert sent.udh == bytes.fromhex("06050423f40000")
    card = (
        "BEGIN:VCARD\r\nVERSION:2.1D\r\nN:Smith,John,MD\r\nTEL;PREF;VOICE:447700912345\r\nEND:VCARD"
    )
    assert sent.payload == DEFAULT.encode(card)


@pytest.mark.parametrize(
    ("form", "port", "check"),
    [
        (
            "vCard=BEGIN:VCARD%0D%0AFN:Connection%20Software%0D%0ATEL:%2B442077138000%0D%0A"
            "END:VCARD",
            9204,
            b"BEGIN:VCARD\r\nFN:Connection Software\r\nTEL:+442077138000\r\nEND:VCARD\r\n",
        ),
        (
            "si-href=http://www.csoft.co.uk/images/smiley1.gif&si-content=Connection%20Software"
            "&si-action=signal-high&si-created=2026-01-31T09:00:00Z",
            2948,
            None,
        ),
        ("Ringtone=fifth:d=4,o=5,b=63:8P,8G5,8G5,8G5,2D%235&PhoneMake=Nokia", 5505, None),
        (
            "OperatorLogo=42f45000480e01" + "f0" * 126 + "&MCC=234&MNC=33&PhoneMake=Nokia",
            5506,
            bytes.fromhex("32f43300480e01") + b"\xf0" * 126,
        ),
        (
            "PictureMessage=00481c01" + "0f" * 252 + "&Message=Golf&PhoneMake=Nokia",
            5514,
            None,
        ),
    ],
)
async def test_csoft_content_tags_reach_the_store(
    api: Api, form: str, port: int, check: bytes | None
) -> None:
    body = "UserName=ANOther.12345&PIN=12345678&SendTo=447700912345&" + form
    answer, parts = await _csoft(api, body)
    assert answer.startswith("-2 - Accepted"), answer
    assert parts and parts[0].dest_port == port
    if check is not None:
        assert parts[0].payload == check
    if port == 2948:
        si = decode_si(decode_push(parts[0].payload).data)
        assert (si.href, si.text, si.action) == (
            "http://www.csoft.co.uk/images/smiley1.gif",
            "Connection Software",
            "signal-high",
        )
    if port == 5514:
        assert decode_picture_message(b"".join(p.payload for p in parts[:1])).text == "Golf"


@pytest.mark.parametrize(
    ("form", "answer"),
    [
        ("OperatorLogo=10147&MCC=234&MNC=33&PhoneMake=Nokia", "31 - Invalid parameter: no lib"),
        ("Ringtone=fifth:d=4,o=5,b=63:8P&PhoneMake=Motorola", "37 - Not supported"),
        (
            "SmsSubmitPduDataCodingScheme=00&SmsSubmitPduProtocolIdentifier=41"
            "&SmsSubmitPduUserDataHeader=00&SmsSubmitPduUserData=41",
            "37 - Not supported",
        ),
        ("vCard=BEGIN:VCARD%0D%0Ahello%0D%0AEND:VCARD", "31 - Invalid parameter: line 2"),
        ("Ringtone=la:la:la&PhoneMake=Nokia", "31 - Invalid parameter"),
    ],
)
async def test_csoft_content_refusals(api: Api, form: str, answer: str) -> None:
    body = "UserName=ANOther.12345&PIN=12345678&SendTo=447700912345&" + form
    got, parts = await _csoft(api, body)
    assert got.startswith(answer), got
    assert parts == []


async def _mx(api: Api, **fields: str) -> tuple[int, str, list[Any]]:
    """GET /sms/v1/send (MX Telecom); (status, answer, the parts stored)."""
    now = api.clock.now()
    account = Account(
        id=AccountId(uuid.uuid4().hex),
        name="mx",
        callback_url=None,
        callback_secret="whsec_test",
        created_at=now,
    )
    cred = secret_credential(account.id, CredentialKind.PASSWORD, "mx", "pw", os.urandom(16), now)
    await api.gateway.store.create_account(account, [cred])
    query = {"user": "mx", "pass": "pw", "smsto": "447700900123", **fields}
    resp = await api.client.get("/sms/v1/send", params=query)
    parts, _ = await api.gateway.store.claim_parts(now=api.clock.now() + 10, limit=100)
    return resp.status, await resp.text(), sorted(parts, key=lambda p: p.seq)


async def test_mxtelecom_8bit_with_udh_flash_and_wap_push(api: Api) -> None:
    status, answer, (part,) = await _mx(api, bits="8", smsmsg="cafe", smsudh="06050415810000")
    assert status == 200, answer
    assert (part.udh, part.payload, part.data_coding) == (
        bytes.fromhex("06050415810000"),
        b"\xca\xfe",
        0x04,
    )


async def test_mxtelecom_text_behind_udh_and_flash(api: Api) -> None:
    status, answer, (part,) = await _mx(api, smsmsg="Hi", smsudh="050003070201", flash="1")
    assert status == 200, answer
    (sent,) = split_message(part).parts
    assert (part.udh, sent.payload) == (bytes.fromhex("050003070201"), DEFAULT.encode("Hi"))
    assert part.message_class == 0 and split_message(part).data_coding == 0x10


@pytest.mark.parametrize(
    ("fields", "port"),
    [
        ({"wappush_url": "http://x.test/offer", "wappush_text": "Offer"}, 2948),
        ({"mms_url": "http://x.test/m/1", "mms_subject": "Hello", "mms_size": "20480"}, 2948),
        ({"vcard": "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Smith;John\r\nEND:VCARD"}, 9204),
    ],
)
async def test_mxtelecom_content_parameters(api: Api, fields: dict[str, str], port: int) -> None:
    status, answer, parts = await _mx(api, **fields)
    assert status == 200, answer
    assert parts[0].dest_port == port
    if "mms_url" in fields:
        push = decode_push(parts[0].payload)
        assert push.content_type.media_type == "application/vnd.wap.mms-message"
        notification = decode_pdu(push.data)
        assert isinstance(notification, NotificationInd)
        assert (notification.content_location, notification.message_size) == (
            "http://x.test/m/1",
            20480,
        )
        assert notification.subject == "Hello"


async def _kannel(api: Api, query: str) -> tuple[int, str, list[Any]]:
    """GET /cgi-bin/sendsms (Kannel) with a raw query; (status, answer, the parts stored)."""
    now = api.clock.now()
    name = uuid.uuid4().hex[:12]
    account = Account(
        id=AccountId(uuid.uuid4().hex),
        name=name,
        callback_url=None,
        callback_secret="whsec_test",
        created_at=now,
    )
    cred = secret_credential(account.id, CredentialKind.PASSWORD, name, "pw", os.urandom(16), now)
    await api.gateway.store.create_account(account, [cred])
    url = f"/cgi-bin/sendsms?username={name}&password=pw&to=447700900123&{query}"
    resp = await api.client.get(url)
    parts, _ = await api.gateway.store.claim_parts(now=api.clock.now() + 10, limit=100)
    return resp.status, await resp.text(), sorted(parts, key=lambda p: p.seq)


async def test_kannel_udh_is_8bit_data_sent_as_given(api: Api) -> None:
    # the classic Kannel operator-logo style request: UDH with ports, binary text
    status, answer, (part,) = await _kannel(api, "udh=%06%05%04%15%82%00%00&text=%30%42%F2")
    assert (status, answer) == (202, "0: Accepted for delivery")
    (sent,) = split_message(part).parts
    assert (sent.udh, sent.payload, part.data_coding) == (
        bytes.fromhex("06050415820000"),
        b"\x30\x42\xf2",
        0x04,
    )


async def test_kannel_coding_1_and_mclass(api: Api) -> None:
    status, _, (part,) = await _kannel(api, "coding=1&mclass=1&text=%00%FF")
    assert status == 202
    assert (part.payload, part.udh, part.data_coding) == (b"\x00\xff", None, 0x15)
    status, _, (text,) = await _kannel(api, "mclass=0&text=flash")
    assert status == 202
    assert (text.message_class, split_message(text).data_coding) == (0, 0x10)
    status, _, (ucs2,) = await _kannel(api, "udh=%05%00%03%01%02%01&coding=2&text=%04%1F")
    assert status == 202 and ucs2.udh == bytes.fromhex("050003010201")
    assert split_message(ucs2).parts[0].payload == "П".encode("utf-16-be")


async def _smsc(api: Api, query: str) -> tuple[str, list[Any]]:
    """GET /sys/send.php (SMS Center) with a raw query; (answer, the parts stored)."""
    now = api.clock.now()
    name = uuid.uuid4().hex[:12]
    account = Account(
        id=AccountId(uuid.uuid4().hex),
        name=name,
        callback_url=None,
        callback_secret="whsec_test",
        created_at=now,
    )
    cred = secret_credential(account.id, CredentialKind.PASSWORD, name, "pw", os.urandom(16), now)
    await api.gateway.store.create_account(account, [cred])
    resp = await api.client.get(f"/sys/send.php?login={name}&psw=pw&phones=79991234567&{query}")
    parts, _ = await api.gateway.store.claim_parts(now=api.clock.now() + 10, limit=100)
    return await resp.text(), sorted(parts, key=lambda p: p.seq)


async def test_smsc_flash_push_and_bin(api: Api) -> None:
    answer, (flash,) = await _smsc(api, "mes=Alert&flash=1&charset=utf-8")
    assert answer.startswith("OK"), answer
    assert split_message(flash).data_coding == 0x10
    answer, (push,) = await _smsc(api, "mes=http://x.test/a%0AOpen+me&push=1&charset=utf-8")
    assert answer.startswith("OK"), answer
    si = decode_si(decode_push(push.payload).data)
    assert (si.href, si.text, push.dest_port) == ("http://x.test/a", "Open me", 2948)
    answer, (hexed,) = await _smsc(api, "mes=0102ff&bin=2")
    assert answer.startswith("OK") and hexed.payload == b"\x01\x02\xff"
    answer, (raw,) = await _smsc(api, "mes=%C0%FF&bin=1")  # windows-1251 octets as sent
    assert answer.startswith("OK") and raw.payload == b"\xc0\xff"
