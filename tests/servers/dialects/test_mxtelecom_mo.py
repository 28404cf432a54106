"""MX Telecom: incoming SMS and unsubscribe notifications to the account's URL."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from yarl import URL

from heliograph.domain.accounts import verify_callback_signature
from heliograph.domain.ids import AccountId, MessageId
from heliograph.servers.http.dialects.mxtelecom_mo import render_mo, require_answer
from heliograph.servers.http.dialects.mxtelecom_reports import sms_id
from heliograph.services.ports import CallbackResponse
from heliograph.store.base import CallbackJob
from tests.servers.dialects.mo_support import SHORT, SUB, Answer, client_site, mo_gateway

AT = 1795311689.5  # 2026-11-22 01:41:29 UTC, GMT in London
SUMMER = 1780000000.0  # 2026-05-28 20:26:40 UTC, BST in London


def job(
    url: str, text: str = "Café €5", *, consent: str | None = None, at: float = AT
) -> CallbackJob:
    event = {
        "event": "message.received", "id": "01MO", "from": SUB, "to": "81111", "text": text,
        "received_at": at, "incomplete": False, "keyword": None, "connector": "loopback",
        "consent": consent,
    }  # fmt: skip
    return CallbackJob(
        id=1, account_id=AccountId("acct"), message_id=MessageId("01MO"), url=url,
        format="mxtelecom-mo", body=json.dumps(event).encode(), secret="whsec", attempts=1,
        created_at=0.0,
    )  # fmt: skip


def query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, encoding="iso-8859-15")


def test_latin9_text_as_mx_telecom_sends_it() -> None:
    request = render_mo(job("https://server.com/drpt.cgi?x=1"), AT)
    assert request is not None and request.method == "GET" and request.body == b""
    assert urlsplit(request.url).path == "/drpt.cgi"
    assert query(request.url) == [
        ("x", "1"),
        ("smsfrom", "447911123456"),
        ("smsto", "81111"),
        ("smsdate", "2026-11-22 01:41:29"),
        ("network", "UNKNOWN"),
        ("smsid", str(sms_id("01MO"))),
        ("bits", "7"),
        ("smsmsg", "Café €5"),
    ]
    assert "%A4" in request.url  # the euro sign in ISO-8859-15
    on_the_wire = URL(request.url).raw_query_string.encode()
    assert verify_callback_signature(
        "whsec", request.headers["X-Heliograph-Signature"], on_the_wire, AT
    )


def test_london_time_in_summer() -> None:
    request = render_mo(job("http://h/", at=SUMMER), SUMMER)
    assert request is not None
    assert dict(query(request.url))["smsdate"] == "2026-05-28 21:26:40"


def test_text_beyond_latin9_goes_in_smsucs2() -> None:
    request = render_mo(job("http://h/", text="Привет 😀"), AT)
    assert request is not None
    fields = dict(query(request.url))
    assert fields["bits"] == "16"
    assert fields["smsucs2"] == "Привет 😀".encode("utf-16-be").hex().upper()
    assert fields["smsucs2"].startswith("041F0440") and fields["smsucs2"].endswith("D83DDE00")
    assert fields["smsmsg"] == "?????? ?"


def test_a_stop_that_opted_out_is_an_unsubscribe_notification() -> None:
    request = render_mo(job("http://h/mx?k=v", text="STOP", consent="opt_out"), AT)
    assert request is not None and request.method == "GET"
    assert query(request.url) == [
        ("k", "v"),
        ("msisdn", "447911123456"),
        ("shortcode", "81111"),
        ("date", "2026-11-22 01:41:29"),
        ("source", "STOP"),
    ]
    start = render_mo(job("http://h/mx", text="START", consent="opt_in"), AT)
    assert start is not None and dict(query(start.url))["smsmsg"] == "START"


async def test_an_empty_answer_is_a_failure() -> None:
    def answer(body: bytes) -> CallbackResponse:
        return CallbackResponse(status=200, content_type="text/plain", charset=None, body=body)

    assert await require_answer(answer(b"OK"), None) is None  # type: ignore[arg-type]
    assert await require_answer(answer(b" \r\n"), None) is not None  # type: ignore[arg-type]


async def test_sms_then_stop_reach_the_client(tmp_path: Path) -> None:
    async with client_site() as site:
        site.answers["/mx/in"] = [Answer(body=b"")]  # MX Telecom's rule: tried again
        async with mo_gateway(tmp_path, site.base + "/mx/in", "mxtelecom") as client:
            hello = await client.mo("Hello")
            await site.wait_for(lambda seen: len(seen) == 2)
            await client.mo("Stop")
            seen = await site.wait_for(lambda seen: len(seen) == 3)
            assert await client.gateway.store.opted_out(client.account.account.id, [SUB]) == {SUB}
    first, again, stop = (s.params for s in seen)
    assert first == again  # the same smsid: MX Telecom's clients filter duplicates on it
    assert first["smsid"] == str(sms_id(hello))
    assert (first["smsfrom"], first["smsto"], first["smsmsg"], first["bits"]) == (
        "447911123456",
        "447700900000",
        "Hello",
        "7",
    )
    assert stop["msisdn"] == "447911123456" and stop["shortcode"] == SHORT.lstrip("+")
    assert stop["source"] == "STOP" and "smsmsg" not in stop
    assert abs(time.mktime(time.strptime(stop["date"], "%Y-%m-%d %H:%M:%S")) - time.time()) < 7200
    assert all(s.method == "GET" for s in site.seen)
