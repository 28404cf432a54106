"""Why the gateway refuses a request: the domain's only exception.

Hierarchy::

    Rejected(reason: RejectReason, detail: str, field: str | None)

Every edge renders a ``Rejected`` through one total table of its own
(``servers/http/statuses.py`` for HTTP; SMPP and SMTP add theirs), and a QA
test checks that each table covers every ``RejectReason``. The domain knows
nothing about HTTP status codes or SMPP command_status values.
"""

from __future__ import annotations

from enum import StrEnum


class RejectReason(StrEnum):
    UNKNOWN_ACCOUNT = "unknown_account"
    BAD_CREDENTIALS = "bad_credentials"
    ACCOUNT_DISABLED = "account_disabled"
    INVALID_REQUEST = "invalid_request"
    INVALID_DESTINATION = "invalid_destination"
    INVALID_SENDER = "invalid_sender"
    SENDER_NOT_ALLOWED = "sender_not_allowed"
    INVALID_TEXT = "invalid_text"
    MESSAGE_TOO_LONG = "message_too_long"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    INVALID_SCHEDULE = "invalid_schedule"
    INVALID_VALIDITY = "invalid_validity"
    OPTED_OUT = "opted_out"
    NO_ROUTE = "no_route"
    INSUFFICIENT_CREDIT = "insufficient_credit"
    THROTTLED = "throttled"
    DUPLICATE = "duplicate"
    FLOODED = "flooded"
    NOT_FOUND = "not_found"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_SUPPORTED = "not_supported"
    UNAVAILABLE = "unavailable"


class Rejected(Exception):
    """A request the gateway refuses, with the reason and, where known, the field."""

    def __init__(
        self,
        reason: RejectReason,
        detail: str,
        *,
        field: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.field = field
        self.retry_after_s = retry_after_s
