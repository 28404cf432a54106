"""Mail → neutral submit request: recipient addresses, MIME bodies, the text rule.

Pure: bytes and strings in, ``SubmitRequest`` values out; every problem is a
``Rejected`` naming the part of the mail (``to``, ``body``, ``from``) for the
handler to render through ``statuses.py``. Knows nothing of aiosmtpd, the
store or the services.

The text rule (docs/email.md): the text is the mail's ``text/plain`` body
(RFC 2045-2049: transfer encoding undone, decoded with the part's charset,
UTF-8 when none is given; ``format=flowed`` lines joined, RFC 3676 §4.2),
without the signature that follows a ``-- `` line (RFC 3676 §4.3), with line
breaks kept and surrounding white space removed; when that is empty, the
subject (RFC 2047 encoded words decoded). A mail with neither is refused, and
so are HTML-only mail and attachments (they cannot be sent as an SMS). A reply
(a mail with ``In-Reply-To``, RFC 5322 §3.6.4) loses the quoted message it
answers: ``>`` lines and the "... wrote:" line before them.

A number address may carry an RFC 5233 subaddress, ``<number>+<sender>@<domain>``:
the SMS goes to the number from that sender id. Forwarded MO use it as their
Reply-To (``forward.py``), so that an answer comes from the number texted.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses

from heliograph.domain.addresses import normalize_msisdn, normalize_sender
from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitRequest

RECEIPTS_FORMAT = "email"  # the callback format receipts.py delivers
SMSC_ADDRESS = "smsc"
"""What ``classify`` answers for the SMS Center address (never a number: those start with +)."""

SENDER_HEADER = "X-Heliograph-Sender"
NOTIFY_HEADER = "Disposition-Notification-To"

_SIGNATURE_SEPARATORS = ("-- ", "--")
_QUOTE_HEADS = ("-----Original Message-----", "________________________________")
_PARSER = BytesParser(policy=policy.default)


def classify(address: str, *, domain: str, smsc_address: str) -> str | None:
    """``+<digits>`` for ``<number>@<domain>``, ``SMSC_ADDRESS`` for ``<smsc_address>@<any>``.

    None for an address at another domain (the gateway relays no mail). The
    SMS Center address is taken at any domain, so that clients written for the
    SMS Center (``send@send.smsc.ru``) only change the SMTP host.

    Raises: Rejected(INVALID_DESTINATION) for a local part that is no number.
    """
    local, at, host = address.rpartition("@")
    if not at or not local:
        raise Rejected(
            RejectReason.INVALID_DESTINATION, f"{address!r} is not <number>@{domain}", field="to"
        )
    if smsc_address and local.lower() == smsc_address.lower():
        return SMSC_ADDRESS
    if host.lower().rstrip(".") != domain.lower():
        return None
    number, sender = _split_local(local)
    if sender is not None:
        normalize_sender(sender, field="to")
    return normalize_msisdn(number, field="to")


def _split_local(local: str) -> tuple[str, str | None]:
    """``447911123456+12345`` → (``447911123456``, ``12345``); a leading ``+`` stays."""
    bare = local.strip('"')
    lead = "+" if bare.startswith("+") else ""
    number, plus, sender = bare.removeprefix("+").partition("+")
    return lead + number, sender if plus else None


def subaddress(address: str) -> str | None:
    """The sender id a number address names after ``+`` (``classify`` checked it), or None."""
    return _split_local(address.rpartition("@")[0])[1]


@dataclass(frozen=True, slots=True, kw_only=True)
class Mail:
    """What the gateway reads of a mail: decoded text parts and a few headers."""

    subject: str
    body: str | None  # the text/plain body; None when the mail has none
    html: str | None  # the text/html body, when there is one
    sender: str | None  # X-Heliograph-Sender
    message_id: str | None
    in_reply_to: str | None = None  # a reply: the quoted message is dropped
    notify: str | None  # Disposition-Notification-To (RFC 8098 §2.1)


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError, LookupError) as exc:  # malformed encoded words
        raise Rejected(RejectReason.INVALID_REQUEST, f"cannot read it: {exc}", field=name) from exc
    return None if value is None else " ".join(str(value).split())


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676 §4.2: a line ending in a space continues on the next one; unstuff."""
    out: list[str] = []
    joined = ""
    for line in text.split("\n"):
        line = line.removeprefix(" ")
        if line.endswith(" ") and line not in _SIGNATURE_SEPARATORS:
            joined += line[:-1] if delsp else line
            continue
        out.append(joined + line)
        joined = ""
    if joined:
        out.append(joined)
    return "\n".join(out)


def _text_of(part: Message, default_charset: str) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or default_charset
    try:
        text = raw.decode(codecs.lookup(charset).name)
    except UnicodeDecodeError:
        raise Rejected(
            RejectReason.INVALID_TEXT, f"the text is not valid {charset}", field="body"
        ) from None
    except (LookupError, ValueError):  # unknown, or not a text encoding (base64, rot13...)
        raise Rejected(
            RejectReason.INVALID_TEXT, f"unknown charset {charset!r}", field="body"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if str(part.get_param("format", "")).lower() == "flowed":
        text = _unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
    return text


def read_mail(content: bytes, *, default_charset: str = "utf-8") -> Mail:
    """Parse a mail (RFC 5322 + MIME). Raises: Rejected."""
    msg = _PARSER.parsebytes(content)
    assert isinstance(msg, EmailMessage)
    for part in msg.walk():
        if part.get_content_disposition() == "attachment":
            raise Rejected(
                RejectReason.NOT_SUPPORTED,
                "attachments are not supported: the mail must be text only",
                field="body",
            )
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    if plain is None and html is None:
        for part in msg.walk():
            if not part.is_multipart() and part.get_payload(decode=True):
                raise Rejected(
                    RejectReason.NOT_SUPPORTED,
                    f"a {part.get_content_type()} body is not supported: send text/plain",
                    field="body",
                )
    return Mail(
        subject=_header(msg, "Subject") or "",
        body=_text_of(plain, default_charset) if plain is not None else None,
        html=_text_of(html, default_charset) if html is not None else None,
        sender=_header(msg, SENDER_HEADER),
        message_id=_header(msg, "Message-ID"),
        notify=_header(msg, NOTIFY_HEADER),
        in_reply_to=_header(msg, "In-Reply-To"),
    )


def strip_signature(text: str) -> str:
    """Drop everything from the first signature separator line (``-- ``) on."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line in _SIGNATURE_SEPARATORS:
            return "\n".join(lines[:i])
    return text


_ATTRIBUTION_ENDS = ("wrote:", "writes:")


def _attribution(line: str) -> bool:
    return line.rstrip().endswith(_ATTRIBUTION_ENDS)


def strip_quote(text: str) -> str:
    """A reply without the message it quotes (the answer above it, or between quotes)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">") or line.strip() in _QUOTE_HEADS:
            j = i
            while j > 0 and not lines[j - 1].strip():
                j -= 1
            if j > 0 and _attribution(lines[j - 1]):
                j -= 1
                if j > 0 and lines[j].strip() in _ATTRIBUTION_ENDS:  # "On <date>, <name>" wrapped
                    j -= 1
            above = "\n".join(lines[:j]).strip()
            if above or line.strip() in _QUOTE_HEADS:
                return above
            kept = [x for x in lines if not x.lstrip().startswith(">") and not _attribution(x)]
            return "\n".join(kept)
    return text


def sms_text(mail: Mail) -> str:
    """The text rule of the module docstring. Raises: Rejected(INVALID_TEXT | NOT_SUPPORTED)."""
    if mail.body is None and mail.html is not None:
        raise Rejected(
            RejectReason.NOT_SUPPORTED,
            "HTML-only mail is not supported: send a text/plain part",
            field="body",
        )
    body = strip_signature(mail.body or "")
    if mail.in_reply_to:
        body = strip_quote(body)
    text = body.strip() or mail.subject.strip()
    if not text:
        raise Rejected(
            RejectReason.INVALID_TEXT, "no text: write it in the body or the subject", field="body"
        )
    return text


def notify_address(mail: Mail) -> str | None:
    """The address asking for receipts, if the mail asks. Raises: Rejected(INVALID_REQUEST)."""
    if not mail.notify:
        return None
    addresses = [a for _, a in getaddresses([mail.notify]) if a]
    if len(addresses) != 1 or "@" not in addresses[0] or not addresses[0].isprintable():
        raise Rejected(RejectReason.INVALID_REQUEST, "give one e-mail address", field=NOTIFY_HEADER)
    return addresses[0]


def number_request(
    mail: Mail,
    *,
    account_id: AccountId,
    to: tuple[str, ...],
    default_sender: str,
    receipts: bool,
    reply_sender: str | None = None,
) -> SubmitRequest:
    """The submit request for a mail to number addresses. Raises: Rejected.

    With ``receipts`` (a relay is configured), a mail asking for notifications
    gets its final statuses e-mailed back (``receipts.py``); without, the
    request is ignored, as RFC 8098 §2.1 lets a recipient do. The sender id is
    the ``X-Heliograph-Sender`` header's, else the recipients' subaddress
    (``reply_sender``), else ``default_sender``.
    """
    notify = notify_address(mail) if receipts else None
    return SubmitRequest(
        account_id=account_id,
        to=to,
        text=sms_text(mail),
        sender=mail.sender or reply_sender or default_sender or None,
        callback_url=f"mailto:{notify}" if notify else None,
        callback_format=RECEIPTS_FORMAT if notify else "json",
    )


def idempotency_key(mail: Mail, to: tuple[str, ...]) -> str | None:
    """The same mail (Message-ID) to the same numbers is sent once, however often it comes.

    A mail server that lost our 250 sends the mail again; it gets the first answer.
    """
    if not mail.message_id:
        return None
    seed = "\n".join([mail.message_id, *sorted(to)])
    return "smtp:" + hashlib.sha256(seed.encode()).hexdigest()[:40]
