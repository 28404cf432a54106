"""UCS-2 user data, carried as UTF-16BE (3GPP TS 23.038 §4 bits 3..2 = 10; §6.2.3).

TS 23.038 names UCS-2, but handsets and SMSCs carry UTF-16: characters outside the Basic
Multilingual Plane (emoji) travel as surrogate pairs, two 16-bit code units each. Lengths
are therefore counted in code units, and a part may end only where a surrogate pair is not
cut (:func:`is_split_point`).

Decoding is lenient towards what handsets send: an unpaired surrogate (for instance from a
sender that cut a pair between parts) becomes U+FFFD; only an odd number of octets is a
:class:`DecodeError`.
"""

from __future__ import annotations

from heliograph.wire.errors import DecodeError, UnencodableCharacter

__all__ = ["decode_ucs2", "encode_ucs2", "is_split_point", "ucs2_length"]


def encode_ucs2(text: str) -> bytes:
    """Text → UTF-16BE; :class:`UnencodableCharacter` for a lone surrogate in ``text``."""
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise UnencodableCharacter(text[exc.start], exc.start, "UCS-2") from None


def decode_ucs2(data: bytes) -> str:
    """UTF-16BE → text; unpaired surrogates become U+FFFD."""
    if len(data) % 2:
        raise DecodeError(f"UCS-2 data has an odd length of {len(data)} octets")
    return data.decode("utf-16-be", errors="replace")


def ucs2_length(text: str) -> int:
    """Code units ``text`` needs: one per BMP character, two per supplementary one."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if char > "\uffff")


def is_split_point(data: bytes, offset: int) -> bool:
    """Whether UTF-16BE ``data`` may be cut at ``offset`` octets (even, not inside a pair)."""
    if offset % 2 or not 0 <= offset <= len(data):
        return False
    if offset in (0, len(data)):
        return True
    return not 0xD8 <= data[offset - 2] <= 0xDB
