"""GSM 7-bit alphabet: characters ↔ septets, and septet packing.

* 3GPP TS 23.038 §6.2.1: the default alphabet (one septet per character).
* 3GPP TS 23.038 §6.2.1.1: the default alphabet extension table, reached through the
  escape septet 0x1B; every extension character costs two septets.
* 3GPP TS 23.038 §6.2.1.2 and Annex A: national language locking and single shift tables
  (the tables themselves live in :mod:`heliograph.wire.gsm.shift_tables`).
* 3GPP TS 23.038 §6.1.2.1.1: packing septets into octets, least significant bit first.
* 3GPP TS 23.040 §9.2.3.24: fill bits after a user data header so that the first septet
  of the text starts on a septet boundary.

Two forms of septets exist: *unpacked* (one septet per octet, as SMPP ``data_coding`` 0
usually carries it) and *packed* (as on the air interface, TP-UD). ``encode_gsm7`` /
``decode_gsm7`` work on the unpacked form; ``pack_septets`` / ``unpack_septets`` convert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from heliograph.wire.errors import DecodeError, UnencodableCharacter
from heliograph.wire.gsm.shift_tables import LOCKING_SHIFT_TABLES, SINGLE_SHIFT_TABLES, UNDEFINED

__all__ = [
    "DEFAULT_ALPHABET",
    "DEFAULT_EXTENSION",
    "ESC",
    "Gsm7Alphabet",
    "decode_gsm7",
    "encode_gsm7",
    "fill_bits",
    "gsm7_alphabet",
    "header_septets",
    "pack_septets",
    "septet_length",
    "unpack_septets",
]

#: TS 23.038 §6.2.1: escape to the extension (or national single shift) table.
ESC: Final = 0x1B

# TS 23.038 §6.2.1: the GSM 7-bit default alphabet, indexed by septet value. Position 0x1B
# is the escape to the extension table, not a character; it is never produced from text.
DEFAULT_ALPHABET: Final[str] = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)

# TS 23.038 §6.2.1.1: the default alphabet extension table (septet after ESC → character).
# 0x0D (CR2) and 0x1B (escape to a further table) are reserved and carry no character.
DEFAULT_EXTENSION: Final[Mapping[int, str]] = {
    0x0A: "\f",  # FORM FEED (page break)
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Gsm7Alphabet:
    """One combination of locking shift table and single shift table (TS 23.038 §6.2.1.2).

    ``locking`` is 0 for the default alphabet, otherwise a national language identifier
    (TS 23.038 §6.2.1.2.4); ``single`` is 0 for the default extension table. Build
    instances with :func:`gsm7_alphabet`, which caches them.
    """

    locking: int
    single: int
    #: septet → character in the locking table ("\\uffff" where undefined).
    table: str
    #: septet after ESC → character in the single shift table.
    shift: Mapping[int, str]
    #: characters that cost one septet.
    basic: frozenset[str]
    #: characters that cost two septets (ESC + code).
    extended: frozenset[str]
    #: basic | extended.
    charset: frozenset[str]
    #: ord(character) → unpacked septets (latin-1 string of one or two code points).
    encode_map: Mapping[int, str]
    #: latin-1 code point of a septet → character, for septets not preceded by ESC.
    decode_map: Mapping[int, str]
    #: matches any character outside ``charset``.
    unencodable: re.Pattern[str]
    #: matches the characters of ``extended``.
    escaped: re.Pattern[str]

    @property
    def name(self) -> str:
        """Human readable name, e.g. ``GSM 7-bit (locking 1, single 0)``."""
        if self.locking == 0 and self.single == 0:
            return "GSM 7-bit"
        return f"GSM 7-bit (locking shift {self.locking}, single shift {self.single})"

    def count(self, text: str) -> int | None:
        """Septets needed for ``text``, or ``None`` when a character cannot be encoded."""
        if self.unencodable.search(text):
            return None
        escapes = self.escaped.findall(text)
        return len(text) + len(escapes) if escapes else len(text)

    def first_unencodable(self, text: str) -> tuple[str, int] | None:
        """The first character of ``text`` this alphabet cannot carry, with its index."""
        found = self.unencodable.search(text)
        return None if found is None else (found.group(), found.start())

    def encode(self, text: str) -> bytes:
        """Text → unpacked septets; raises :class:`UnencodableCharacter`."""
        found = self.unencodable.search(text)
        if found is not None:
            raise UnencodableCharacter(found.group(), found.start(), self.name)
        return text.translate(self.encode_map).encode("latin-1")

    def decode(self, septets: bytes) -> str:
        """Unpacked septets → text; raises :class:`DecodeError` on an octet above 0x7F."""
        if not septets.isascii():
            bad = next(i for i, octet in enumerate(septets) if octet > 0x7F)
            raise DecodeError(f"octet 0x{septets[bad]:02X} at {bad} is not a GSM 7-bit septet")
        raw = septets.decode("latin-1")
        if "\x1b" not in raw:
            return raw.translate(self.decode_map)
        return _ESCAPED.sub(self._escape, raw)

    def _escape(self, match: re.Match[str]) -> str:
        escaped = match.group(1)
        if escaped:
            code = ord(escaped)
            if code in self.shift:
                return self.shift[code]
            if code == ESC:
                # TS 23.038 §6.2.1.1: 0x1B 0x1B is reserved for a further table; shown as space.
                return " "
            # TS 23.038 §6.2.1.1: a code not in the shift table shows the locking character.
            return self._plain(code)
        plain = match.group(2)
        if plain:
            return plain.translate(self.decode_map)
        return " "  # a lone ESC at the end of the data

    def _plain(self, code: int) -> str:
        char = self.table[code]
        return " " if char in (UNDEFINED, "\x1b") else char


# ESC followed by one septet | a run of septets without ESC | a trailing lone ESC.
_ESCAPED: Final = re.compile(r"\x1b([\x00-\x7f])|([^\x1b]+)|\x1b", re.DOTALL)


def _build(locking: int, single: int, table: str, shift: Mapping[int, str]) -> Gsm7Alphabet:
    if len(table) != 128:
        raise ValueError(f"locking table {locking} has {len(table)} entries, not 128")
    encode_map: dict[int, str] = {}
    for code, char in enumerate(table):
        if char in (UNDEFINED, "\x1b") or ord(char) in encode_map:
            continue
        encode_map[ord(char)] = chr(code)
    basic = frozenset(chr(c) for c in encode_map)
    extended: set[str] = set()
    for code, char in sorted(shift.items()):
        if ord(char) not in encode_map:
            encode_map[ord(char)] = "\x1b" + chr(code)
            extended.add(char)
    decode_map = {
        code: (" " if char in (UNDEFINED, "\x1b") else char) for code, char in enumerate(table)
    }
    charset = basic | extended
    return Gsm7Alphabet(
        locking=locking,
        single=single,
        table=table,
        shift=dict(shift),
        basic=basic,
        extended=frozenset(extended),
        charset=charset,
        encode_map=encode_map,
        decode_map=decode_map,
        unencodable=re.compile(f"[^{_char_class(charset)}]"),
        escaped=re.compile(f"[{_char_class(extended)}]" if extended else "(?!)"),
    )


def _char_class(chars: set[str] | frozenset[str]) -> str:
    """The inside of a regular expression character class matching exactly ``chars``."""
    return "".join(re.escape(c) for c in sorted(chars))


@lru_cache(maxsize=256)
def gsm7_alphabet(locking: int = 0, single: int = 0) -> Gsm7Alphabet:
    """The alphabet for a locking shift / single shift language pair (0 = default tables).

    Raises :class:`KeyError` for a language without such a table (TS 23.038 Annex A).
    """
    if locking == 0 and single == 0:
        return _build(0, 0, DEFAULT_ALPHABET, DEFAULT_EXTENSION)
    table = DEFAULT_ALPHABET if locking == 0 else LOCKING_SHIFT_TABLES[locking]
    shift = DEFAULT_EXTENSION if single == 0 else SINGLE_SHIFT_TABLES[single]
    return _build(locking, single, table, shift)


DEFAULT: Final = gsm7_alphabet(0, 0)


def encode_gsm7(text: str, *, locking: int = 0, single: int = 0) -> bytes:
    """Text → unpacked septets (TS 23.038 §6.2.1); :class:`UnencodableCharacter` if not GSM."""
    return gsm7_alphabet(locking, single).encode(text)


def decode_gsm7(septets: bytes, *, locking: int = 0, single: int = 0) -> str:
    """Unpacked septets → text (TS 23.038 §6.2.1); :class:`DecodeError` on octets > 0x7F."""
    return gsm7_alphabet(locking, single).decode(septets)


def septet_length(text: str, *, locking: int = 0, single: int = 0) -> int | None:
    """Septets ``text`` needs (extension characters count two), ``None`` if not encodable."""
    return gsm7_alphabet(locking, single).count(text)


def fill_bits(udh_octets: int) -> int:
    """Fill bits after a UDH of ``udh_octets`` octets (incl. UDHL) (TS 23.040 §9.2.3.24)."""
    return (7 - (udh_octets * 8) % 7) % 7


def header_septets(udh_octets: int) -> int:
    """Septets a UDH occupies in TP-UDL, fill bits included (TS 23.040 §9.2.3.16)."""
    return (udh_octets * 8 + 6) // 7


def pack_septets(septets: bytes, *, fill: int = 0) -> bytes:
    """Pack unpacked septets into octets, LSB first (TS 23.038 §6.1.2.1.1).

    ``fill`` zero bits precede the first septet (TS 23.040 §9.2.3.24: 0-6 fill bits after
    a UDH). Raises :class:`ValueError` for an octet above 0x7F or a bad ``fill``.
    """
    if not 0 <= fill <= 6:
        raise ValueError(f"fill must be 0..6 bits, not {fill}")
    if not septets.isascii():
        raise ValueError("septets must be 0x00..0x7F")
    acc = 0
    shift = fill
    for septet in septets:
        acc |= septet << shift
        shift += 7
    return acc.to_bytes((shift + 7) // 8, "little")


def unpack_septets(data: bytes, *, count: int | None = None, fill: int = 0) -> bytes:
    """Unpack packed octets into one septet per octet (TS 23.038 §6.1.2.1.1).

    ``fill`` bits are skipped first (TS 23.040 §9.2.3.24). ``count`` is the number of
    septets to take (from TP-UDL); without it every whole septet in ``data`` is returned.
    Raises :class:`DecodeError` when ``data`` is too short for ``count``.
    """
    if not 0 <= fill <= 6:
        raise ValueError(f"fill must be 0..6 bits, not {fill}")
    available = max(0, (len(data) * 8 - fill) // 7)
    if count is None:
        count = available
    elif count > available:
        raise DecodeError(
            f"{count} septets do not fit in {len(data)} octets after {fill} fill bits"
        )
    acc = int.from_bytes(data, "little") >> fill
    out = bytearray(count)
    for i in range(count):
        out[i] = acc & 0x7F
        acc >>= 7
    return bytes(out)
