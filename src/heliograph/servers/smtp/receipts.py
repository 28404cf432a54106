"""Receipts as e-mail: the deliverer of the ``"email"`` callback format.

A mail sent to numbers that asks for notifications (``Disposition-Notification-To``,
RFC 8098 §2.1) gets its messages a callback URL ``mailto:<that address>`` in
the ``"email"`` format, when a relay is configured. The callback service
hands their status events here (a delivery target, like the SMPP server's
``"smpp"``), and each final status (delivered, undeliverable, expired,
rejected, failed, cancelled) goes out as a short plain-text mail through the
relay; the steps before it (sending, sent) are skipped. A relay that cannot
take the mail answers an error text, and the callback service retries with
its backoff, as for any callback.

The mail is marked ``Auto-Submitted: auto-generated`` (RFC 3834 §5) so that
no mail system answers it. smtplib blocks, so it runs in a worker thread,
with a timeout on every network operation.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from heliograph.servers.smtp.translate import RECEIPTS_FORMAT
from heliograph.store.base import CallbackJob

FORMAT = RECEIPTS_FORMAT
FINAL = frozenset({"delivered", "undeliverable", "expired", "rejected", "failed", "cancelled"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Relay:
    """The mail server receipts are handed to (the gateway relays nothing itself)."""

    host: str
    port: int = 25
    sender: str = "heliograph@sms.localhost"  # From of the receipts
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout_s: float = 30.0


def receipt_mail(job: CallbackJob, sender: str) -> EmailMessage | None:
    """The mail for a status event, or None for a step that is not final."""
    event = json.loads(job.body)
    status = str(event.get("status"))
    if status not in FINAL:
        return None
    at = datetime.fromtimestamp(float(event["at"]), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        f"Message {event['id']} to {event['to']}: {status} at {at}.",
        "",
        f"From:      {event.get('from') or '(the default sender)'}",
        f"Parts:     {event.get('parts')}",
    ]
    if event.get("reference"):
        lines.append(f"Reference: {event['reference']}")
    if event.get("error"):
        lines.append(f"Error:     {event['error']}")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = job.url.removeprefix("mailto:")
    msg["Subject"] = f"SMS to {event['to']}: {status}"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Heliograph-Message-Id"] = str(event["id"])
    msg.set_content("\n".join(lines) + "\n")
    return msg


class MailDeliverer:
    """A callback target: ``await deliverer(job)`` is None when done, else why not."""

    def __init__(self, relay: Relay) -> None:
        self._relay = relay

    async def __call__(self, job: CallbackJob) -> str | None:
        try:
            msg = receipt_mail(job, self._relay.sender)
        except (ValueError, KeyError, TypeError) as exc:
            return f"not a status event: {exc!r}"
        if msg is None:
            return None
        try:
            await asyncio.to_thread(self._send, msg)
        except (smtplib.SMTPException, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        return None

    def _send(self, msg: EmailMessage) -> None:
        r = self._relay
        with smtplib.SMTP(r.host, r.port, timeout=r.timeout_s) as client:
            if r.starttls:
                client.starttls(context=ssl.create_default_context())
            if r.username:
                client.login(r.username, r.password)
            client.send_message(msg)
