"""Transliteration of characters an alphabet cannot carry into ones it can.

Used when a request asks for ``transliterate`` (the SMS Center API's ``translit``): rather
than falling back to UCS-2 (70 characters a part) or refusing a forced GSM 7-bit or
Latin-1 message, each character outside the target character set is replaced by

1. its entry in the table below (Cyrillic and Greek to Latin, typographic punctuation to
   ASCII, Latin letters without a decomposition such as ``ł`` or ``œ``), else
2. its Unicode compatibility decomposition (NFKD) without combining marks (``ą`` → ``a``,
   ``ﬁ`` → ``fi``), with the table applied to what remains, else
3. the replacement (``?``, which GSM 7-bit and Latin-1 both have).

Characters already in the target set are kept, so ``é`` stays ``é`` in GSM 7-bit
(TS 23.038 §6.2.1 has it) while ``ę`` becomes ``e``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Final

__all__ = ["TRANSLITERATIONS", "transliterate"]

# Cyrillic → Latin (common SMS practice, close to ISO 9 / BGN-PCGN for Russian,
# with the Ukrainian, Belarusian, Serbian and Macedonian letters).
_CYRILLIC: Final = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "Yo", "Ж": "Zh",
    "З": "Z", "И": "I", "Й": "Y", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O",
    "П": "P", "Р": "R", "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "Kh", "Ц": "Ts",
    "Ч": "Ch", "Ш": "Sh", "Щ": "Shch", "Ъ": "", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "Yu",
    "Я": "Ya", "Є": "Ye", "І": "I", "Ї": "Yi", "Ґ": "G", "Ў": "U", "Ђ": "Dj", "Ј": "J",
    "Љ": "Lj", "Њ": "Nj", "Ћ": "C", "Џ": "Dz", "Ѓ": "Gj", "Ѕ": "Dz", "Ќ": "Kj",
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "'", "э": "e", "ю": "yu",
    "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j",
    "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "gj", "ѕ": "dz", "ќ": "kj",
}  # fmt: skip

# Greek → Latin (ELOT 743 style); the capitals GSM 7-bit has are kept by the caller.
_GREEK: Final = {
    "Α": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Ζ": "Z", "Η": "I", "Θ": "Th",
    "Ι": "I", "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O", "Π": "P",
    "Ρ": "R", "Σ": "S", "Τ": "T", "Υ": "Y", "Φ": "F", "Χ": "Ch", "Ψ": "Ps", "Ω": "O",
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}  # fmt: skip

# Latin letters without a canonical decomposition, and typography.
_LATIN_AND_PUNCTUATION: Final = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ŀ": "l",
    "Ŀ": "L", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ŧ": "t",
    "Ŧ": "T", "ĸ": "k", "ſ": "s", "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "«": '"', "»": '"', "‹": "'", "›": "'", "`": "'", "´": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-", "…": "...", "•": "*", "·": ".", "×": "x", "÷": "/",
    "©": "(c)", "®": "(R)", "™": "TM", "€": "EUR", "°": "o", "¢": "c", "₽": "RUB", "№": "No",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\t": " ", "\u200b": "", "\u200c": "",
    "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
}  # fmt: skip

#: Every explicit transliteration, character → replacement.
TRANSLITERATIONS: Final[dict[str, str]] = {**_CYRILLIC, **_GREEK, **_LATIN_AND_PUNCTUATION}


def transliterate(text: str, charset: frozenset[str], *, replacement: str = "?") -> str:
    """Replace every character of ``text`` not in ``charset`` (see the module docstring)."""
    if set(text) <= charset:
        return text
    return "".join(ch if ch in charset else _one(ch, charset, replacement) for ch in text)


@lru_cache(maxsize=4096)
def _one(ch: str, charset: frozenset[str], replacement: str) -> str:
    mapped = TRANSLITERATIONS.get(ch)
    if mapped is not None and set(mapped) <= charset:
        return mapped
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and base != ch:
        candidate = "".join(c if c in charset else TRANSLITERATIONS.get(c, "\uffff") for c in base)
        if set(candidate) <= charset:
            return candidate
    return replacement
