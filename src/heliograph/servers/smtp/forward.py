"""Replies (MO) forwarded as e-mail, and the address a mail answer to them comes back on.

An MO route with the ``email`` method queues the ``message.received`` event
for ``mailto:<the account's address>`` (domain.inbound); ``mo_mail`` renders it
as a plain-text mail: the subject names the subscriber and the number texted,
the body is the text. Its ``Reply-To`` is a number address of the gateway's
own SMTP listener, ``<subscriber>+<number texted>@<domain>``: the local part
is the number the answer goes to, and the RFC 5233 subaddress after ``+`` the
SMS sender, so that the subscriber sees the answer come from the number they
texted. ``translate.classify`` and ``translate.subaddress`` read it back.

The mail is marked ``Auto-Submitted: auto-generated`` (RFC 3834 §5), so that
vacation responders do not answer it (and text the subscriber). Pure: a
callback job in, an ``EmailMessage`` out.
"""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from email.utils import formatdate

from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.rejections import Rejected
from heliograph.store.base import CallbackJob

_SUBADDRESS = re.compile(r"[A-Za-z0-9]{1,16}")


def reply_address(sender: str, to: str, domain: str) -> str | None:
    """``+447911123456``, ``12345`` → ``447911123456+12345@<domain>``.

    None when the subscriber's address is not a number (an alphanumeric sender
    cannot be answered); without the subaddress when the number texted cannot
    be one (the account's default sender then answers).
    """
    try:
        number = normalize_msisdn(sender, field="from").removeprefix("+")
    except Rejected:
        return None
    via = to.strip().removeprefix("+")
    if _SUBADDRESS.fullmatch(via):
        return f"{number}+{via}@{domain}"
    return f"{number}@{domain}"


def mo_mail(job: CallbackJob, sender: str, domain: str) -> EmailMessage:
    """The mail for a ``message.received`` event. Raises: ValueError, KeyError, TypeError."""
    event = json.loads(job.body)
    mo_id, origin, to = str(event["id"]), str(event["from"]), str(event["to"])
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = job.url.removeprefix("mailto:")
    msg["Subject"] = f"SMS from {origin} to {to}"
    reply = reply_address(origin, to, domain) if domain else None
    if reply is not None:
        msg["Reply-To"] = reply
    msg["Date"] = formatdate(float(event["received_at"]), usegmt=True)
    msg["Message-ID"] = f"<{mo_id}.mo@{domain or sender.rpartition('@')[2]}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Heliograph-Message-Id"] = mo_id
    text = str(event["text"])
    if event.get("incomplete"):
        text += "\n\n(Not every part of this message arrived.)"
    msg.set_content(text + "\n")
    return msg
