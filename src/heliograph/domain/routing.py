"""MT routing: which connector carries a part (Jasmin's routing vocabulary, as data).

A route matches a part when every condition it sets holds: destination prefixes
(digits after ``+``), a regular expression on the E.164 number, accounts (by id
or name), senders and message kinds (``text``, ``binary``). Among the matching
routes the most specific wins: the longest matching prefix first, then the
number of other conditions set; on a tie, the earlier route. The winner's
strategy picks the connector among those that are ready:

* ``failover`` (default): the first ready one in the route's order;
* ``static``: only the first; when it is down the part waits (retried);
* ``round_robin``: ready ones in turn (``turn`` is a counter the caller keeps);
* ``least_cost``: the cheapest ready one for the destination by each
  connector's price list (connectors without a price for it come last).

``select()`` is pure: readiness, the turn counter and prices come in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from heliograph.domain.ids import ConnectorId
from heliograph.domain.pricing import PriceList


class Strategy(StrEnum):
    FAILOVER = "failover"
    STATIC = "static"
    ROUND_ROBIN = "round_robin"
    LEAST_COST = "least_cost"


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    connectors: tuple[ConnectorId, ...]
    prefixes: tuple[str, ...] = ()
    name: str = ""
    strategy: Strategy = Strategy.FAILOVER
    pattern: re.Pattern[str] | None = None
    accounts: frozenset[str] = frozenset()  # account ids or names
    senders: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    costs: Mapping[ConnectorId, PriceList] = field(default_factory=dict)

    def specificity(self, digits: str, to: str, part: RouteQuery) -> tuple[int, int] | None:
        """How specifically this route matches the part, or None when it does not."""
        if self.prefixes:
            length = max((len(p) for p in self.prefixes if digits.startswith(p)), default=-1)
            if length < 0:
                return None
        else:
            length = 0
        conditions = 0
        if self.pattern is not None:
            if not self.pattern.fullmatch(to):
                return None
            conditions += 1
        if self.accounts:
            if part.account_id not in self.accounts and part.account_name not in self.accounts:
                return None
            conditions += 1
        if self.senders:
            if part.sender not in self.senders:
                return None
            conditions += 1
        if self.kinds:
            if part.kind not in self.kinds:
                return None
            conditions += 1
        return length, conditions


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteQuery:
    """What routing may look at in a part."""

    account_id: str | None = None
    account_name: str | None = None
    sender: str | None = None
    kind: str = "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoRoute:
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NotReady:
    reason: str


def best_route(routes: Sequence[Route], to: str, part: RouteQuery) -> Route | None:
    digits = to.lstrip("+")
    best: Route | None = None
    best_score: tuple[int, int] = (-1, -1)
    for route in routes:
        score = route.specificity(digits, to, part)
        if score is not None and score > best_score:
            best, best_score = route, score
    return best


def select(
    routes: Sequence[Route],
    to: str,
    ready: Container[ConnectorId],
    *,
    part: RouteQuery | None = None,
    turn: Callable[[Route], int] | None = None,
) -> ConnectorId | NoRoute | NotReady:
    route = best_route(routes, to, part or RouteQuery())
    if route is None:
        return NoRoute(reason=f"no route matches {to}")
    candidates = [c for c in route.connectors if c in ready]
    if route.strategy is Strategy.STATIC:
        candidates = candidates[:1] if candidates and candidates[0] == route.connectors[0] else []
    if not candidates:
        return NotReady(reason=f"no connector of the route for {to} is ready")
    if route.strategy is Strategy.ROUND_ROBIN and turn is not None:
        return candidates[turn(route) % len(candidates)]
    if route.strategy is Strategy.LEAST_COST:

        def cost(c: ConnectorId) -> tuple[int, int]:
            prices = route.costs.get(c)
            price = prices.price_micros(to) if prices is not None else None
            return (0, price) if price is not None else (1, 0)

        return min(candidates, key=cost)
    return candidates[0]
