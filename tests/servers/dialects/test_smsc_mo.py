"""SMS Center: incoming SMS to the client's handler, told from statuses by ``mes``."""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from pathlib import Path
from urllib.parse import parse_qsl
from xml.etree import ElementTree

from heliograph.domain.accounts import verify_callback_signature
from heliograph.domain.ids import AccountId, MessageId
from heliograph.servers.http.dialects.smsc_mo import incoming_id, render_mo
from heliograph.store.base import CallbackJob
from tests.servers.dialects.mo_support import SHORT, SUB, client_site, mo_gateway

AT = 1795311689.5


def job(url: str, text: str = "Привет, магазин") -> CallbackJob:
    event = {
        "event": "message.received", "id": "01MO", "from": SUB, "to": SHORT, "text": text,
        "received_at": AT, "incomplete": False, "keyword": None, "connector": "loopback",
        "consent": None,
    }  # fmt: skip
    return CallbackJob(
        id=1, account_id=AccountId("acct"), message_id=MessageId("01MO"), url=url,
        format="smsc-mo", body=json.dumps(event).encode(), secret="whsec", attempts=1,
        created_at=0.0,
    )  # fmt: skip


def test_fields_in_windows_1251_with_the_handlers_own_and_an_md5() -> None:
    request = render_mo(job("https://shop.example/smsc.php?md5=s3cret&shop=7"), AT)
    assert request is not None and request.method == "POST"
    assert request.url == "https://shop.example/smsc.php?md5=s3cret&shop=7"
    assert request.headers["Content-Type"] == (
        "application/x-www-form-urlencoded; charset=windows-1251"
    )
    fields = parse_qsl(request.body.decode("ascii"), encoding="cp1251")
    number = str(incoming_id("01MO"))
    assert fields == [
        ("id", number),
        ("phone", "447911123456"),
        ("mes", "Привет, магазин"),
        ("to", "447700900000"),
        ("sent", "1795311689"),
        ("time", "1795311689"),
        ("md5", hashlib.md5(f"{number}:447911123456:Привет, магазин:s3cret".encode()).hexdigest()),
        ("shop", "7"),
    ]
    assert verify_callback_signature(
        "whsec", request.headers["X-Heliograph-Signature"], request.body, AT
    )


def test_sha1_crc32_and_utf8() -> None:
    request = render_mo(job("http://h/?charset=utf-8&sha1=k-1&crc32=x_y", text="hi"), 0.0)
    assert request is not None
    fields = dict(parse_qsl(request.body.decode("ascii")))
    material = f"{fields['id']}:447911123456:hi:"
    assert fields["sha1"] == hashlib.sha1(f"{material}k-1".encode()).hexdigest()
    assert fields["crc32"] == str(zlib.crc32(f"{material}x_y".encode()))
    assert fields["charset"] == "utf-8"


def test_json_and_xml() -> None:
    as_json = render_mo(job("http://h/?fmt=3&charset=koi8-r"), 0.0)
    assert as_json is not None
    assert as_json.headers["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(as_json.body.decode("utf-8"))
    assert body["mes"] == "Привет, магазин" and body["phone"] == "447911123456"
    assert body["fmt"] == "3" and "status" not in body
    as_xml = render_mo(job("http://h/?fmt=2&charset=utf-8"), 0.0)
    assert as_xml is not None
    root = ElementTree.fromstring(as_xml.body)
    assert root.tag == "data"
    assert [child.tag for child in root] == [
        "id", "phone", "mes", "to", "sent", "time", "fmt", "charset",
    ]  # fmt: skip
    assert root.findtext("mes") == "Привет, магазин"


def test_the_id_is_a_stable_number_a_double_keeps() -> None:
    ids = {incoming_id(f"01M80GE99SM128SJC2R46P29{n:02d}") for n in range(100)}
    assert len(ids) == 100
    assert all(0 < i < 2**53 for i in ids)
    assert incoming_id("01MO") == incoming_id("01MO")


async def test_the_handler_gets_the_incoming_message(tmp_path: Path) -> None:
    async with client_site() as site:
        url = site.base + "/smsc.php?charset=utf-8&md5=s3cret"
        async with mo_gateway(tmp_path, url, "smsc") as client:
            mo_id = await client.mo("Заказ 42")
            [seen] = await site.wait_for(lambda got: len(got) == 1)
    assert seen.method == "POST" and seen.path == "/smsc.php?charset=utf-8&md5=s3cret"
    form = dict(parse_qsl(seen.body.decode("ascii")))
    number = str(incoming_id(mo_id))
    assert (form["id"], form["phone"], form["to"], form["mes"]) == (
        number,
        "447911123456",
        "447700900000",
        "Заказ 42",
    )
    assert abs(int(form["time"]) - time.time()) < 60 and form["sent"] == form["time"]
    assert form["md5"] == hashlib.md5(f"{number}:447911123456:Заказ 42:s3cret".encode()).hexdigest()
    assert "status" not in form  # what tells it from a status: mes, and no status
    assert seen.headers["X-Heliograph-Message-Id"] == mo_id
    assert verify_callback_signature(
        client.account.callback_secret,
        seen.headers["X-Heliograph-Signature"],
        seen.body,
        time.time(),
    )
