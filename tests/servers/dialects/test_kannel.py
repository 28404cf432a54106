"""Kannel's /cgi-bin/sendsms: Kannel's answers, its field errors, charsets and dlr-url reports."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlencode

import aiohttp
import pytest

from heliograph.config import ConnectorConfig, SmppTlvConfig
from heliograph.connectors.smpp.translate import SubmitDefaults, build_submit_sm, split_part
from heliograph.domain.messages import MessageState
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.dialects import callback_renderers
from heliograph.servers.http.dialects.kannel import REFUSALS, refusal
from heliograph.servers.http.dialects.kannel_dlr import fill_static, render_dlr
from heliograph.store.base import CallbackJob, ClaimedPart
from heliograph.wire.smpp.codec import decode, encode
from heliograph.wire.smpp.pdus import SubmitSm
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
        ("to=447700900001&text=x&mclass=4", "MClass field misformed, rejected"),
        ("to=447700900001&text=x&mwi=8", "MWI field misformed, rejected"),
        ("to=447700900001&text=x&mwi=-2", "MWI field misformed, rejected"),
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
        ("compress=1", "Compression (compress)"),
        ("pid=64", "Protocol identifier (pid)"),
        ("rpi=1", "Reply path (rpi)"),
        ("alt-dcs=1", "Alternative DCS (alt-dcs)"),
        ("binfo=x", "Billing information (binfo)"),
    ],
)
async def test_unsupported_features_are_refused(kannel: Dialect, params: str, what: str) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&text=x&{params}")
    assert (status, body) == (400, f"{what} is not supported by this gateway, rejected")
    assert await kannel.stored() == []


# meta-data: Kannel's smpp-tlv groups are [[smpp_tlvs]] here
_TLVS = (
    SmppTlvConfig(name="campaign", tag=0x1401, type="nulterminated", length=12),
    SmppTlvConfig(name="charge", tag=0x1402, type="integer", length=2),
    SmppTlvConfig(name="blob", tag=0x1403, type="octetstring", length=4),
    SmppTlvConfig(name="pay", tag=0x0019, type="integer", length=1),  # payload_type
)


async def test_meta_data_tlvs_ride_every_submit_sm(tmp_path: Path) -> None:
    inner = "campaign=spring%2026&charge=300&blob=%01%02%03&pay=1"
    meta = quote(f"?smpp?{inner}", safe="")
    dlr = quote("http://cb.example/?m=%D", safe="")
    async with in_process(tmp_path, smpp_tlvs=_TLVS) as d:
        q = f"{creds(d)}&to=447700900001&text={'x' * 200}&meta-data={meta}"
        assert await get(d, f"{q}&dlr-url={dlr}&dlr-mask=1") == (
            202,
            "0: Accepted for delivery",
            "text/html",
        )
        [msg] = await d.stored()
        got = await sent(d)
    # %D: the meta-data as sent, URL-encoded (its % doubled for the report's own pass)
    assert msg.callback_url == "http://cb.example/?m=" + meta.replace("%", "%%")
    expected = (
        (0x1401, b"spring 26\0"),
        (0x1402, b"\x01\x2c"),
        (0x1403, b"\x01\x02\x03"),
        (0x0019, b"\x01"),
    )
    assert [p.seq for p, _ in got] == [1, 2]
    for part, pdu in got:
        assert part.tlvs == expected
        # on the wire: each TLV after the mandatory fields, as configured
        wire = encode(pdu, 1)
        for tag, value in expected:
            assert tag.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value in wire
        back = decode(wire)
        assert isinstance(back, SubmitSm) and len(back.tlvs) == 4


async def test_meta_data_empty_smpp_group_is_no_tlvs(tmp_path: Path) -> None:
    async with in_process(tmp_path, smpp_tlvs=_TLVS) as d:
        q = f"{creds(d)}&to=447700900001&text=x&meta-data=%3Fsmpp%3F"
        assert (await get(d, q))[0] == 202
        [(part, pdu)] = await sent(d)
    assert (part.tlvs, pdu.tlvs) == (None, ())


@pytest.mark.parametrize(
    "meta",
    [
        "?smpp?unknown=1",  # not a configured TLV
        "?smpp?charge=abc",  # not an integer
        "?smpp?charge=70000",  # does not fit 2 octets
        "?smpp?campaign=thirteen-chars",  # 13 + NUL > 12
        "?smpp?blob=%01%02%03%04%05",  # 5 > 4 octets
        "?smpp?charge",  # no value
        "?smpp?blob=%zz",  # a bad escape
        "?other?a=b",  # a group other than smpp
        "smpp?charge=1",  # not ?group?
        "?smpp",
    ],
)
async def test_meta_data_misformed_is_refused(tmp_path: Path, meta: str) -> None:
    async with in_process(tmp_path, smpp_tlvs=_TLVS) as d:
        q = f"{creds(d)}&to=447700900001&text=x&meta-data={quote(meta, safe='')}"
        status, body, _ = await get(d, q)
        assert (status, body) == (400, "MetaData field misformed, rejected")
        assert await d.stored() == []


async def test_meta_data_without_configured_tlvs_is_refused(kannel: Dialect) -> None:
    q = f"{creds(kannel)}&to=447700900001&text=x&meta-data=%3Fsmpp%3Fa%3Db"
    assert (await get(kannel, q))[:2] == (400, "MetaData field misformed, rejected")
    assert await kannel.stored() == []


async def test_smsc_chooses_the_connector_of_every_part(tmp_path: Path) -> None:
    two = (ConnectorConfig(name="first"), ConnectorConfig(name="second"))
    async with in_process(tmp_path, connectors=two) as d:
        long = "x" * 200  # two parts
        q = f"{creds(d)}&to=447700900001&text={long}&smsc=second"
        assert await get(d, q) == (202, "0: Accepted for delivery", "text/html")
        assert (await get(d, f"{creds(d)}&to=447700900002&text=x&smsc="))[0] == 202
        assert await d.gateway.dispatcher.dispatch_once() == 3
        await d.gateway.dispatcher.drain()
        by_to = {m.to: m for m in await d.stored()}
    forced = by_to["+447700900001"]
    assert (forced.state, [p.connector for p in forced.parts]) == (
        MessageState.SENT,
        ["second", "second"],
    )
    assert [p.connector for p in by_to["+447700900002"].parts] == ["first"]  # the routes' choice


async def test_smsc_that_is_not_a_connector_is_not_routable(kannel: Dialect) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&text=x&smsc=vodafone")
    assert (status, body) == (403, "Not routable. Do not try again.")
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


# --- mclass, udh, coding=1 and mwi: through the submit path into the DCS and user data --


async def sent(d: Dialect) -> list[tuple[ClaimedPart, SubmitSm]]:
    """Every stored part and the submit_sm an SMPP connector builds for it."""
    parts, _ = await d.gateway.store.claim_parts(now=d.clock.now() + 1, limit=100)
    parts.sort(key=lambda p: (p.to, p.seq))
    return [(p, build_submit_sm(p, split_part(p), SubmitDefaults(), d.clock.now())) for p in parts]


@pytest.mark.parametrize(
    ("params", "message_class", "dcs"),
    [
        ("text=Hello&mclass=0", 0, 0x10),  # flash
        ("text=Hello&mclass=1", 1, 0x11),
        ("text=Hello&mclass=3", 3, 0x13),
        ("text=%04%1F%04%40&coding=2&mclass=2", 2, 0x1A),  # UCS-2 (UTF-16BE as sent)
        ("text=%01%02&coding=1&mclass=1", 1, 0x15),  # 8-bit data
    ],
)
async def test_mclass_is_the_message_class_in_the_dcs(
    kannel: Dialect, params: str, message_class: int, dcs: int
) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&{params}")
    assert (status, body) == (202, "0: Accepted for delivery")
    [(part, pdu)] = await sent(kannel)
    assert (part.message_class, part.data_coding, pdu.data_coding) == (message_class, dcs, dcs)


async def test_udh_with_8bit_text_is_one_part_sent_as_given(kannel: Dialect) -> None:
    # WAP push ports 2948 <- 9200 and the WSP octets, as Kannel clients URL-encode them
    q = "udh=%06%05%04%0B%84%23%F0&text=%01%06%04%03%AE%81%EA"
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&{q}")
    assert (status, body) == (202, "0: Accepted for delivery")
    [(part, pdu)] = await sent(kannel)
    udh, data = bytes.fromhex("0605040B8423F0"), bytes.fromhex("01060403AE81EA")
    assert (part.udh, part.payload, part.data_coding, part.parts) == (udh, data, 0x04, 1)
    assert (pdu.esm_class, pdu.data_coding, pdu.short_message) == (0x40, 0x04, udh + data)


async def test_udh_with_coding_0_is_a_gsm7_text_behind_the_header(kannel: Dialect) -> None:
    # a client-segmented message: part 1 of 2, reference 42
    q = "udh=%05%00%03%2A%02%01&coding=0&text=Hello+%5Bworld%5D"
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&{q}")
    assert (status, body) == (202, "0: Accepted for delivery")
    [(part, pdu)] = await sent(kannel)
    udh = bytes.fromhex("0500032A0201")
    assert (part.udh, part.text, part.payload, part.data_coding) == (udh, "Hello [world]", None, 0)
    septets = b"Hello \x1b\x3cworld\x1b\x3e"  # TS 23.038 §6.2.1.1 escapes for [ and ]
    assert (pdu.esm_class, pdu.data_coding, pdu.short_message) == (0x40, 0x00, udh + septets)


async def test_coding_1_text_is_the_octets_as_sent(kannel: Dialect) -> None:
    # no charset conversion, no hex form: Kannel passes 8-bit text through unchanged
    q = "coding=1&charset=UTF-8&text=%00%FF%80abc"
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&{q}")
    assert (status, body) == (202, "0: Accepted for delivery")
    [(part, pdu)] = await sent(kannel)
    assert (part.payload, part.udh, part.data_coding) == (b"\x00\xff\x80abc", None, 0x04)
    assert (pdu.esm_class, pdu.data_coding, pdu.short_message) == (0, 0x04, b"\x00\xff\x80abc")


async def test_long_8bit_data_is_concatenated(kannel: Dialect) -> None:
    data = bytes(range(200))
    q = f"coding=1&text={quote(data.decode('latin-1'), encoding='latin-1')}"
    status, _, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&{q}")
    assert status == 202
    pdus = [pdu for _, pdu in await sent(kannel)]
    assert [p.data_coding for p in pdus] == [0x04, 0x04]
    assert b"".join(p.short_message[6:] for p in pdus) == data  # behind 8-bit concat UDHs
    assert [p.short_message[:3] for p in pdus] == [b"\x05\x00\x03"] * 2


async def test_octet_stream_post_is_8bit_data(kannel: Dialect) -> None:
    headers = {
        "Content-Type": "application/octet-stream",
        "X-Kannel-Username": kannel.account.username,
        "X-Kannel-Password": kannel.account.password,
        "X-Kannel-To": "447700900001",
        "X-Kannel-UDH": "06050415820000",  # hex in the header, as Kannel reads it
        "X-Kannel-MClass": "1",
    }
    resp = await kannel.client.post(PATH, data=b"\x30\x42\xf2", headers=headers)
    assert (resp.status, await resp.text()) == (202, "0: Accepted for delivery")
    [(part, pdu)] = await sent(kannel)
    assert (part.payload, part.data_coding) == (b"\x30\x42\xf2", 0x15)
    assert pdu.short_message == bytes.fromhex("06050415820000") + b"\x30\x42\xf2"


@pytest.mark.parametrize(
    ("header", "status", "answer"),
    [
        ("%06%05%04%15%82%00%00", 202, "0: Accepted for delivery"),  # or URL-encoded
        ("06 05 04 15 82 00 00", 400, "UDH field misformed, rejected"),
        ("0605041582000", 400, "UDH field misformed, rejected"),  # odd: not hex, taken as text
        ("%06%05%04%15%82%00%0G", 400, "UDH field misformed, rejected"),
    ],
)
async def test_x_kannel_udh_is_hex_or_url_encoded(
    kannel: Dialect, header: str, status: int, answer: str
) -> None:
    headers = {
        "Content-Type": "application/octet-stream",
        "X-Kannel-Username": kannel.account.username,
        "X-Kannel-Password": kannel.account.password,
        "X-Kannel-To": "447700900001",
        "X-Kannel-UDH": header,
    }
    resp = await kannel.client.post(PATH, data=b"\x30\x42\xf2", headers=headers)
    assert (resp.status, await resp.text()) == (status, answer)
    if status == 202:
        [(part, _)] = await sent(kannel)
        assert part.udh == bytes.fromhex("06050415820000")
    else:
        assert await kannel.stored() == []


@pytest.mark.parametrize(
    ("params", "dcs"),
    [
        ("mwi=0&text=You+have+voicemail", 0xD8),  # voice set, text stored (1101)
        ("mwi=1&text=Fax", 0xD9),
        ("mwi=2&text=Mail", 0xDA),
        ("mwi=3&text=Other", 0xDB),
        ("mwi=0&text=", 0xC8),  # set, nothing to store: discard (1100)
        ("mwi=0", 0xC8),
        ("mwi=4&text=Read", 0xC0),  # cleared: discard (1100)
        ("mwi=7&text=Read", 0xC3),
        ("mwi=2&coding=2&text=%04%1F", 0xEA),  # UCS-2: store (1110)
        ("mwi=6&text=%D0%9F", 0xE2),  # cleared by a UCS-2 text: 1100 has no UCS-2
        ("mwi=0&coding=0&udh=%05%00%03%01%01%01&text=x", 0xD8),  # a text behind a UDH
    ],
)
async def test_mwi_sets_or_clears_the_indication_in_the_dcs(
    kannel: Dialect, params: str, dcs: int
) -> None:
    status, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&{params}")
    assert (status, body) == (202, "0: Accepted for delivery")
    [(part, pdu)] = await sent(kannel)
    assert (part.data_coding, pdu.data_coding, part.message_class) == (dcs, dcs, None)


async def test_dlr_url_dcs_escapes_say_the_planned_data_coding(kannel: Dialect) -> None:
    dlr = quote("http://app.example/dlr?O=%O&c=%c&m=%m&M=%M", safe="")
    for query in ("mwi=1&text=x", "mclass=0&text=y", "coding=1&text=%01"):
        await get(kannel, f"{creds(kannel)}&to=447700900001&{query}&dlr-mask=1&dlr-url={dlr}")
    urls = sorted(m.callback_url or "" for m in await kannel.stored())
    assert urls == [
        "http://app.example/dlr?O=04&c=1&m=-1&M=-1",
        "http://app.example/dlr?O=16&c=0&m=0&M=-1",
        "http://app.example/dlr?O=217&c=0&m=-1&M=1",
    ]


@pytest.mark.parametrize(
    ("params", "status", "answer"),
    [
        # the UDH length octet must count the octets after it
        ("udh=%06%05%04%0B%84&text=x", 400, "UDH field misformed, rejected"),
        ("udh=%02%00&text=x", 400, "UDH field misformed, rejected"),
        ("udh=%01%00%03&text=x", 400, "UDH field misformed, rejected"),
        (f"udh=%96{'%00' * 150}&text=x", 400, "UDH field is too long, rejected"),
        # UDH and data are one part: no room for more
        (f"udh=%06%05%04%0B%84%23%F0&text={'%41' * 134}", 400, "Message too long, rejected ("),
        (f"udh=%05%00%03%01%02%01&coding=0&text={'a' * 154}", 400, "Message too long, rejected ("),
        (f"udh=%05%00%03%01%02%01&coding=2&text={'%00a' * 68}", 400, "Message too long, rejected"),
        # 8-bit data needs octets; an indication needs a text without a class
        ("coding=1&text=", 400, "Charset or body misformed, rejected ("),
        ("udh=%05%00%03%01%02%01", 400, "Charset or body misformed, rejected ("),
        ("mwi=0&coding=1&text=%01", 400, "MWI field misformed, rejected ("),
        ("mwi=0&udh=%05%00%03%01%02%01&text=%01", 400, "MWI field misformed, rejected ("),
        ("mwi=0&mclass=0&text=x", 400, "MWI field misformed, rejected ("),
        ("mwi=9&text=x", 400, "MWI field misformed, rejected"),
        ("mclass=7&text=x", 400, "MClass field misformed, rejected"),
        ("coding=1&mclass=x&text=%01", 400, "MClass field misformed, rejected"),
    ],
)
async def test_bad_mclass_udh_coding_and_mwi_store_nothing(
    kannel: Dialect, params: str, status: int, answer: str
) -> None:
    got, body, _ = await get(kannel, f"{creds(kannel)}&to=447700900001&{params}")
    assert (got, body[: len(answer)]) == (status, answer)
    assert await kannel.stored() == []
