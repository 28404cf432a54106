"""Kannel delivery reports: dlr-url %-escapes and the ``kannel:<mask>`` callback renderer.

Theory of operation
-------------------
A Kannel client asks for delivery reports with ``dlr-mask`` (which report
types it wants, a bit mask) and ``dlr-url`` (a URL pattern with %-escapes that
Kannel fills in and fetches with GET). Heliograph fills the pattern in two
passes, because a status event (``domain.events``) carries only what changes
per report:

1. at submit time, ``fill_static()`` replaces the escapes whose values belong
   to the request (``%n`` user name, ``%o`` account, ``%c`` coding, …) and
   keeps the others, so the stored callback URL is still a pattern;
2. when a status event is sent, ``render_dlr()`` replaces the per-report
   escapes (``%d`` type, ``%A`` reply text, ``%p``/``%P`` numbers, ``%T``
   time, ``%F`` the upstream SMSC's message id and ``%i`` the connector that
   carried the part, …) and collapses ``%%`` to ``%``.

``%F`` and ``%i`` come from the status event itself (its ``upstream_id`` and
``connector``, written by the store with the change), so rendering a report
reads nothing. Reports that no upstream answer caused (a retry queued, a
cancel) leave them empty. ``%D`` is the ``meta-data`` as sent; ``%B`` (``binfo``)
is empty because the gateway refuses it; ``%u``/``%U`` (UDH),
``%f`` (SMSC number) and ``%x`` (smsbox id) are empty in Kannel's own reports.

Values put in by the first pass have their ``%`` doubled, so the second pass
cannot mistake a URL-encoded value for an escape. Unknown escapes are kept
verbatim, as Kannel's ``urltrans_fill_escape_codes`` does.

Report types (Kannel's dlr.h): 1 delivered to phone, 2 not delivered to phone,
4 queued on SMSC, 8 delivered to SMSC, 16 not delivered to SMSC. As in Kannel's
``dlr_find``, a DLR message keeps the original sender and receiver, and its
``%p`` is filled from the message's receiver: ``%p`` is the handset the
message went to and ``%P`` the sender.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from urllib.parse import quote

from heliograph.services.callbacks import Renderer
from heliograph.services.ports import CallbackRequest
from heliograph.store.base import CallbackJob
from heliograph.wire.receipt import Receipt, format_receipt

FORMAT_PREFIX = "kannel:"
MAX_MASK = 66  # Kannel's smsbox refuses a dlr-mask above 66 (0b1000010)

DLR_SUCCESS = 1
DLR_FAIL = 2
DLR_BUFFERED = 4
DLR_SMSC_SUCCESS = 8
DLR_SMSC_FAIL = 16

# Heliograph message status → Kannel report type; statuses not listed send nothing.
DLR_TYPE: dict[str, int] = {
    "queued": DLR_BUFFERED,  # back in the queue for a retry after a temporary failure
    "sent": DLR_SMSC_SUCCESS,
    "delivered": DLR_SUCCESS,
    "undeliverable": DLR_FAIL,
    "expired": DLR_FAIL,
    "rejected": DLR_FAIL,
    "failed": DLR_SMSC_FAIL,
    "cancelled": DLR_SMSC_FAIL,
}

_STAT = {"delivered": "DELIVRD", "expired": "EXPIRED", "rejected": "REJECTD"}
#: Escapes filled per report, from the status event.
DYNAMIC = frozenset("dAbakSsreIFipPqQtT")


def url_encode(value: str) -> str:
    """Kannel's octstr_url_encode: everything but letters, digits and -_.!~*'() as %XX."""
    return quote(value, safe="-_.!~*'()")


def _fill(pattern: str, values: Mapping[str, str], *, final: bool) -> str:
    out: list[str] = []
    pos, end = 0, len(pattern)
    while pos < end:
        ch = pattern[pos]
        if ch != "%" or pos + 1 == end:
            out.append(ch)
            pos += 1
            continue
        code = pattern[pos + 1]
        if code == "%":
            out.append("%" if final else "%%")
        elif code == "#" and not final:
            group_end = pattern.find("#", pos + 2)
            param_end = pattern.find("#", group_end + 1) if group_end >= 0 else -1
            if param_end < 0:
                out.append("%#")
            else:  # %#group#param#: one meta-data value, left empty
                pos = param_end + 1
                continue
        elif code in values:
            out.append(values[code])
        else:
            out.append("%" + code)
        pos += 2
    return "".join(out)


def fill_static(pattern: str, values: Mapping[str, str]) -> str:
    """First pass: replace the request's escapes; keep per-report ones and ``%%``."""
    escaped = {
        code: value.replace("%", "%%") for code, value in values.items() if code not in DYNAMIC
    }
    return _fill(pattern, escaped, final=False)


def _reply_text(event: Mapping[str, object], kind: int) -> str:
    """What Kannel puts in a report's message data (``%A``, ``%b``)."""
    error = event.get("error")
    if kind == DLR_SMSC_SUCCESS:
        return "ACK/"
    if kind == DLR_SMSC_FAIL:
        return f"NACK/{error or ''}/"
    if kind == DLR_BUFFERED:
        return ""
    at = datetime.fromtimestamp(float(str(event["at"])), UTC).replace(tzinfo=None)
    status = str(event["status"])
    receipt = Receipt(
        id=str(event["id"]),
        stat=_STAT.get(status, "UNDELIV"),
        sub=1,
        dlvrd=1 if kind == DLR_SUCCESS else 0,
        submit_date=at,
        done_date=at,
        err=str(error) if error else "000",
        text="",
    )
    return format_receipt(receipt)


def _plus(number: str) -> str:
    return "+" + number[2:] if number.startswith("00") else number


def dynamic_values(event: Mapping[str, object], kind: int) -> dict[str, str]:
    reply = _reply_text(event, kind)
    words = reply.split()
    to = str(event.get("to") or "")
    sender = str(event.get("from") or "")
    at = float(str(event["at"]))
    return {
        "d": str(kind),
        "A": url_encode(reply),
        "b": url_encode(reply),
        "a": "+".join(url_encode(w) for w in words),
        "k": url_encode(words[0]) if words else "",
        "s": url_encode(words[1]) if len(words) > 1 else "",
        "S": words[1].replace("*", "~") if len(words) > 1 else "",
        "r": "+".join(url_encode(w) for w in words[1:]),
        "e": reply.encode().hex(),
        "p": url_encode(to),
        "P": url_encode(sender),
        "q": url_encode(_plus(to)),
        "Q": url_encode(_plus(sender)),
        "t": time.strftime("%Y-%m-%d+%H:%M:%S", time.gmtime(at)),
        "T": str(int(at)),
        "I": str(event["id"]),
        "F": url_encode(str(event.get("upstream_id") or "")),
        "i": url_encode(str(event.get("connector") or "")),
    }


def render_dlr(job: CallbackJob, now: float, *, mask: int) -> CallbackRequest | None:
    """The GET Kannel would make for this status event, or None if the mask excludes it."""
    event = json.loads(job.body)
    kind = DLR_TYPE.get(str(event.get("status")))
    if kind is None or not kind & mask:
        return None
    url = _fill(job.url, dynamic_values(event, kind), final=True)
    return CallbackRequest(method="GET", url=url, body=b"", headers={})


def callback_format(mask: int) -> str:
    return f"{FORMAT_PREFIX}{mask}"


def _renderers() -> dict[str, Renderer]:
    made: dict[str, Callable[[CallbackJob, float], CallbackRequest | None]] = {}
    for mask in range(1, MAX_MASK + 1):
        made[callback_format(mask)] = partial(render_dlr, mask=mask)
    return made


CALLBACK_RENDERERS: dict[str, Renderer] = _renderers()
