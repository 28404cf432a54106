"""MX Telecom: incoming SMS and unsubscribe notifications to the account's URL.

An MO route with ``--format mxtelecom`` calls its URL (the route's, else the
account's callback URL) as MX Telecom's SMS Gateway does ("Receiving an SMS
via HTTP"): a GET with, added to the URL's own query string,

* ``smsfrom`` (the subscriber), ``smsto`` (the short code or number texted),
  both international without "+";
* ``smsdate``: ``yyyy-MM-dd HH:mm:ss``, London time, as MX Telecom sends it;
* ``network``: ``UNKNOWN`` (the carrier is not known to the gateway);
* ``smsid``: a positive 63-bit number, the same on every try (MX Telecom's
  "unique ID": clients filter duplicates on it);
* ``bits`` and ``smsmsg``: ``7`` and the text in ISO-8859-15 when it fits,
  else ``16`` with a best-effort ISO-8859-15 rendering in ``smsmsg`` (``?``
  for what does not fit) and the text in ``smsucs2`` (UCS-2, hex).

When the MO is a STOP that put the subscriber on the account's opt-out list,
the URL gets MX Telecom's unsubscribe notification instead ("Unsubscribe
Requests"): a GET with ``msisdn``, ``shortcode`` (the number texted), ``date``
(as ``smsdate``) and ``source=STOP``.

MX Telecom expects "a non-empty HTTP 200 response": an empty 2xx answer
counts as a failure and the request is made again later, as any failed
callback is.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from heliograph.servers.http.dialects._mo import (
    MoEvent,
    digits,
    local_time,
    signed_headers,
    with_query,
)
from heliograph.servers.http.dialects.mxtelecom_reports import sms_id
from heliograph.services.callbacks import Renderer
from heliograph.services.ports import CallbackRequest, CallbackResponse, Replies
from heliograph.store.base import CallbackJob

FORMAT = "mxtelecom-mo"
LATIN9 = "iso-8859-15"
NETWORK = "UNKNOWN"
UNSUBSCRIBE_SOURCE = "STOP"


def _london() -> tzinfo:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:
        return UTC


_LONDON = _london()


def text_fields(text: str) -> list[tuple[str, str]]:
    """``bits``, ``smsmsg`` and, for text beyond ISO-8859-15, ``smsucs2``."""
    try:
        text.encode(LATIN9)
    except UnicodeEncodeError:
        return [
            ("bits", "16"),
            ("smsmsg", text),  # encoded with errors="replace" by the caller
            ("smsucs2", text.encode("utf-16-be").hex().upper()),
        ]
    return [("bits", "7"), ("smsmsg", text)]


def mo_fields(mo: MoEvent) -> list[tuple[str, str]]:
    return [
        ("smsfrom", digits(mo.sender)),
        ("smsto", digits(mo.to)),
        ("smsdate", local_time(mo.received_at, _LONDON)),
        ("network", NETWORK),
        ("smsid", str(sms_id(mo.id))),
        *text_fields(mo.text),
    ]


def unsubscribe_fields(mo: MoEvent) -> list[tuple[str, str]]:
    return [
        ("msisdn", digits(mo.sender)),
        ("shortcode", digits(mo.to)),
        ("date", local_time(mo.received_at, _LONDON)),
        ("source", UNSUBSCRIBE_SOURCE),
    ]


async def require_answer(answer: CallbackResponse, replies: Replies) -> str | None:
    """MX Telecom's rule: the answer must not be empty."""
    if answer.body.strip():
        return None
    return "empty answer (an MX Telecom client answers with a non-empty 200)"


def render_mo(job: CallbackJob, now: float) -> CallbackRequest | None:
    mo = MoEvent.of(job)
    if mo is None:
        return None
    fields = unsubscribe_fields(mo) if mo.opted_out else mo_fields(mo)
    url = with_query(job.url, urlencode(fields, encoding=LATIN9, errors="replace"))
    return CallbackRequest(
        method="GET",
        url=url,
        body=b"",
        headers=signed_headers(job, now, url, b""),
        on_response=require_answer,
    )


CALLBACK_RENDERERS: dict[str, Renderer] = {FORMAT: render_mo}
