"""SMS Center answers in its four formats (``fmt``): 0 text, 1 numbers, 2 XML, 3 JSON.

Errors (``/sys/send.php``): ``ERROR = N (description)``, ``0,-N``,
``<result><error>…</error><error_code>N</error_code></result>`` or
``{"error": …, "error_code": N}``; errors 3, 6, 7 and 8 name the message id
too (``, ID - <id>``, ``<id>,-N``, ``<id>``, ``"id"``). The descriptions are the
SMS Center's own short English texts; for errors 1 and 5 the text is followed
by what exactly was wrong (``parameters error: flash is not supported``).

Money (``cost``, ``balance``) is written as the SMS Center writes it: a decimal
point and at least two decimals (``250.80``), in the account's currency.
``send.php`` with ``cost=1`` answers the cost and the SMS count only; with
``cost=2`` the send answer gains the cost, with ``cost=3`` the cost and the
balance after the send. ``balance.php`` answers the balance, and with
``cur=1`` the currency too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from heliograph.servers.http.dialects.smsc_params import CHARSETS, MOSCOW

SEND_ERRORS = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    4: "IP is temporarily blocked",
    5: "invalid date format",
    6: "message is denied",
    7: "invalid number",
    8: "can't deliver",
    9: "duplicate request, wait a minute",
}
STATUS_ERRORS = {**SEND_ERRORS, 5: "error deleting message", 9: "too many requests"}
BALANCE_ERRORS = {**SEND_ERRORS, 9: "too many requests"}
_WITH_ID = frozenset({3, 6, 7, 8})
_WITH_DETAIL = frozenset({1, 5})


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    content_type: str
    charset: str | None
    status: int = 200


@dataclass(frozen=True, slots=True)
class StatusEntry:
    status: int
    last_timestamp: int | None
    err: int
    id: str
    phone: str


def _id_value(message_id: str) -> int | str:
    return int(message_id) if message_id.isdigit() else message_id


def _answer(fmt: int, text: str, charset: str) -> Answer:
    if fmt == 3:
        codec = "utf-8" if charset == "koi8-r" else CHARSETS[charset]
        return Answer(text.encode(codec, "replace"), "application/json", codec)
    if fmt == 2:
        return Answer(text.encode("utf-8"), "text/xml", "utf-8")
    return Answer(text.encode(CHARSETS[charset], "replace"), "text/plain", charset)


def describe(code: int, detail: str, texts: dict[int, str]) -> str:
    text = texts.get(code, SEND_ERRORS[1])
    return f"{text}: {detail}" if detail and code in _WITH_DETAIL else text


def error(
    fmt: int,
    code: int,
    detail: str = "",
    message_id: str | None = None,
    *,
    charset: str = "windows-1251",
    texts: dict[int, str] = SEND_ERRORS,
) -> Answer:
    text = describe(code, detail, texts)
    mid = message_id if code in _WITH_ID else None
    if fmt == 1:
        return _answer(fmt, f"{mid or 0},-{code}", charset)
    if fmt == 2:
        xml = f"<result>\n<error>{escape(text)}</error>\n<error_code>{code}</error_code>\n"
        xml += f"<id>{escape(mid)}</id>\n</result>" if mid else "</result>"
        return _answer(fmt, xml, charset)
    if fmt == 3:
        obj: dict[str, object] = {"error": text, "error_code": code}
        if mid:
            obj["id"] = _id_value(mid)
        return _answer(fmt, json.dumps(obj, ensure_ascii=False), charset)
    return _answer(fmt, f"ERROR = {code} ({text})" + (f", ID - {mid}" if mid else ""), charset)


def money(micros: int) -> str:
    """Micro-units as the SMS Center writes amounts: at least two decimals (``250.80``)."""
    amount = (Decimal(micros) / 1_000_000).normalize()
    if -amount.as_tuple().exponent < 2:  # type: ignore[operator]
        amount = amount.quantize(Decimal("0.01"))
    return f"{amount:f}"


def sent(
    fmt: int,
    message_id: str,
    count: int,
    *,
    charset: str,
    cost: str | None = None,
    balance: str | None = None,
) -> Answer:
    """The send answer; ``cost`` (``cost=2``) and ``balance`` too (``cost=3``) when given."""
    extra = {k: v for k, v in (("cost", cost), ("balance", balance)) if v is not None}
    if fmt == 1:
        return _answer(fmt, ",".join([message_id, str(count), *extra.values()]), charset)
    if fmt == 2:
        fields = "".join(f"<{k}>{escape(v)}</{k}>\n" for k, v in extra.items())
        xml = f"<result>\n<cnt>{count}</cnt>\n{fields}<id>{escape(message_id)}</id>\n</result>"
        return _answer(fmt, xml, charset)
    if fmt == 3:
        obj: dict[str, object] = {"id": _id_value(message_id), "cnt": count, **extra}
        return _answer(fmt, json.dumps(obj), charset)
    text = f"OK - {count} SMS, ID - {message_id}"
    text += "".join(f", {k.upper()} - {v}" for k, v in extra.items())
    return _answer(fmt, text, charset)


def costed(fmt: int, cost: str, count: int, *, charset: str) -> Answer:
    """``cost=1``: what the request would cost, and in how many SMS; nothing was sent."""
    if fmt == 1:
        return _answer(fmt, f"{cost},{count}", charset)
    if fmt == 2:
        xml = f"<result>\n<cost>{escape(cost)}</cost>\n<cnt>{count}</cnt>\n</result>"
        return _answer(fmt, xml, charset)
    if fmt == 3:
        return _answer(fmt, json.dumps({"cost": cost, "cnt": count}), charset)
    return _answer(fmt, f"{cost} ({count} SMS)", charset)


def balance(fmt: int, amount: str, currency: str | None, *, charset: str) -> Answer:
    """``balance.php``: the balance, with ``currency`` when the request asked ``cur=1``."""
    if fmt == 2:
        if currency is None:
            return _answer(fmt, f"<balance>{escape(amount)}</balance>", charset)
        xml = (
            f"<result>\n<balance>{escape(amount)}</balance>\n"
            f"<currency>{escape(currency)}</currency>\n</result>"
        )
        return _answer(fmt, xml, charset)
    if fmt == 3:
        obj = {"balance": amount} if currency is None else {"balance": amount, "currency": currency}
        return _answer(fmt, json.dumps(obj), charset)
    return _answer(fmt, amount if currency is None else f"{amount},{currency}", charset)


def last_date(timestamp: int | None) -> str:
    """dd.mm.yyyy hh:mm:ss in Moscow time, as the SMS Center writes dates."""
    if timestamp is None:
        return ""
    return (datetime.fromtimestamp(timestamp, UTC) + MOSCOW).strftime("%d.%m.%Y %H:%M:%S")


def _status_object(e: StatusEntry, multiple: bool) -> dict[str, object]:
    obj: dict[str, object] = {
        "status": e.status,
        "last_date": last_date(e.last_timestamp),
        "last_timestamp": e.last_timestamp or 0,
        "flag": 0,
        "err": e.err,
    }
    if multiple:
        obj.update(id=_id_value(e.id), phone=e.phone)
    return obj


def statuses(fmt: int, entries: list[StatusEntry], *, multiple: bool, charset: str) -> Answer:
    """One status, or (``multiple``) one per line / element, with its id and phone."""
    objects = [_status_object(e, multiple) for e in entries]
    if fmt == 3:
        value: object = objects if multiple else objects[0]
        return _answer(fmt, json.dumps(value, ensure_ascii=False), charset)
    if fmt == 2:
        items = [
            "<sms>\n" + "".join(f"<{k}>{escape(str(v))}</{k}>\n" for k, v in o.items()) + "</sms>"
            for o in objects
        ]
        xml = "<result>\n" + "\n".join(items) + "\n</result>" if multiple else items[0]
        return _answer(fmt, xml, charset)
    lines = []
    for o in objects:
        if fmt == 1:
            values = [o["status"], o["last_timestamp"], o["err"]]
            if multiple:
                values += [o["id"], o["phone"]]
            lines.append(",".join(str(v) for v in values))
        else:
            line = f"Status = {o['status']}, check_time = {o['last_date']}, err = {o['err']}"
            if multiple:
                line += f", id = {o['id']}, phone = {o['phone']}"
            lines.append(line)
    return _answer(fmt, "\n".join(lines), charset)
