"""The data coding scheme byte ↔ (alphabet, message class, compression, message waiting).

* 3GPP TS 23.038 §4 "SMS Data Coding Scheme": coding groups 00xx (general), 01xx (marked
  for automatic deletion), 1100/1101/1110 (message waiting indication: discard, store
  GSM 7-bit, store UCS-2), 1111 (data coding / message class); 1000-1011 are reserved and
  "shall be assumed to be the GSM 7 bit default alphabet" by a receiver.
* SMPP 3.4 §5.2.19 ``data_coding``: the low values 0x01-0x0E are redefined by SMPP
  (IA5, Latin-1, JIS, Cyrillic, Hebrew, UCS-2, ...); :func:`decode_dcs` reads them the SMPP
  way unless ``smpp=False``.

Decoding is total: every byte yields a :class:`DataCoding`. Encoding a decoded value gives
the byte back, except for bytes with unused bits set (e.g. 0x01-0x03 in TS 23.038 reading,
which carry class bits without the class flag) and reserved codings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Final

from heliograph.wire.errors import EncodeError

__all__ = [
    "Alphabet",
    "CodingGroup",
    "DataCoding",
    "IndicationType",
    "MessageClass",
    "MessageWaiting",
    "decode_dcs",
    "encode_data_coding",
    "encode_dcs",
    "is_message_waiting",
]


class Alphabet(Enum):
    """Character sets a DCS byte can name (TS 23.038 §4 bits 3..2; SMPP 3.4 §5.2.19)."""

    GSM7 = "gsm7"  # TS 23.038 §6.2.1 default alphabet
    BINARY = "binary"  # 8-bit data
    UCS2 = "ucs2"  # ISO/IEC 10646 UCS-2 (UTF-16BE in practice)
    # SMPP 3.4 §5.2.19 only:
    IA5 = "ia5"  # 0x01 IA5 (CCITT T.50) / ASCII
    LATIN1 = "latin1"  # 0x03 ISO-8859-1
    JIS = "jis"  # 0x05 JIS X 0208-1990
    CYRILLIC = "cyrillic"  # 0x06 ISO-8859-5
    HEBREW = "hebrew"  # 0x07 ISO-8859-8
    PICTOGRAM = "pictogram"  # 0x09
    ISO2022JP = "iso2022jp"  # 0x0A Music codes
    EXTENDED_KANJI = "extended_kanji"  # 0x0D JIS X 0212-1990
    KSC5601 = "ksc5601"  # 0x0E KS C 5601


class CodingGroup(IntEnum):
    """TS 23.038 §4 coding groups (bits 7..4), plus SMPP's redefined low values."""

    GENERAL = 0x0  # 00xx
    AUTO_DELETE = 0x4  # 01xx message marked for automatic deletion
    RESERVED = 0x8  # 1000..1011
    MWI_DISCARD = 0xC  # 1100 message waiting indication, discard message
    MWI_STORE = 0xD  # 1101 (GSM 7-bit) and 1110 (UCS-2): store message
    DATA_CODING = 0xF  # 1111 data coding / message class
    SMPP = 0x100  # SMPP 3.4 §5.2.19 value outside TS 23.038 meaning


class MessageClass(IntEnum):
    """TS 23.038 §4 message classes (bits 1..0)."""

    CLASS_0 = 0  # flash: shown immediately, not stored
    CLASS_1 = 1  # ME specific
    CLASS_2 = 2  # (U)SIM specific
    CLASS_3 = 3  # TE specific


class IndicationType(IntEnum):
    """TS 23.038 §4 message waiting indication type (bits 1..0 of groups 1100-1110)."""

    VOICEMAIL = 0
    FAX = 1
    EMAIL = 2
    OTHER = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageWaiting:
    """A message waiting indication: which kind, and whether it is set or cleared."""

    kind: IndicationType
    active: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DataCoding:
    """A decoded DCS byte."""

    alphabet: Alphabet
    message_class: MessageClass | None = None
    compressed: bool = False
    group: CodingGroup = CodingGroup.GENERAL
    waiting: MessageWaiting | None = None


# TS 23.038 §4 bits 3..2 of groups 00xx / 01xx.
_CHARSET_BITS: Final[dict[Alphabet, int]] = {
    Alphabet.GSM7: 0b00,
    Alphabet.BINARY: 0b01,
    Alphabet.UCS2: 0b10,
}
_BITS_CHARSET: Final = {bits: alphabet for alphabet, bits in _CHARSET_BITS.items()}

# SMPP 3.4 §5.2.19: values whose meaning SMPP defines differently from TS 23.038.
_SMPP_CODES: Final[dict[int, Alphabet]] = {
    0x01: Alphabet.IA5,
    0x02: Alphabet.BINARY,
    0x03: Alphabet.LATIN1,
    0x05: Alphabet.JIS,
    0x06: Alphabet.CYRILLIC,
    0x07: Alphabet.HEBREW,
    0x09: Alphabet.PICTOGRAM,
    0x0A: Alphabet.ISO2022JP,
    0x0D: Alphabet.EXTENDED_KANJI,
    0x0E: Alphabet.KSC5601,
}
_SMPP_ALPHABETS: Final[dict[Alphabet, int]] = {
    alphabet: code for code, alphabet in _SMPP_CODES.items() if alphabet is not Alphabet.BINARY
}


def decode_dcs(dcs: int, *, smpp: bool = True) -> DataCoding:
    """Read a DCS byte (TS 23.038 §4; SMPP 3.4 §5.2.19 low values when ``smpp``)."""
    if not 0 <= dcs <= 0xFF:
        raise ValueError(f"DCS {dcs} is not an octet")
    if smpp and dcs in _SMPP_CODES:
        return DataCoding(alphabet=_SMPP_CODES[dcs], group=CodingGroup.SMPP)
    high = dcs >> 4
    if high < 0x8:  # 00xx general, 01xx automatic deletion
        group = CodingGroup.AUTO_DELETE if high & 0x4 else CodingGroup.GENERAL
        alphabet = _BITS_CHARSET.get((dcs >> 2) & 0b11)
        if alphabet is None:  # charset 11 reserved: assume the default alphabet
            return DataCoding(alphabet=Alphabet.GSM7, group=CodingGroup.RESERVED)
        return DataCoding(
            alphabet=alphabet,
            message_class=MessageClass(dcs & 0b11) if dcs & 0x10 else None,
            compressed=bool(dcs & 0x20),
            group=group,
        )
    if high < 0xC:
        return DataCoding(alphabet=Alphabet.GSM7, group=CodingGroup.RESERVED)
    if high < 0xF:  # 1100, 1101, 1110: message waiting indication
        waiting = MessageWaiting(kind=IndicationType(dcs & 0b11), active=bool(dcs & 0x08))
        return DataCoding(
            alphabet=Alphabet.UCS2 if high == 0xE else Alphabet.GSM7,
            group=CodingGroup.MWI_DISCARD if high == 0xC else CodingGroup.MWI_STORE,
            waiting=waiting,
        )
    return DataCoding(  # 1111: bit 2 message coding, bits 1..0 message class
        alphabet=Alphabet.BINARY if dcs & 0x04 else Alphabet.GSM7,
        message_class=MessageClass(dcs & 0b11),
        group=CodingGroup.DATA_CODING,
    )


def encode_data_coding(coding: DataCoding) -> int:
    """A :class:`DataCoding` → its DCS byte; :class:`EncodeError` when no byte says it."""
    group, alphabet = coding.group, coding.alphabet
    if group is CodingGroup.SMPP:
        if alphabet is Alphabet.BINARY:
            return 0x02
        if alphabet in _SMPP_ALPHABETS and coding.message_class is None:
            return _SMPP_ALPHABETS[alphabet]
    elif group in (CodingGroup.GENERAL, CodingGroup.AUTO_DELETE) and alphabet in _CHARSET_BITS:
        dcs = _CHARSET_BITS[alphabet] << 2 | (0x40 if group is CodingGroup.AUTO_DELETE else 0)
        if coding.compressed:
            dcs |= 0x20
        if coding.message_class is not None:
            dcs |= 0x10 | coding.message_class
        return dcs
    elif group in (CodingGroup.MWI_DISCARD, CodingGroup.MWI_STORE) and coding.waiting:
        if group is CodingGroup.MWI_DISCARD and alphabet is Alphabet.GSM7:
            high = 0xC0
        elif group is CodingGroup.MWI_STORE and alphabet in (Alphabet.GSM7, Alphabet.UCS2):
            high = 0xE0 if alphabet is Alphabet.UCS2 else 0xD0
        else:
            raise EncodeError(f"no message waiting DCS for {alphabet.value}")
        return high | (0x08 if coding.waiting.active else 0) | coding.waiting.kind
    elif group is CodingGroup.DATA_CODING and alphabet in (Alphabet.GSM7, Alphabet.BINARY):
        klass = coding.message_class if coding.message_class is not None else 0
        return 0xF0 | (0x04 if alphabet is Alphabet.BINARY else 0) | klass
    raise EncodeError(f"no DCS byte expresses {coding}")


def encode_dcs(
    alphabet: Alphabet, *, message_class: int | None = None, compressed: bool = False
) -> int:
    """The usual DCS byte for an alphabet, optional message class and compression.

    Without class or compression: 0x00 GSM 7-bit, 0x04 8-bit, 0x08 UCS-2, and the SMPP
    values for the others (0x03 Latin-1). With either, TS 23.038 §4 group 00xx (e.g. flash
    GSM 7-bit = 0x10), which only GSM 7-bit, 8-bit and UCS-2 have.
    """
    klass = None if message_class is None else _message_class(message_class)
    if klass is None and not compressed:
        if alphabet in _CHARSET_BITS:
            return _CHARSET_BITS[alphabet] << 2
        return _SMPP_ALPHABETS[alphabet]
    if alphabet not in _CHARSET_BITS:
        raise EncodeError(f"{alphabet.value} cannot carry a message class or compression")
    coding = DataCoding(alphabet=alphabet, message_class=klass, compressed=compressed)
    return encode_data_coding(coding)


def is_message_waiting(dcs: int) -> bool:
    """Whether ``dcs`` is in a TS 23.038 §4 message waiting indication group (1100-1110)."""
    return 0xC0 <= dcs <= 0xEF


def _message_class(value: int) -> MessageClass:
    try:
        return MessageClass(value)
    except ValueError:
        raise EncodeError(f"message class {value} is not 0..3") from None
