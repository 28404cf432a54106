"""MX Telecom answers and delivery reports.

Answers are plain text (MX Telecom's send interface "returns plain text"):

* a single send: ``OK <smsid>`` (HTTP 200), or ``ERROR <code> <text>`` with the
  HTTP status of the error table below;
* a broadcast: one line per recipient in request order, ``<smsto> OK <smsid>``
  or ``<smsto> ERROR <code> <text>``; a refusal of the whole request is one
  ``ERROR`` line.

The ``smsid`` is MX Telecom's "positive 64 bit integer": Heliograph derives it
from the message id (63 bits of a BLAKE2b hash), so the same number is in the
answer and in every report of that message, and the message id itself is
given in the ``X-Heliograph-Message-Id`` header of a single send.

Delivery reports are POSTed (form-encoded) to the account's callback URL with
MX Telecom's fields: ``smsfrom`` (the handset), ``smsto`` and ``shortcode``
(the original originator; "can be ignored"), ``smsdate`` (``yyyy-MM-dd
HH:mm:ss``, London time as MX Telecom sends it), ``smsmsg`` (``REPORT <smsid>
<TYPE>``), ``reason`` (the four-byte detailed reason code in decimal),
``smsid`` (the report's own id) and ``note`` (the request's note, when given),
signed with the account's callback secret in ``X-Heliograph-Signature`` as
REST callbacks are. Report types and reason codes: see ``REPORT_TYPES``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import IntEnum
from functools import partial
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from heliograph.domain.accounts import sign_callback
from heliograph.domain.rejections import Rejected
from heliograph.services.callbacks import Renderer
from heliograph.services.ports import CallbackRequest
from heliograph.store.base import CallbackJob

FORMAT_PREFIX = "mxtelecom:"


class MxError(IntEnum):
    MISSING_PARAMETER = 1
    INVALID_PARAMETER = 2
    INVALID_LOGIN = 3
    ACCOUNT_DISABLED = 4
    INVALID_RECIPIENT = 5
    INVALID_ORIGINATOR = 6
    ORIGINATOR_NOT_ALLOWED = 7
    INVALID_MESSAGE = 8
    MESSAGE_TOO_LONG = 9
    TOO_MANY_RECIPIENTS = 10
    NO_REPORT_URL = 11
    UNSUBSCRIBED = 12
    NO_ROUTE = 13
    INSUFFICIENT_CREDIT = 14
    THROTTLED = 15
    DUPLICATE = 16
    NOT_SUPPORTED = 17
    UNAVAILABLE = 18


# code → (HTTP status, text)
ERRORS: dict[MxError, tuple[int, str]] = {
    MxError.MISSING_PARAMETER: (400, "Missing parameter"),
    MxError.INVALID_PARAMETER: (400, "Invalid parameter"),
    MxError.INVALID_LOGIN: (403, "Invalid username or password"),
    MxError.ACCOUNT_DISABLED: (403, "Account disabled"),
    MxError.INVALID_RECIPIENT: (400, "Invalid recipient"),
    MxError.INVALID_ORIGINATOR: (400, "Invalid originator"),
    MxError.ORIGINATOR_NOT_ALLOWED: (403, "Originator not allowed"),
    MxError.INVALID_MESSAGE: (400, "Invalid message"),
    MxError.MESSAGE_TOO_LONG: (400, "Message too long"),
    MxError.TOO_MANY_RECIPIENTS: (400, "Too many recipients"),
    MxError.NO_REPORT_URL: (400, "No delivery report URL for this account"),
    MxError.UNSUBSCRIBED: (400, "Recipient has unsubscribed"),
    MxError.NO_ROUTE: (400, "No route to recipient"),
    MxError.INSUFFICIENT_CREDIT: (402, "Insufficient credit"),
    MxError.THROTTLED: (429, "Too many requests"),
    MxError.DUPLICATE: (409, "Duplicate request"),
    MxError.NOT_SUPPORTED: (501, "Not supported"),
    MxError.UNAVAILABLE: (503, "Service unavailable"),
}

# Keyed by RejectReason value: a reason added later fails the totality test.
ERRORS_BY_REASON: dict[str, MxError] = {
    "unknown_account": MxError.INVALID_LOGIN,
    "bad_credentials": MxError.INVALID_LOGIN,
    "account_disabled": MxError.ACCOUNT_DISABLED,
    "invalid_request": MxError.INVALID_PARAMETER,
    "invalid_destination": MxError.INVALID_RECIPIENT,
    "invalid_sender": MxError.INVALID_ORIGINATOR,
    "sender_not_allowed": MxError.ORIGINATOR_NOT_ALLOWED,
    "invalid_text": MxError.INVALID_MESSAGE,
    "message_too_long": MxError.MESSAGE_TOO_LONG,
    "too_many_recipients": MxError.TOO_MANY_RECIPIENTS,
    "invalid_schedule": MxError.INVALID_PARAMETER,
    "invalid_validity": MxError.INVALID_PARAMETER,
    "opted_out": MxError.UNSUBSCRIBED,
    "no_route": MxError.NO_ROUTE,
    "insufficient_credit": MxError.INSUFFICIENT_CREDIT,
    "throttled": MxError.THROTTLED,
    "flooded": MxError.THROTTLED,
    "duplicate": MxError.DUPLICATE,
    "not_found": MxError.INVALID_PARAMETER,
    "not_cancellable": MxError.INVALID_PARAMETER,
    "not_supported": MxError.NOT_SUPPORTED,
    "unavailable": MxError.UNAVAILABLE,
}


class MxRefusal(Exception):
    """A request (or one recipient) MX Telecom's interface refuses."""

    def __init__(self, code: MxError, detail: str = "") -> None:
        super().__init__(f"{int(code)}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def status(self) -> int:
        return ERRORS[self.code][0]

    @property
    def line(self) -> str:
        text = ERRORS[self.code][1]
        return (
            f"ERROR {int(self.code)} {text}: {self.detail}"
            if self.detail
            else (f"ERROR {int(self.code)} {text}")
        )


def refusal(error: MxRefusal | Rejected) -> MxRefusal:
    if isinstance(error, MxRefusal):
        return error
    code = ERRORS_BY_REASON.get(error.reason.value, MxError.INVALID_PARAMETER)
    return MxRefusal(code, "" if code is MxError.INVALID_LOGIN else error.detail)


_MASK63 = (1 << 63) - 1


def sms_id(message_id: str) -> int:
    """MX Telecom's smsid for a message: a positive 63-bit integer, stable for the id."""
    digest = hashlib.blake2b(message_id.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") & _MASK63) or 1


class ReportLevel(IntEnum):
    """The ``report`` parameter: a bit mask of the reports wanted."""

    FINAL = 1  # DELIVERED, FAILED and REJECTED
    BUFFERED = 2  # BUFFERED: the carrier has accepted the message


@dataclass(frozen=True, slots=True)
class ReportType:
    name: str
    type_nibble: int  # most significant nibble of the detailed reason code
    level: ReportLevel


_DELIVERED = ReportType("DELIVERED", 0x6, ReportLevel.FINAL)
_BUFFERED = ReportType("BUFFERED", 0x3, ReportLevel.BUFFERED)
_FAILED = ReportType("FAILED", 0x5, ReportLevel.FINAL)
_REJECTED = ReportType("REJECTED", 0x1, ReportLevel.FINAL)

# Heliograph status → MX Telecom report type. Other statuses send no report.
REPORT_TYPES: dict[str, ReportType] = {
    "sent": _BUFFERED,
    "delivered": _DELIVERED,
    "undeliverable": _FAILED,
    "expired": _FAILED,
    "rejected": _FAILED,
    "failed": _REJECTED,
    "cancelled": _REJECTED,
}


def _london() -> tzinfo:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:
        return UTC


_LONDON = _london()


def reason_code(report: ReportType, error: str | None) -> int:
    """Type nibble, billing nibble 0, reason byte (a numeric upstream error below 256), 0, 0."""
    reason_byte = int(error) if error is not None and error.isdigit() and int(error) < 256 else 0
    return (report.type_nibble << 28) | (reason_byte << 16)


def render_report(job: CallbackJob, now: float, *, level: int) -> CallbackRequest | None:
    event = json.loads(job.body)
    report = REPORT_TYPES.get(event["status"])
    if report is None or not level & report.level:
        return None
    originator = event.get("from") or ""
    smsid = sms_id(event["id"])
    fields = {
        "smsfrom": event["to"].removeprefix("+"),
        "smsto": originator,
        "shortcode": originator,
        "smsdate": datetime.fromtimestamp(event["at"], _LONDON).strftime("%Y-%m-%d %H:%M:%S"),
        "smsmsg": f"REPORT {smsid} {report.name}",
        "reason": str(reason_code(report, event.get("error"))),
        "smsid": str(sms_id(f"{event['id']}:{event['status']}:{event['at']}")),
    }
    if event.get("reference"):
        fields["note"] = event["reference"]
    body = urlencode(fields).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Heliograph-Signature": sign_callback(job.secret, int(now), body),
    }
    return CallbackRequest(method="POST", url=job.url, body=body, headers=headers)


MAX_LEVEL = ReportLevel.FINAL | ReportLevel.BUFFERED

RENDERERS: dict[str, Renderer] = {
    f"{FORMAT_PREFIX}{level}": partial(render_report, level=level) for level in range(MAX_LEVEL + 1)
}
