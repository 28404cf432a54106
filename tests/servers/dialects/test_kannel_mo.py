"""Kannel's sms-service get-url: the route's URL is the pattern, and the answer is the reply."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from heliograph.domain.ids import AccountId, MessageId
from heliograph.servers.http.dialects._mo import MoEvent
from heliograph.servers.http.dialects.kannel_mo import fill_get_url, render_mo, send_reply
from heliograph.services.ports import CallbackResponse
from heliograph.store.base import CallbackJob
from tests.servers.dialects.mo_support import SHORT, SUB, Answer, client_site, mo_gateway

AT = 1795311689.5  # 2026-11-22 01:41:29 UTC


def mo(text: str, sender: str = SUB, to: str = SHORT) -> MoEvent:
    return MoEvent(
        id="01MO", sender=sender, to=to, text=text, received_at=AT, keyword="pizza",
        connector="smsc1", opted_out=False,
    )  # fmt: skip


def test_kannel_escapes() -> None:
    pattern = (
        "http://app/sms?from=%p&to=%P&all=%a&kw=%k&rest=%r&b=%b&t=%t&T=%T&id=%I&smsc=%i"
        "&q=%q&Q=%Q&c=%c&C=%C&n=%n&e=%e&udh=%u&other=%z&pct=100%%"
    )
    url = fill_get_url(pattern, mo("Pizza  large &extra", sender="0044791", to="+4477"))
    assert url == (
        "http://app/sms?from=0044791&to=%2B4477&all=Pizza+large+%26extra&kw=Pizza"
        "&rest=large+%26extra&b=Pizza%20%20large%20%26extra&t=2026-11-22+01:41:29"
        "&T=1795311689&id=01MO&smsc=smsc1&q=%2B44791&Q=%2B4477&c=0&C=GSM&n=pizza"
        f"&e={b'Pizza  large &extra'.hex()}&udh=&other=%z&pct=100%"
    )


def test_second_word_and_the_rest() -> None:
    url = fill_get_url("http://a/?k=%k&s=%s&S=%S&r=%r", mo("find http://x.example/*a* now please"))
    assert parse_qsl(urlsplit(url).query) == [
        ("k", "find"),
        ("s", "http://x.example/*a*"),
        ("S", "http://x.example/~a~"),
        ("r", "now please"),
    ]


def test_unicode_is_utf8() -> None:
    url = fill_get_url("http://a/?b=%b&c=%c&C=%C", mo("Привет"))
    assert dict(parse_qsl(urlsplit(url).query)) == {"b": "Привет", "c": "2", "C": "UTF-8"}


def job(url: str, format: str = "kannel-mo") -> CallbackJob:
    event = {
        "event": "message.received", "id": "01MO", "from": SUB, "to": SHORT, "text": "hi",
        "received_at": AT, "incomplete": False, "keyword": None, "connector": "loopback",
        "consent": None,
    }  # fmt: skip
    return CallbackJob(
        id=1, account_id=AccountId("acct"), message_id=MessageId("01MO"), url=url,
        format=format, body=json.dumps(event).encode(), secret="whsec", attempts=1,
        created_at=0.0,
    )  # fmt: skip


def test_get_with_a_reply_hook_unless_noreply() -> None:
    request = render_mo(job("http://a/?from=%p&text=%a"), AT)
    assert request is not None and request.method == "GET"
    assert request.url == "http://a/?from=%2B447911123456&text=hi"
    assert request.on_response is not None
    quiet = render_mo(job("http://a/?from=%p", format="kannel-mo:noreply"), AT)
    assert quiet is not None and quiet.on_response is None


class Replies:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, account_id: AccountId, **kw: Any) -> str | None:
        self.sent.append(kw)
        return None


@pytest.mark.parametrize(
    ("content_type", "body", "reply"),
    [
        ("text/plain", b"Thanks, one large pizza\n", "Thanks, one large pizza"),
        ("", "Спасибо".encode(), "Спасибо"),
        ("text/plain", b"  \r\n", None),  # Kannel's omit-empty
        ("text/html", b"<p>ok</p>", None),
    ],
)
async def test_the_answer_is_the_reply(content_type: str, body: bytes, reply: str | None) -> None:
    replies = Replies()
    answer = CallbackResponse(status=200, content_type=content_type, charset=None, body=body)
    assert await send_reply(answer, replies, account_id=AccountId("a"), mo=mo("x")) is None
    if reply is None:
        assert replies.sent == []
    else:
        assert replies.sent == [
            {"to": SUB, "sender": SHORT, "text": reply, "encoding": "auto", "key": "kannel-mo:01MO"}
        ]


async def test_get_url_and_reply_through_the_gateway(tmp_path: Path) -> None:
    async with client_site() as site:
        site.answers["/sms"] = [Answer(body=b"Thanks!", content_type="text/plain")]
        pattern = site.base + "/sms?from=%p&to=%P&text=%a&kw=%k&id=%I&smsc=%i&time=%T"
        async with mo_gateway(tmp_path, pattern, "kannel", callback_url=site.base + "/status") as c:
            mo_id = await c.mo("Pizza large")
            seen = await site.wait_for(lambda got: any(_delivered(got)))
            [get] = site.on("/sms")
            assert get.method == "GET"
            assert get.params == {
                "from": SUB,
                "to": SHORT,
                "text": "Pizza large",
                "kw": "Pizza",
                "id": mo_id,
                "smsc": "loopback",
                "time": get.params["time"],
            }
            assert abs(int(get.params["time"]) - time.time()) < 60
            [delivered] = _delivered(seen)
            view = await c.gateway.messages.get(c.account.account.id, delivered["id"])
            assert (view.to, view.sender, view.text) == (SUB, SHORT, "Thanks!")


def _delivered(seen: list[Any]) -> list[dict[str, Any]]:
    events = [json.loads(s.body) for s in seen if s.path == "/status"]
    return [e for e in events if e.get("status") == "delivered"]
