"""Receipts and replies as e-mail: the deliverer of the ``"email"`` callback format.

Outbox events whose URL is ``mailto:<address>`` come here (a delivery target,
like the SMPP server's ``"smpp"``) when a relay is configured:

* status events of messages whose callback URL is a ``mailto:`` one: a mail
  to numbers that asked for notifications (``Disposition-Notification-To``,
  RFC 8098 §2.1), or an account whose receipts go by e-mail
  (``email_receipts``: ``only``, or ``also`` through a copy of each event,
  services/callbacks.py). Each final status (delivered, undeliverable,
  expired, rejected, failed, cancelled) goes out as a short plain-text mail;
  the steps before it (sending, sent) are skipped;
* ``message.received`` events of MO routes with the ``email`` method,
  rendered by ``forward.mo_mail`` (with a Reply-To that brings an answer back
  as SMS).

A relay that cannot take the mail now (it cannot be reached, a 4xx reply, a
failed login) answers an error text, and the callback service retries with its
backoff, as for any callback; a 5xx reply to the mail itself (MAIL, RCPT,
DATA: RFC 5321 §4.2.1, a permanent failure) is ``Refused`` and not tried again.

The mails are marked ``Auto-Submitted: auto-generated`` (RFC 3834 §5) so that
no mail system answers them. smtplib blocks, so it runs in a worker thread,
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

from heliograph.servers.smtp.forward import mo_mail
from heliograph.servers.smtp.translate import RECEIPTS_FORMAT
from heliograph.services.callbacks import Refused
from heliograph.store.base import CallbackJob

FORMAT = RECEIPTS_FORMAT
MO_EVENT = "message.received"
FINAL = frozenset({"delivered", "undeliverable", "expired", "rejected", "failed", "cancelled"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Relay:
    """The mail server receipts are handed to (the gateway relays nothing itself)."""

    host: str
    port: int = 25
    sender: str = "heliograph@sms.localhost"  # From of the receipts
    domain: str = "sms.localhost"  # the listener's, for the Reply-To of forwarded MO; "": none
    starttls: bool = False
    tls: bool = False  # TLS from the first byte (RFC 8314, port 465)
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
    msg["Subject"] = f"SMS to {event['to']}: {status} ({event['id']})"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Heliograph-Message-Id"] = str(event["id"])
    msg.set_content("\n".join(lines) + "\n")
    return msg


class MailDeliverer:
    """A callback target: ``await deliverer(job)`` is None when done, else why not."""

    def __init__(self, relay: Relay) -> None:
        self._relay = relay

    async def __call__(self, job: CallbackJob) -> str | Refused | None:
        r = self._relay
        try:
            if json.loads(job.body).get("event") == MO_EVENT:
                msg: EmailMessage | None = mo_mail(job, r.sender, r.domain)
            else:
                msg = receipt_mail(job, r.sender)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return Refused(f"not a status or MO event: {exc!r}")
        if msg is None:
            return None
        try:
            await asyncio.to_thread(self._send, msg)
        except (smtplib.SMTPException, OSError) as exc:
            return _failure(exc)
        return None

    def _send(self, msg: EmailMessage) -> None:
        r = self._relay
        context = ssl.create_default_context()
        client = (
            smtplib.SMTP_SSL(r.host, r.port, timeout=r.timeout_s, context=context)
            if r.tls
            else smtplib.SMTP(r.host, r.port, timeout=r.timeout_s)
        )
        with client:
            if r.starttls and not r.tls:
                client.starttls(context=context)
            if r.username:
                client.login(r.username, r.password)
            client.send_message(msg)


def _failure(exc: smtplib.SMTPException | OSError) -> str | Refused:
    """A 5xx reply to the mail itself is final (RFC 5321 §4.2.1); anything else may pass."""
    text = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return Refused(text) if codes and all(c >= 500 for c in codes) else text
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return Refused(text) if exc.smtp_code >= 500 else text
    return text  # no connection, a refused greeting or login: the relay's problem, not the mail's
