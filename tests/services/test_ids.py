"""Message ids: 26 Crockford base32 symbols, time-ordered, unguessable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from heliograph.services.ids import ALPHABET, encode_base32, message_ids, new_message_id


def _reference(value: int, length: int) -> str:
    """One symbol per 5 bits, least significant first, then reversed: the plain way."""
    out = []
    for _ in range(length):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


@given(st.integers(min_value=0, max_value=2**90), st.integers(min_value=1, max_value=18))
def test_encoding_matches_the_plain_one(value: int, length: int) -> None:
    assert encode_base32(value, length) == _reference(value, length)


def test_crockford_symbols_sort_like_their_values() -> None:
    assert list(ALPHABET) == sorted(ALPHABET)
    assert not set("ILOU") & set(ALPHABET)


def test_ids_have_26_symbols_and_the_timestamp_first() -> None:
    now = 1_767_225_600.123  # 2026-01-01T00:00:00.123Z
    ids = message_ids(now)
    first, second = next(ids), next(ids)
    assert len(first) == len(second) == 26
    assert set(first) <= set(ALPHABET)
    assert first[:10] == second[:10] == _reference(1_767_225_600_123, 10)
    assert first != second


def test_later_ids_sort_after_earlier_ones() -> None:
    times = [1_767_225_600.0 + i * 0.001 for i in range(0, 5000, 7)]
    ids = [new_message_id(t) for t in times]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_the_random_part_is_not_a_counter() -> None:
    ids = message_ids(1_767_225_600.0)
    tails = [next(ids)[10:] for _ in range(1000)]
    assert len(set(tails)) == 1000
    assert tails != sorted(tails)  # a counter would come out sorted
    # every symbol turns up in every position of the random part
    for position in range(16):
        assert len({t[position] for t in tails}) > 24
