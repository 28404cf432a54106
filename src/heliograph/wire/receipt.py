"""SMSC delivery receipts: SMPP 3.4 Appendix B text and the receipt TLVs ↔ ``Receipt``.

Appendix B suggests, and most SMSCs send, a short_message of the form::

    id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm
    stat:DDDDDDD err:E Text: ...

The format is vendor specific, so ``parse_receipt`` is tolerant: keys in any
case and order, ``submit_date`` for ``submit date``, missing ``sub``, ``dlvrd``,
``err`` or ``text``, ids in hex or decimal (kept verbatim; ``normalize_message_id``
makes them comparable with a submit_sm_resp message_id), and dates of 10
(YYMMDDhhmm), 12 (…ss) or 14 (YYYYMMDDhhmmss) digits. Only ``id`` and ``stat``
are required. ``format_receipt`` writes the Appendix B form with a lower-case
``text:`` key, as SMSCs commonly do. ``parse_receipt_pdu`` combines the text
with the receipted_message_id and message_state TLVs (§5.3.2.12, §5.3.2.35) of
a deliver_sm or data_sm. Dates are naive: receipts do not say their time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from heliograph.wire.errors import DecodeError
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import MESSAGE_TYPE_MASK, EsmClass, MessageState
from heliograph.wire.smpp.pdus import DataSm, DeliverSm

__all__ = [
    "STAT_BY_STATE",
    "Receipt",
    "format_receipt",
    "normalize_message_id",
    "parse_receipt",
    "parse_receipt_pdu",
]

STAT_BY_STATE: dict[MessageState, str] = {
    MessageState.ENROUTE: "ENROUTE",
    MessageState.DELIVERED: "DELIVRD",
    MessageState.EXPIRED: "EXPIRED",
    MessageState.DELETED: "DELETED",
    MessageState.UNDELIVERABLE: "UNDELIV",
    MessageState.ACCEPTED: "ACCEPTD",
    MessageState.UNKNOWN: "UNKNOWN",
    MessageState.REJECTED: "REJECTD",
}
"""Appendix B stat values (table B-2) for each message_state."""

_STATE_BY_STAT: dict[str, MessageState] = {
    **{stat: state for state, stat in STAT_BY_STATE.items()},
    # Spellings seen from SMSCs that write the state name in full.
    "DELIVERED": MessageState.DELIVERED,
    "UNDELIVERABLE": MessageState.UNDELIVERABLE,
    "ACCEPTED": MessageState.ACCEPTED,
    "REJECTED": MessageState.REJECTED,
}

_STATES = frozenset(MessageState)
_KEY = re.compile(
    r"(?:^|(?<=\s))(id|sub|dlvrd|submit[ _]date|done[ _]date|stat|err|text)\s*:",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """One delivery receipt, with Appendix B's field names."""

    id: str
    stat: str
    sub: int | None = None
    dlvrd: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    err: str | None = None
    text: str | None = None

    @property
    def message_state(self) -> MessageState | None:
        """The message_state (§5.2.28) ``stat`` stands for, or None if unrecognised."""
        return _STATE_BY_STAT.get(self.stat.upper())


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _date(value: str | None) -> datetime | None:
    if value is None or not value.isdigit() or len(value) not in (10, 12, 14):
        return None
    digits = value if len(value) == 14 else "20" + value.ljust(12, "0")
    try:
        return datetime(
            int(digits[0:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
        )
    except ValueError:
        return None


def parse_receipt(text: str | bytes) -> Receipt:
    """Parse Appendix B receipt text (bytes are read as Latin-1).

    Raises:
        DecodeError: the text has no ``id:`` or no ``stat:``; it is not a receipt.
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    values: dict[str, str] = {}
    matches = list(_KEY.finditer(text))
    for i, match in enumerate(matches):
        key = match.group(1).lower().replace(" ", "_")
        if key == "text":
            values.setdefault(key, text[match.end() :].lstrip(" "))
            break
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        values.setdefault(key, text[match.end() : end].strip(" \t\r\n\0"))
    if "id" not in values or "stat" not in values:
        raise DecodeError(f"not a delivery receipt: {text[:80]!r}")
    return Receipt(
        id=values["id"],
        stat=values["stat"].upper(),
        sub=_number(values.get("sub")),
        dlvrd=_number(values.get("dlvrd")),
        submit_date=_date(values.get("submit_date")),
        done_date=_date(values.get("done_date")),
        err=values.get("err"),
        text=values.get("text"),
    )


def _format_date(value: datetime, seconds: bool) -> str:
    return value.strftime("%y%m%d%H%M%S" if seconds else "%y%m%d%H%M")


def format_receipt(receipt: Receipt, *, seconds: bool = False) -> str:
    """Write ``receipt`` as Appendix B text; dates as YYMMDDhhmm, or YYMMDDhhmmss.

    Fields that are None are left out. ``text`` is written as given (Appendix B
    carries the first 20 characters of the message; cutting is the caller's call).
    """
    parts = [f"id:{receipt.id}"]
    if receipt.sub is not None:
        parts.append(f"sub:{receipt.sub:03d}")
    if receipt.dlvrd is not None:
        parts.append(f"dlvrd:{receipt.dlvrd:03d}")
    if receipt.submit_date is not None:
        parts.append(f"submit date:{_format_date(receipt.submit_date, seconds)}")
    if receipt.done_date is not None:
        parts.append(f"done date:{_format_date(receipt.done_date, seconds)}")
    parts.append(f"stat:{receipt.stat}")
    if receipt.err is not None:
        parts.append(f"err:{receipt.err}")
    if receipt.text is not None:
        parts.append(f"text:{receipt.text}")
    return " ".join(parts)


def parse_receipt_pdu(pdu: DeliverSm | DataSm) -> Receipt | None:
    """The receipt a deliver_sm or data_sm carries, or None if it is not a receipt.

    A PDU is a receipt when esm_class says so (§5.2.12, SMSC delivery receipt or
    intermediate notification) or it has a receipted_message_id TLV. The TLVs win
    over the text: their id is the SMSC message_id, their message_state the
    state. With TLVs and no parsable text, ``stat`` comes from message_state.
    """
    message_type = pdu.esm_class & MESSAGE_TYPE_MASK
    receipted = tlv.find(pdu.tlvs, tlv.ReceiptedMessageId)
    state = tlv.find(pdu.tlvs, tlv.MessageState)
    is_receipt_type = message_type in (
        EsmClass.SMSC_DELIVERY_RECEIPT,
        EsmClass.INTERMEDIATE_DELIVERY_NOTIFICATION,
    )
    if not is_receipt_type and receipted is None:
        return None
    payload = tlv.find(pdu.tlvs, tlv.MessagePayload)
    body = pdu.short_message if isinstance(pdu, DeliverSm) and pdu.short_message else b""
    if not body and payload is not None:
        body = payload.value
    try:
        parsed: Receipt | None = parse_receipt(body)
    except DecodeError:
        parsed = None
    stat = None
    if state is not None and state.value in _STATES:
        stat = STAT_BY_STATE.get(MessageState(state.value))
    if parsed is None:
        if receipted is None or stat is None:
            return None
        return Receipt(id=receipted.value, stat=stat)
    return Receipt(
        id=receipted.value if receipted is not None else parsed.id,
        stat=stat or parsed.stat,
        sub=parsed.sub,
        dlvrd=parsed.dlvrd,
        submit_date=parsed.submit_date,
        done_date=parsed.done_date,
        err=parsed.err,
        text=parsed.text,
    )


def normalize_message_id(message_id: str, *, base: int | None = None) -> str:
    """A canonical spelling of an SMSC message id, so a receipt's id matches the
    submit_sm_resp's.

    SMSCs may answer submit_sm with a hex id and report it in decimal in the
    receipt, or the reverse, with leading zeros and in either case (Kannel's
    ``msg-id-type``). With ``base`` 16 or 10 the id is read as a number in that
    base and returned in decimal without leading zeros; with ``base`` None, or
    when it does not parse, it is only trimmed and lower-cased. Normalise each
    side with the base that upstream uses for it.
    """
    raw = message_id.strip().lower()
    if base is not None:
        try:
            return str(int(raw, base))
        except ValueError:
            pass
    return raw
