"""Operator-defined SMPP optional parameters (Kannel's ``smpp-tlv`` groups).

A client names them in a message (Kannel's ``meta-data=?smpp?name=value``);
the gateway resolves each name against the configured definitions and keeps
the encoded value, which every submit_sm of the message then carries verbatim
(``RawTlv``). Encoding follows Kannel's smpp_pdu.c: ``integer`` is big-endian
in exactly ``length`` octets, ``nulterminated`` is the text and a NUL (at most
``length`` octets with it), ``octetstring`` is the octets (at most ``length``).
"""

from __future__ import annotations

from dataclasses import dataclass

TLV_TYPES = ("octetstring", "integer", "nulterminated")


@dataclass(frozen=True, slots=True, kw_only=True)
class TlvDefinition:
    name: str
    tag: int
    type: str  # one of TLV_TYPES
    length: int  # octets: exact for integer, at most for the others


def encode_tlv_value(d: TlvDefinition, value: bytes) -> bytes:
    """The TLV's value octets for the client's ``value``. Raises: ValueError."""
    if d.type == "integer":
        text = value.decode("ascii", "replace").strip()
        if not text.lstrip("-").isdigit():
            raise ValueError(f"{d.name}: {text!r} is not an integer")
        n = int(text)
        if not 0 <= n < 256**d.length:
            raise ValueError(f"{d.name}: {n} does not fit {d.length} octets")
        return n.to_bytes(d.length, "big")
    if d.type == "nulterminated":
        if b"\0" in value or len(value) + 1 > d.length:
            raise ValueError(f"{d.name}: longer than {d.length - 1} octets or contains NUL")
        return value + b"\0"
    if len(value) > d.length:
        raise ValueError(f"{d.name}: longer than {d.length} octets")
    return value
