"""MX Telecom dialect: single sends, broadcasts, refusals, and delivery reports end to end.

Seed 004 prints no request; the public reference's example request
(``/sms/v1/send?user=MyAccount&pass=P4ssw0rD&smsto=…&response=text``) is
replayed verbatim instead, against an account with that username and password.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import (
    Config,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.domain.accounts import (
    Account,
    CredentialKind,
    secret_credential,
    verify_callback_signature,
)
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageView
from heliograph.domain.rejections import RejectReason
from heliograph.servers.http.app import build_app
from heliograph.servers.http.dialects.mxtelecom_reports import (
    ERRORS,
    ERRORS_BY_REASON,
    RENDERERS,
    MxError,
    sms_id,
)
from heliograph.store.base import CallbackJob, MessageFilter
from tests.support.callback_sink import CallbackSink
from tests.support.clock import FakeClock

PUBLIC_EXAMPLE = (
    "/sms/v1/send?user=MyAccount&pass=P4ssw0rD&smsto=447700900750&smsfrom=58870"
    "&smsmsg=Hello%20World&response=text"
)
USER, PASSWORD = "MyAccount", "P4ssw0rD"
SEND, BULK = "/sms/v1/send", "/sms/v1/bulksend"


@dataclass
class Mx:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    clock: FakeClock

    async def account(self, callback_url: str | None = None) -> Account:
        now = self.clock.now()
        account = Account(
            id=AccountId(uuid.uuid4().hex),
            name=USER,
            callback_url=callback_url,
            callback_secret="whsec_test",
            created_at=now,
        )
        cred = secret_credential(
            account.id, CredentialKind.PASSWORD, USER, PASSWORD, os.urandom(16), now
        )
        await self.gateway.store.create_account(account, [cred])
        return account

    async def stored(self, account: Account) -> list[MessageView]:
        views, _ = await self.gateway.messages.list(
            account.id, MessageFilter(), cursor=None, limit=1000
        )
        return views

    async def post(self, path: str = SEND, **fields: str) -> tuple[int, str]:
        resp = await self.client.post(path, data={"user": USER, "pass": PASSWORD, **fields})
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
        return resp.status, await resp.text()


@pytest.fixture
async def mx(tmp_path: Path) -> AsyncIterator[Mx]:
    clock = FakeClock()
    gateway = Gateway(
        Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://")), clock=clock
    )
    await gateway.store.open()
    app = build_app(gateway.http_services(), max_body_bytes=512 * 1024)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield Mx(client, gateway, clock)
    await gateway.store.close()


async def test_public_example_request_is_accepted(mx: Mx) -> None:
    account = await mx.account()
    resp = await mx.client.get(PUBLIC_EXAMPLE)
    assert resp.status == 200
    body = await resp.text()
    match = re.fullmatch(r"OK ([1-9][0-9]*)\n", body)
    assert match, body
    message_id = resp.headers["X-Heliograph-Message-Id"]
    assert int(match.group(1)) == sms_id(message_id) < 2**63
    [stored] = await mx.stored(account)
    assert (stored.id, stored.to, stored.sender, stored.text) == (
        message_id,
        "+447700900750",
        "58870",
        "Hello World",
    )


async def test_post_and_the_older_path_send_too(mx: Mx) -> None:
    account = await mx.account()
    assert (await mx.post(smsto="447700900001", smsmsg="a"))[0] == 200
    resp = await mx.client.get(
        f"/SMSSend?user={USER}&pass={PASSWORD}&smsto=447700900002&smsmsg=b&note=n1"
    )
    assert resp.status == 200
    stored = sorted((m.to, m.text, m.reference) for m in await mx.stored(account))
    assert stored == [("+447700900001", "a", None), ("+447700900002", "b", "n1")]


async def test_long_text_is_split_automatically_and_split_caps_it(mx: Mx) -> None:
    account = await mx.account()
    assert (await mx.post(smsto="447700900001", smsmsg="x" * 200))[0] == 200
    [stored] = await mx.stored(account)
    assert len(stored.parts) == 2
    status, body = await mx.post(smsto="447700900002", smsmsg="y" * 200, split="1")
    assert (status, body) == (
        400,
        "ERROR 9 Message too long: text needs 2 parts, at most 1 allowed\n",
    )
    assert len(await mx.stored(account)) == 1


async def test_ucs2_hex_is_text(mx: Mx) -> None:
    account = await mx.account()
    assert (await mx.post(smsto="447700900001", smsucs2="05D005D1", bits="16"))[0] == 200
    [stored] = await mx.stored(account)
    assert (stored.text, stored.encoding) == ("\u05d0\u05d1", "ucs2")


async def test_broadcast_answers_one_line_per_recipient(mx: Mx) -> None:
    account = await mx.account()
    body = (
        f"user={USER}&pass={PASSWORD}&smsmsg=Sale&smsto=447700900001%2C447700900002%0A12"
        "&smsto=447700900003"
    )
    resp = await mx.client.post(
        BULK, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert resp.status == 200
    lines = (await resp.text()).splitlines()
    stored = {m.to: m.id for m in await mx.stored(account)}
    assert lines == [
        f"447700900001 OK {sms_id(stored['+447700900001'])}",
        f"447700900002 OK {sms_id(stored['+447700900002'])}",
        "12 ERROR 5 Invalid recipient: '12' is not an E.164 number (+ then 7 to 15 digits, "
        "no leading 0)",
        f"447700900003 OK {sms_id(stored['+447700900003'])}",
    ]


async def test_broadcast_with_the_same_submitid_sends_once(mx: Mx) -> None:
    account = await mx.account()
    first = await mx.post(BULK, smsto="447700900001,447700900002", smsmsg="x", submitid="b-1")
    again = await mx.post(BULK, smsto="447700900001,447700900002", smsmsg="x", submitid="b-1")
    assert first == again and first[0] == 200
    assert len(await mx.stored(account)) == 2


async def test_broadcast_over_ten_thousand_is_refused(mx: Mx) -> None:
    account = await mx.account()
    numbers = ",".join(f"4477009{i:05d}" for i in range(10_001))
    status, body = await mx.post(BULK, smsto=numbers, smsmsg="x")
    assert (status, body) == (
        400,
        "ERROR 10 Too many recipients: 10001 recipients, at most 10000\n",
    )
    assert await mx.stored(account) == []


@pytest.mark.parametrize(
    ("fields", "status", "answer"),
    [
        ({"pass": "wrong"}, 403, "ERROR 3 Invalid username or password"),
        ({"pass": ""}, 403, "ERROR 3 Invalid username or password"),
        ({"user": "Nobody"}, 403, "ERROR 3 Invalid username or password"),
        ({"smsto": ""}, 400, "ERROR 1 Missing parameter: smsto"),
        ({"smsmsg": ""}, 400, "ERROR 1 Missing parameter: smsmsg"),
        (
            {"smsto": "447700900001,447700900002"},
            400,
            "ERROR 2 Invalid parameter: one smsto per request; broadcast with POST"
            " /sms/v1/bulksend",
        ),
        (
            {"smsto": "12"},
            400,
            "ERROR 5 Invalid recipient: '12' is not an E.164 number (+ then 7 "
            "to 15 digits, no leading 0)",
        ),
        (
            {"smsfrom": "ThisIsTooLongASender"},
            400,
            "ERROR 6 Invalid originator: 'ThisIsTooLongASender' is "
            "neither a phone number, a 3-8 digit short code nor an alphanumeric sender of at"
            " most 11 characters",
        ),
        ({"colour": "red"}, 400, "ERROR 2 Invalid parameter: unknown parameter colour"),
        ({"report": "4"}, 400, "ERROR 2 Invalid parameter: report must be 0 to 3"),
        (
            {"report": "1"},
            400,
            "ERROR 11 No delivery report URL for this account: ask for one to be "
            "set, or send report=0",
        ),
        ({"split": "x"}, 400, "ERROR 2 Invalid parameter: split must be 0 to 255"),
        ({"bits": "9"}, 400, "ERROR 2 Invalid parameter: bits must be 7, 8 or 16"),
        (
            {"smsucs2": "05D"},
            400,
            "ERROR 2 Invalid parameter: smsucs2 must be UCS-2 hex with bits=16",
        ),
        ({"smsucs2": "D800"}, 400, "ERROR 8 Invalid message: smsucs2 is not valid UTF-16"),
        ({"note": "n" * 161}, 400, "ERROR 2 Invalid parameter: note is longer than 160 characters"),
        (
            {"bits": "8", "smsmsg": "0g"},
            400,
            "ERROR 2 Invalid parameter: with bits=8 smsmsg is hex octets",
        ),
        (
            {"smsudh": "05000301020"},
            400,
            "ERROR 2 Invalid parameter: smsudh must be hex octets, UDHL first",
        ),
        (
            {"wappush_url": "http://x.test/"},
            400,
            "ERROR 2 Invalid parameter: WAP Push messages take no smsmsg",
        ),
        ({"vcard": "BEGIN:VCARD"}, 400, "ERROR 2 Invalid parameter: vCard messages take no smsmsg"),
        ({"flash": "2"}, 400, "ERROR 2 Invalid parameter: flash must be 0 to 1"),
        ({"response": "xml"}, 501, "ERROR 17 Not supported: response=xml; use response=text"),
    ],
)
async def test_refusals_are_plain_text_with_their_status_and_store_nothing(
    mx: Mx, fields: dict[str, str], status: int, answer: str
) -> None:
    account = await mx.account()
    sent = {"smsto": "447700900001", "smsmsg": "Hi", **fields}
    assert await mx.post(**sent) == (status, answer + "\n")
    assert await mx.stored(account) == []


async def test_bad_requests_of_other_shapes(mx: Mx) -> None:
    account = await mx.account()
    resp = await mx.client.get(f"{SEND}?user={USER}&pass={PASSWORD}&smsto=1&smsto=2&smsmsg=x")
    assert resp.status == 400
    assert await resp.text() == "ERROR 2 Invalid parameter: smsto given more than once\n"
    resp = await mx.client.get(f"{SEND}?user={USER}&pass={PASSWORD}&smsto=447700900001&smsmsg=%FF")
    assert await resp.text() == "ERROR 2 Invalid parameter: values must be UTF-8\n"
    resp = await mx.client.get(f"{BULK}?user={USER}&pass={PASSWORD}&smsto=447700900001&smsmsg=x")
    assert (resp.status, await resp.text()) == (
        405,
        "ERROR 2 Invalid parameter: broadcast with POST\n",
    )
    resp = await mx.client.post(SEND, json={"user": USER})
    assert (resp.status, await resp.text()) == (
        400,
        "ERROR 2 Invalid parameter: send the body as application/x-www-form-urlencoded\n",
    )
    assert await mx.stored(account) == []


async def test_persistent_connection_serves_several_requests(mx: Mx) -> None:
    account = await mx.account()
    server = mx.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        for n in (1, 2, 3):
            query = f"user={USER}&pass={PASSWORD}&smsto=44770090000{n}&smsmsg=m{n}"
            writer.write(f"GET {SEND}?{query} HTTP/1.1\r\nHost: sms\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 200")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            assert (await asyncio.wait_for(reader.readexactly(length), 10)).startswith(b"OK ")
    finally:
        writer.close()
        await writer.wait_closed()
    assert len(await mx.stored(account)) == 3


def test_error_tables_are_total() -> None:
    assert {r.value for r in RejectReason} <= set(ERRORS_BY_REASON)
    assert set(ERRORS) == set(MxError)


def _job(status: str, *, error: str | None = None, reference: str | None = "n1") -> CallbackJob:
    event = {
        "event": "message.status",
        "id": "01JXAMPLE0000000000000000",
        "reference": reference,
        "to": "+447931123456",
        "from": "913",
        "status": status,
        "previous_status": "sending",
        "parts": 1,
        "error": error,
        "at": 1_800_000_000.0,  # 2027-01-15 08:00:00 UTC, GMT in London
    }
    return CallbackJob(
        id=1,
        account_id=AccountId("a"),
        message_id=MessageId("01JXAMPLE0000000000000000"),
        url="http://client.test/drpt.cgi",
        format="mxtelecom:3",
        body=json.dumps(event).encode(),
        secret="whsec_test",
        attempts=1,
        created_at=1_800_000_000.0,
    )


@pytest.mark.parametrize(
    ("status", "error", "level", "report", "reason"),
    [
        ("delivered", None, 3, "DELIVERED", 0x60000000),
        ("delivered", None, 1, "DELIVERED", 0x60000000),
        ("sent", None, 3, "BUFFERED", 0x30000000),
        ("sent", None, 1, None, None),
        ("undeliverable", "001", 1, "FAILED", 0x50010000),
        ("expired", None, 3, "FAILED", 0x50000000),
        ("rejected", "xyz", 3, "FAILED", 0x50000000),
        ("failed", "255", 1, "REJECTED", 0x10FF0000),
        ("cancelled", None, 1, "REJECTED", 0x10000000),
        ("queued", None, 3, None, None),
        ("sending", None, 3, None, None),
        ("delivered", None, 0, None, None),
        ("delivered", None, 2, None, None),
    ],
)
def test_report_renderer_fields(
    status: str, error: str | None, level: int, report: str | None, reason: int | None
) -> None:
    request = RENDERERS[f"mxtelecom:{level}"](_job(status, error=error), 1_800_000_001.0)
    if report is None:
        assert request is None
        return
    assert request is not None
    assert (request.method, request.url) == ("POST", "http://client.test/drpt.cgi")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert verify_callback_signature(
        "whsec_test", request.headers["X-Heliograph-Signature"], request.body, 1_800_000_001.0
    )
    fields = dict(parse_qsl(request.body.decode()))
    smsid = sms_id("01JXAMPLE0000000000000000")
    assert fields.pop("smsid").isdigit()
    assert fields == {
        "smsfrom": "447931123456",
        "smsto": "913",
        "shortcode": "913",
        "smsdate": "2027-01-15 08:00:00",
        "smsmsg": f"REPORT {smsid} {report}",
        "reason": str(reason),
        "note": "n1",
    }


def test_report_in_british_summer_time_and_without_note() -> None:
    job = _job("delivered", reference=None)
    event = json.loads(job.body)
    event["at"] = 1_783_000_000.0  # 2026-07-02 in summer: BST, UTC+1
    job = replace(job, body=json.dumps(event).encode())
    request = RENDERERS["mxtelecom:1"](job, 0.0)
    assert request is not None
    fields = dict(parse_qsl(request.body.decode()))
    expected = datetime.fromtimestamp(1_783_000_000.0, ZoneInfo("Europe/London"))
    assert fields["smsdate"] == expected.strftime("%Y-%m-%d %H:%M:%S")
    assert expected.utcoffset() is not None and expected.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert "note" not in fields


# ---------------------------------------------------------------- end to end


def _config(tmp_path: Path) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.05),),
    )


@pytest.fixture
async def sink() -> AsyncIterator[CallbackSink]:
    s = CallbackSink()
    await s.start()
    yield s
    await s.stop()


def _fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode()))


async def test_delivery_reports_reach_the_account_url_field_by_field(
    tmp_path: Path, sink: CallbackSink
) -> None:
    gateway = Gateway(_config(tmp_path))
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    try:
        await asyncio.wait_for(gateway.ready.wait(), 10)
        new = await gateway.create_account("mxclient", callback_url=sink.url)
        url = f"http://127.0.0.1:{gateway.http_port}"
        query = {
            "user": new.username,
            "pass": new.password,
            "smsto": "447700900123",
            "smsfrom": "58870",
            "smsmsg": "Hello",
            "report": "3",
            "note": "order-7",
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(url + SEND, data=query) as resp:
                assert resp.status == 200
                smsid = (await resp.text()).split()[1]
            query.update(smsto="447700900124", report="1")
            async with http.post(url + SEND, data=query) as resp:
                final_only = (await resp.text()).split()[1]
        received = await sink.wait_for(
            lambda got: sum("DELIVERED" in _fields(r.body)["smsmsg"] for r in got) == 2
        )
        reports = [_fields(r.body) for r in received]
        mine = [r for r in reports if r["smsmsg"].split()[1] == smsid]
        assert [r["smsmsg"] for r in mine] == [
            f"REPORT {smsid} BUFFERED",
            f"REPORT {smsid} DELIVERED",
        ]
        assert [r["smsmsg"] for r in reports if r not in mine] == [f"REPORT {final_only} DELIVERED"]
        delivered = mine[1]
        assert delivered["smsfrom"] == "447700900123"
        assert delivered["smsto"] == delivered["shortcode"] == "58870"
        assert delivered["reason"] == str(0x60000000) and mine[0]["reason"] == str(0x30000000)
        assert delivered["note"] == "order-7"
        assert delivered["smsid"].isdigit() and delivered["smsid"] != mine[0]["smsid"]
        when = datetime.strptime(delivered["smsdate"], "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=ZoneInfo("Europe/London")
        )
        assert abs(when.timestamp() - time.time()) < 60
        for r in received:
            assert r.headers["Content-Type"] == "application/x-www-form-urlencoded"
            assert verify_callback_signature(
                new.callback_secret, r.headers["X-Heliograph-Signature"], r.body, time.time()
            )
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
