"""RejectReason → (HTTP status, stable error code): the HTTP edge's one total table.

The error code is the reason's value; clients switch on it, so it never
changes meaning. ``tests/qa/test_tables.py`` checks that every reason is here.
"""

from __future__ import annotations

import math

import msgspec

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.context import ApiError
from heliograph.servers.http.schemas import ErrorBody, ErrorDetail

_encode = msgspec.json.Encoder().encode

R = RejectReason

HTTP_STATUS: dict[RejectReason, int] = {
    R.UNKNOWN_ACCOUNT: 401,
    R.BAD_CREDENTIALS: 401,
    R.ACCOUNT_DISABLED: 403,
    R.INVALID_REQUEST: 400,
    R.INVALID_DESTINATION: 422,
    R.INVALID_SENDER: 422,
    R.SENDER_NOT_ALLOWED: 403,
    R.INVALID_TEXT: 422,
    R.MESSAGE_TOO_LONG: 422,
    R.TOO_MANY_RECIPIENTS: 422,
    R.INVALID_SCHEDULE: 422,
    R.INVALID_VALIDITY: 422,
    R.OPTED_OUT: 422,
    R.NO_ROUTE: 422,
    R.INSUFFICIENT_CREDIT: 402,
    R.THROTTLED: 429,
    R.DUPLICATE: 409,
    R.FLOODED: 429,
    R.NOT_FOUND: 404,
    R.NOT_CANCELLABLE: 409,
    R.NOT_SUPPORTED: 501,
    R.UNAVAILABLE: 503,
}


INTERNAL_ERROR = ("internal_error", "the gateway failed to handle this request")


def error_body(code: str, message: str, field: str | None = None) -> bytes:
    """``{"error": {"code", "message", "field"}}``, the body of every refusal."""
    return _encode(ErrorBody(error=ErrorDetail(code=code, message=message, field=field)))


def refusal(exc: Rejected | ApiError) -> tuple[int, bytes, list[tuple[str, str]]]:
    """The answer to a refusal: (status, ``{"error": …}`` body, extra headers).

    One rendering for both HTTP servers (the error middleware of ``app.py`` and the
    fast lane of ``fastlane.py``).
    """
    if isinstance(exc, ApiError):
        return exc.status, error_body(exc.code, exc.message, exc.field), []
    headers = []
    if exc.retry_after_s is not None:
        headers.append(("Retry-After", str(max(1, math.ceil(exc.retry_after_s)))))
    body = error_body(exc.reason.value, exc.detail, exc.field)
    return HTTP_STATUS[exc.reason], body, headers
