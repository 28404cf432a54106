"""Sub-account rules: who manages whom, and a child's senders and prices within its parent's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.domain.accounts import Account
from heliograph.domain.family import (
    check_child_price,
    check_child_sender,
    child_prices,
    child_senders,
    may_manage,
)
from heliograph.domain.ids import AccountId
from heliograph.domain.pricing import PriceList
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.senders import Senders


def acct(id: str, *, parent: str | None = None, admin: bool = False) -> Account:
    return Account(
        id=AccountId(id),
        name=id,
        callback_url=None,
        callback_secret="s",
        created_at=0.0,
        is_admin=admin,
        parent_id=AccountId(parent) if parent else None,
    )


def test_admin_and_parent_manage_a_child_nobody_else_does() -> None:
    parent, child, sibling = acct("p"), acct("c", parent="p"), acct("s", parent="p")
    stranger, admin = acct("x"), acct("a", admin=True)
    assert may_manage(parent, child) and may_manage(admin, child)
    assert not may_manage(stranger, child)
    assert not may_manage(sibling, child)
    assert not may_manage(child, parent)
    assert not may_manage(child, child)
    assert not may_manage(parent, parent)  # an account is not its own child
    assert not may_manage(acct("q"), acct("top"))


def test_child_senders_stay_within_the_parents() -> None:
    parent = Senders(allowed=frozenset({"Shop", "Bank"}), default="Shop")
    own = Senders(allowed=frozenset({"Bank", "Other"}), default="Other")
    assert child_senders(own, parent) == Senders(allowed=frozenset({"Bank"}), default=None)
    assert child_senders(Senders(), parent) == parent
    assert child_senders(Senders(allowed=frozenset({"Other"})), parent) == parent
    assert child_senders(own, Senders()) == own
    kept = Senders(allowed=frozenset({"Bank"}), default="Bank")
    assert child_senders(kept, parent) == kept


def test_a_sender_the_parent_may_not_use_is_refused() -> None:
    parent = Senders(allowed=frozenset({"Shop"}))
    check_child_sender(parent, "Shop")
    check_child_sender(Senders(), "Anything")
    with pytest.raises(Rejected) as info:
        check_child_sender(parent, "Bank")
    assert info.value.reason is RejectReason.SENDER_NOT_ALLOWED and info.value.field == "sender"


def test_child_prices_are_never_below_the_parents() -> None:
    parent = PriceList.of([("", 50_000), ("447", 80_000)])
    own = PriceList.of([("44", 60_000)])
    merged = child_prices(own, parent)
    assert merged.price_micros("+447700900001") == 80_000  # parent's more specific price
    assert merged.price_micros("+441234567890") == 60_000  # the child's own, higher
    assert merged.price_micros("+33612345678") == 50_000
    assert child_prices(PriceList(), parent) == parent
    assert child_prices(own, PriceList()) == own


def test_a_price_below_the_parents_is_refused() -> None:
    parent = PriceList.of([("44", 40_000)])
    check_child_price(parent, "44", 40_000)
    check_child_price(parent, "4479", 45_000)
    check_child_price(PriceList(), "44", 0)
    with pytest.raises(Rejected) as info:
        check_child_price(parent, "447", 39_999)
    assert info.value.field == "price" and "0.040000" in info.value.detail
    with pytest.raises(Rejected) as info:
        check_child_price(parent, "33", 1_000_000)
    assert info.value.field == "prefix"


_prefixes = st.text(alphabet="1234", max_size=3)
_lists = st.dictionaries(_prefixes, st.integers(0, 100), max_size=6)


@given(own=_lists, parent=_lists, to=st.text(alphabet="1234", min_size=1, max_size=5))
def test_child_prices_are_the_higher_of_both_at_every_destination(
    own: dict[str, int], parent: dict[str, int], to: str
) -> None:
    own_list, parent_list = PriceList(prices=own), PriceList(prices=parent)
    merged = child_prices(own_list, parent_list).price_micros("+" + to)
    # an empty list (free) gives way to the other one
    known = [
        p
        for p in (lst.price_micros("+" + to) for lst in (own_list, parent_list) if lst.enforced)
        if p is not None
    ]
    if not (own_list.enforced or parent_list.enforced):
        assert merged == 0  # no list at all: free
    else:
        assert merged == (max(known) if known else None)
