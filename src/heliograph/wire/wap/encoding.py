"""WSP basic value encodings (WAP-230-WSP §8.1.2, §8.4.2.1–§8.4.2.3) and a bounded byte reader.

* §8.1.2 ``uintvar``: an unsigned integer of at most 32 bits, seven bits per octet, most
  significant group first, the top bit set on every octet but the last (at most 5 octets).
  WBXML's ``mb_u_int32`` (WAP-192 §5.1) is the same encoding.
* §8.4.2.1 ``Short-integer`` (one octet, value 0–127 with the top bit set), ``Long-integer``
  (``Short-length`` 0–30 then that many big-endian octets), ``Integer-value`` (either).
* §8.4.2.1 ``Text-string`` (octets ending with NUL, a ``Quote`` 0x7F in front when the first
  octet is 0x80 or above), ``Token-text``, ``Quoted-string`` (0x22 in front), and
  ``Extension-media``.
* §8.4.2.2 ``Value-length``: ``Short-length`` 0–30, or ``Length-quote`` 0x1F then a uintvar.
* §8.4.1.2 the first octet of any field value tells its extent: 0–30 a short length, 31 a
  uintvar length, 32–127 text up to NUL, 128–255 the octet alone. ``skip_value`` uses this to
  step over values it does not interpret.

Text is written as UTF-8. It is read as UTF-8, and as ISO-8859-1 when it is not valid UTF-8,
so a value from a peer is never lost. :class:`ByteReader` raises :class:`DecodeError` for
any read past its end; nothing here knows about headers or PDUs.
"""

from __future__ import annotations

from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError

__all__ = [
    "LENGTH_QUOTE",
    "QUOTE",
    "QUOTED_STRING",
    "ByteReader",
    "decode_text",
    "encode_integer_value",
    "encode_long_integer",
    "encode_quoted_string",
    "encode_short_integer",
    "encode_text_string",
    "encode_uintvar",
    "encode_value_length",
]

#: §8.4.2.1: Quote, in front of a Text-string whose first octet is 128 or more.
QUOTE: Final = 0x7F
#: §8.4.2.1: the double quote that opens a Quoted-string.
QUOTED_STRING: Final = 0x22
#: §8.4.2.2: Length-quote, followed by a uintvar length.
LENGTH_QUOTE: Final = 0x1F
#: §8.1.2: a uintvar carries at most 32 bits in at most 5 octets.
_UINTVAR_MAX: Final = 0xFFFFFFFF
_UINTVAR_OCTETS: Final = 5
#: §8.4.2.1: a Long-integer has at most 30 octets.
_LONG_OCTETS: Final = 30


def encode_uintvar(value: int) -> bytes:
    """A §8.1.2 uintvar.

    Raises :class:`EncodeError` outside 0..2**32-1.
    """
    if not 0 <= value <= _UINTVAR_MAX:
        raise EncodeError(f"uintvar {value} is outside 0..{_UINTVAR_MAX}")
    out = bytearray((value & 0x7F,))
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.reverse()
    return bytes(out)


def encode_short_integer(value: int) -> bytes:
    """§8.4.2.1 Short-integer: 0–127 with the top bit set."""
    if not 0 <= value <= 0x7F:
        raise EncodeError(f"short integer {value} is outside 0..127")
    return bytes((0x80 | value,))


def encode_long_integer(value: int) -> bytes:
    """§8.4.2.1 Long-integer: Short-length then the value in as few octets as it needs."""
    if value < 0:
        raise EncodeError(f"long integer {value} is negative")
    octets = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    if len(octets) > _LONG_OCTETS:
        raise EncodeError(f"long integer {value} needs more than {_LONG_OCTETS} octets")
    return bytes((len(octets),)) + octets


def encode_integer_value(value: int) -> bytes:
    """§8.4.2.3 Integer-value: a Short-integer when it fits, else a Long-integer."""
    return encode_short_integer(value) if 0 <= value <= 0x7F else encode_long_integer(value)


def encode_value_length(length: int) -> bytes:
    """§8.4.2.2 Value-length: one octet up to 30, else Length-quote and a uintvar."""
    if 0 <= length <= 30:
        return bytes((length,))
    return bytes((LENGTH_QUOTE,)) + encode_uintvar(length)


def _octets(text: str) -> bytes:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise EncodeError(f"text {text!r} is not encodable as UTF-8") from None
    if b"\x00" in data:
        raise EncodeError(f"text {text!r} contains NUL, which ends a WSP text string")
    return data


def encode_text_string(text: str) -> bytes:
    """§8.4.2.1 Text-string (also Token-text, Extension-media, Uri-value): UTF-8 and NUL."""
    data = _octets(text)
    if data and data[0] >= QUOTE:  # 0x7F itself is quoted too, or the reader would drop it
        return bytes((QUOTE,)) + data + b"\x00"
    return data + b"\x00"


def encode_quoted_string(text: str) -> bytes:
    """§8.4.2.1 Quoted-string: 0x22, the text, NUL (no closing quote)."""
    return bytes((QUOTED_STRING,)) + _octets(text) + b"\x00"


def decode_text(data: bytes) -> str:
    """Octets of a text value as str: UTF-8, or ISO-8859-1 when they are not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class ByteReader:
    """A cursor over ``data[pos:end]``; every read past ``end`` raises :class:`DecodeError`."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def __repr__(self) -> str:
        return f"ByteReader(pos={self.pos}, end={self.end})"

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def peek(self) -> int:
        if self.pos >= self.end:
            raise DecodeError(f"data ends at octet {self.pos}, one more was expected")
        return self.data[self.pos]

    def octet(self) -> int:
        value = self.peek()
        self.pos += 1
        return value

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > self.end:
            raise DecodeError(
                f"{count} octets wanted at octet {self.pos}, only {self.remaining} remain"
            )
        start = self.pos
        self.pos += count
        return self.data[start : self.pos]

    def rest(self) -> bytes:
        return self.take(self.remaining)

    def sub(self, count: int) -> ByteReader:
        """A reader over the next ``count`` octets; this reader moves past them."""
        if count < 0 or self.pos + count > self.end:
            raise DecodeError(f"a value of {count} octets at octet {self.pos} runs past the data")
        reader = ByteReader(self.data, self.pos, self.pos + count)
        self.pos += count
        return reader

    def uintvar(self) -> int:
        """§8.1.2 uintvar (WAP-192 mb_u_int32)."""
        value = 0
        for _ in range(_UINTVAR_OCTETS):
            octet = self.octet()
            value = (value << 7) | (octet & 0x7F)
            if not octet & 0x80:
                if value > _UINTVAR_MAX:
                    raise DecodeError(f"uintvar ending at octet {self.pos} exceeds 32 bits")
                return value
        raise DecodeError(f"uintvar ending at octet {self.pos} is longer than 5 octets")

    def cstring(self) -> bytes:
        """Octets up to the next NUL, which is consumed and not returned."""
        nul = self.data.find(b"\x00", self.pos, self.end)
        if nul < 0:
            raise DecodeError(f"text starting at octet {self.pos} has no terminating NUL")
        value = self.data[self.pos : nul]
        self.pos = nul + 1
        return value

    def text_string(self) -> str:
        """§8.4.2.1 Text-string (a leading Quote is dropped)."""
        if self.peek() == QUOTE:
            self.pos += 1
        return decode_text(self.cstring())

    def quoted_string(self) -> str:
        """§8.4.2.1 Quoted-string; a Text-string is accepted as well."""
        if self.peek() == QUOTED_STRING:
            self.pos += 1
            return decode_text(self.cstring())
        return self.text_string()

    def short_integer(self) -> int:
        octet = self.octet()
        if not octet & 0x80:
            raise DecodeError(f"octet 0x{octet:02X} at {self.pos - 1} is not a Short-integer")
        return octet & 0x7F

    def long_integer(self) -> int:
        length = self.octet()
        if not 1 <= length <= _LONG_OCTETS:
            raise DecodeError(f"Long-integer length {length} at octet {self.pos - 1}")
        return int.from_bytes(self.take(length), "big")

    def integer_value(self) -> int:
        """§8.4.2.3 Integer-value: Short-integer or Long-integer."""
        return self.short_integer() if self.peek() & 0x80 else self.long_integer()

    def value_length(self) -> int:
        """§8.4.2.2 Value-length."""
        octet = self.octet()
        if octet < LENGTH_QUOTE:
            return octet
        if octet == LENGTH_QUOTE:
            return self.uintvar()
        raise DecodeError(f"octet 0x{octet:02X} at {self.pos - 1} is not a Value-length")

    def skip_value(self) -> bytes:
        """The encoded octets of one field value, whatever its type (§8.4.1.2)."""
        start = self.pos
        octet = self.peek()
        if octet < LENGTH_QUOTE:
            self.pos += 1
            self.take(octet)
        elif octet == LENGTH_QUOTE:
            self.pos += 1
            self.take(self.uintvar())
        elif octet < 0x80:
            self.cstring()
        else:
            self.pos += 1
        return self.data[start : self.pos]
