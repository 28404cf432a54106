"""An SMPP PDU field by field, for people: ``heliograph pdu decode HEX``.

Each field of the decoded PDU is one row: its name as in SMPP 3.4 §4, its
value, and what the value means where a code table says (command_status
names, TON/NPI, esm_class bits, data_coding, registered_delivery,
message_state). short_message is shown as hex, with its UDH split off when
esm_class says UDHI, and as text in the alphabet data_coding names; a
delivery receipt's Appendix B text is read as a receipt. TLVs follow, one
row each. Reading is the codec's: what it refuses is refused here with the
command_status it names. Pure: bytes in, rows out.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import IntEnum, IntFlag

from heliograph.wire.errors import DecodeError
from heliograph.wire.gsm.gsm7 import decode_gsm7
from heliograph.wire.gsm.udh import split_user_data
from heliograph.wire.receipt import parse_receipt
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.codec import decode
from heliograph.wire.smpp.constants import (
    CommandId,
    CommandStatus,
    DataCoding,
    EsmClass,
    InterfaceVersion,
    MessageState,
    Npi,
    RegisteredDelivery,
    Ton,
)
from heliograph.wire.smpp.pdus import Pdu

__all__ = ["Row", "describe_pdu", "parse_hex"]


@dataclass(frozen=True, slots=True)
class Row:
    field: str
    value: str
    meaning: str = ""


def parse_hex(text: str) -> bytes:
    """Octets from hex written with or without 0x, spaces, colons or line breaks.

    Raises: ValueError naming what is wrong.
    """
    cleaned = "".join(text.split()).replace(":", "").replace("0x", "").replace("0X", "")
    if len(cleaned) % 2:
        raise ValueError(f"odd number of hex digits ({len(cleaned)})")
    try:
        return binascii.unhexlify(cleaned)
    except binascii.Error as exc:
        raise ValueError(f"not hex: {exc}") from None


def _name(table: type[IntEnum], value: int) -> str:
    try:
        return table(value).name
    except ValueError:
        return "unknown"


def _flags(table: type[IntFlag], value: int, zero: str) -> str:
    names = [f.name for f in table if f.value and value & f.value == f.value and f.name]
    return ", ".join(n for n in names if n) or zero


def _esm_class(value: int) -> str:
    mode = ("default", "datagram", "forward", "store and forward")[value & 0x03]
    kind = {
        0x00: "",
        0x04: "SMSC delivery receipt",
        0x08: "SME delivery ack",
        0x10: "SME manual ack",
        0x20: "intermediate notification",
    }.get(value & 0x3C, f"type 0x{value & 0x3C:02x}")
    gsm = [n for bit, n in ((0x40, "UDHI"), (0x80, "reply path")) if value & bit]
    return ", ".join(p for p in (f"{mode} mode", kind, *gsm) if p)


_MEANINGS: dict[str, Callable[[int], str]] = {
    "command_status": lambda v: _name(CommandStatus, v),
    "source_addr_ton": lambda v: _name(Ton, v),
    "dest_addr_ton": lambda v: _name(Ton, v),
    "esme_addr_ton": lambda v: _name(Ton, v),
    "addr_ton": lambda v: _name(Ton, v),
    "source_addr_npi": lambda v: _name(Npi, v),
    "dest_addr_npi": lambda v: _name(Npi, v),
    "esme_addr_npi": lambda v: _name(Npi, v),
    "addr_npi": lambda v: _name(Npi, v),
    "esm_class": _esm_class,
    "data_coding": lambda v: _name(DataCoding, v),
    "registered_delivery": lambda v: _flags(RegisteredDelivery, v, "no receipt"),
    "message_state": lambda v: _name(MessageState, v),
    "interface_version": lambda v: _name(InterfaceVersion, v),
}


def _text(data: bytes, data_coding: int) -> str:
    try:
        if data_coding == 8:
            return data.decode("utf-16-be")
        if data_coding == 0:
            return decode_gsm7(data)
    except (DecodeError, UnicodeDecodeError):
        pass
    return data.decode("latin-1")


def _short_message(pdu: Pdu, data: bytes) -> list[Row]:
    rows = [Row("short_message", data.hex(" ") if data else "(empty)", f"{len(data)} octets")]
    if not data:
        return rows
    esm_class = getattr(pdu, "esm_class", 0)
    data_coding = getattr(pdu, "data_coding", 0)
    if esm_class & EsmClass.UDHI:
        try:
            header, data = split_user_data(data)
        except DecodeError as exc:
            return [*rows, Row("  UDH", "unreadable", str(exc))]
        concat = header.concatenation
        meaning = f"part {concat.seq} of {concat.total}, ref {concat.reference}" if concat else ""
        rows.append(Row("  UDH", header.raw.hex(" "), meaning))
    rows.append(Row("  text", repr(_text(data, data_coding))))
    if esm_class & 0x3C in (0x04, 0x20):
        try:
            receipt = parse_receipt(data)
        except DecodeError:
            return rows
        rows.append(Row("  receipt", f"id {receipt.id}", f"stat {receipt.stat}, err {receipt.err}"))
    return rows


def _tlv_rows(items: tuple[tlv.Tlv, ...]) -> list[Row]:
    rows = []
    for item in items:
        if isinstance(item, tlv.RawTlv):
            rows.append(Row(f"tlv 0x{item.tag:04x}", item.value.hex(" "), "not a known tag"))
            continue
        name = "".join("_" + c.lower() if c.isupper() else c for c in type(item).__name__)[1:]
        if isinstance(item, tlv.NetworkErrorCode):
            value = f"network type {item.network_type}, error {item.error_code}"
        elif isinstance(item, tlv.OctetsTlv):
            value = item.value.hex(" ")
        else:
            value = repr(item.value) if isinstance(item.value, str) else str(item.value)
        meaning = ""
        if isinstance(item, tlv.MessageState):
            meaning = _name(MessageState, item.value)
        rows.append(Row(f"tlv {name} (0x{item.tag:04x})", value, meaning))
    return rows


def describe_pdu(frame: bytes) -> tuple[str, list[Row]]:
    """(title, rows) for one whole PDU. Raises: DecodeError (with the command_status)."""
    pdu = decode(frame)
    title = (
        f"{_name(CommandId, pdu.command_id).lower()} (0x{pdu.command_id:08x}, {len(frame)} octets)"
    )
    rows: list[Row] = []
    for f in fields(pdu):
        value = getattr(pdu, f.name)
        if f.name == "tlvs":
            rows.extend(_tlv_rows(value))
        elif f.name == "short_message":
            rows.extend(_short_message(pdu, value))
        elif f.name == "password":
            rows.append(Row(f.name, "***" if value else "''"))
        elif isinstance(value, tuple):
            for i, item in enumerate(value, start=1):
                rows.append(Row(f"{f.name}[{i}]", repr(item)))
        else:
            meaning = _MEANINGS.get(f.name)
            shown = f"0x{value:08x}" if f.name == "command_status" else repr(value)
            rows.append(
                Row(f.name, shown, meaning(value) if meaning and isinstance(value, int) else "")
            )
    return title, rows
