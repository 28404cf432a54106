"""Choose an alphabet for a text and split it into parts (SMS) that each fit one TP-UD.

* 3GPP TS 23.040 §9.2.3.24.1 / §9.2.3.24.8: concatenation IEs 0x00 (8-bit reference) and
  0x08 (16-bit reference); every part of a multipart message carries one.
* 3GPP TS 23.040 §9.2.3.24.15 / §9.2.3.24.16: national language single shift (0x24) and
  locking shift (0x25) IEs, one octet each, in every part (also a single part).
* 3GPP TS 23.040 §9.2.3.16: TP-UD holds 140 octets = 160 septets; a UDH takes its octets
  plus fill bits up to a septet boundary, so per part: GSM 7-bit 160 / 153 (152 with a
  16-bit reference), octets 140 / 134 (133), UCS-2 70 / 67 (66) code units.
* 3GPP TS 23.038 §6.2.1.1: an escape sequence (ESC + code) is never split across parts;
  UTF-16 surrogate pairs are never split either.

``auto`` picks GSM 7-bit (trying the national tables in ``languages``) and falls back to
UCS-2. GSM 7-bit always needs no more parts than UCS-2 for a text both can carry (at worst
two septets per character against two octets, with more room per part), so no UCS-2
count is needed when GSM 7-bit fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from heliograph.wire.errors import EncodeError, UnencodableCharacter
from heliograph.wire.gsm.dcs import Alphabet, encode_dcs
from heliograph.wire.gsm.gsm7 import (
    DEFAULT,
    DEFAULT_EXTENSION,
    ESC,
    Gsm7Alphabet,
    gsm7_alphabet,
    header_septets,
)
from heliograph.wire.gsm.latin1 import LATIN1_CHARSET, encode_latin1
from heliograph.wire.gsm.shift_tables import LOCKING_SHIFT_TABLES, SINGLE_SHIFT_TABLES, UNDEFINED
from heliograph.wire.gsm.transliterate import transliterate as _transliterate
from heliograph.wire.gsm.ucs2 import encode_ucs2
from heliograph.wire.gsm.udh import (
    encode_udh,
    national_locking_shift_ie,
    national_single_shift_ie,
)

__all__ = [
    "EncodedPart",
    "Encoding",
    "SplitText",
    "count_parts",
    "split_binary",
    "split_text",
]

Encoding = Literal["auto", "gsm7", "latin1", "ucs2", "binary"]

#: TS 23.040 §9.2.3.24: the concatenation index is one octet, so at most 255 parts.
MAX_PARTS: Final = 255
#: TS 23.040 §9.2.3.16: TP-UD is at most 140 octets (160 septets).
MAX_OCTETS: Final = 140
MAX_SEPTETS: Final = 160

_CONCAT8_IE: Final = 5  # IEI, IEDL, reference, total, sequence (§9.2.3.24.1)
_CONCAT16_IE: Final = 6  # IEI, IEDL, reference (2), total, sequence (§9.2.3.24.8)
_SHIFT_IE: Final = 3  # IEI, IEDL, language (§9.2.3.24.15/.16)

_CharSets = tuple[tuple[int, frozenset[str]], ...]

_ALPHABET: Final = {
    "gsm7": Alphabet.GSM7,
    "latin1": Alphabet.LATIN1,
    "ucs2": Alphabet.UCS2,
    "binary": Alphabet.BINARY,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EncodedPart:
    """One part: its UDH (with UDHL, ``b""`` when none) and the body after the UDH.

    GSM 7-bit bodies are unpacked septets (one per octet); the others are octets.
    """

    udh: bytes
    payload: bytes
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitText:
    """A text encoded and split into parts, with the DCS byte that describes them."""

    encoding: str
    data_coding: int
    parts: tuple[EncodedPart, ...]
    locking_shift: int | None = None
    single_shift: int | None = None


def _udh_octets(*, multipart: bool, ref16: bool, shift_ies: int = 0, extra: int = 0) -> int:
    ies = extra + shift_ies * _SHIFT_IE
    if multipart:
        ies += _CONCAT16_IE if ref16 else _CONCAT8_IE
    return ies + 1 if ies else 0


def _septet_capacity(udh_octets: int) -> int:
    return MAX_SEPTETS - header_septets(udh_octets)


def _chunks(data: bytes, size: int, *, unit: int, must_not_end: range) -> list[bytes]:
    """Cut ``data`` into pieces of at most ``size`` bytes, never ending on a forbidden unit.

    For GSM 7-bit (``unit`` 1) the forbidden last septet is ESC; for UTF-16 (``unit`` 2)
    it is a high surrogate. Either way the piece is one unit shorter.
    """
    out: list[bytes] = []
    start, n = 0, len(data)
    while start < n:
        end = min(start + size, n)
        if end < n:
            last = int.from_bytes(data[end - unit : end], "big")
            if last in must_not_end:
                end -= unit
        out.append(data[start:end])
        start = end
    return out


_NO_ESC_END: Final = range(ESC, ESC + 1)
_NO_HIGH_SURROGATE_END: Final = range(0xD800, 0xDC00)
_ANY_END: Final = range(0)


def _count_chunks(data: bytes, size: int, *, unit: int, must_not_end: range) -> int:
    count, start, n = 0, 0, len(data)
    while start < n:
        end = min(start + size, n)
        if end < n and int.from_bytes(data[end - unit : end], "big") in must_not_end:
            end -= unit
        count += 1
        start = end
    return count


# --- GSM 7-bit -------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _tables(languages: frozenset[int]) -> tuple[_CharSets, _CharSets]:
    """(locking, single shift) tables allowed by ``languages``, each with its characters."""
    locking: _CharSets = ((0, DEFAULT.basic),)
    single: _CharSets = ((0, frozenset(DEFAULT_EXTENSION.values())),)
    for language in sorted(languages):
        if language in LOCKING_SHIFT_TABLES:
            table = frozenset(LOCKING_SHIFT_TABLES[language]) - {UNDEFINED, "\x1b"}
            locking += ((language, table),)
        if language in SINGLE_SHIFT_TABLES:
            single += ((language, frozenset(SINGLE_SHIFT_TABLES[language].values())),)
    return locking, single


def _gsm7_candidates(text: str, languages: frozenset[int] | None) -> list[Gsm7Alphabet]:
    """Table combinations that can carry every character of ``text`` (TS 23.038 §6.2.1.2)."""
    if not languages:
        return [DEFAULT] if DEFAULT.count(text) is not None else []
    chars = set(text)
    locking, single = _tables(languages)
    viable: list[Gsm7Alphabet] = []
    for lock, lock_chars in locking:
        rest = chars - lock_chars
        viable.extend(gsm7_alphabet(lock, sing) for sing, chars2 in single if rest <= chars2)
    return viable


def _shift_ies(alphabet: Gsm7Alphabet) -> int:
    return (alphabet.locking != 0) + (alphabet.single != 0)


def _gsm7_parts(alphabet: Gsm7Alphabet, text: str, septets: int, ref16: bool) -> int:
    ies = _shift_ies(alphabet)
    if septets <= _septet_capacity(_udh_octets(multipart=False, ref16=ref16, shift_ies=ies)):
        return 1
    size = _septet_capacity(_udh_octets(multipart=True, ref16=ref16, shift_ies=ies))
    if septets == len(text):  # no escape sequences: plain division
        return -(-septets // size)
    encoded = alphabet.encode(text)
    return _count_chunks(encoded, size, unit=1, must_not_end=_NO_ESC_END)


def _fewest_parts(length: int, ies: int, ref16: bool) -> int:
    """A lower bound on the parts ``length`` characters need with ``ies`` shift IEs."""
    if length <= _septet_capacity(_udh_octets(multipart=False, ref16=ref16, shift_ies=ies)):
        return 1
    return -(-length // _septet_capacity(_udh_octets(multipart=True, ref16=ref16, shift_ies=ies)))


def _best_gsm7(
    text: str, languages: frozenset[int] | None, ref16: bool
) -> tuple[Gsm7Alphabet, int] | None:
    """The table combination needing the fewest parts; ties go to fewer shift IEs."""
    septets = DEFAULT.count(text)
    if septets is not None and septets <= MAX_SEPTETS:
        return DEFAULT, 1  # nothing beats one part without a UDH
    best: tuple[tuple[int, int, int], Gsm7Alphabet, int] | None = None
    candidates = sorted(_gsm7_candidates(text, languages), key=_shift_ies)
    for alphabet in candidates:
        ies = _shift_ies(alphabet)
        if (
            best is not None
            and ies > best[0][1]
            and best[2] <= _fewest_parts(len(text), ies, ref16)
        ):
            break  # more IEs cannot need fewer parts than this
        septets = alphabet.count(text)
        assert septets is not None
        parts = _gsm7_parts(alphabet, text, septets, ref16)
        key = (parts, ies, septets)
        if best is None or key < best[0]:
            best = (key, alphabet, parts)
    return None if best is None else (best[1], best[2])


def _gsm7_unencodable(text: str, languages: frozenset[int] | None) -> UnencodableCharacter:
    locking, single = _tables(languages or frozenset())
    union = frozenset().union(*(chars for _, chars in (*locking, *single)))
    bad = set(text) - union
    if bad:
        position = min(text.index(c) for c in bad)
        return UnencodableCharacter(text[position], position, DEFAULT.name)
    found = DEFAULT.first_unencodable(text)
    assert found is not None
    return UnencodableCharacter(found[0], found[1], DEFAULT.name)


# --- octet alphabets -------------------------------------------------------------------


def _utf8_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate is not text
        raise UnencodableCharacter(text[exc.start], exc.start, "UTF-8") from None


def _octet_parts(n_octets: int, *, unit: int, ref16: bool, data: bytes | None = None) -> int:
    if n_octets <= MAX_OCTETS - (MAX_OCTETS % unit):
        return 1
    size = MAX_OCTETS - _udh_octets(multipart=True, ref16=ref16)
    size -= size % unit
    if data is None:
        return -(-n_octets // size)
    return _count_chunks(data, size, unit=unit, must_not_end=_NO_HIGH_SURROGATE_END)


def _ucs2_count(text: str, ref16: bool) -> int:
    data = encode_ucs2(text)
    if len(data) == 2 * len(text):  # no surrogate pairs: plain division
        return _octet_parts(len(data), unit=2, ref16=ref16)
    return _octet_parts(len(data), unit=2, ref16=ref16, data=data)


# --- public API ------------------------------------------------------------------------


def count_parts(
    text: str,
    *,
    encoding: Encoding = "auto",
    languages: frozenset[int] | None = None,
    ref16: bool = False,
) -> tuple[str, int]:
    """(encoding chosen, number of parts) for ``text``, without building any part.

    Raises :class:`UnencodableCharacter` when a forced encoding cannot carry the text.
    ``binary`` counts the UTF-8 octets of ``text``.
    """
    if encoding == "auto" and not languages:
        septets = DEFAULT.count(text)
        if septets is not None:
            return "gsm7", _gsm7_parts(DEFAULT, text, septets, ref16)
        return "ucs2", _ucs2_count(text, ref16)
    if encoding in ("auto", "gsm7"):
        best = _best_gsm7(text, languages, ref16)
        if best is not None:
            return "gsm7", best[1]
        if encoding == "gsm7":
            raise _gsm7_unencodable(text, languages)
        return "ucs2", _ucs2_count(text, ref16)
    if encoding == "ucs2":
        return "ucs2", _ucs2_count(text, ref16)
    if encoding == "latin1":
        return "latin1", _octet_parts(len(encode_latin1(text)), unit=1, ref16=ref16)
    if encoding == "binary":
        return "binary", _octet_parts(len(_utf8_bytes(text)), unit=1, ref16=ref16)
    raise EncodeError(f"unknown encoding {encoding!r}")


def _check_reference(reference: int, ref16: bool) -> None:
    limit = 0xFFFF if ref16 else 0xFF
    if not 0 <= reference <= limit:
        raise EncodeError(f"concatenation reference {reference} is outside 0..{limit}")


def _check_count(count: int, max_parts: int) -> None:
    limit = min(max_parts, MAX_PARTS)
    if count > limit:
        raise EncodeError(f"message needs {count} parts, more than the limit of {limit}")


def _udhs(count: int, *, reference: int, ref16: bool, head: bytes = b"") -> list[bytes]:
    """One UDH per part: concatenation when multipart, then the ``head`` IEs (no UDHL).

    The concatenation IE (§9.2.3.24.1 / .8) is laid out inline: this runs for every part.
    """
    if count == 1:
        return [encode_udh(head) if head else b""]
    if count > MAX_PARTS:
        raise EncodeError(f"message needs {count} parts, more than the limit of {MAX_PARTS}")
    if len(head) + _CONCAT16_IE > MAX_OCTETS - 2:
        raise EncodeError(f"a UDH of {len(head)} octets leaves no room for data")
    if ref16:
        prefix = bytes((len(head) + 6, 0x08, 4, reference >> 8, reference & 0xFF, count))
    else:
        prefix = bytes((len(head) + 5, 0x00, 3, reference, count))
    return [prefix + bytes((seq,)) + head for seq in range(1, count + 1)]


def _split_gsm7(
    text: str, alphabet: Gsm7Alphabet, *, reference: int, ref16: bool, max_parts: int
) -> tuple[EncodedPart, ...]:
    ies = _shift_ies(alphabet)
    head = b""
    if alphabet.single:
        head += national_single_shift_ie(alphabet.single)
    if alphabet.locking:
        head += national_locking_shift_ie(alphabet.locking)
    encoded = alphabet.encode(text)
    if len(encoded) <= _septet_capacity(_udh_octets(multipart=False, ref16=ref16, shift_ies=ies)):
        return (EncodedPart(udh=encode_udh(head) if head else b"", payload=encoded, text=text),)
    size = _septet_capacity(_udh_octets(multipart=True, ref16=ref16, shift_ies=ies))
    chunks = _chunks(encoded, size, unit=1, must_not_end=_NO_ESC_END)
    _check_count(len(chunks), max_parts)
    udhs = _udhs(len(chunks), reference=reference, ref16=ref16, head=head)
    return tuple(
        EncodedPart(udh=udh, payload=chunk, text=alphabet.decode(chunk))
        for udh, chunk in zip(udhs, chunks, strict=True)
    )


def _split_octets(
    data: bytes, *, unit: int, reference: int, ref16: bool, max_parts: int, head: bytes = b""
) -> list[tuple[bytes, bytes]]:
    single_size = MAX_OCTETS - _udh_octets(multipart=False, ref16=ref16, extra=len(head))
    single_size -= single_size % unit
    if len(data) <= single_size:
        chunks = [data]
    else:
        size = MAX_OCTETS - _udh_octets(multipart=True, ref16=ref16, extra=len(head))
        size -= size % unit
        if size <= 0:
            raise EncodeError(f"a UDH of {len(head)} octets leaves no room for data")
        forbidden = _NO_HIGH_SURROGATE_END if unit == 2 else _ANY_END
        chunks = _chunks(data, size, unit=unit, must_not_end=forbidden)
    _check_count(len(chunks), max_parts)
    udhs = _udhs(len(chunks), reference=reference, ref16=ref16, head=head)
    return list(zip(udhs, chunks, strict=True))


def _encode_forced(text: str, encoding: str, transliterate: bool) -> str:
    """The text a forced octet alphabet carries (transliterated when asked)."""
    if encoding == "latin1" and transliterate and text and max(text) > "\xff":
        return _transliterate(text, LATIN1_CHARSET)
    return text


def split_text(
    text: str,
    *,
    reference: int,
    encoding: Encoding = "auto",
    languages: frozenset[int] | None = None,
    ref16: bool = False,
    max_parts: int = MAX_PARTS,
    transliterate: bool = False,
    message_class: int | None = None,
) -> SplitText:
    """Encode ``text`` and split it into parts with UDHs (TS 23.040 §9.2.3.24).

    ``reference`` is the concatenation reference (0-255, or 0-65535 with ``ref16``).
    ``transliterate`` replaces characters the (forced or GSM 7-bit) alphabet cannot carry
    with look-alikes, or ``?`` when there is none; with ``auto`` it avoids UCS-2.
    Raises :class:`UnencodableCharacter` or :class:`EncodeError` (too many parts, bad
    reference or class).
    """
    _check_reference(reference, ref16)
    if encoding in ("auto", "gsm7"):
        best = _best_gsm7(text, languages, ref16)
        if best is None and transliterate:
            text = _transliterate(text, DEFAULT.charset)
            best = _best_gsm7(text, languages, ref16)
        if best is not None:
            alphabet = best[0]
            parts = _split_gsm7(
                text, alphabet, reference=reference, ref16=ref16, max_parts=max_parts
            )
            return SplitText(
                encoding="gsm7",
                data_coding=encode_dcs(Alphabet.GSM7, message_class=message_class),
                parts=parts,
                locking_shift=alphabet.locking or None,
                single_shift=alphabet.single or None,
            )
        if encoding == "gsm7":
            raise _gsm7_unencodable(text, languages)
        encoding = "ucs2"
    if encoding not in _ALPHABET:
        raise EncodeError(f"unknown encoding {encoding!r}")
    text = _encode_forced(text, encoding, transliterate)
    if encoding == "ucs2":
        data, unit = encode_ucs2(text), 2
    elif encoding == "latin1":
        data, unit = encode_latin1(text), 1
    else:
        data, unit = _utf8_bytes(text), 1
    pieces = _split_octets(data, unit=unit, reference=reference, ref16=ref16, max_parts=max_parts)
    codec = {"ucs2": "utf-16-be", "latin1": "latin-1"}.get(encoding)
    return SplitText(
        encoding=encoding,
        data_coding=encode_dcs(_ALPHABET[encoding], message_class=message_class),
        parts=tuple(
            EncodedPart(udh=udh, payload=chunk, text=chunk.decode(codec) if codec else "")
            for udh, chunk in pieces
        ),
    )


def split_binary(
    data: bytes,
    *,
    reference: int,
    udh_extra: bytes = b"",
    ref16: bool = False,
    max_parts: int = MAX_PARTS,
    message_class: int | None = None,
) -> SplitText:
    """Split 8-bit data into parts (140 / 134 octets, less ``udh_extra``).

    ``udh_extra`` holds further encoded IEs (without UDHL), e.g. application ports
    (TS 23.040 §9.2.3.24.4), repeated in every part after the concatenation IE.
    """
    _check_reference(reference, ref16)
    pieces = _split_octets(
        data, unit=1, reference=reference, ref16=ref16, max_parts=max_parts, head=udh_extra
    )
    return SplitText(
        encoding="binary",
        data_coding=encode_dcs(Alphabet.BINARY, message_class=message_class),
        parts=tuple(EncodedPart(udh=udh, payload=chunk, text="") for udh, chunk in pieces),
    )
