"""Sub-accounts: what a parent account may do to its children, and what a child may use.

An account may have a parent (``Account.parent_id``), one level deep: a parent
has no parent itself, so families never nest and never loop. A parent sees its
children's messages, funds them by moving its own credit, and manages their
keys, settings, senders and prices, always *within what the parent itself may
use*:

* a child's sender ids are its own ones that its parent may use too; a child
  with none of its own, or none its parent still has, uses its parent's;
* a child pays, for every destination, at least what its parent pays there
  (the higher of the two price lists, prefix by prefix), so a parent can
  never send through a child for less than its own price.

The checks when a parent sets a sender or a price refuse what the lookups
would override anyway, so that the parent hears about it. This module is
pure: accounts and lists come in as values.
"""

from __future__ import annotations

from heliograph.domain.accounts import Account
from heliograph.domain.pricing import PriceList, from_micros
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.senders import Senders


def may_manage(caller: Account, target: Account) -> bool:
    """Whether ``caller`` may read and change ``target``: an admin, or its parent."""
    return caller.is_admin or (target.parent_id is not None and target.parent_id == caller.id)


def child_senders(own: Senders, parent: Senders) -> Senders:
    """The senders a child may use: its own ones within its parent's."""
    if not parent.restricted:
        return own
    allowed = own.allowed & parent.allowed
    if not allowed:
        return parent
    default = own.default if own.default in allowed else None
    return Senders(allowed=allowed, default=default)


def child_prices(own: PriceList, parent: PriceList) -> PriceList:
    """The price list in force for a child: for every destination, the higher of the two.

    Exact at every destination: for the longest prefix ``u`` of the union that a
    destination matches, neither list has a longer prefix matching it, so each
    list prices the destination as it prices ``u``.
    """
    if not parent.enforced:
        return own
    if not own.enforced:
        return parent
    merged: dict[str, int] = {}
    for prefix in own.prices.keys() | parent.prices.keys():
        prices = [
            p for p in (own.price_micros(prefix), parent.price_micros(prefix)) if p is not None
        ]
        if prices:
            merged[prefix] = max(prices)
    return PriceList(prices=merged)


def check_child_sender(parent: Senders, sender: str) -> None:
    """Raises: Rejected(SENDER_NOT_ALLOWED) when the parent may not use ``sender`` itself."""
    if parent.restricted and sender not in parent.allowed:
        raise Rejected(
            RejectReason.SENDER_NOT_ALLOWED,
            f"sender {sender!r} is not one of the parent account's sender ids",
            field="sender",
        )


def check_child_price(parent: PriceList, prefix: str, price_micros: int) -> None:
    """Raises: Rejected(INVALID_REQUEST) for a price below the parent's own at ``prefix``."""
    if not parent.enforced:
        return
    floor = parent.price_micros(prefix)
    if floor is None:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"the parent account has no price for prefix {prefix!r}",
            field="prefix",
        )
    if price_micros < floor:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"the price must be at least {from_micros(floor)}, the parent account's own",
            field="price",
        )
