"""MO reassembly of concatenated parts (TS 23.040 §9.2.3.24.1 / .8)."""

from __future__ import annotations

from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError
from heliograph.wire.gsm.gsm7 import decode_gsm7
from heliograph.wire.gsm.parts import split_text
from heliograph.wire.gsm.reassembly import ConcatenatedPart, Reassembler
from heliograph.wire.gsm.udh import decode_udh


def _part(
    seq: int, total: int = 3, *, reference: int = 7, source: str = "4711", bind: str = "a"
) -> ConcatenatedPart:
    return ConcatenatedPart(
        source=source,
        destination="100",
        reference=reference,
        total=total,
        seq=seq,
        payload=f"<{seq}>".encode(),
        bind_id=bind,
    )


def test_parts_in_order_complete_on_last() -> None:
    r = Reassembler()
    assert r.feed(_part(1), 0.0) is None
    assert r.feed(_part(2), 1.0) is None
    message = r.feed(_part(3), 2.0)
    assert message is not None
    assert message.complete
    assert message.payload == b"<1><2><3>"
    assert message.missing == ()
    assert message.first_seen == 0.0
    assert len(r) == 0
    assert r.next_deadline() is None


@pytest.mark.parametrize("order", list(permutations([1, 2, 3])))
def test_parts_in_any_order(order: tuple[int, ...]) -> None:
    r = Reassembler()
    results = [r.feed(_part(seq), float(i)) for i, seq in enumerate(order)]
    assert results[:-1] == [None, None]
    message = results[-1]
    assert message is not None
    assert message.payload == b"<1><2><3>"


def test_duplicates_are_ignored() -> None:
    r = Reassembler()
    assert r.feed(_part(1), 0.0) is None
    assert r.feed(_part(1), 0.5) is None
    assert r.feed(_part(2), 1.0) is None
    message = r.feed(_part(3), 2.0)
    assert message is not None and message.complete


def test_repeat_after_completion_is_not_delivered_again() -> None:
    r = Reassembler(timeout_s=60.0)
    for seq in (1, 2):
        r.feed(_part(seq, 2), 0.0)
    assert r.feed(_part(2, 2), 5.0) is None
    assert len(r) == 0
    assert r.expire(1000.0) == []


def test_parts_from_different_binds_combine() -> None:
    r = Reassembler()
    r.feed(_part(1, bind="smsc-a/1"), 0.0)
    r.feed(_part(3, bind="smsc-b/2"), 0.1)
    message = r.feed(_part(2, bind="smsc-a/2"), 0.2)
    assert message is not None
    assert message.bind_ids == ("smsc-a/1", "smsc-a/2", "smsc-b/2")


def test_different_sources_or_references_do_not_mix() -> None:
    r = Reassembler()
    r.feed(_part(1, 2, source="A"), 0.0)
    assert r.feed(_part(2, 2, source="B"), 0.0) is None
    assert r.feed(_part(2, 2, source="A", reference=8), 0.0) is None
    message = r.feed(_part(2, 2, source="A"), 0.0)
    assert message is not None and message.source == "A"
    assert len(r) == 2


def test_single_part_concatenation_completes_at_once() -> None:
    message = Reassembler().feed(_part(1, 1), 3.0)
    assert message is not None and message.complete and message.payload == b"<1>"


def test_incomplete_message_expires_marked_incomplete() -> None:
    r = Reassembler(timeout_s=60.0)
    r.feed(_part(1), 10.0)
    r.feed(_part(3), 20.0)
    assert r.next_deadline() == 70.0
    assert r.expire(69.9) == []
    (message,) = r.expire(70.0)
    assert not message.complete
    assert message.missing == (2,)
    assert message.payload == b"<1><3>"
    assert len(r) == 0
    assert r.next_deadline() is None
    assert r.expire(1000.0) == []


def test_expire_orders_oldest_first_and_deadline_tracks_earliest() -> None:
    r = Reassembler(timeout_s=10.0)
    r.feed(_part(1, reference=1), 5.0)
    r.feed(_part(1, reference=2), 1.0)
    assert r.next_deadline() == 11.0
    assert [m.reference for m in r.expire(100.0)] == [2, 1]


def test_completed_message_leaves_no_deadline() -> None:
    r = Reassembler(timeout_s=10.0)
    r.feed(_part(1, 2), 0.0)
    r.feed(_part(2, 2), 1.0)
    assert r.next_deadline() is None


def test_max_pending_gives_up_oldest() -> None:
    r = Reassembler(timeout_s=60.0, max_pending=2)
    r.feed(_part(1, reference=1), 0.0)
    r.feed(_part(1, reference=2), 1.0)
    r.feed(_part(1, reference=3), 2.0)
    assert r.next_deadline() == 2.0
    (message,) = r.expire(2.0)
    assert (message.reference, message.complete) == (1, False)


@pytest.mark.parametrize("seq", [0, 4])
def test_bad_sequence_number_is_decode_error(seq: int) -> None:
    with pytest.raises(DecodeError):
        Reassembler().feed(_part(seq), 0.0)


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        Reassembler(timeout_s=0)


def test_split_then_reassemble_gsm7_escape_across_parts() -> None:
    """A text split by parts.py comes back whole, whatever order its parts arrive in."""
    text = "x" * 152 + "€" + "y" * 200
    split = split_text(text, reference=0x42)
    incoming = []
    for part in split.parts:
        concat = decode_udh(part.udh).concatenation
        assert concat is not None
        incoming.append(
            ConcatenatedPart(
                source="1", destination="2", reference=concat.reference,
                total=concat.total, seq=concat.seq, payload=part.payload, udh=part.udh,
            )
        )  # fmt: skip
    r = Reassembler()
    results = [r.feed(p, 0.0) for p in reversed(incoming)]
    message = results[-1]
    assert message is not None
    assert decode_gsm7(message.payload) == text


@given(
    st.integers(1, 8).flatmap(
        lambda total: st.tuples(
            st.just(total),
            st.lists(st.integers(1, total), min_size=1, max_size=3 * total),
        )
    )
)
def test_property_delivered_at_most_once(arrivals: tuple[int, list[int]]) -> None:
    total, seqs = arrivals
    r = Reassembler(timeout_s=5.0)
    delivered = [m for i, seq in enumerate(seqs) if (m := r.feed(_part(seq, total), i * 0.01))]
    delivered += r.expire(1000.0)
    assert len(delivered) == 1
    (message,) = delivered
    assert message.complete == (set(seqs) == set(range(1, total + 1)))
    assert set(message.missing) == set(range(1, total + 1)) - set(seqs)
