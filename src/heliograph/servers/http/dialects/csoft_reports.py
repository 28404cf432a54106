"""csoft report codes and the three response formats (ResponseFormat 0, 1 and 3).

Every answer of the csoft dialect is one or more *entries*: a message
identifier, a report code and a text. The formats, as csoft's HTTP API page
shows them:

* 0 (default): ``<report number> - <report message>``, one line;
* 1: ``MessageIdentifier=…&Report=…&Text=…``, one value per tag: the last
  failure if any number failed, else the last number;
* 3: the same tags with one value per number, joined by commas.

Values are URL-encoded with every character but letters and digits escaped
(the page shows ``Report=%2D2`` and ``Accepted%20by%20csoft%3A%20queued``), so
a comma inside a value can never be taken for the separator. A request-level
error has the identifier ``-1``, as csoft answers an invalid login.

csoft's list of legacy (format 0) codes is not public: format 0 prints the
report codes below, except an invalid login, which is ``171 - Invalid login``
as the seed shows. Codes from -4 to 28 are csoft's own; 30 and up are
Heliograph's for refusals that csoft's documents do not number.
``REPORTS_BY_REASON`` maps every domain ``RejectReason`` to a report (a test
checks that it is total).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from heliograph.domain.rejections import Rejected


class Report(IntEnum):
    QUEUED = -2
    INVALID_LOGIN = 2
    INVALID_NUMBER = 3
    BLACKLISTED_NUMBER = 8
    INVALID_CHARACTERS = 11
    OUT_OF_CREDIT = 15
    MISSING_PARAMETER = 30
    INVALID_PARAMETER = 31
    TOO_MANY_NUMBERS = 32
    INVALID_SEND_TIME = 33
    MESSAGE_TOO_LONG = 34
    INVALID_REPLY_TO = 35
    REPLY_TO_NOT_PERMITTED = 36
    NOT_SUPPORTED = 37
    NO_ROUTE = 38
    THROTTLED = 39
    ACCOUNT_DISABLED = 40
    DUPLICATE = 41
    UNAVAILABLE = 42


TEXT: dict[Report, str] = {
    Report.QUEUED: "Accepted by csoft: queued",
    Report.INVALID_LOGIN: "Invalid Login",
    Report.INVALID_NUMBER: "Invalid number",
    Report.BLACKLISTED_NUMBER: "Blacklisted number",
    Report.INVALID_CHARACTERS: "Invalid characters",
    Report.OUT_OF_CREDIT: "Out of credit",
    Report.MISSING_PARAMETER: "Missing parameter",
    Report.INVALID_PARAMETER: "Invalid parameter",
    Report.TOO_MANY_NUMBERS: "Too many numbers",
    Report.INVALID_SEND_TIME: "Invalid send time",
    Report.MESSAGE_TOO_LONG: "Message too long",
    Report.INVALID_REPLY_TO: "Invalid ReplyTo",
    Report.REPLY_TO_NOT_PERMITTED: "ReplyTo not permitted",
    Report.NOT_SUPPORTED: "Not supported",
    Report.NO_ROUTE: "No route to this number",
    Report.THROTTLED: "Too many requests, try later",
    Report.ACCOUNT_DISABLED: "Account disabled",
    Report.DUPLICATE: "Duplicate request",
    Report.UNAVAILABLE: "Service unavailable, try later",
}

# Keyed by RejectReason value so that a reason added to the domain later is
# caught by the totality test rather than by an import error here.
REPORTS_BY_REASON: dict[str, Report] = {
    "unknown_account": Report.INVALID_LOGIN,
    "bad_credentials": Report.INVALID_LOGIN,
    "account_disabled": Report.ACCOUNT_DISABLED,
    "invalid_request": Report.INVALID_PARAMETER,
    "invalid_destination": Report.INVALID_NUMBER,
    "invalid_sender": Report.INVALID_REPLY_TO,
    "sender_not_allowed": Report.REPLY_TO_NOT_PERMITTED,
    "invalid_text": Report.INVALID_CHARACTERS,
    "message_too_long": Report.MESSAGE_TOO_LONG,
    "too_many_recipients": Report.TOO_MANY_NUMBERS,
    "invalid_schedule": Report.INVALID_SEND_TIME,
    "invalid_validity": Report.INVALID_PARAMETER,
    "opted_out": Report.BLACKLISTED_NUMBER,
    "no_route": Report.NO_ROUTE,
    "insufficient_credit": Report.OUT_OF_CREDIT,
    "throttled": Report.THROTTLED,
    "flooded": Report.THROTTLED,
    "duplicate": Report.DUPLICATE,
    "not_found": Report.INVALID_PARAMETER,
    "not_cancellable": Report.INVALID_PARAMETER,
    "not_supported": Report.NOT_SUPPORTED,
    "unavailable": Report.UNAVAILABLE,
}

LEGACY_INVALID_LOGIN = "171 - Invalid login"
FAILED_IDENTIFIER = "-1"
MAX_TEXT = 255  # csoft: Text is a string of at most 255 characters


class CsoftError(Exception):
    """A request the csoft dialect answers with one report for the whole request."""

    def __init__(self, report: Report, detail: str = "") -> None:
        super().__init__(f"{int(report)}: {detail}")
        self.report = report
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Entry:
    identifier: str
    report: Report
    text: str


def entry(report: Report, detail: str = "", identifier: str = FAILED_IDENTIFIER) -> Entry:
    text = f"{TEXT[report]}: {detail}" if detail else TEXT[report]
    return Entry(identifier, report, text[:MAX_TEXT])


def entry_for(error: CsoftError | Rejected) -> Entry:
    if isinstance(error, CsoftError):
        return entry(error.report, error.detail)
    report = REPORTS_BY_REASON.get(error.reason.value, Report.INVALID_PARAMETER)
    detail = "" if report in (Report.OUT_OF_CREDIT, Report.INVALID_LOGIN) else error.detail
    return entry(report, detail)


def _encode(value: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else _escape(c) for c in value)


def _escape(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8"))


def _chosen(entries: Sequence[Entry]) -> Entry:
    failures = [e for e in entries if e.report != Report.QUEUED]
    return failures[-1] if failures else entries[-1]


def format_entries(
    entries: Sequence[Entry], response_format: int, *, library_number: int | None = None
) -> str:
    """The answer body in ResponseFormat 0, 1 or 3. ``entries`` is never empty.
    ``library_number``: the file the request kept, as ``LibraryNumber`` (formats 1 and
    3, one value per entry shown; format 0 has no place for it)."""
    shown = list(entries) if response_format == 3 else [_chosen(entries)]
    if response_format == 0:
        only = shown[0]
        if only.report == Report.INVALID_LOGIN:
            return LEGACY_INVALID_LOGIN
        return f"{int(only.report)} - {only.text}"
    return (
        "MessageIdentifier="
        + ",".join(e.identifier for e in shown)
        + "&Report="
        + ",".join(_encode(str(int(e.report))) for e in shown)
        + "&Text="
        + ",".join(_encode(e.text) for e in shown)
        + (
            ""
            if library_number is None
            else "&LibraryNumber=" + ",".join(str(library_number) for _ in shown)
        )
    )
