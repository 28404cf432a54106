"""Kannel's /cgi-bin/sendsms: Kannel's answers, its field errors, charsets and dlr-url reports."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlencode

import aiohttp
import pytest

from heliograph.domain.messages import MessageState
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.dialects import callback_renderers
from heliograph.servers.http.dialects.kannel import REFUSALS, refusal
from heliograph.servers.http.dialects.kannel_dlr import fill_static, render_dlr
from heliograph.store.base import CallbackJob
from tests.servers.dialects import Dialect, GetSink, in_process, running

PATH = "/cgi-bin/sendsms"


@pytest.fixture
async def kannel(tmp_path: Path) -> AsyncIterator[Dialect]:
    async with in_process(tmp_path) as d:
        yield d


def creds(d: Dialect) -> str:
    return f"username={d.account.username}&password={quote(d.account.password)}"


async def get(d: Dialect, query: str) -> tuple[int, str, str]:
    resp = await d.client.get(f"{PATH}?{query}")
    return resp.status, await resp.text(), resp.content_type


async def test_get_is_accepted_with_kannels_answer(kannel: Dialect) -> None:
    q = f"{creds(kannel)}&to=%2B447700900001&from=Shop&text=Hello+world"
    status, body, ctype = await get(kannel, q)
    assert (status, body, ctype) == (202, "0: Accepted for delivery", "text/html")
    [msg] = await kannel.stored()
    assert (msg.to, msg.sender, msg.text) == ("+447700900001", "Shop", "Hello world")


async def test_user_and_pass_aliases_and_several_receivers(kannel: Dialect) -> None:
    # "+" in a query string is a space: Kannel splits "to" on white space.
    q = (
        f"user={kannel.account.username}&pass={quote(kannel.account.password)}"
        "&to=447700900001+447700900002&text=x"
    )
    status, body, _ = await get(kannel, q)
    assert (status, body) == (202, "0: Accepted for delivery")
    assert sorted(m.to for m in await kannel.stored()) == ["+447700900001", "+447700900002"]


async def test_some_receivers_denied(kannel: Dialect) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001+12+abc&text=x")
    assert status == 202
    assert body == "0: Accepted for delivery Denied receivers are: 12 abc"
    assert [m.to for m in await kannel.stored()] == ["+447700900001"]


async def test_queued_for_later_delivery_when_no_connector_is_up(kannel: Dialect) -> None:
    for connector in kannel.gateway.connectors.values():
        await connector.aclose()
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&text=x")
    assert (status, body) == (202, "3: Queued for later delivery")
    assert len(await kannel.stored()) == 1


@pytest.mark.parametrize(
    ("query", "status", "answer"),
    [
        ("username=alice&password=wrong&to=447700900001&text=x", 403, "Authorization failed"),
        ("username=nobody&password=x&to=447700900001&text=x", 403, "Authorization failed"),
        ("to=447700900001&text=x", 403, "Authorization failed for sendsms"),
    ],
)
async def test_bad_credentials(kannel: Dialect, query: str, status: int, answer: str) -> None:
    got_status, body, _ = await get(kannel, query)
    assert got_status == status and body.startswith(answer)
    assert await kannel.stored() == []


@pytest.mark.parametrize(
    ("params", "answer"),
    [
        ("text=x", "Missing receiver number, rejected"),
        ("to=&text=x", "Empty receiver number not allowed, rejected"),
        (
            "to=12+abc&text=x",
            "Number(s) has/have been denied by white/black lists, or allowed/denied rules.",
        ),
        ("to=447700900001&text=x&dlr-mask=99", "DLR-Mask field misformed, rejected"),
        ("to=447700900001&text=x&dlr-mask=abc", "DLR-Mask field misformed, rejected"),
        ("to=447700900001&text=x&mclass=7", "MClass field misformed, rejected"),
        ("to=447700900001&text=x&coding=3", "Coding field misformed, rejected"),
        ("to=447700900001&text=x&mwi=9", "MWI field misformed, rejected"),
        ("to=447700900001&text=x&pid=300", "PID field misformed, rejected"),
        ("to=447700900001&text=x&priority=9", "Priority field misformed, rejected"),
        ("to=447700900001&text=x&validity=-5", "Validity field misformed, rejected"),
        ("to=447700900001&text=x&validity=0", "Validity field misformed, rejected"),
        ("to=447700900001&text=x&deferred=-2", "Deferred field misformed, rejected"),
        ("to=447700900001&text=x&dlr-url=ftp://x", "DLR-URL field misformed, rejected"),
        ("to=447700900001&text=x&account=a%5Bb", "Account field misformed or too long, rejected"),
        ("to=447700900001&text=x&charset=no-such", "Charset or body misformed, rejected"),
        ("to=447700900001&text=%FF&charset=UTF-8", "Charset or body misformed, rejected"),
        ("to=447700900001&text=x&udh=%06%05", "UDH field misformed, rejected"),
        ("to=447700900001&text=x&from=much-too-long-sender", "Sender field misformed, rejected"),
        ("to=447700900001&text=", "Charset or body misformed, rejected (text is empty)"),
    ],
)
async def test_misformed_fields_get_kannels_error_and_store_nothing(
    kannel: Dialect, params: str, answer: str
) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&{params}")
    assert status == 400
    assert body.startswith(answer)
    assert await kannel.stored() == []


@pytest.mark.parametrize(
    ("params", "what"),
    [
        ("mwi=1", "Message waiting indicator (mwi)"),
        ("compress=1", "Compression (compress)"),
        ("pid=64", "Protocol identifier (pid)"),
        ("rpi=1", "Reply path (rpi)"),
        ("alt-dcs=1", "Alternative DCS (alt-dcs)"),
        ("smsc=vodafone", "Choosing the SMSC (smsc)"),
        ("binfo=x", "Billing information (binfo)"),
        ("meta-data=%3Fsmpp%3Fa%3Db", "Meta-data (meta-data)"),
    ],
)
async def test_unsupported_features_are_refused(kannel: Dialect, params: str, what: str) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&text=x&{params}")
    assert (status, body) == (400, f"{what} is not supported by this gateway, rejected")
    assert await kannel.stored() == []


async def test_neutral_values_of_unsupported_fields_are_fine(kannel: Dialect) -> None:
    q = f"{creds(kannel)}&to=447700900001&text=x&mclass=-1&pid=0&rpi=0&alt-dcs=0&compress=0"
    status, _, _ = await get(kannel, q)
    assert status == 202


async def test_charsets(kannel: Dialect) -> None:
    await get(kannel, f"{creds(kannel)}&to=447700900001&text=%E9t%E9&charset=ISO-8859-1")
    # coding=2 without charset: the text is UTF-16BE, as in Kannel.
    await get(kannel, f"{creds(kannel)}&to=447700900002&text=%04%1F%04%40%048&coding=2")
    await get(kannel, f"{creds(kannel)}&to=447700900003&text=%D0%9F%D1%80%D0%B8")
    by_to = {m.to: m for m in await kannel.stored()}
    assert by_to["+447700900001"].text == "été"
    assert (by_to["+447700900002"].text, by_to["+447700900002"].encoding) == ("При", "ucs2")
    assert by_to["+447700900003"].text == "При"


async def test_coding_zero_forces_gsm7(kannel: Dialect) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&text=%D0%9F&coding=0")
    assert status == 400 and body.startswith("Charset or body misformed, rejected")
    status, _, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&text=abc&coding=0")
    assert status == 202
    [msg] = await kannel.stored()
    assert msg.encoding == "gsm7"


async def test_deferred_validity_and_priority(kannel: Dialect) -> None:
    q = f"{creds(kannel)}&to=447700900001&text=x&deferred=10&validity=60&priority=2"
    status, _, _ = await get(kannel, q)
    assert status == 202
    [msg] = await kannel.stored()
    assert msg.state == MessageState.SCHEDULED
    assert msg.due_at == pytest.approx(kannel.clock.now() + 600)
    assert msg.expires_at == pytest.approx(msg.due_at + 3600)
    assert msg.priority == 2


async def test_post_text_plain_with_x_kannel_headers(kannel: Dialect) -> None:
    headers = {
        "Content-Type": "text/plain; charset=ISO-8859-1",
        "X-Kannel-Username": kannel.account.username,
        "X-Kannel-Password": kannel.account.password,
        "X-Kannel-To": "+447700900001 +447700900002",
        "X-Kannel-From": "Shop",
    }
    resp = await kannel.client.post(PATH, data="Caf\xe9".encode("latin-1"), headers=headers)
    assert (resp.status, await resp.text()) == (202, "0: Accepted for delivery")
    stored = await kannel.stored()
    assert {m.text for m in stored} == {"Café"} and len(stored) == 2


async def test_post_form(kannel: Dialect) -> None:
    form = {
        "username": kannel.account.username,
        "password": kannel.account.password,
        "to": "447700900001",
        "text": "hi there",
    }
    resp = await kannel.client.post(PATH, data=form)
    assert (resp.status, await resp.text()) == (202, "0: Accepted for delivery")


@pytest.mark.parametrize(
    ("ctype", "status", "answer"),
    [
        ("text/xml", 400, "POST with text/xml is not supported by this gateway, rejected"),
        ("application/json", 400, "Invalid content-type"),
        ("application/octet-stream", 202, "0: Accepted for delivery"),  # 8-bit data
    ],
)
async def test_post_content_types(kannel: Dialect, ctype: str, status: int, answer: str) -> None:
    headers = {
        "Content-Type": ctype,
        "X-Kannel-Username": kannel.account.username,
        "X-Kannel-Password": kannel.account.password,
        "X-Kannel-To": "447700900001",
    }
    resp = await kannel.client.post(PATH, data=b"<x/>", headers=headers)
    assert resp.status == status
    assert (await resp.text()).startswith(answer)
    assert len(await kannel.stored()) == (status == 202)


async def test_dlr_url_is_stored_with_request_escapes_filled(kannel: Dialect) -> None:
    dlr = "http://app.example/dlr?u=%n&acct=%o&c=%c&type=%d&to=%p&pct=50%%&meta=%#smpp#x#&x=%Z"
    q = (
        f"{creds(kannel)}&to=447700900001&text=x&account=sales+1&dlr-mask=3"
        f"&dlr-url={quote(dlr, safe='')}"
    )
    status, _, _ = await get(kannel, q)
    assert status == 202
    [msg] = await kannel.stored()
    assert msg.callback_url == (
        "http://app.example/dlr?u=alice&acct=sales%%201&c=0&type=%d&to=%p&pct=50%%&meta=&x=%Z"
    )


async def test_dlr_url_without_mask_asks_for_nothing(kannel: Dialect) -> None:
    q = f"{creds(kannel)}&to=447700900001&text=x&dlr-url={quote('http://a.example/?t=%d')}"
    await get(kannel, q)
    [msg] = await kannel.stored()
    assert msg.callback_url is None


def job(url: str, fmt: str, **event: object) -> CallbackJob:
    body = {
        "id": "01ABC",
        "to": "+447700900001",
        "from": "0044123",
        "status": "delivered",
        "error": None,
        "at": 1_800_000_000.0,
        **event,
    }
    return CallbackJob(
        id=1,
        account_id="a",  # type: ignore[arg-type]
        message_id="01ABC",  # type: ignore[arg-type]
        url=url,
        format=fmt,
        body=json.dumps(body).encode(),
        secret="s",
        attempts=1,
        created_at=0.0,
    )


def test_renderer_fills_report_escapes_and_honours_the_mask() -> None:
    pattern = "http://h/r?d=%d&p=%p&P=%P&q=%q&Q=%Q&T=%T&t=%t&I=%I&F=%F&i=%i&k=%k&u=%n"
    static = {"n": "bob", "d": "static values never fill report escapes", "i": "nor smsc-id"}
    url = fill_static(pattern, static)
    upstream = {"upstream_id": "5f3a/9", "connector": "smsc-a"}
    request = render_dlr(job(url, "kannel:3", **upstream), 0.0, mask=3)
    assert request is not None and request.method == "GET" and request.body == b""
    assert request.url == (
        "http://h/r?d=1&p=%2B447700900001&P=0044123&q=%2B447700900001&Q=%2B44123"
        "&T=1800000000&t=2027-01-15+08:00:00&I=01ABC&F=5f3a%2F9&i=smsc-a&k=id%3A01ABC&u=bob"
    )
    no_upstream = render_dlr(job("http://h/?F=%F&i=%i", "kannel:4", status="queued"), 0.0, mask=4)
    assert no_upstream is not None and no_upstream.url == "http://h/?F=&i="
    assert render_dlr(job(url, "kannel:3", status="sent"), 0.0, mask=3) is None
    sent = render_dlr(job("http://h/?d=%d&A=%A", "kannel:8", status="sent"), 0.0, mask=8)
    assert sent is not None and sent.url == "http://h/?d=8&A=ACK%2F"
    failed = render_dlr(job("http://h/?d=%d", "kannel:16", status="failed"), 0.0, mask=16)
    assert failed is not None and failed.url == "http://h/?d=16"
    assert render_dlr(job("http://h/", "kannel:31", status="sending"), 0.0, mask=31) is None


def test_every_mask_has_a_renderer_and_the_refusal_table_is_total() -> None:
    renderers = callback_renderers()
    assert all(f"kannel:{m}" in renderers for m in range(1, 67))
    assert set(REFUSALS) == set(RejectReason)
    assert refusal(Rejected(RejectReason.NOT_SUPPORTED, "x")) == (
        400,
        "Not supported by this gateway, rejected (x)",
    )


async def test_dlr_url_receives_kannel_reports(tmp_path: Path) -> None:
    sink = GetSink()
    await sink.start()
    try:
        async with running(tmp_path) as gw:
            new = await gw.create_account("client")
            dlr = (
                f"{sink.base}/dlr?type=%d&to=%p&from=%P&when=%T&id=%I&reply=%A&user=%n&tag=a%%25"
                "&smsc=%i&foreign=%F"
            )
            query = {
                "username": new.username,
                "password": new.password,
                "to": "+447700900123",
                "from": "Shop",
                "text": "hi",
                "dlr-mask": "31",
                "dlr-url": dlr,
            }
            url = f"http://127.0.0.1:{gw.http_port}{PATH}?{urlencode(query)}"
            async with aiohttp.ClientSession() as http, http.get(url) as resp:
                assert (resp.status, await resp.text()) == (202, "0: Accepted for delivery")
            got = await sink.wait_for(lambda r: any(x.query.get("type") == "1" for x in r))
    finally:
        await sink.stop()
    assert [r.query["type"] for r in got] == ["8", "1"]
    for r in got:
        assert r.path == "/dlr"
        assert r.query["to"] == "+447700900123" and r.query["from"] == "Shop"
        assert r.query["user"] == "client" and r.query["tag"] == "a%"
        assert abs(int(r.query["when"]) - time.time()) < 60
        assert r.query["smsc"] == "loopback"  # the connector that carried it
    # the upstream SMSC's id, the same in the SMSC's acceptance and in its receipt
    assert got[0].query["foreign"] != "" and got[0].query["foreign"] == got[1].query["foreign"]
    assert got[0].query["reply"] == "ACK/"
    delivered = got[1].query["reply"]
    assert delivered.startswith(f"id:{got[1].query['id']} sub:001 dlvrd:001 ")
    assert " stat:DELIVRD err:000 " in delivered
