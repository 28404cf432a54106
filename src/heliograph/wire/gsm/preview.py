"""What a text costs: encoding, parts, what each part holds, room left (the preview a user
sees before sending, and ``heliograph text split``).

Built on :func:`heliograph.wire.gsm.parts.split_text`, so the preview and the submit path
can never disagree. Units are those of the chosen encoding: septets for GSM 7-bit (an
extension character counts two, TS 23.038 §6.2.1.1), UTF-16 code units for UCS-2, octets
for Latin-1 and binary.
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.wire.gsm.gsm7 import gsm7_alphabet, header_septets
from heliograph.wire.gsm.parts import MAX_OCTETS, MAX_PARTS, MAX_SEPTETS, Encoding, split_text
from heliograph.wire.gsm.shift_tables import LOCKING_SHIFT_TABLES, SINGLE_SHIFT_TABLES

__all__ = ["Preview", "preview_text"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Preview:
    """How a text goes on the air."""

    encoding: str
    data_coding: int
    characters: int  # Unicode code points in the text
    units: int  # septets / code units / octets over all parts
    parts: tuple[str, ...]  # the text each part carries
    remaining: int  # units still free in the last part
    locking_shift: int | None
    single_shift: int | None
    forced_ucs2: tuple[str, ...]  # characters no allowed GSM 7-bit table has, in order


def preview_text(
    text: str,
    *,
    encoding: Encoding = "auto",
    languages: frozenset[int] | None = None,
    ref16: bool = False,
    transliterate: bool = False,
    max_parts: int = MAX_PARTS,
) -> Preview:
    """Preview ``text``; raises what :func:`split_text` raises."""
    split = split_text(
        text,
        reference=0,
        encoding=encoding,
        languages=languages,
        ref16=ref16,
        transliterate=transliterate,
        max_parts=max_parts,
    )
    last = split.parts[-1]
    if split.encoding == "gsm7":
        units = sum(len(p.payload) for p in split.parts)
        remaining = MAX_SEPTETS - header_septets(len(last.udh)) - len(last.payload)
    else:
        unit = 2 if split.encoding == "ucs2" else 1
        units = sum(len(p.payload) for p in split.parts) // unit
        remaining = (MAX_OCTETS - len(last.udh)) // unit - len(last.payload) // unit
    forced = _forced_ucs2(text, languages) if split.encoding == "ucs2" else ()
    return Preview(
        encoding=split.encoding,
        data_coding=split.data_coding,
        characters=len(text),
        units=units,
        parts=tuple(p.text for p in split.parts),
        remaining=remaining,
        locking_shift=split.locking_shift,
        single_shift=split.single_shift,
        forced_ucs2=forced,
    )


def _forced_ucs2(text: str, languages: frozenset[int] | None) -> tuple[str, ...]:
    charset = set(gsm7_alphabet().charset)
    for language in languages or ():
        if language in LOCKING_SHIFT_TABLES:
            charset |= gsm7_alphabet(language, 0).basic
        if language in SINGLE_SHIFT_TABLES:
            charset |= set(SINGLE_SHIFT_TABLES[language].values())
    return tuple(dict.fromkeys(c for c in text if c not in charset))
