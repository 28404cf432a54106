"""Route conditions and strategies: account, sender, kind, pattern; static, round robin,
least cost."""

from __future__ import annotations

import itertools
import re

from heliograph.domain.ids import ConnectorId
from heliograph.domain.pricing import PriceList
from heliograph.domain.routing import NoRoute, NotReady, Route, RouteQuery, Strategy, select

A, B, C = (ConnectorId(x) for x in "abc")
ALL = {A, B, C}
UK = "+447911123456"


def test_conditions_make_a_route_more_specific_than_a_bare_prefix() -> None:
    general = Route(connectors=(A,), prefixes=("44",))
    vip = Route(connectors=(B,), prefixes=("44",), accounts=frozenset({"vip"}))
    q_vip = RouteQuery(account_id="id-1", account_name="vip")
    q_other = RouteQuery(account_id="id-2", account_name="other")
    assert select([general, vip], UK, ALL, part=q_vip) == B
    assert select([general, vip], UK, ALL, part=q_other) == A
    by_id = Route(connectors=(C,), accounts=frozenset({"id-2"}))
    assert select([by_id], UK, ALL, part=q_other) == C
    assert isinstance(select([by_id], UK, ALL, part=q_vip), NoRoute)


def test_a_longer_prefix_beats_more_conditions() -> None:
    long_prefix = Route(connectors=(A,), prefixes=("4479",))
    conditioned = Route(connectors=(B,), prefixes=("44",), senders=frozenset({"Shop"}))
    assert select([conditioned, long_prefix], UK, ALL, part=RouteQuery(sender="Shop")) == A


def test_sender_kind_and_pattern_conditions() -> None:
    binary = Route(connectors=(A,), kinds=frozenset({"binary"}))
    shop = Route(connectors=(B,), senders=frozenset({"Shop"}))
    premium = Route(connectors=(C,), pattern=re.compile(r"\+4490\d+"))
    routes = [binary, shop, premium]
    assert select(routes, UK, ALL, part=RouteQuery(kind="binary")) == A
    assert select(routes, UK, ALL, part=RouteQuery(sender="Shop")) == B
    assert select(routes, "+449012345678", ALL, part=RouteQuery()) == C
    assert isinstance(select(routes, UK, ALL, part=RouteQuery()), NoRoute)


def test_static_waits_for_its_connector_failover_does_not() -> None:
    static = Route(connectors=(A, B), strategy=Strategy.STATIC)
    failover = Route(connectors=(A, B))
    assert isinstance(select([static], UK, {B}), NotReady)
    assert select([failover], UK, {B}) == B
    assert select([static], UK, {A, B}) == A


def test_round_robin_takes_ready_connectors_in_turn() -> None:
    route = Route(name="rr", connectors=(A, B, C), strategy=Strategy.ROUND_ROBIN)
    counter = itertools.count()
    picks = [select([route], UK, ALL, turn=lambda r: next(counter)) for _ in range(6)]
    assert picks == [A, B, C, A, B, C]
    picks = [select([route], UK, {A, C}, turn=lambda r: next(counter)) for _ in range(4)]
    assert sorted(picks) == [A, A, C, C]


def test_least_cost_picks_the_cheapest_ready_connector_for_the_destination() -> None:
    costs = {
        A: PriceList.of([("44", 40_000)]),
        B: PriceList.of([("447", 30_000), ("", 90_000)]),
        C: PriceList.of([("33", 10_000)]),
    }
    route = Route(connectors=(A, B, C), strategy=Strategy.LEAST_COST, costs=costs)
    assert select([route], UK, ALL) == B
    assert select([route], "+442079460000", ALL) == A  # B's default 0.09 is dearer
    assert select([route], UK, {A, C}) == A  # C has no price for the UK: last
    assert select([route], "+33612345678", ALL) == C
