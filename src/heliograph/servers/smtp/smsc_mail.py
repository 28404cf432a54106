"""The SMS Center's e-mail format (seeds 001 and 003; the SMS Center's SMTP reference).

A mail to ``send@…`` whose text is::

    <login>:<psw>:<id>:<time>,<tz>:<translit>,<format>,<sender>,<test>:<phones>:<mes>
    <login>:<psw>:<id>:<time>,<tz>:<translit>,<format>,<sender>,<test>::<list>

``mes`` runs to the end of the mail and may span lines; ``list`` is lines of
``phones:message``. An empty ``login`` makes ``psw`` an API key. Fields may be
empty (``id`` is then made up, ``time`` means now). The text is the
``text/plain`` part, in koi8-r when the part names no charset (the SMS
Center's default), or what stands between ``[text]`` and ``[/text]`` in any
part, for clients that cannot send plain text. A signature after ``-- `` is
dropped. The values mean what they mean in ``/sys/send.php`` and are read by
the same functions (``servers/http/dialects/smsc_params.py``), so a ``time``
with a colon (``DD.MM.YY hh:mm``) cannot be written here: use ``DDMMYYhhmm``.

Refused as "not supported", as the HTTP dialect refuses them: ``format``
other than 0 (flash, push, hlr, binary, ping, ...), ``test=1`` (virtual
sending), ``translit=2`` and groups (``G<n>``). Pure: ``now`` comes in.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass

from heliograph.domain.accounts import Account
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitRequest, count_text_parts
from heliograph.servers.http.dialects.smsc_handler import FORMAT
from heliograph.servers.http.dialects.smsc_params import (
    MAX_ID,
    SmscError,
    When,
    message_id,
    message_list,
    phone_list,
    send_time,
)
from heliograph.servers.smtp.translate import Mail, strip_signature
from heliograph.wire.gsm.gsm7 import DEFAULT as GSM7
from heliograph.wire.gsm.transliterate import transliterate

DEFAULT_CHARSET = "koi8-r"
LAYOUT = "login:psw:id:time,tz:translit,format,sender,test:phones:mes (or ::list)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SmscOrder:
    login: str
    psw: str
    reference: str
    when: When
    sender: str | None
    entries: list[tuple[list[str], str]]


def _rejected(exc: SmscError, field: str) -> Rejected:
    if exc.code == 5:
        return Rejected(RejectReason.INVALID_SCHEDULE, exc.detail, field=field)
    if "not supported" in exc.detail:
        return Rejected(RejectReason.NOT_SUPPORTED, exc.detail, field=field)
    return Rejected(RejectReason.INVALID_REQUEST, exc.detail, field=field)


def order_text(mail: Mail) -> str:
    """The text holding the order: ``[text]…[/text]`` of any part, else the plain body."""
    for text, markup in ((mail.body, False), (mail.html, True)):
        if text is None:
            continue
        start, end = text.find("[text]"), text.find("[/text]")
        if 0 <= start < end:
            inner = text[start + len("[text]") : end]
            return strip_signature(html.unescape(inner) if markup else inner).strip()
    if mail.body is None:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            "no text/plain part and no [text]...[/text] in the mail",
            field="body",
        )
    return strip_signature(mail.body).strip()


def _flag(value: str, name: str) -> int:
    value = value.strip()
    if not value:
        return 0
    if not value.isdigit():
        raise Rejected(RejectReason.INVALID_REQUEST, f"must be a number, not {value!r}", field=name)
    return int(value)


def _options(value: str) -> tuple[bool, str | None]:
    """(translit, sender) of ``translit,format,sender,test``."""
    translit, fmt, sender, test = (*value.split(",", 3), "", "", "")[:4]
    if (t := _flag(translit, "translit")) not in (0, 1):
        raise Rejected(
            RejectReason.NOT_SUPPORTED, f"translit={t} is not supported", field="translit"
        )
    if (f := _flag(fmt, "format")) != 0:
        raise Rejected(
            RejectReason.NOT_SUPPORTED,
            f"format={f} is not supported: only 0 (SMS)",
            field="format",
        )
    if _flag(test, "test"):
        raise Rejected(
            RejectReason.NOT_SUPPORTED, "test=1 (virtual sending) is not supported", field="test"
        )
    return t == 1, sender.strip() or None


def _entries(phones: str, rest: str) -> list[tuple[list[str], str]]:
    try:
        if phones.strip():
            return [(phone_list(phones), rest.strip())]
        return message_list(rest)
    except SmscError as exc:
        raise _rejected(exc, "phones" if phones.strip() else "list") from exc


def parse_order(text: str, now: float) -> SmscOrder:
    """Read an order. Raises: Rejected, before anything is sent, for any of its entries."""
    fields = text.split(":", 6)
    if len(fields) < 7:
        raise Rejected(RejectReason.INVALID_REQUEST, f"the format is {LAYOUT}", field="body")
    login, psw, mid, when, options, phones, rest = fields
    translit, sender = _options(options)
    time_value, _, tz = when.partition(",")
    try:
        reference = message_id(mid) or str(secrets.randbelow(MAX_ID) + 1)
    except SmscError as exc:
        raise _rejected(exc, "id") from exc
    try:
        at = send_time(time_value.strip(), tz.strip(), now)
    except SmscError as exc:
        raise _rejected(exc, "time") from exc
    entries = _entries(phones, rest)
    if translit:
        entries = [(to, transliterate(mes, GSM7.charset)) for to, mes in entries]
    for _, mes in entries:
        if not mes:
            raise Rejected(RejectReason.INVALID_TEXT, "the message is empty", field="mes")
        count_text_parts(mes, "auto", 255)
    return SmscOrder(
        login=login.strip(),
        psw=psw.strip(),
        reference=reference,
        when=at,
        sender=sender,
        entries=entries,
    )


def requests(order: SmscOrder, account: Account) -> list[SubmitRequest]:
    """One request per entry; statuses go to the account's handler in the SMS Center's form."""
    url = account.callback_url
    return [
        SubmitRequest(
            account_id=account.id,
            to=tuple(phones),
            text=text,
            sender=order.sender,
            reference=order.reference,
            schedule_at=order.when.at,
            delay_s=order.when.delay_s,
            callback_url=url,
            callback_format=FORMAT if url else "json",
        )
        for phones, text in order.entries
    ]
