"""RejectReason → SMTP reply: the SMTP edge's one total table (RFC 5321 §4.2, RFC 3463).

Every refusal of the domain reaches a mail client as a reply code with an
enhanced status code through ``SMTP_REPLY``, as ``servers/http/statuses.py``
does for HTTP; ``tests/qa/test_smtp_tables.py`` checks that it covers every
reason. Reasons a client can fix by waiting (throttling, flood protection,
credit, the gateway being unavailable) are 4xx, so that a mail server queues
the message and tries again; route-not-found is ``550 5.1.1`` as STYLE §4 asks;
too many recipients is ``452 4.5.3`` (RFC 5321 §4.5.3.1.10: the client sends
the rest in another transaction).

Replies of the SMTP edge itself, which no domain reason stands for (AUTH
required, relaying denied, a send@ mail mixed with numbers), are the constants
below. Reply texts are ASCII on one line (``sanitize``): aiosmtpd writes them
as they are.
"""

from __future__ import annotations

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan
from heliograph.store.base import IdempotentAnswer

R = RejectReason

SMTP_REPLY: dict[RejectReason, tuple[int, str]] = {
    R.UNKNOWN_ACCOUNT: (535, "5.7.8"),  # RFC 4954 §6: authentication credentials invalid
    R.BAD_CREDENTIALS: (535, "5.7.8"),
    R.ACCOUNT_DISABLED: (535, "5.7.8"),
    R.INVALID_REQUEST: (554, "5.6.0"),  # RFC 3463 §3.7: other or undefined media error
    R.INVALID_DESTINATION: (550, "5.1.1"),  # bad destination mailbox address
    R.INVALID_SENDER: (550, "5.1.7"),  # bad sender's mailbox address syntax
    R.SENDER_NOT_ALLOWED: (550, "5.7.1"),  # delivery not authorized
    R.INVALID_TEXT: (554, "5.6.0"),
    R.MESSAGE_TOO_LONG: (552, "5.3.4"),  # message too big for system
    R.TOO_MANY_RECIPIENTS: (452, "4.5.3"),  # too many recipients
    R.INVALID_SCHEDULE: (554, "5.6.0"),
    R.INVALID_VALIDITY: (554, "5.6.0"),
    R.OPTED_OUT: (550, "5.2.1"),  # mailbox disabled, not accepting messages
    R.NO_ROUTE: (550, "5.1.1"),
    R.INSUFFICIENT_CREDIT: (452, "4.7.1"),  # temporary: succeeds after a top-up
    R.THROTTLED: (451, "4.7.0"),
    R.DUPLICATE: (554, "5.7.1"),
    R.FLOODED: (451, "4.7.0"),
    R.NOT_FOUND: (550, "5.1.1"),
    R.NOT_CANCELLABLE: (554, "5.5.1"),
    R.NOT_SUPPORTED: (554, "5.6.1"),  # media not supported
    R.UNAVAILABLE: (451, "4.3.0"),  # other or undefined mail system status
}
"""Every RejectReason → (reply code, enhanced status code)."""

AUTH_OK = "235 2.7.0 Authentication successful"
AUTH_REQUIRED = "530 5.7.0 Authentication required: AUTH PLAIN or LOGIN with the account's"
AUTH_REQUIRED += " username and password"
RELAY_DENIED = "550 5.7.1 Relaying denied: this gateway takes mail for <number>@{domain}"
NOT_ALONE = "503 5.5.1 Bad sequence: mail to {address} goes alone, not with number recipients"
INTERNAL_ERROR = "451 4.3.0 The gateway failed to handle this mail; try again later"

_MAX_TEXT = 400  # RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets


def sanitize(text: str) -> str:
    """One line of printable ASCII, cut to fit in a reply line."""
    flat = " ".join(text.split())
    cleaned = "".join(c if " " <= c <= "~" else "?" for c in flat)
    return cleaned if len(cleaned) <= _MAX_TEXT else cleaned[: _MAX_TEXT - 3] + "..."


def _why(exc: Rejected) -> str:
    return f"{exc.field}: {exc.detail}" if exc.field else exc.detail


def reply(exc: Rejected) -> str:
    """The reply for a refusal: ``550 5.1.1 to: '+12' is not an E.164 number ...``."""
    code, enhanced = SMTP_REPLY[exc.reason]
    return f"{code} {enhanced} {sanitize(_why(exc))}"


def accepted(plans: list[RecipientPlan]) -> IdempotentAnswer:
    """The DATA reply for a submission: 250 when any recipient was accepted.

    One recipient: ``250 2.0.0 Accepted as message <id> (<n> SMS)``. Several:
    a multi-line 250 with one line per recipient, refused ones with their own
    enhanced code and reason, because a DATA reply cannot refuse some
    recipients and accept others. None accepted: the first refusal's reply.
    """
    sent = [p.message for p in plans if p.message is not None]
    if not sent:
        error = next(p.error for p in plans if p.error is not None)
        code = SMTP_REPLY[error.reason][0]
        return IdempotentAnswer(status=code, body=reply(error).encode())
    if len(plans) == 1:
        text = f"250 2.0.0 Accepted as message {sent[0].id} ({sent[0].parts} SMS)"
        return IdempotentAnswer(status=250, body=text.encode())
    parts = sum(m.parts for m in sent)
    lines = [f"2.0.0 Accepted {len(sent)} of {len(plans)} recipients ({parts} SMS)"]
    for plan in plans:
        if plan.message is not None:
            lines.append(f"2.0.0 {plan.message.to} accepted as message {plan.message.id}")
        elif plan.error is not None:
            enhanced = SMTP_REPLY[plan.error.reason][1]
            lines.append(f"{enhanced} {sanitize(plan.to)} refused: {sanitize(_why(plan.error))}")
    body = "\r\n".join(
        f"250{' ' if i == len(lines) - 1 else '-'}{line}" for i, line in enumerate(lines)
    )
    return IdempotentAnswer(status=250, body=body.encode())
