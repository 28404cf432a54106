"""The lifecycle table (``TRANSITIONS``) and a message's state derived from its parts."""

from __future__ import annotations

from itertools import permutations, product

import pytest

from heliograph.domain.messages import (
    FINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    MessageState,
    can_transition,
    derive_state,
    transition,
)

S = MessageState
ALL_PAIRS = list(product(MessageState, MessageState))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def _id(pair: tuple[MessageState, MessageState]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


# --- the table ---------------------------------------------------------------------------


def test_transitions_table_is_total_over_message_state() -> None:
    assert set(TRANSITIONS) == set(MessageState)
    for targets in TRANSITIONS.values():
        assert targets <= set(MessageState)


def test_final_states_are_exactly_the_outcomes() -> None:
    assert {S.DELIVERED, S.UNDELIVERABLE, S.EXPIRED, S.REJECTED, S.FAILED, S.CANCELLED} == (
        FINAL_STATES
    )


@pytest.mark.parametrize("state", sorted(FINAL_STATES), ids=str)
def test_transition_from_final_state_has_no_exit(state: MessageState) -> None:
    assert TRANSITIONS[state] == frozenset()
    for new in MessageState:
        assert not can_transition(state, new)
        with pytest.raises(IllegalTransition):
            transition(state, new)


@pytest.mark.parametrize("pair", ILLEGAL, ids=_id)
def test_transition_illegal_move_raises(pair: tuple[MessageState, MessageState]) -> None:
    current, new = pair
    assert not can_transition(current, new)
    with pytest.raises(IllegalTransition) as info:
        transition(current, new)
    assert (info.value.current, info.value.new) == (current, new)
    assert current.value in str(info.value) and new.value in str(info.value)


@pytest.mark.parametrize("pair", LEGAL, ids=_id)
def test_transition_legal_move_returns_new_state(pair: tuple[MessageState, MessageState]) -> None:
    current, new = pair
    assert can_transition(current, new)
    assert transition(current, new) is new


@pytest.mark.parametrize(
    "pair",
    [
        (S.ACCEPTED, S.QUEUED),
        (S.ACCEPTED, S.SCHEDULED),
        (S.SCHEDULED, S.QUEUED),
        (S.SCHEDULED, S.CANCELLED),
        (S.QUEUED, S.SENDING),
        (S.QUEUED, S.CANCELLED),
        (S.QUEUED, S.EXPIRED),
        (S.SENDING, S.SENT),
        (S.SENDING, S.QUEUED),  # retry after a temporary failure or a crash
        (S.SENDING, S.FAILED),
        (S.SENT, S.DELIVERED),
        (S.SENT, S.UNDELIVERABLE),
        (S.SENT, S.REJECTED),
        (S.SENT, S.EXPIRED),
    ],
    ids=_id,
)
def test_transition_lifecycle_moves_are_legal(pair: tuple[MessageState, MessageState]) -> None:
    assert can_transition(*pair)


@pytest.mark.parametrize(
    "pair",
    [
        (S.SENT, S.QUEUED),  # a part the upstream took is never submitted again
        (S.SENT, S.SENDING),
        (S.DELIVERED, S.SENT),  # a late ENROUTE after DELIVRD
        (S.SENDING, S.CANCELLED),  # in flight: too late to cancel
        (S.SENT, S.CANCELLED),
        (S.QUEUED, S.DELIVERED),
        (S.SCHEDULED, S.SENDING),
        (S.QUEUED, S.SCHEDULED),
        (S.QUEUED, S.ACCEPTED),
    ],
    ids=_id,
)
def test_transition_backwards_or_skipping_moves_are_illegal(
    pair: tuple[MessageState, MessageState],
) -> None:
    assert not can_transition(*pair)


def test_transition_nothing_leads_back_to_accepted() -> None:
    assert all(S.ACCEPTED not in targets for targets in TRANSITIONS.values())


def test_transition_every_state_can_reach_a_final_state() -> None:
    for start in MessageState:
        seen = {start}
        todo = [start]
        while todo:
            for nxt in TRANSITIONS[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen & FINAL_STATES, start


# --- derive_state ------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(MessageState), ids=str)
def test_derive_state_single_part_is_the_part_state(state: MessageState) -> None:
    assert derive_state([state]) is state


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([S.DELIVERED, S.DELIVERED], S.DELIVERED),
        ([S.DELIVERED, S.UNDELIVERABLE], S.UNDELIVERABLE),
        ([S.DELIVERED, S.UNDELIVERABLE, S.DELIVERED], S.UNDELIVERABLE),
        ([S.DELIVERED, S.EXPIRED], S.EXPIRED),
        ([S.EXPIRED, S.UNDELIVERABLE], S.UNDELIVERABLE),
        ([S.UNDELIVERABLE, S.REJECTED], S.REJECTED),
        ([S.REJECTED, S.FAILED, S.DELIVERED], S.FAILED),
        ([S.CANCELLED, S.CANCELLED], S.CANCELLED),
        ([S.CANCELLED, S.DELIVERED], S.CANCELLED),
    ],
)
def test_derive_state_all_final_takes_the_worst_outcome(
    parts: list[MessageState], expected: MessageState
) -> None:
    for order in permutations(parts):
        assert derive_state(list(order)) is expected


def test_derive_state_all_final_outcome_is_one_of_the_parts() -> None:
    for a, b in product(sorted(FINAL_STATES), repeat=2):
        got = derive_state([a, b])
        assert got in (a, b)
        assert derive_state([b, a]) is got


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([S.QUEUED, S.QUEUED], S.QUEUED),
        ([S.SCHEDULED, S.SCHEDULED, S.SCHEDULED], S.SCHEDULED),
        ([S.SENDING, S.QUEUED], S.QUEUED),
        ([S.SENT, S.SENDING], S.SENDING),
        ([S.SENT, S.QUEUED, S.SENDING], S.QUEUED),
        ([S.SENT, S.SENT], S.SENT),
        # finished parts count as sent: the slowest unfinished part decides
        ([S.DELIVERED, S.SENT], S.SENT),
        ([S.DELIVERED, S.SENDING], S.SENDING),
        ([S.FAILED, S.QUEUED], S.QUEUED),
        ([S.UNDELIVERABLE, S.SENT], S.SENT),
        ([S.DELIVERED, S.DELIVERED, S.QUEUED], S.QUEUED),
    ],
)
def test_derive_state_unfinished_is_the_slowest_part(
    parts: list[MessageState], expected: MessageState
) -> None:
    for order in permutations(parts):
        assert derive_state(list(order)) is expected


def test_derive_state_unfinished_message_is_never_final() -> None:
    unfinished = sorted(set(MessageState) - FINAL_STATES)
    for a, b in product(unfinished, sorted(MessageState)):
        assert derive_state([a, b]) not in FINAL_STATES


# --- derived message moves stay inside the table -------------------------------------------

# The moves a single part makes under the store (claim, results, receipts, expiry).
PART_MOVES = [
    (S.QUEUED, S.SENDING),
    (S.QUEUED, S.EXPIRED),
    (S.SENDING, S.SENT),
    (S.SENDING, S.QUEUED),
    (S.SENDING, S.FAILED),
    (S.SENDING, S.EXPIRED),
    (S.SENT, S.DELIVERED),
    (S.SENT, S.UNDELIVERABLE),
    (S.SENT, S.EXPIRED),
    (S.SENT, S.REJECTED),
    (S.SENT, S.FAILED),
]


def _reachable(n: int) -> set[tuple[MessageState, ...]]:
    start = (S.QUEUED,) * n
    seen = {start}
    todo = [start]
    while todo:
        cur = todo.pop()
        for i, state in enumerate(cur):
            for a, b in PART_MOVES:
                if a is state:
                    nxt = (*cur[:i], b, *cur[i + 1 :])
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
    return seen


@pytest.mark.parametrize(
    "move",
    PART_MOVES,
    ids=_id,
)
def test_derive_state_part_move_gives_legal_message_move(
    move: tuple[MessageState, MessageState],
) -> None:
    a, b = move
    for n in (2, 3):
        for parts in _reachable(n):
            for i, state in enumerate(parts):
                if state is not a:
                    continue
                after = (*parts[:i], b, *parts[i + 1 :])
                old, new = derive_state(list(parts)), derive_state(list(after))
                assert old == new or can_transition(old, new), (parts, after, old, new)
