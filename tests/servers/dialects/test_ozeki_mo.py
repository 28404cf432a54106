"""Ozeki's HTTP Client: MO to the client's URL, and the reply lines of its answer sent as MT;
also what every dialect's MO format shares (the route's format, the command line, the
response hook of the callback service)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from typer.testing import CliRunner, Result
from yarl import URL

from heliograph.cli import app as cli
from heliograph.domain.accounts import verify_callback_signature
from heliograph.domain.ids import AccountId, ConnectorId, MessageId
from heliograph.domain.inbound import mo_route_spec, plan_mo
from heliograph.domain.messages import MoMessage
from heliograph.domain.rejections import Rejected
from heliograph.domain.retry import Backoff
from heliograph.servers.http.dialects import callback_renderers
from heliograph.servers.http.dialects._mo import MoEvent
from heliograph.servers.http.dialects.ozeki_mo import (
    MalformedLine,
    fill_keywords,
    parse_line,
    render_mo,
    reply_of,
    send_replies,
)
from heliograph.services.callbacks import CallbackService
from heliograph.services.metrics import Metrics
from heliograph.services.ports import CallbackRequest, CallbackResponse
from heliograph.store.base import CallbackJob, Store
from tests.servers.dialects.mo_support import SHORT, SUB, Answer, client_site, mo_gateway
from tests.services.fakes import make_account
from tests.support.clock import FakeClock

MO = MoEvent(
    id="01MO",
    sender=SUB,
    to=SHORT,
    text="Hello shop",
    received_at=1795311689.5,
    keyword=None,
    connector="loopback",
    opted_out=False,
)


def job(url: str, format: str = "ozeki-mo", text: str = "Hello shop") -> CallbackJob:
    event = {
        "event": "message.received", "id": "01MO", "from": SUB, "to": SHORT, "text": text,
        "received_at": 1795311689.5, "incomplete": False, "keyword": None,
        "connector": "loopback", "consent": None,
    }  # fmt: skip
    return CallbackJob(
        id=1, account_id=AccountId("acct"), message_id=MessageId("01MO"), url=url,
        format=format, body=json.dumps(event).encode(), secret="whsec", attempts=1,
        created_at=0.0,
    )  # fmt: skip


# The answer -----------------------------------------------------------------


def test_seed_reply_line_is_read() -> None:
    # Seed 000: "{SMS:TEXT}{}{[sender number]}{[recipient number]}{[message text]}"
    line = "{SMS:TEXT}{}{+36201111111}{+36201111245}{Thank you for the answer}"
    assert reply_of(line, MO) == (
        "auto",
        "+36201111111",
        "+36201111245",
        "Thank you for the answer",
    )


def test_sender_is_optional_and_braces_are_escaped() -> None:
    assert reply_of(r"{SMS:TEXT}{Vodafone}{}{+36201111245}{a \{b\} c\\}", MO) == (
        "auto",
        SHORT,
        "+36201111245",
        "a {b} c\\",
    )
    assert reply_of("{sms:text:ucs2}{}{ }{+1}{x}", MO)[:2] == ("ucs2", SHORT)


@pytest.mark.parametrize(
    "line",
    [
        "{SMS:TEXT}{}{+1}{+2}",  # four fields
        "{SMS:TEXT}{}{+1}{+2}{text}{more}",  # six
        "{SMS:TEXT}{}{+1}{}{text}",  # no recipient
        "{SMS:TEXT}{}{+1}{+2}{}",  # no text
        "{SMS:BINARY}{}{+1}{+2}{00ff}",  # not a text type
        "{SMS:TEXT}{}{+1}{+2}{unclosed",
        "{SMS:TEXT} {}{+1}{+2}{text}",  # something between fields
    ],
)
def test_malformed_lines(line: str) -> None:
    with pytest.raises(MalformedLine):
        reply_of(line, MO)


def test_parse_line_splits_at_every_offset_of_text() -> None:
    assert parse_line("") == []
    assert parse_line("{}") == [""]
    assert parse_line(r"{\}}{\\}") == ["}", "\\"]


class Replies:
    def __init__(self, errors: list[str | None] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.errors = errors or []

    async def send(self, account_id: AccountId, **kw: Any) -> str | None:
        self.sent.append({"account": account_id, **kw})
        return self.errors.pop(0) if self.errors else None


async def test_answer_lines_become_replies_and_the_rest_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = (
        b"<html><body>\r\n"
        b"{SMS:TEXT}{}{+36201111111}{+36201111245}{First}\r\n"
        b"{SMS:TEXT}{}{}{+36201111246}\r\n"
        b"  {SMS:TEXT:GSM7BIT}{}{}{+36201111247}{Second}  \n"
        b"</body></html>"
    )
    replies = Replies()
    answer = CallbackResponse(status=200, content_type="text/html", charset=None, body=body)
    assert await send_replies(answer, replies, account_id=AccountId("acct"), mo=MO) is None
    assert [(r["to"], r["sender"], r["text"], r["encoding"], r["key"]) for r in replies.sent] == [
        ("+36201111245", "+36201111111", "First", "auto", "ozeki-mo:01MO:2"),
        ("+36201111247", SHORT, "Second", "gsm7", "ozeki-mo:01MO:4"),
    ]
    assert "line 3 skipped" in caplog.text
    assert "html" not in caplog.text  # lines that are not messages are no news


async def test_a_reply_that_cannot_be_stored_stops_and_asks_for_a_retry() -> None:
    body = b"{SMS:TEXT}{}{}{+1555}{a}\n{SMS:TEXT}{}{}{+1556}{b}\n"
    replies = Replies([None, "store unavailable"])
    answer = CallbackResponse(status=200, content_type="text/plain", charset=None, body=body)
    assert await send_replies(answer, replies, account_id=AccountId("a"), mo=MO) == (
        "store unavailable"
    )
    assert len(replies.sent) == 2


# The request ----------------------------------------------------------------


def test_get_adds_the_fields_to_the_url() -> None:
    request = render_mo(job("https://app.example/sms/in.php?site=7"), 1795311700.0)
    assert request is not None and request.method == "GET" and request.body == b""
    url = urlsplit(request.url)
    assert (url.netloc, url.path) == ("app.example", "/sms/in.php")
    assert parse_qsl(url.query) == [
        ("site", "7"),
        ("sender", SUB),
        ("receiver", SHORT),
        ("msg", "Hello shop"),
        ("msgid", "01MO"),
        ("recvtime", "2026-11-22 01:41:29"),
        ("operator", "loopback"),
        ("messagetype", "SMS:TEXT"),
    ]
    on_the_wire = URL(request.url).raw_query_string.encode()  # as the HTTP client sends it
    assert verify_callback_signature(
        "whsec", request.headers["X-Heliograph-Signature"], on_the_wire, 1795311700.0
    )
    assert request.on_response is not None


def test_post_sends_a_form() -> None:
    request = render_mo(job("https://app.example/in", format="ozeki-mo:post"), 0.0)
    assert request is not None and request.method == "POST"
    assert request.url == "https://app.example/in"
    assert dict(parse_qsl(request.body.decode()))["msg"] == "Hello shop"
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_keywords_are_replaced_and_nothing_is_added() -> None:
    url = "http://h/in?from=$SENDER&to=$receiver&t=$MSG&id=$ID&w=$KEYWORD&k=$originator&x=$OTHER"
    assert fill_keywords(url, MO) == (
        "http://h/in?from=%2B447911123456&to=%2B447700900000&t=Hello+shop&id=01MO&w=Hello"
        "&k=%2B447911123456&x=$OTHER"
    )
    assert fill_keywords("http://h/in?a=$5", MO) is None
    request = render_mo(job("http://h/in?t=$DATA"), 0.0)
    assert request is not None and request.url == "http://h/in?t=Hello+shop"


def test_another_event_is_not_rendered() -> None:
    status = job("http://h/")
    other = CallbackJob(**{**_fields(status), "body": b'{"event": "message.status"}'})
    assert render_mo(other, 0.0) is None


def _fields(j: CallbackJob) -> dict[str, Any]:
    return {name: getattr(j, name) for name in j.__slots__}


# The callback service -------------------------------------------------------


class AnsweringSender:
    """A CallbackSender whose every request gets the same 2xx answer."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[CallbackRequest] = []

    async def send(self, request: CallbackRequest) -> str | None:
        self.requests.append(request)
        return None

    async def exchange(self, request: CallbackRequest) -> CallbackResponse | str:
        self.requests.append(request)
        return CallbackResponse(status=200, content_type="", charset=None, body=self.body)

    async def aclose(self) -> None:
        pass


async def test_the_answer_goes_to_the_hook_and_a_failing_hook_does_not_stop_the_outbox(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    account = await make_account(store, clock, callback_url="http://client.example/in")
    route = await store.add_mo_route(mo_route_spec(SHORT, format="ozeki"), account.id, 0.0)
    mos = [
        MoMessage(
            id=MessageId(f"01MO{n}"),
            connector=ConnectorId("loopback"),
            sender=SUB,
            to=SHORT,
            text=f"mo {n}",
            received_at=clock.now(),
        )
        for n in range(2)
    ]
    await store.insert_mo([plan_mo(mo, route, account, None, clock.now()) for mo in mos], 0.0)
    taken: list[bytes] = []

    async def hook(answer: CallbackResponse, replies: object) -> str | None:
        taken.append(answer.body)
        if len(taken) == 1:
            raise RuntimeError("a bug in a dialect")
        return None

    def renderer(j: CallbackJob, now: float) -> CallbackRequest:
        assert j.format == "ozeki-mo"
        return CallbackRequest(method="GET", url=j.url, body=b"", headers={}, on_response=hook)

    sender = AnsweringSender(b"{SMS:TEXT}{}{}{+1}{x}")
    service = CallbackService(
        store, sender, clock, Metrics(), backoff=Backoff(base_s=1.0, max_s=1.0),
        renderers={"ozeki-mo": renderer},
    )  # fmt: skip
    assert await service.deliver_once() == 2
    assert taken == [b"{SMS:TEXT}{}{}{+1}{x}"] * 2
    assert "a bug in a dialect" in caplog.text
    clock.advance(3600)
    assert await service.deliver_once() == 0  # both done: the answer was taken


# The route's format ---------------------------------------------------------


async def test_route_format_is_stored(store: Store) -> None:
    account = await make_account(store, FakeClock())
    made = await store.add_mo_route(
        mo_route_spec("+447700900000", format="kannel:noreply"), account.id, 1.0
    )
    plain = await store.add_mo_route(mo_route_spec("+447700900001"), account.id, 1.0)
    assert (made.format, plain.format) == ("kannel:noreply", "json")
    assert [r.format for r in await store.mo_routes()] == ["kannel:noreply", "json"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"format": "Ozeki Extra"}, "format"),
        ({"format": "ozeki", "method": "smpp"}, "format"),
    ],
)
def test_route_format_shape_is_checked(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(Rejected) as refused:
        mo_route_spec(SHORT, **kwargs)
    assert refused.value.field == field


def test_every_dialect_with_incoming_messages_is_registered() -> None:
    names = {n for n in callback_renderers() if n.endswith("-mo")}
    assert names == {"ozeki-mo", "smsc-mo", "mxtelecom-mo", "kannel-mo"}


async def run_cli(*args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "250"})  # the route list is a table
    return await asyncio.to_thread(runner.invoke, cli, list(args))


async def test_command_line_takes_and_checks_the_format(tmp_path: Path) -> None:
    cfg = tmp_path / "h.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path}"\n[store]\nurl = "sqlite:///{tmp_path / "gw.sqlite3"}"\n'
    )
    made = await run_cli("accounts", "create", "shop", "--config", str(cfg))
    assert made.exit_code == 0, made.output
    base = ("routes", "mo", "add", "--config", str(cfg))
    added = await run_cli(*base, SHORT, "shop", "--url", "https://a.ex/in", "--format", "ozeki")
    assert added.exit_code == 0, added.output
    assert "in ozeki format" in added.output
    posted = await run_cli(*base, "+447700900001", "shop", "--format", "Ozeki-mo:post")
    assert posted.exit_code == 0, posted.output
    kannel = await run_cli(
        *base, "+447700900004", "shop", "--url", "https://a.example/mo?from=%p", "--format",
        "kannel:noreply",
    )  # fmt: skip
    assert kannel.exit_code == 0, kannel.output
    unknown = await run_cli(*base, "+447700900002", "shop", "--format", "csoft")
    assert unknown.exit_code == 2
    said = " ".join(unknown.output.split())
    assert "unknown MO format 'csoft': json or one of kannel, mxtelecom, ozeki, smsc" in said
    smpp = await run_cli(*base, "+447700900003", "shop", "--method", "smpp", "--format", "ozeki")
    assert smpp.exit_code == 2 and "takes no format" in smpp.output
    listed = await run_cli("routes", "mo", "list", "--config", str(cfg))
    assert "ozeki:post" in listed.output and "kannel:noreply" in listed.output


# The whole gateway ----------------------------------------------------------


async def test_mo_reaches_the_client_and_its_reply_lines_are_sent(tmp_path: Path) -> None:
    async with client_site() as site:
        site.answers["/sms/in"] = [
            Answer(
                body=b"{SMS:TEXT}{}{}{+447911123456}{Thanks, order taken}\r\n"
                b"{SMS:TEXT}{}{+447700900000}{+447911000002}{New order from a customer}\r\n"
                b"{SMS:TEXT}{broken\r\n",
                content_type="text/html",
            )
        ]
        async with mo_gateway(
            tmp_path, site.base + "/sms/in?site=7", "ozeki", callback_url=site.base + "/status"
        ) as client:
            mo_id = await client.mo("Pizza large")
            statuses = await site.wait_for(lambda seen: len(_delivered(seen)) == 2)
            [mo] = [s for s in statuses if s.path.startswith("/sms/in")]
            assert mo.method == "GET"
            assert mo.params["site"] == "7"
            assert (mo.params["sender"], mo.params["receiver"]) == (SUB, SHORT)
            assert (mo.params["msg"], mo.params["msgid"]) == ("Pizza large", mo_id)
            assert mo.params["operator"] == "loopback"
            assert abs(_ozeki_time(mo.params["recvtime"]) - time.time()) < 60
            assert verify_callback_signature(
                client.account.callback_secret,
                mo.headers["X-Heliograph-Signature"],
                mo.raw_query.encode(),
                time.time(),
            )
            views = {}
            for status in _delivered(statuses):
                view = await client.gateway.messages.get(client.account.account.id, status["id"])
                views[view.to] = view
            assert views["+447911123456"].text == "Thanks, order taken"
            assert views["+447911123456"].sender == SHORT
            assert views["+447911000002"].text == "New order from a customer"


def _delivered(seen: list[Any]) -> list[dict[str, Any]]:
    events = [json.loads(s.body) for s in seen if s.path == "/status"]
    return [e for e in events if e.get("status") == "delivered"]


def _ozeki_time(value: str) -> float:
    return time.mktime(time.strptime(value + " UTC", "%Y-%m-%d %H:%M:%S %Z")) - time.timezone
