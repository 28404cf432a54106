"""Recipient (E.164) and sender normalisation and rejection."""

from __future__ import annotations

import pytest

from heliograph.domain.addresses import normalize_msisdn, normalize_sender
from heliograph.domain.rejections import Rejected, RejectReason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+447911123456", "+447911123456"),
        ("447911123456", "+447911123456"),
        ("00447911123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+1.415.555.0100", "+14155550100"),
        ("+49\t30 1234567", "+49301234567"),
        ("1234567", "+1234567"),  # 7 digits: the shortest accepted
        ("+123456789012345", "+123456789012345"),  # 15 digits: the longest
    ],
)
def test_normalize_msisdn_canonical_form(raw: str, expected: str) -> None:
    assert normalize_msisdn(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "+",
        "07911123456",  # national format, leading 0
        "+07911123456",
        "000447911123456",  # 00 then a leading 0
        "123456",  # 6 digits
        "+1234567890123456",  # 16 digits
        "+44 7911 12345a",
        "44+7911123456",
        "++447911123456",
        "+44_7911_123456",
        "٤٤٧٩١١١٢٣٤٥٦",  # non-ASCII digits
    ],
)
def test_normalize_msisdn_rejects(raw: str) -> None:
    with pytest.raises(Rejected) as info:
        normalize_msisdn(raw)
    assert info.value.reason is RejectReason.INVALID_DESTINATION
    assert info.value.field == "to"


def test_normalize_msisdn_rejection_names_the_given_field() -> None:
    with pytest.raises(Rejected) as info:
        normalize_msisdn("abc", field="recipients[3]")
    assert info.value.field == "recipients[3]"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123", "123"),  # short codes stay as they are
        ("12345678", "12345678"),
        ("Heliograph", "Heliograph"),
        ("ACME Ltd.", "ACME Ltd."),
        ("Shop-24", "Shop-24"),
        ("ABCDEFGHIJK", "ABCDEFGHIJK"),  # 11 characters
        ("+44 7911 123456", "+447911123456"),
        ("447911123456", "+447911123456"),
    ],
)
def test_normalize_sender_accepts(raw: str, expected: str) -> None:
    assert normalize_sender(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12",  # too short for a short code, all digits
        "ABCDEFGHIJKL",  # 12 characters
        "Café",  # not carried everywhere
        "Hello\nWorld",
        "1234567890123456",  # 16 digits
    ],
)
def test_normalize_sender_rejects(raw: str) -> None:
    with pytest.raises(Rejected) as info:
        normalize_sender(raw)
    assert info.value.reason is RejectReason.INVALID_SENDER
    assert info.value.field == "from"
