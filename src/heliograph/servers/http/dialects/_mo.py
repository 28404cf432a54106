"""What the dialects' MO renderers share: the stored event as a value, and signing.

An MO route with a dialect's format (``heliograph routes mo add … --format
ozeki``) has its ``message.received`` event (``domain.inbound.mo_event``) go
into the callback outbox under the format ``<dialect>-mo``; the dialect's
``<dialect>_mo`` module renders it as that dialect's request. Every such request
also carries the REST callbacks' ``X-Heliograph-Signature`` (over the body of a
POST, over the query string of a GET) and ``X-Heliograph-Message-Id`` (the MO's
id), which a client written for the other gateway ignores. The query string
signed is the one sent: the URL as the HTTP client normalises it (yarl, which
for instance writes ``%3A`` as ``:``).

Not a dialect itself: the leading underscore keeps it out of the dialect list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from yarl import URL

from heliograph.domain.accounts import sign_callback
from heliograph.store.base import CallbackJob


@dataclass(frozen=True, slots=True, kw_only=True)
class MoEvent:
    """The fields of a stored ``message.received`` event that the renderers use."""

    id: str
    sender: str  # the subscriber, as the upstream gave it
    to: str  # the number texted
    text: str
    received_at: float
    keyword: str | None
    connector: str
    opted_out: bool  # this MO put the sender on the account's opt-out list (STOP)

    @classmethod
    def of(cls, job: CallbackJob) -> MoEvent | None:
        """The MO of an outbox job, or None when the job holds another event."""
        event = json.loads(job.body)
        if event.get("event") != "message.received":
            return None
        return cls(
            id=str(event["id"]),
            sender=str(event["from"]),
            to=str(event["to"]),
            text=str(event["text"]),
            received_at=float(event["received_at"]),
            keyword=event.get("keyword"),
            connector=str(event.get("connector") or ""),
            opted_out=event.get("consent") == "opt_out",
        )


def digits(number: str) -> str:
    """A number as these gateways write it: international, without "+"."""
    return number.removeprefix("+")


def local_time(at: float, zone: tzinfo = UTC) -> str:
    """``yyyy-MM-dd HH:mm:ss``, the time format of Ozeki and MX Telecom."""
    return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M:%S")


def signed_headers(job: CallbackJob, now: float, url: str, body: bytes) -> dict[str, str]:
    """The REST callbacks' headers for a dialect's request (body, else the query string)."""
    signed = body if body else URL(url).raw_query_string.encode()
    return {
        "X-Heliograph-Signature": sign_callback(job.secret, int(now), signed),
        "X-Heliograph-Message-Id": job.message_id,
    }


def with_query(url: str, query: str) -> str:
    """``url`` with ``query`` appended to its own query string, if any."""
    if not query:
        return url
    base, _, fragment = url.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}{query}"
    return f"{joined}#{fragment}" if fragment else joined
