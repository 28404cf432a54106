"""RejectReason → (HTTP status, stable error code): the HTTP edge's one total table.

The error code is the reason's value; clients switch on it, so it never
changes meaning. ``tests/qa/test_tables.py`` checks that every reason is here.
"""

from __future__ import annotations

from heliograph.domain.rejections import RejectReason

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
