"""Text preview for users, and concatenation reference allocation."""

from __future__ import annotations

import pytest

from heliograph.wire.gsm.preview import preview_text
from heliograph.wire.gsm.references import ReferenceAllocator


def test_preview_gsm7_single_part() -> None:
    preview = preview_text("Hello {world}")
    assert (preview.encoding, preview.characters, preview.units) == ("gsm7", 13, 15)
    assert preview.parts == ("Hello {world}",)
    assert preview.remaining == 145
    assert preview.forced_ucs2 == ()


def test_preview_multipart_remaining_in_last_part() -> None:
    preview = preview_text("a" * 200)
    assert [len(p) for p in preview.parts] == [153, 47]
    assert preview.remaining == 153 - 47


def test_preview_names_characters_that_forced_ucs2() -> None:
    preview = preview_text("Hi 😀 ж ж")
    assert preview.encoding == "ucs2"
    assert preview.forced_ucs2 == ("😀", "ж")
    assert preview.units == 9  # 8 characters; the emoji takes two UTF-16 code units
    assert preview.remaining == 61


def test_preview_with_languages() -> None:
    preview = preview_text("Şişli", languages=frozenset({1}))
    assert (preview.encoding, preview.locking_shift) == ("gsm7", 1)
    assert preview.remaining == 160 - 5 - 5  # 4-octet UDH takes 5 septets


def test_preview_latin1_counts_octets() -> None:
    preview = preview_text("é" * 150, encoding="latin1")
    assert (preview.units, len(preview.parts), preview.remaining) == (150, 2, 134 - 16)


def test_reference_allocator_counts_per_destination() -> None:
    allocator = ReferenceAllocator(seed=1)
    first = allocator.next("+441234")
    assert [allocator.next("+441234") for _ in range(3)] == [(first + i) % 256 for i in (1, 2, 3)]
    other = allocator.next("+449999")
    assert allocator.next("+441234") == (first + 4) % 256
    assert allocator.next("+449999") == (other + 1) % 256


def test_reference_allocator_does_not_repeat_before_wrapping() -> None:
    allocator = ReferenceAllocator(ref16=True)
    refs = [allocator.next("x") for _ in range(65536)]
    assert len(set(refs)) == 65536
    assert allocator.next("x") == refs[0]


def test_reference_allocator_seed_changes_start() -> None:
    starts = {ReferenceAllocator(seed=s, ref16=True).next("x") for s in range(20)}
    assert len(starts) > 1


def test_reference_allocator_forgets_least_recently_used() -> None:
    allocator = ReferenceAllocator(max_destinations=2)
    a = allocator.next("a")
    allocator.next("b")
    allocator.next("a")
    allocator.next("c")  # forgets "b"
    assert len(allocator._last) == 2
    assert allocator.next("a") == (a + 2) % 256
    with pytest.raises(ValueError):
        ReferenceAllocator(max_destinations=0)
