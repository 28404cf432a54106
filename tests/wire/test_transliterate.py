"""Transliteration into the GSM 7-bit and Latin-1 character sets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.gsm.gsm7 import DEFAULT
from heliograph.wire.gsm.latin1 import LATIN1_CHARSET
from heliograph.wire.gsm.transliterate import transliterate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Привет, мир!", "Privet, mir!"),
        ("Щука и ёж", "Shchuka i yozh"),
        ("Київ", "Kiyiv"),
        ("Zażółć gęślą jaźń", "Zazolc gesla jazn"),
        ("Łódź", "Lodz"),
        ("Straße", "Straße"),  # ß is in GSM 7-bit (TS 23.038 §6.2.1)
        ("café è ù", "café è ù"),  # é è ù are GSM 7-bit as they are
        ("ça", "ca"),  # only Ç is GSM 7-bit
        ("“quoted” – dash…", '"quoted" - dash...'),
        ("Ψυχή", "Ψychi"),  # Ψ is GSM 7-bit; lower-case Greek is not
        ("œuvre ﬁn", "oeuvre fin"),
        ("emoji 😀", "emoji ?"),
        ("tab\there", "tab here"),
    ],
)
def test_transliterate_to_gsm7(text: str, expected: str) -> None:
    assert transliterate(text, DEFAULT.charset) == expected


def test_transliterate_to_latin1_keeps_latin1_letters() -> None:
    assert transliterate("Łódź €5 Привет", LATIN1_CHARSET) == "Lódz EUR5 Privet"


def test_transliterate_custom_replacement() -> None:
    assert transliterate("a😀", DEFAULT.charset, replacement="_") == "a_"


@given(st.text())
def test_property_transliterate_result_is_encodable(text: str) -> None:
    result = transliterate(text, DEFAULT.charset)
    assert set(result) <= DEFAULT.charset
    assert DEFAULT.count(result) is not None


@given(st.text(alphabet="".join(sorted(DEFAULT.charset))))
def test_property_encodable_text_is_unchanged(text: str) -> None:
    assert transliterate(text, DEFAULT.charset) == text
