"""Parts to submit_sm, and deliver_sm / data_sm to receipts and MO: the SMPP connector's edge.

Outbound, a claimed part (one SMS of a stored message) becomes one submit_sm:
the message text is split with the same code that counted its parts at submit
time (``wire.gsm.parts.split_text`` with the message's encoding and
concatenation reference), so part ``seq`` of ``parts`` is exactly the part the
client was charged for; a part the client segmented itself carries the
client's UDH verbatim. The UDH goes in front of the user data with esm_class
UDHI (SMPP 3.4 §5.2.12); GSM 7-bit user data is unpacked, one septet per
octet, as SMPP carries it (§5.2.19); data_coding comes from the connector's
per-alphabet defaults, because SMSCs disagree on how they want GSM 7-bit and
Latin-1 labelled.

Inbound, a deliver_sm or data_sm is a delivery receipt (esm_class bits 5-2, or
a receipted_message_id TLV; Appendix B text and TLVs in every common variant,
parsed by ``wire.receipt``) or an MO message, possibly one part of a
concatenated one (UDH IE 0x00/0x08 or the sar_* TLVs, §5.3.2.22-24).

Message ids: SMSCs may answer submit_sm with a hex id and write it in decimal
in the receipt text, pad it with zeros, or change its case (Kannel's
``msg-id-type``). ``IdFormat`` says which base each side uses, and every id,
from a submit_sm_resp or a receipt, goes through ``normalize_id`` before it
reaches the store, so the two always compare equal. This module knows nothing
about sockets, sessions or the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from heliograph.domain.content import split_message
from heliograph.domain.ids import ConnectorId, UpstreamId
from heliograph.domain.messages import MessageState
from heliograph.domain.outcomes import Receipt
from heliograph.store.base import ClaimedPart
from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.gsm.dcs import is_message_waiting
from heliograph.wire.gsm.gsm7 import DEFAULT, decode_gsm7
from heliograph.wire.gsm.latin1 import encode_latin1
from heliograph.wire.gsm.parts import EncodedPart, SplitText, split_text
from heliograph.wire.gsm.reassembly import ConcatenatedPart
from heliograph.wire.gsm.ucs2 import decode_ucs2, encode_ucs2
from heliograph.wire.gsm.udh import split_user_data
from heliograph.wire.receipt import normalize_message_id, parse_receipt_pdu
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import EsmClass, Npi, Ton
from heliograph.wire.smpp.constants import MessageState as SmppState
from heliograph.wire.smpp.pdus import DataSm, DeliverSm, SubmitSm

__all__ = [
    "ID_BASES",
    "IdFormat",
    "Inbound",
    "MoText",
    "SubmitDefaults",
    "build_submit_sm",
    "decode_text",
    "normalize_id",
    "read_inbound",
    "receipt_state",
    "split_part",
]


class IdFormat(StrEnum):
    """How an upstream writes message ids: ``<submit_sm_resp>_<receipt text>`` bases."""

    AUTO = "auto"  # same spelling on both sides, up to case and leading zeros
    VERBATIM = "verbatim"  # compared as sent, up to surrounding blanks and case
    HEX = "hex"
    DEC = "dec"
    HEX_DEC = "hex_dec"  # hex in submit_sm_resp, decimal in the receipt text
    DEC_HEX = "dec_hex"


ID_BASES: dict[IdFormat, tuple[int | None, int | None]] = {
    IdFormat.AUTO: (None, None),
    IdFormat.VERBATIM: (None, None),
    IdFormat.HEX: (16, 16),
    IdFormat.DEC: (10, 10),
    IdFormat.HEX_DEC: (16, 10),
    IdFormat.DEC_HEX: (10, 16),
}
"""(base of submit_sm_resp message_id and receipted_message_id, base of the receipt text id)."""


def normalize_id(raw: str, base: int | None, id_format: IdFormat) -> UpstreamId:
    """The spelling of an upstream id the store keeps (see the module docstring)."""
    value = normalize_message_id(raw, base=base)
    if id_format is IdFormat.AUTO and base is None:
        value = value.lstrip("0") or ("0" if value else "")
    return UpstreamId(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitDefaults:
    """Per-connector choices for the submit_sm fields the message does not decide."""

    system_sender: str = ""  # source_addr when a message has no sender
    source_addr_ton: int | None = None  # None: derived from the address
    source_addr_npi: int | None = None
    dest_addr_ton: int = Ton.INTERNATIONAL
    dest_addr_npi: int = Npi.ISDN
    data_coding_gsm7: int = 0x00
    data_coding_latin1: int = 0x03
    data_coding_ucs2: int = 0x08
    registered_delivery: int = 1  # SMSC receipt on success or failure (§5.2.17)
    service_type: str = ""
    send_validity: bool = True


@lru_cache(maxsize=4096)
def _source_address(
    value: str, ton_override: int | None, npi_override: int | None
) -> tuple[int, int, str]:
    """(source_addr_ton, source_addr_npi, source_addr) for a sender (§5.2.5, §5.2.6)."""
    if value.startswith("+"):
        ton, npi, value = 1, 1, value[1:]  # international, ISDN (E.164)
    elif value.isdigit():
        # a short code: the operator's own numbering plan
        ton, npi = (3, 0) if len(value) <= 8 else (0, 1)
    elif value:
        ton, npi = 5, 0  # alphanumeric
    else:
        ton, npi = 0, 0
    if ton_override is not None:
        ton = ton_override
    if npi_override is not None:
        npi = npi_override
    return ton, npi, value


def _single_part(text: str, encoding: str) -> SplitText | None:
    """``split_text``'s answer for a text that fits one part, computed directly (hot path)."""
    try:
        if encoding == "gsm7":
            payload, limit, coding = DEFAULT.encode(text), 160, 0x00
        elif encoding == "ucs2":
            payload, limit, coding = encode_ucs2(text), 140, 0x08
        elif encoding == "latin1":
            payload, limit, coding = encode_latin1(text), 140, 0x03
        else:
            return None
    except EncodeError:
        return None  # split_text says what is wrong
    if len(payload) > limit:
        return None
    return SplitText(
        encoding=encoding,
        data_coding=coding,
        parts=(EncodedPart(udh=b"", payload=payload, text=text),),
    )


def split_part(part: ClaimedPart) -> SplitText:
    """The message's parts as the submit path counted them. Raises: EncodeError."""
    if (
        part.payload is not None
        or part.message_class is not None
        or part.languages
        or is_message_waiting(part.data_coding)
    ):  # binary content, class, national tables, message waiting: domain.content
        return split_message(part)
    if part.parts == 1 and part.udh is None:
        single = _single_part(part.text, part.encoding)
        if single is not None:
            return single
    if part.udh is not None:
        encoding = part.encoding if part.encoding in ("gsm7", "latin1", "ucs2") else "auto"
        return split_text(part.text, reference=0, encoding=encoding)  # type: ignore[arg-type]
    return split_text(part.text, reference=part.concat_ref, encoding=part.encoding)  # type: ignore[arg-type]


@lru_cache(maxsize=4096)
def _relative_validity(minutes: int) -> str:
    """An SMPP relative time (§7.1.1) of ``minutes`` from now: YYMMDDhhmmss000R."""
    days, minutes = divmod(max(1, minutes), 1440)
    hours, minutes = divmod(minutes, 60)
    return f"0000{min(days, 99):02d}{hours:02d}{minutes:02d}00000R"


def build_submit_sm(part: ClaimedPart, split: SplitText, d: SubmitDefaults, now: float) -> SubmitSm:
    """One submit_sm for ``part``. Raises: EncodeError when the part does not exist."""
    if part.udh is not None:
        if len(split.parts) != 1:
            raise EncodeError("a client-segmented part must fit one SMS")
        udh, payload = part.udh, split.parts[0].payload
    else:
        if not 1 <= part.seq <= len(split.parts):
            raise EncodeError(f"part {part.seq} of a text that splits into {len(split.parts)}")
        encoded = split.parts[part.seq - 1]
        udh, payload = encoded.udh, encoded.payload
    coding = {"gsm7": d.data_coding_gsm7, "latin1": d.data_coding_latin1}.get(
        split.encoding, d.data_coding_ucs2 if split.encoding == "ucs2" else split.data_coding
    )
    if part.message_class is not None or is_message_waiting(part.data_coding):
        coding = split.data_coding  # the class or indication bits (TS 23.038 §4) are the message's
    source_ton, source_npi, source = _source_address(
        part.sender or d.system_sender, d.source_addr_ton, d.source_addr_npi
    )
    validity = ""
    if d.send_validity and part.expires_at is not None:
        validity = _relative_validity(int(part.expires_at - now) // 60)
    return SubmitSm(
        service_type=d.service_type,
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        source_addr=source,
        dest_addr_ton=d.dest_addr_ton,
        dest_addr_npi=d.dest_addr_npi,
        destination_addr=part.to.removeprefix("+"),
        esm_class=EsmClass.UDHI if udh else 0,
        priority_flag=part.priority,
        validity_period=validity,
        registered_delivery=d.registered_delivery,
        data_coding=coding,
        short_message=udh + payload,
        # the message's own optional parameters (Kannel's meta-data), verbatim
        tlvs=tuple(tlv.RawTlv(tag=tag, value=value) for tag, value in part.tlvs or ()),
    )


# --- inbound -----------------------------------------------------------------------


_RECEIPT_STATES: dict[SmppState, MessageState] = {
    SmppState.SCHEDULED: MessageState.SENT,
    SmppState.ENROUTE: MessageState.SENT,
    SmppState.ACCEPTED: MessageState.SENT,
    SmppState.DELIVERED: MessageState.DELIVERED,
    SmppState.EXPIRED: MessageState.EXPIRED,
    SmppState.DELETED: MessageState.UNDELIVERABLE,
    SmppState.UNDELIVERABLE: MessageState.UNDELIVERABLE,
    SmppState.UNKNOWN: MessageState.UNDELIVERABLE,
    SmppState.REJECTED: MessageState.REJECTED,
    SmppState.SKIPPED: MessageState.UNDELIVERABLE,
}
"""message_state (§5.2.28) → the part state a receipt moves to."""

_EXTRA_STATS = {"BUFFRED": MessageState.SENT, "FAILED": MessageState.UNDELIVERABLE}


def receipt_state(stat: str, message_state: SmppState | None) -> MessageState | None:
    """The part state a receipt says, or None when ``stat`` means nothing known."""
    if message_state is not None:
        return _RECEIPT_STATES[message_state]
    return _EXTRA_STATS.get(stat.upper())


@dataclass(frozen=True, slots=True, kw_only=True)
class MoText:
    """A whole single-part MO message: addresses and text."""

    source: str
    destination: str
    text: str


Inbound = Receipt | ConcatenatedPart | MoText


def decode_text(data: bytes, data_coding: int, *, gsm7_default: bool = True) -> str:
    """User data (after any UDH) as text for the SMPP data_coding values seen in MO.

    0 is the SMSC default alphabet, read as unpacked GSM 7-bit (Latin-1 when it
    is not GSM 7-bit or ``gsm7_default`` is off); 8 (and group 1111 flags aside,
    TS 23.038 UCS-2 codings) is UTF-16BE; everything else is read as Latin-1,
    which keeps every octet.
    """
    if data_coding in (0x08, 0x18) or data_coding & 0xEC == 0x08 or data_coding & 0xF0 == 0xE0:
        try:
            return decode_ucs2(data)
        except DecodeError:
            return data.decode("latin-1")
    if (data_coding == 0 and gsm7_default) or data_coding & 0xF4 == 0xF0:
        try:
            return decode_gsm7(data)
        except DecodeError:
            return data.decode("latin-1")
    if data_coding == 0x01:
        return data.decode("ascii", errors="replace")
    return data.decode("latin-1")


def _user_data(pdu: DeliverSm | DataSm) -> bytes:
    body = pdu.short_message if isinstance(pdu, DeliverSm) else b""
    if not body:
        payload = tlv.find(pdu.tlvs, tlv.MessagePayload)
        if payload is not None:
            body = payload.value
    return body


def _address(ton: int, value: str) -> str:
    return "+" + value if ton == Ton.INTERNATIONAL and value.isdigit() else value


def _delivered_by_tlvs(
    pdu: DeliverSm | DataSm, connector: ConnectorId, id_format: IdFormat, now: float
) -> Receipt | None:
    """A DELIVERED receipt read from its TLVs alone, the common case (no text to parse)."""
    receipted = state = None
    for item in pdu.tlvs:
        if type(item) is tlv.ReceiptedMessageId:
            receipted = item.value
        elif type(item) is tlv.MessageState:
            state = item.value
    if receipted is None or state != SmppState.DELIVERED:
        return None
    return Receipt(
        connector=connector,
        upstream_id=normalize_id(receipted, ID_BASES[id_format][0], id_format),
        state=MessageState.DELIVERED,
        error=None,
        at=now,
    )


def read_inbound(
    pdu: DeliverSm | DataSm,
    *,
    connector: ConnectorId,
    id_format: IdFormat,
    now: float,
    bind_id: str = "",
) -> Inbound | None:
    """A receipt, one MO part, or a whole MO text; None for a receipt saying nothing.

    Raises: DecodeError for a receipt without an id or state, or a malformed UDH.
    """
    if pdu.tlvs:
        quick = _delivered_by_tlvs(pdu, connector, id_format, now)
        if quick is not None:
            return quick
    receipt = parse_receipt_pdu(pdu)
    if receipt is not None:
        submit_base, text_base = ID_BASES[id_format]
        from_tlv = tlv.find(pdu.tlvs, tlv.ReceiptedMessageId) is not None
        upstream_id = normalize_id(receipt.id, submit_base if from_tlv else text_base, id_format)
        state = receipt_state(receipt.stat, receipt.message_state)
        if state is None:
            return None
        err = receipt.err if receipt.err not in (None, "", "000", "0") else None
        return Receipt(
            connector=connector,
            upstream_id=upstream_id,
            state=state,
            error=None if state is MessageState.DELIVERED else err or receipt.stat,
            at=now,
        )
    if pdu.esm_class & 0x3C in (EsmClass.SMSC_DELIVERY_RECEIPT, 0x20):
        raise DecodeError("a delivery receipt without a readable id or state")
    data = _user_data(pdu)
    source = _address(pdu.source_addr_ton, pdu.source_addr)
    destination = _address(pdu.dest_addr_ton, pdu.destination_addr)
    udh = b""
    if pdu.esm_class & EsmClass.UDHI and data:
        header, data = split_user_data(data)
        udh = header.raw
        concat = header.concatenation
        if concat is not None:
            return ConcatenatedPart(
                source=source,
                destination=destination,
                reference=concat.reference,
                total=concat.total,
                seq=concat.seq,
                payload=data,
                data_coding=pdu.data_coding,
                udh=udh,
                bind_id=bind_id,
            )
    total = tlv.find(pdu.tlvs, tlv.SarTotalSegments)
    seq = tlv.find(pdu.tlvs, tlv.SarSegmentSeqnum)
    ref = tlv.find(pdu.tlvs, tlv.SarMsgRefNum)
    if total is not None and seq is not None and ref is not None and 1 <= seq.value <= total.value:
        return ConcatenatedPart(
            source=source,
            destination=destination,
            reference=ref.value,
            total=total.value,
            seq=seq.value,
            payload=data,
            data_coding=pdu.data_coding,
            bind_id=bind_id,
        )
    return MoText(source=source, destination=destination, text=decode_text(data, pdu.data_coding))
