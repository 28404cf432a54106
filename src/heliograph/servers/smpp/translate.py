"""SMPP PDUs from client applications ↔ the neutral submit request, views and status events.

Inbound, submit_sm, data_sm and submit_multi become one ``SubmitRequest``
(SMPP 3.4 §4.4, §4.7, §4.5). Text is read per the SMS Center document's
data_coding values: 0 GSM 7-bit, one unpacked septet per octet (Latin-1 on a
bind whose system_type is ``ISO``), 1 IA5/ASCII, 3 Latin-1, 4 Latin-1 (the
document's "coding 1 × 4"), 8 UCS-2. 8-bit binary data (§5.2.19: 0x02, 0x04
behind a client's UDH, and every TS 23.038 §4 byte that reads as 8-bit data
with a class, such as 0x14-0x17 and 0xF4-0xF7) becomes ``Binary`` content,
carried as the REST API's binary messages are, with the data_coding byte
kept; other codings are refused with
ESME_RINVDCS. A client-segmented part (UDHI, or the sar_* TLVs
of §5.3.2.22-24, which are turned into the equivalent concatenation UDH) is
kept as the client's one part behind the client's UDH. Times follow §7.1
(absolute ``YYMMDDhhmmsstnn±`` or relative ``…R``).

Outbound, a status event from the callback outbox becomes a deliver_sm
receipt (esm_class 0x04, or 0x20 for an intermediate notification) with the
Appendix B text and the receipted_message_id and message_state TLVs
(§5.3.2.12, §5.3.2.35), when the submit's registered_delivery asked for it;
an MO event becomes a plain deliver_sm. What this module cannot accept it
raises as ``SmppRefusal`` with the command_status to answer; domain refusals
come from the submit service as ``Rejected``. No sockets, no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from heliograph.domain.content import Binary
from heliograph.domain.ids import AccountId
from heliograph.domain.messages import FINAL_STATES, MessageState, MessageView
from heliograph.domain.submission import SubmitRequest
from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.gsm.dcs import Alphabet, decode_dcs
from heliograph.wire.gsm.gsm7 import DEFAULT, decode_gsm7, header_septets
from heliograph.wire.gsm.udh import concatenation_ie, encode_udh, split_user_data
from heliograph.wire.receipt import STAT_BY_STATE, format_receipt
from heliograph.wire.receipt import Receipt as ReceiptText
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import CommandStatus, EsmClass, Npi, Ton
from heliograph.wire.smpp.constants import MessageState as SmppState
from heliograph.wire.smpp.pdus import (
    CancelSm,
    DataSm,
    DeliverSm,
    DistributionList,
    QuerySmResp,
    ReplaceSm,
    SmeAddress,
    SubmitMulti,
    SubmitSm,
)

__all__ = [
    "CALLBACK_FORMAT",
    "SmppRefusal",
    "callback_url",
    "cancel_addresses",
    "deliver_sm_for_event",
    "destinations",
    "format_smpp_time",
    "parse_smpp_time",
    "query_sm_resp",
    "replace_request",
    "source_of",
    "submit_request",
]

S = CommandStatus
CALLBACK_FORMAT = "smpp"
"""The callback outbox format of events for SMPP client binds."""

_URL_PREFIX = "smpp:registered_delivery="
_UDHI = int(EsmClass.UDHI)  # a plain int: IntFlag's & costs more than the rest of the check


class SmppRefusal(Exception):
    """A PDU the SMPP edge refuses before it reaches the services."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


# --- time (§7.1) ------------------------------------------------------------------------


def parse_smpp_time(value: str, now: float, status: int) -> float | None:
    """Epoch seconds of an SMPP absolute or relative time; None when empty.

    Raises: SmppRefusal(status) for anything that is not a §7.1 time.
    """
    if not value:
        return None
    if len(value) != 16 or not value[:15].isdigit() or value[15] not in "+-R":
        raise SmppRefusal(status, f"{value!r} is not an SMPP time (YYMMDDhhmmsstnnp, §7.1)")
    yy, mo, dd, hh, mi, ss = (int(value[i : i + 2]) for i in range(0, 12, 2))
    tenths, quarters, sign = int(value[12]), int(value[13:15]), value[15]
    if sign == "R":
        days = yy * 365 + mo * 30 + dd
        return now + days * 86400 + hh * 3600 + mi * 60 + ss
    try:
        local = datetime(2000 + yy, mo, dd, hh, mi, ss, tenths * 100_000, tzinfo=UTC)
    except ValueError:
        raise SmppRefusal(status, f"{value!r} is not a valid date") from None
    if quarters > 48:
        raise SmppRefusal(status, f"{value!r}: UTC offset over 12 hours")
    offset = timedelta(minutes=15 * quarters)
    return (local - offset if sign == "+" else local + offset).timestamp()


def format_smpp_time(epoch: float) -> str:
    """An SMPP absolute time in UTC (§7.1.1): YYMMDDhhmmss000+."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%y%m%d%H%M%S") + "000+"


# --- submit ---------------------------------------------------------------------------


def _user_data(pdu: SubmitSm | DataSm | SubmitMulti) -> bytes:
    body = pdu.short_message if not isinstance(pdu, DataSm) else b""
    if not pdu.tlvs:
        return body
    payload = tlv.find(pdu.tlvs, tlv.MessagePayload)
    if payload is not None:
        if body:
            raise SmppRefusal(
                S.ESME_ROPTPARNOTALLWD, "short_message and message_payload both carry data"
            )
        body = payload.value
    return body


def _sar_udh(pdu: SubmitSm | DataSm | SubmitMulti) -> bytes | None:
    if not pdu.tlvs:
        return None
    ref = tlv.find(pdu.tlvs, tlv.SarMsgRefNum)
    total = tlv.find(pdu.tlvs, tlv.SarTotalSegments)
    seq = tlv.find(pdu.tlvs, tlv.SarSegmentSeqnum)
    if ref is None and total is None and seq is None:
        return None
    if ref is None or total is None or seq is None:
        raise SmppRefusal(S.ESME_RMISSINGOPTPARAM, "sar_* TLVs come as a set of three")
    try:
        return encode_udh(
            concatenation_ie(ref.value, total.value, seq.value, ref16=ref.value > 255)
        )
    except EncodeError as exc:
        raise SmppRefusal(S.ESME_RINVOPTPARAMVAL, f"sar_* TLVs: {exc}") from None


def _decode(data: bytes, data_coding: int, iso: bool) -> tuple[str, str]:
    """(text, encoding) for the data_coding values this edge reads (module docstring)."""
    try:
        if data_coding == 0 and not iso:
            return decode_gsm7(data), "gsm7"
        if data_coding in (0, 3, 4):
            return data.decode("latin-1"), "latin1"
        if data_coding == 1:
            return data.decode("ascii"), "auto"
        if data_coding == 8:
            if len(data) % 2:
                raise DecodeError("UCS-2 data of an odd length")
            return data.decode("utf-16-be"), "ucs2"
    except (DecodeError, UnicodeDecodeError) as exc:
        hint = " (bind with system_type ISO to send Latin-1)" if data_coding == 0 else ""
        raise SmppRefusal(S.ESME_RINVDCS, f"data_coding {data_coding}: {exc}{hint}") from None
    raise SmppRefusal(
        S.ESME_RINVDCS,
        f"data_coding 0x{data_coding:02x} is not supported (use 0, 1, 3, 8 or 8-bit data)",
    )


def _fits_one_part(udh: bytes, body: bytes, encoding: str) -> bool:
    if encoding == "gsm7":
        return header_septets(len(udh)) + len(body) <= 160
    return len(udh) + len(body) <= 140


def is_binary(pdu: SubmitSm | DataSm | SubmitMulti) -> bool:
    """Whether the user data is 8-bit data (SMPP 3.4 §5.2.19, TS 23.038 §4).

    data_coding 4 is the SMS Center document's "coding 1" (Latin-1 text or binary
    data): it is text unless the client put a UDH in front (UDHI or sar_* TLVs).
    """
    if pdu.data_coding == 4:
        return bool(pdu.esm_class & _UDHI) or _sar_udh(pdu) is not None
    return pdu.data_coding in _BINARY_CODINGS


_BINARY_CODINGS = frozenset(
    c for c in range(256) if c != 4 and decode_dcs(c).alphabet is Alphabet.BINARY
)


def _binary(pdu: SubmitSm | DataSm | SubmitMulti) -> Binary:
    """8-bit user data as the client sent it: behind its own UDH (UDHI or sar_*) as one
    part, else split by the gateway with concatenation UDHs. Raises: SmppRefusal."""
    data = _user_data(pdu)
    udh: bytes | None = None
    if pdu.esm_class & _UDHI:
        try:
            header, data = split_user_data(data)
        except DecodeError as exc:
            raise SmppRefusal(S.ESME_RINVESMCLASS, f"UDHI set but the UDH is bad: {exc}") from None
        udh = header.raw
    sar = _sar_udh(pdu)
    if sar is not None:
        if udh is not None:
            raise SmppRefusal(S.ESME_RINVESMCLASS, "both a UDH and sar_* TLVs")
        udh = sar
    if not data:
        raise SmppRefusal(S.ESME_RINVMSGLEN, "8-bit data without any octets")
    if udh is not None and len(udh) + len(data) > 140:
        raise SmppRefusal(S.ESME_RINVMSGLEN, "a segment with its UDH exceeds 140 octets")
    return Binary(payload=data, udh=udh, data_coding=pdu.data_coding)


def _text(pdu: SubmitSm | DataSm | SubmitMulti, iso: bool) -> tuple[str, str, bytes | None]:
    data = _user_data(pdu)
    udh: bytes | None = None
    if pdu.esm_class & _UDHI:
        try:
            header, data = split_user_data(data)
        except DecodeError as exc:
            raise SmppRefusal(S.ESME_RINVESMCLASS, f"UDHI set but the UDH is bad: {exc}") from None
        udh = header.raw
    sar = _sar_udh(pdu)
    if sar is not None:
        if udh is not None:
            raise SmppRefusal(S.ESME_RINVESMCLASS, "both a UDH and sar_* TLVs")
        udh = sar
    text, encoding = _decode(data, pdu.data_coding, iso)
    if encoding == "auto" and udh is not None:
        encoding = "gsm7" if DEFAULT.count(text) is not None else "ucs2"
    if udh is not None and not _fits_one_part(udh, data, encoding):
        raise SmppRefusal(S.ESME_RINVMSGLEN, "a segment with its UDH exceeds 140 octets")
    return text, encoding, udh


def _address(ton: int, value: str) -> str:
    return "+" + value if ton == Ton.INTERNATIONAL and value.isdigit() else value


def callback_url(registered_delivery: int) -> str | None:
    """The outbox address for receipts a submit asked for, or None (§5.2.17)."""
    wanted = registered_delivery & 0x13  # SMSC receipt bits and intermediate notification
    return f"{_URL_PREFIX}{wanted}" if wanted else None


def destinations(
    pdu: SubmitMulti,
) -> tuple[list[str], list[tuple[SmeAddress | DistributionList, int]]]:
    """(addresses to submit to, refused entries with their status) of a submit_multi."""
    ok: list[str] = []
    refused: list[tuple[SmeAddress | DistributionList, int]] = []
    for item in pdu.dest_address:
        if isinstance(item, DistributionList):
            refused.append((item, S.ESME_RINVDLNAME))  # distribution lists are not supported
        else:
            ok.append(_address(item.dest_addr_ton, item.destination_addr))
    return ok, refused


def submit_request(
    pdu: SubmitSm | DataSm | SubmitMulti,
    account_id: AccountId,
    *,
    iso: bool,
    now: float,
    to: tuple[str, ...] | None = None,
) -> SubmitRequest:
    """The neutral request for one submit PDU. Raises: SmppRefusal."""
    content: Binary | None = None
    if is_binary(pdu):
        content, text, encoding, udh = _binary(pdu), "", "auto", None
    else:
        text, encoding, udh = _text(pdu, iso)
    if to is None:
        assert not isinstance(pdu, SubmitMulti)
        to = (_address(pdu.dest_addr_ton, pdu.destination_addr),)
    schedule_at = validity_s = None
    if not isinstance(pdu, DataSm):
        schedule_at = parse_smpp_time(pdu.schedule_delivery_time, now, S.ESME_RINVSCHED)
        expires_at = parse_smpp_time(pdu.validity_period, now, S.ESME_RINVEXPIRY)
        if expires_at is not None:
            validity_s = int(expires_at - max(now, schedule_at or now))
    priority = 0 if isinstance(pdu, DataSm) else min(pdu.priority_flag, 3)
    return SubmitRequest(
        account_id=account_id,
        to=to,
        text=text,
        sender=_address(pdu.source_addr_ton, pdu.source_addr) or None,
        callback_url=callback_url(pdu.registered_delivery),
        callback_format=CALLBACK_FORMAT,
        schedule_at=schedule_at,
        validity_s=validity_s,
        priority=priority,
        encoding=encoding,
        udh=udh,
        content=content,
    )


# --- replace (§4.10) -----------------------------------------------------------------------

_DECODERS = {"gsm7": decode_gsm7, "latin1": lambda b: b.decode("latin-1")}


def source_of(pdu: ReplaceSm | CancelSm) -> str | None:
    """The source address a replace_sm or cancel_sm names, as submits store it; None
    when NULL (§4.10.1: a message submitted without a source is replaced without one,
    and the gateway may have given it the account's default sender)."""
    return _address(pdu.source_addr_ton, pdu.source_addr) or None


def replace_request(
    pdu: ReplaceSm, view: MessageView, account_id: AccountId, *, now: float
) -> tuple[SubmitRequest, bool]:
    """(the request to plan the replacement from, whether to keep the stored validity).

    replace_sm has no data_coding: the new short_message (or message_payload TLV) is
    read in the alphabet the message was stored in (GSM 7-bit unpacked, Latin-1 or
    UCS-2) and planned in it. Empty, the stored text is kept (only the times or the
    receipt request change). A NULL schedule_delivery_time keeps the stored schedule,
    a NULL validity_period the stored validity (§4.10.1). Raises: SmppRefusal.
    """
    if pdu.sm_default_msg_id:
        raise SmppRefusal(S.ESME_RINVDFTMSGID, "predefined messages are not supported")
    data = pdu.short_message
    payload = tlv.find(pdu.tlvs, tlv.MessagePayload) if pdu.tlvs else None
    if payload is not None:
        if data:
            raise SmppRefusal(
                S.ESME_ROPTPARNOTALLWD, "short_message and message_payload both carry data"
            )
        data = payload.value
    text = view.text
    if data:
        try:
            if view.encoding == "ucs2":
                if len(data) % 2:
                    raise DecodeError("UCS-2 data of an odd length")
                text = data.decode("utf-16-be")
            elif view.encoding in _DECODERS:
                text = _DECODERS[view.encoding](data)
            else:
                raise SmppRefusal(S.ESME_RREPLACEFAIL, "only a text message can be replaced")
        except (DecodeError, UnicodeDecodeError) as exc:
            raise SmppRefusal(S.ESME_RREPLACEFAIL, f"not {view.encoding} text: {exc}") from None
    schedule_at = parse_smpp_time(pdu.schedule_delivery_time, now, S.ESME_RINVSCHED)
    if not pdu.schedule_delivery_time and view.state is MessageState.SCHEDULED:
        schedule_at = view.due_at
    expires_at = parse_smpp_time(pdu.validity_period, now, S.ESME_RINVEXPIRY)
    validity_s = None
    if expires_at is not None:
        validity_s = int(expires_at - max(now, schedule_at or now))
    req = SubmitRequest(
        account_id=account_id,
        to=(view.to,),
        text=text,
        sender=view.sender,
        callback_url=callback_url(pdu.registered_delivery),
        callback_format=CALLBACK_FORMAT,
        schedule_at=schedule_at,
        validity_s=validity_s,
        priority=view.priority,
        encoding=view.encoding,
    )
    return req, expires_at is None


def cancel_addresses(pdu: CancelSm) -> tuple[str, str | None]:
    """(destination, source or None) of a cancel_sm without a message_id (§4.9.1).

    Raises: SmppRefusal(ESME_RCANCELFAIL) without a destination: a NULL one would
    cancel every message from the source, which the gateway does not do by address.
    """
    if not pdu.destination_addr:
        raise SmppRefusal(S.ESME_RCANCELFAIL, "cancel by address needs a destination_addr")
    return _address(pdu.dest_addr_ton, pdu.destination_addr), source_of(pdu)


# --- query ------------------------------------------------------------------------------

_SMPP_STATE: dict[MessageState, SmppState] = {
    MessageState.ACCEPTED: SmppState.ENROUTE,
    MessageState.SCHEDULED: SmppState.ENROUTE,
    MessageState.QUEUED: SmppState.ENROUTE,
    MessageState.SENDING: SmppState.ENROUTE,
    MessageState.SENT: SmppState.ENROUTE,
    MessageState.DELIVERED: SmppState.DELIVERED,
    MessageState.UNDELIVERABLE: SmppState.UNDELIVERABLE,
    MessageState.EXPIRED: SmppState.EXPIRED,
    MessageState.REJECTED: SmppState.REJECTED,
    MessageState.FAILED: SmppState.UNDELIVERABLE,
    MessageState.CANCELLED: SmppState.DELETED,
}
"""Our lifecycle → message_state (§5.2.28); SMPP 3.4 has ENROUTE for everything in progress."""


def _error_code(error: str | None) -> int:
    return int(error) if error is not None and error.isdigit() and int(error) < 256 else 0


def query_sm_resp(view: MessageView) -> QuerySmResp:
    """query_sm_resp (§4.8.2) for a stored message."""
    final = view.state in FINAL_STATES
    return QuerySmResp(
        message_id=view.id,
        final_date=format_smpp_time(view.updated_at) if final else "",
        message_state=_SMPP_STATE[view.state],
        error_code=_error_code(view.error) if final else 0,
    )


# --- outbound events ----------------------------------------------------------------------

_CROCKFORD = {c: i for i, c in enumerate("0123456789ABCDEFGHJKMNPQRSTVWXYZ")}


def _id_time(message_id: str, fallback: float) -> float:
    """When a message id was made: its first 10 characters are milliseconds (services.ids)."""
    try:
        ms = 0
        for char in message_id[:10]:
            ms = ms * 32 + _CROCKFORD[char]
    except KeyError:
        return fallback
    return ms / 1000 if len(message_id) >= 10 else fallback


def _naive_utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _sme(value: str | None) -> tuple[int, int, str]:
    if not value:
        return Ton.UNKNOWN, Npi.UNKNOWN, ""
    if value.startswith("+"):
        return Ton.INTERNATIONAL, Npi.ISDN, value[1:]
    if value.isdigit():
        return Ton.UNKNOWN, Npi.ISDN, value
    return Ton.ALPHANUMERIC, Npi.UNKNOWN, value


def _user_data_for(text: str, iso: bool) -> tuple[int, bytes]:
    """(data_coding, octets) the client reads best: its default alphabet, else UCS-2."""
    if DEFAULT.count(text) is not None and not iso:
        return 0x00, DEFAULT.encode(text)
    try:
        return (0x00 if iso else 0x03), text.encode("latin-1")
    except UnicodeEncodeError:
        return 0x08, text.encode("utf-16-be")


def _receipt_kind(registered_delivery: int, state: MessageState) -> int | None:
    """esm_class of the receipt to send for ``state``, or None (§5.2.17)."""
    receipts = registered_delivery & 0x03
    if state in FINAL_STATES:
        if receipts == 1 or (receipts == 2 and state is not MessageState.DELIVERED):
            return EsmClass.SMSC_DELIVERY_RECEIPT
        return None
    if state is MessageState.SENT and registered_delivery & 0x10:
        return EsmClass.INTERMEDIATE_DELIVERY_NOTIFICATION
    return None


def registered_delivery_of(url: str) -> int | None:
    """The registered_delivery an outbox address carries (``callback_url``)."""
    if not url.startswith(_URL_PREFIX):
        return None
    value = url.removeprefix(_URL_PREFIX)
    return int(value) if value.isdigit() else None


def deliver_sm_for_event(
    event: Mapping[str, Any], registered_delivery: int, *, iso: bool
) -> DeliverSm | None:
    """The deliver_sm for a status or MO event, or None when the client did not ask for it."""
    if event.get("event") == "message.received":
        return _mo_deliver_sm(event, iso)
    state = MessageState(event["status"])
    esm_class = _receipt_kind(registered_delivery, state)
    if esm_class is None:
        return None
    smpp_state = _SMPP_STATE[state]
    at = float(event["at"])
    error = event.get("error")
    err = f"{_error_code(error):03d}" if state is not MessageState.DELIVERED else "000"
    message_id = str(event["id"])
    text = format_receipt(
        ReceiptText(
            id=message_id,
            stat=STAT_BY_STATE[smpp_state],
            sub=1,
            dlvrd=1 if state is MessageState.DELIVERED else 0,
            submit_date=_naive_utc(_id_time(message_id, at)),
            done_date=_naive_utc(at),
            err=err,
            text="",
        )
    )
    source_ton, source_npi, source = _sme(event.get("to"))
    dest_ton, dest_npi, dest = _sme(event.get("from"))
    return DeliverSm(
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        source_addr=source,
        dest_addr_ton=dest_ton,
        dest_addr_npi=dest_npi,
        destination_addr=dest,
        esm_class=esm_class,
        short_message=text.encode("latin-1"),
        tlvs=(
            tlv.ReceiptedMessageId(value=message_id),
            tlv.MessageState(value=smpp_state),
        ),
    )


def _mo_deliver_sm(event: Mapping[str, Any], iso: bool) -> DeliverSm:
    data_coding, data = _user_data_for(str(event.get("text", "")), iso)
    source_ton, source_npi, source = _sme(event.get("from"))
    dest_ton, dest_npi, dest = _sme(event.get("to"))
    short, tlvs = (data, ()) if len(data) <= 254 else (b"", (tlv.MessagePayload(value=data),))
    return DeliverSm(
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        source_addr=source,
        dest_addr_ton=dest_ton,
        dest_addr_npi=dest_npi,
        destination_addr=dest,
        data_coding=data_coding,
        short_message=short,
        tlvs=tlvs,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitAnswer:
    """What a submit PDU is answered with: the status and the message id, or what failed."""

    status: int
    message_id: str = ""
    detail: str = ""
