"""Ozeki's "HTTP Client": incoming messages to the client's URL, and the replies it answers.

An MO route with ``--format ozeki`` calls its URL (the route's, else the
account's callback URL) for each MO as Ozeki Message Server 6's HTTP Client
plugin and Ozeki NG's HTTP Client user do (seed 000, "Receiving SMS"): a GET
with ``sender``, ``receiver``, ``msg``, ``msgid``, ``recvtime``
(``yyyy-MM-dd HH:mm:ss``, UTC), ``operator`` (the connector that received it)
and ``messagetype`` (``SMS:TEXT``) added to the URL's own query string; with
``--format ozeki:post`` a form POST of the same fields. A URL that holds Ozeki's
keywords instead (``$SENDER``, ``$RECEIVER``, ``$MSG``, ``$RECEIVEDTIME``,
``$OPERATOR``, ``$ID``, ``$DATA``, ``$KEYWORD``, ``$TYPE``, or NG's
``$originator``, ``$recipient``, ``$messagedata``, ``$messageid``,
``$receivedtime``, ``$messagetype``; any case) gets them replaced, URL-encoded,
and nothing added.

The body of a 2xx answer may hold reply lines, one per line (CR LF or LF)::

    {SMS:TEXT}{}{+36201111111}{+36201111245}{Thank you for the answer}

message type, service provider (ignored: the gateway's routes choose), sender
(optional: empty means the number the subscriber texted), recipient and text
(both mandatory); a backslash escapes the next character (``\\}``). Each line is
sent as an MT of the account through the one submit path, with an idempotency
key made of the MO's id and the line's place, so that a delivery tried again
sends no line twice. Lines that are not messages (an HTML page around them,
for instance) are skipped; malformed message lines are logged and skipped.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from urllib.parse import quote_plus, urlencode

from heliograph.domain.ids import AccountId
from heliograph.servers.http.dialects._mo import (
    MoEvent,
    local_time,
    signed_headers,
    with_query,
)
from heliograph.servers.http.dialects.ozeki import _TEXT_TYPES  # the one table of text types
from heliograph.services.callbacks import Renderer
from heliograph.services.ports import CallbackRequest, CallbackResponse, Replies
from heliograph.store.base import CallbackJob

FORMAT = "ozeki-mo"
MAX_REPLIES = 100  # reply lines taken from one answer
MSG_CHARS = 1024  # Message Server 6's $MSG: "the first 1024 characters of the message text"
TEXT_TYPE = "SMS:TEXT"

log = logging.getLogger("heliograph.http.ozeki")

_KEYWORD = re.compile(r"\$([A-Za-z]+)")


def _values(mo: MoEvent) -> dict[str, str]:
    """Keyword (lower case) → value, for Message Server 6's and NG's keywords."""
    received = local_time(mo.received_at)
    first = mo.text.split(maxsplit=1)
    return {
        "sender": mo.sender,
        "originator": mo.sender,
        "receiver": mo.to,
        "recipient": mo.to,
        "msg": mo.text[:MSG_CHARS],
        "data": mo.text,
        "messagedata": mo.text,
        "receivedtime": received,
        "operator": mo.connector,
        "operatornames": mo.connector,
        "id": mo.id,
        "messageid": mo.id,
        "keyword": first[0] if first else "",
        "type": TEXT_TYPE,
        "messagetype": TEXT_TYPE,
    }


def fill_keywords(url: str, mo: MoEvent) -> str | None:
    """The URL with Ozeki's keywords replaced, or None when it holds none."""
    values = _values(mo)
    found = False

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        value = values.get(match.group(1).lower())
        if value is None:
            return match.group(0)  # not a keyword: kept as written
        found = True
        return quote_plus(value)

    filled = _KEYWORD.sub(replace, url)
    return filled if found else None


def fields(mo: MoEvent) -> list[tuple[str, str]]:
    return [
        ("sender", mo.sender),
        ("receiver", mo.to),
        ("msg", mo.text),
        ("msgid", mo.id),
        ("recvtime", local_time(mo.received_at)),
        ("operator", mo.connector),
        ("messagetype", TEXT_TYPE),
    ]


def render_mo(job: CallbackJob, now: float) -> CallbackRequest | None:
    mo = MoEvent.of(job)
    if mo is None:
        return None
    post = job.format.partition(":")[2].lower() == "post"
    filled = fill_keywords(job.url, mo)
    form = urlencode(fields(mo)) if filled is None else ""
    if post:
        url, body = filled or job.url, form.encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    else:
        url, body, headers = filled or with_query(job.url, form), b"", {}
    headers.update(signed_headers(job, now, url, body))
    hook = partial(send_replies, account_id=job.account_id, mo=mo)
    return CallbackRequest(
        method="POST" if post else "GET", url=url, body=body, headers=headers, on_response=hook
    )


class MalformedLine(ValueError):
    pass


def parse_line(line: str) -> list[str]:
    """``{a}{b}{c}`` → ["a", "b", "c"]; a backslash escapes the next character.

    Raises: MalformedLine.
    """
    values: list[str] = []
    pos, end = 0, len(line)
    while pos < end:
        if line[pos] != "{":
            raise MalformedLine(f"expected '{{' at column {pos + 1}")
        pos += 1
        value: list[str] = []
        while pos < end and line[pos] != "}":
            if line[pos] == "\\" and pos + 1 < end:
                pos += 1
            value.append(line[pos])
            pos += 1
        if pos == end:
            raise MalformedLine("a '{' is not closed")
        values.append("".join(value))
        pos += 1
    return values


def reply_of(line: str, mo: MoEvent) -> tuple[str, str, str, str]:
    """(encoding, sender, recipient, text) of one reply line. Raises: MalformedLine."""
    values = parse_line(line)
    if len(values) != 5:
        raise MalformedLine(f"{len(values)} fields, a message line has 5")
    kind, _provider, sender, recipient, text = values
    encoding = _TEXT_TYPES.get(kind.strip().upper())
    if encoding is None:
        raise MalformedLine(f"message type {kind!r} is not one of {', '.join(_TEXT_TYPES)}")
    if not recipient.strip():
        raise MalformedLine("no recipient")
    if not text:
        raise MalformedLine("no message text")
    return encoding, sender.strip() or mo.to, recipient.strip(), text


async def send_replies(
    answer: CallbackResponse, replies: Replies, *, account_id: AccountId, mo: MoEvent
) -> str | None:
    """Send the reply lines of the client's answer. An error text: try the MO again later."""
    text = answer.body.decode(answer.charset or "utf-8", "replace")
    sent = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line.startswith("{"):
            continue  # not a message line
        try:
            encoding, sender, recipient, body = reply_of(line, mo)
        except MalformedLine as exc:
            log.warning("answer to MO %s, line %d skipped: %s: %.80r", mo.id, number, exc, line)
            continue
        if sent == MAX_REPLIES:
            log.warning("answer to MO %s: replies after the first %d skipped", mo.id, sent)
            break
        error = await replies.send(
            account_id,
            to=recipient,
            sender=sender,
            text=body,
            encoding=encoding,
            key=f"ozeki-mo:{mo.id}:{number}",
        )
        if error is not None:
            return error
        sent += 1
    return None


CALLBACK_RENDERERS: dict[str, Renderer] = {FORMAT: render_mo}
