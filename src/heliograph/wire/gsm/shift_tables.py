"""National language locking and single shift tables (3GPP TS 23.038 Annex A).

A *locking shift* table replaces the whole default alphabet for a message (UDH IE 0x25,
TS 23.040 §9.2.3.24.16); a *single shift* table replaces the extension table reached with
ESC (IE 0x24, §9.2.3.24.15). Languages are numbered by the national language identifier
of TS 23.038 §6.2.1.2.4 (:class:`NationalLanguage`). Spanish has only a single shift table
(A.3.2 is void).

Tables are written in the spec's layout: eight rows of sixteen cells, cell ``n`` of row
``r`` being code ``16 * r + n``. A cell is one of:

* a single character, standing for itself;
* four hex digits: that Unicode code point;
* two hex digits (Indian locking tables only): an offset into the script's Unicode block;
* ``LF``, ``CR``, ``FF``, ``SP``; ``ESC`` (0x1B, the escape to the single shift table);
* ``--``: no character at this code.

The Indian locking tables (A.3.4-A.3.12) all follow the Devanagari (Hindi, A.3.6) layout,
code for code, each in its own Unicode block; :data:`_INDIC_LAYOUT` holds that layout once,
and each script lists the cells it leaves empty and the few codes at 0x60 and 0x7B-0x7F
that differ. Two misprints of the published tables are corrected, as other
implementations do: Kannada locking 0x24 is U+0CA1 (printed U+0CAA, which is also 0x3D)
and the Tamil and Telugu single shift digits follow their Unicode order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Final

__all__ = [
    "LOCKING_SHIFT_TABLES",
    "SINGLE_SHIFT_TABLES",
    "UNDEFINED",
    "NationalLanguage",
]

#: Marks a code with no character in a table.
UNDEFINED: Final = "\uffff"


class NationalLanguage(IntEnum):
    """National language identifiers (TS 23.038 §6.2.1.2.4, table 6.2.1.2.4.1)."""

    TURKISH = 1
    SPANISH = 2
    PORTUGUESE = 3
    BENGALI = 4
    GUJARATI = 5
    HINDI = 6
    KANNADA = 7
    MALAYALAM = 8
    ORIYA = 9
    PUNJABI = 10
    TAMIL = 11
    TELUGU = 12
    URDU = 13


_SPECIAL: Final = {"LF": "\n", "CR": "\r", "FF": "\f", "SP": " ", "ESC": "\x1b", "--": UNDEFINED}


def _cell(token: str, block: int | None) -> str:
    if token in _SPECIAL:
        return _SPECIAL[token]
    if len(token) == 1:
        return token
    if len(token) == 4:
        return chr(int(token, 16))
    if len(token) == 2 and block is not None:
        return chr(block + int(token, 16))
    raise ValueError(f"bad table cell {token!r}")


def _table(rows: Sequence[str], *, block: int | None = None) -> list[str]:
    cells = [_cell(token, block) for row in rows for token in row.split()]
    if len(cells) != 128:
        raise ValueError(f"table has {len(cells)} cells, not 128")
    return cells


def _shift(cells: Sequence[str]) -> dict[int, str]:
    return {code: char for code, char in enumerate(cells) if char not in (UNDEFINED, "\x1b")}


# --- locking shift tables (Annex A.3) ----------------------------------------------------

# A.3.1 Turkish National Language Locking Shift Table.
_TURKISH_LOCKING: Final = (
    "@£$¥€éùıòÇ\nĞğ\rÅå"  # 0x00
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bŞşßÉ"  # 0x10
    " !\"#¤%&'()*+,-./"  # 0x20
    "0123456789:;<=>?"  # 0x30
    "İABCDEFGHIJKLMNO"  # 0x40
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50
    "çabcdefghijklmno"  # 0x60
    "pqrstuvwxyzäöñüà"  # 0x70
)

# A.3.3 Portuguese National Language Locking Shift Table.
_PORTUGUESE_LOCKING: Final = (
    "@£$¥êéúíóç\nÔô\rÁá"  # 0x00
    "Δ_ªÇÀ∞^\\€Ó|\x1bÂâÊÉ"  # 0x10
    " !\"#º%&'()*+,-./"  # 0x20
    "0123456789:;<=>?"  # 0x30
    "ÍABCDEFGHIJKLMNO"  # 0x40
    "PQRSTUVWXYZÃÕÚÜ§"  # 0x50
    "~abcdefghijklmno"  # 0x60
    "pqrstuvwxyzãõ`üà"  # 0x70
)

# A.3.6 Hindi National Language Locking Shift Table, as offsets into the Devanagari block
# (U+0900); A.3.4-A.3.12 use the same layout in their own blocks.
_INDIC_LAYOUT: Final = (
    "01 02 03 05 06 07 08 09 0A 0B LF 0C 0D CR 0E 0F",  # 0x00
    "10 11 12 13 14 15 16 17 18 19 1A ESC 1B 1C 1D 1E",  # 0x10
    "SP ! 1F 20 21 22 23 24 ) ( 25 26 , 27 . 28",  # 0x20
    "0 1 2 3 4 5 6 7 8 9 : ; 29 2A 2B ?",  # 0x30
    "2C 2D 2E 2F 30 31 32 33 34 35 36 37 38 39 3C 3D",  # 0x40
    "3E 3F 40 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D",  # 0x50
    "50 a b c d e f g h i j k l m n o",  # 0x60
    "p q r s t u v w x y z 72 7B 7C 7E 7F",  # 0x70
)


def _indic(block: int, empty: str, differ: Mapping[int, int]) -> str:
    """An Indian locking table: the layout in ``block``, ``empty`` codes, ``differ`` codes."""
    cells = _table(_INDIC_LAYOUT, block=block)
    for token in empty.split():
        cells[int(token, 16)] = UNDEFINED
    for code, offset in differ.items():
        cells[code] = chr(block + offset)
    return "".join(cells)


_INDIC_TAIL: Final = {0x7B: 0x60, 0x7C: 0x61, 0x7D: 0x62, 0x7E: 0x63}  # vocalic RR..LL signs

_INDIC_LOCKING: Final[dict[int, str]] = {
    # A.3.4 Bengali (U+0980)
    NationalLanguage.BENGALI: _indic(
        0x0980,
        "0C 0E 11 12 3C 45 47 48 49 57 58 5B 5C",
        {0x60: 0x4E, 0x7B: 0x57, 0x7C: 0x5C, 0x7D: 0x5D, 0x7E: 0x70, 0x7F: 0x71},
    ),
    # A.3.5 Gujarati (U+0A80)
    NationalLanguage.GUJARATI: _indic(
        0x0A80, "0E 12 3C 45 48 58 5C", {**_INDIC_TAIL, 0x7F: 0x71}
    ),
    # A.3.6 Hindi (U+0900)
    NationalLanguage.HINDI: _indic(0x0900, "", {}),
    # A.3.7 Kannada (U+0C80); 0x24 corrected to U+0CA1 (see the module docstring)
    NationalLanguage.KANNADA: _indic(
        0x0C80, "00 0C 11 3C 48 57 5B", {0x60: 0x55, 0x7B: 0x56, 0x7C: 0x60, 0x7D: 0x61,
                                         0x7E: 0x62, 0x7F: 0x63}
    ),
    # A.3.8 Malayalam (U+0D00)
    NationalLanguage.MALAYALAM: _indic(
        0x0D00, "00 0C 11 3C 4E 57 5B", {0x60: 0x57, 0x7B: 0x60, 0x7C: 0x61, 0x7D: 0x62,
                                         0x7E: 0x63, 0x7F: 0x79}
    ),
    # A.3.9 Oriya (U+0B00)
    NationalLanguage.ORIYA: _indic(
        0x0B00, "0C 0E 11 12 3C 45 48 57 58 5B 5C", {0x60: 0x56, 0x7B: 0x57, 0x7C: 0x60,
                                                     0x7D: 0x61, 0x7E: 0x62, 0x7F: 0x63}
    ),
    # A.3.10 Punjabi (Gurmukhi, U+0A00)
    NationalLanguage.PUNJABI: _indic(
        0x0A00,
        "09 0B 0C 0E 11 12 3C 45 48 4B 4F 55 56 57 58 5B 5C",
        {0x60: 0x51, 0x7B: 0x70, 0x7C: 0x71, 0x7D: 0x72, 0x7E: 0x73, 0x7F: 0x74},
    ),
    # A.3.11 Tamil (U+0B80)
    NationalLanguage.TAMIL: _indic(
        0x0B80,
        "00 09 0B 0C 11 16 17 18 1C 1E 23 24 25 2A 2B 2D 3E 40 41 4E 4F 55 56 57 5B",
        {0x7B: 0x57, 0x7C: 0x70, 0x7D: 0x71, 0x7E: 0x72, 0x7F: 0x79},
    ),
    # A.3.12 Telugu (U+0C00)
    NationalLanguage.TELUGU: _indic(
        0x0C00, "0C 11 3C 48 4E 57 5B", {0x60: 0x55, 0x7B: 0x56, 0x7C: 0x60, 0x7D: 0x61,
                                         0x7E: 0x62, 0x7F: 0x63}
    ),
}  # fmt: skip

# A.3.13 Urdu National Language Locking Shift Table (Arabic script).
_URDU_LOCKING: Final = _table(
    (
        "0627 0622 0628 067B 0680 067E 06A6 062A 06C2 067F LF 0679 067D CR 067A 067C",  # 0x00
        "062B 062C 0681 0684 0683 0685 0686 0687 062D 062E 062F ESC 068C 0688 0689 068A",
        "SP ! 068F 068D 0630 0631 0691 0693 ) ( 0699 0632 , 0696 . 0698",  # 0x20
        "0 1 2 3 4 5 6 7 8 9 : ; 069A 0633 0634 ?",  # 0x30
        "0635 0636 0637 0638 0639 0641 0642 06A9 06AA 06AB 06AF 06B3 06B1 0644 0645 0646",
        "06BA 06BB 06BC 0648 06C4 06D5 06C1 06BE 0621 06CC 06D0 06D2 064D 0650 064F 0657",
        "0654 a b c d e f g h i j k l m n o",  # 0x60
        "p q r s t u v w x y z 0655 0651 0653 0656 0670",  # 0x70
    )
)

#: National language → 128-character locking shift table (``UNDEFINED`` where empty).
LOCKING_SHIFT_TABLES: Final[Mapping[int, str]] = {
    NationalLanguage.TURKISH: _TURKISH_LOCKING,
    NationalLanguage.PORTUGUESE: _PORTUGUESE_LOCKING,
    **_INDIC_LOCKING,
    NationalLanguage.URDU: "".join(_URDU_LOCKING),
}


# --- single shift tables (Annex A.2) -----------------------------------------------------

# A.2.1 Turkish National Language Single Shift Table.
_TURKISH_SINGLE: Final = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
    0x3E: "]", 0x40: "|", 0x47: "Ğ", 0x49: "İ", 0x53: "Ş", 0x63: "ç", 0x65: "€",
    0x67: "ğ", 0x69: "ı", 0x73: "ş",
}  # fmt: skip

# A.2.2 Spanish National Language Single Shift Table.
_SPANISH_SINGLE: Final = {
    0x09: "ç", 0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
    0x3D: "~", 0x3E: "]", 0x40: "|", 0x41: "Á", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú",
    0x61: "á", 0x65: "€", 0x69: "í", 0x6F: "ó", 0x75: "ú",
}  # fmt: skip

# A.2.3 Portuguese National Language Single Shift Table.
_PORTUGUESE_SINGLE: Final = {
    0x05: "ê", 0x09: "ç", 0x0A: "\f", 0x0B: "Ô", 0x0C: "ô", 0x0E: "Á", 0x0F: "á",
    0x12: "Φ", 0x13: "Γ", 0x14: "^", 0x15: "Ω", 0x16: "Π", 0x17: "Ψ", 0x18: "Σ",
    0x19: "Θ", 0x1F: "Ê", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
    0x3E: "]", 0x40: "|", 0x41: "À", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú", 0x5B: "Ã",
    0x5C: "Õ", 0x61: "Â", 0x65: "€", 0x69: "í", 0x6F: "ó", 0x75: "ú", 0x7B: "ã",
    0x7C: "õ", 0x7F: "â",
}  # fmt: skip

# A.2.4-A.2.13: the Indian and Urdu single shift tables share everything but codes
# 0x19-0x3F (digits, danda, script signs), which each language gives below.
_INDIC_SHIFT_HEAD: Final = "@ 00A3 $ 00A5 00BF \" 00A4 % & ' FF * + -- - / < = > 00A1 ^ 00A1 _ # *"
_INDIC_SHIFT_TAIL: Final = (
    "| A B C D E F G H I J K L M N O",  # 0x40
    "P Q R S T U V W X Y Z -- -- -- -- --",  # 0x50
    "-- -- -- -- -- 20AC -- -- -- -- -- -- -- -- -- --",  # 0x60
    "-- -- -- -- -- -- -- -- -- -- -- -- -- -- -- --",  # 0x70
)

_INDIC_SHIFT_MIDDLE: Final = {
    # A.2.4 Bengali
    NationalLanguage.BENGALI: (
        "09E6 09E7 -- 09E8 09E9 09EA 09EB",  # 0x19
        "09EC 09ED 09EE 09EF 09DF 09E0 09E1 09E2 { } 09E3 09F2 09F3 09F4 09F5 \\",  # 0x20
        "09F6 09F7 09F8 09F9 09FA -- -- -- -- -- -- -- [ ~ ] --",  # 0x30
    ),
    # A.2.5 Gujarati
    NationalLanguage.GUJARATI: (
        "0964 0965 -- 0AE6 0AE7 0AE8 0AE9",
        "0AEA 0AEB 0AEC 0AED 0AEE 0AEF -- -- { } -- -- -- -- -- \\",
        "-- -- -- -- -- -- -- -- -- -- -- -- [ ~ ] --",
    ),
    # A.2.6 Hindi
    NationalLanguage.HINDI: (
        "0964 0965 -- 0966 0967 0968 0969",
        "096A 096B 096C 096D 096E 096F 0951 0952 { } 0953 0954 0958 0959 095A \\",
        "095B 095C 095D 095E 095F 0960 0961 0962 0963 0970 0971 -- [ ~ ] --",
    ),
    # A.2.7 Kannada
    NationalLanguage.KANNADA: (
        "0964 0965 -- 0CE6 0CE7 0CE8 0CE9",
        "0CEA 0CEB 0CEC 0CED 0CEE 0CEF 0CDE 0CF1 { } 0CF2 -- -- -- -- \\",
        "-- -- -- -- -- -- -- -- -- -- -- -- [ ~ ] --",
    ),
    # A.2.8 Malayalam
    NationalLanguage.MALAYALAM: (
        "0964 0965 -- 0D66 0D67 0D68 0D69",
        "0D6A 0D6B 0D6C 0D6D 0D6E 0D6F 0D70 0D71 { } 0D72 0D73 0D74 0D75 0D7A \\",
        "0D7B 0D7C 0D7D 0D7E 0D7F -- -- -- -- -- -- -- [ ~ ] --",
    ),
    # A.2.9 Oriya
    NationalLanguage.ORIYA: (
        "0964 0965 -- 0B66 0B67 0B68 0B69",
        "0B6A 0B6B 0B6C 0B6D 0B6E 0B6F 0B5C 0B5D { } 0B5F 0B70 0B71 -- -- \\",
        "-- -- -- -- -- -- -- -- -- -- -- -- [ ~ ] --",
    ),
    # A.2.10 Punjabi
    NationalLanguage.PUNJABI: (
        "0964 0965 -- 0A66 0A67 0A68 0A69",
        "0A6A 0A6B 0A6C 0A6D 0A6E 0A6F 0A59 0A5A { } 0A5B 0A5C 0A5E 0A75 -- \\",
        "-- -- -- -- -- -- -- -- -- -- -- -- [ ~ ] --",
    ),
    # A.2.11 Tamil (0x24 is U+0BEE: the digits in order)
    NationalLanguage.TAMIL: (
        "0964 0965 -- 0BE6 0BE7 0BE8 0BE9",
        "0BEA 0BEB 0BEC 0BED 0BEE 0BEF 0BF3 0BF4 { } 0BF5 0BF6 0BF7 0BF8 0BFA \\",
        "-- -- -- -- -- -- -- -- -- -- -- -- [ ~ ] --",
    ),
    # A.2.12 Telugu (0x22-0x23 are U+0C6C-U+0C6D: the digits in order)
    NationalLanguage.TELUGU: (
        "-- -- -- 0C66 0C67 0C68 0C69",
        "0C6A 0C6B 0C6C 0C6D 0C6E 0C6F 0C58 0C59 { } 0C78 0C79 0C7A 0C7B 0C7C \\",
        "0C7D 0C7E 0C7F -- -- -- -- -- -- -- -- -- [ ~ ] --",
    ),
    # A.2.13 Urdu
    NationalLanguage.URDU: (
        "0600 0601 -- 06F0 06F1 06F2 06F3",
        "06F4 06F5 06F6 06F7 06F8 06F9 060C 060D { } 060E 060F 0610 0611 0612 \\",
        "0613 0614 061B 061F 0640 0652 0658 066B 066C 0672 0673 06CD [ ~ ] 06D4",
    ),
}

#: National language → single shift table (septet after ESC → character).
SINGLE_SHIFT_TABLES: Final[Mapping[int, Mapping[int, str]]] = {
    NationalLanguage.TURKISH: _TURKISH_SINGLE,
    NationalLanguage.SPANISH: _SPANISH_SINGLE,
    NationalLanguage.PORTUGUESE: _PORTUGUESE_SINGLE,
    **{
        language: _shift(_table((_INDIC_SHIFT_HEAD, *middle, *_INDIC_SHIFT_TAIL)))
        for language, middle in _INDIC_SHIFT_MIDDLE.items()
    },
}
