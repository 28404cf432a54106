"""Route selection: longest prefix, catch-all, failover order, NoRoute and NotReady."""

from __future__ import annotations

from heliograph.domain.ids import ConnectorId
from heliograph.domain.routing import NoRoute, NotReady, Route, select

A, B, C, D = (ConnectorId(x) for x in "abcd")
ALL = {A, B, C, D}


def test_select_longest_prefix_wins_regardless_of_order() -> None:
    short = Route(connectors=(A,), prefixes=("44",))
    long = Route(connectors=(B,), prefixes=("447",))
    for routes in ([short, long], [long, short]):
        assert select(routes, "+447911123456", ALL) == B
        assert select(routes, "+442079460000", ALL) == A


def test_select_longest_of_several_prefixes_in_one_route() -> None:
    uk = Route(connectors=(A,), prefixes=("1", "4479"))
    uk_mobile = Route(connectors=(B,), prefixes=("447",))
    assert select([uk_mobile, uk], "+447911123456", ALL) == A
    assert select([uk_mobile, uk], "+447811123456", ALL) == B


def test_select_catch_all_route_when_no_prefix_matches() -> None:
    routes = [Route(connectors=(A,), prefixes=("49",)), Route(connectors=(B,))]
    assert select(routes, "+14155550100", ALL) == B
    assert select(routes, "+4930123456", ALL) == A


def test_select_prefix_route_beats_catch_all_listed_first() -> None:
    routes = [Route(connectors=(B,)), Route(connectors=(A,), prefixes=("4",))]
    assert select(routes, "+4930123456", ALL) == A


def test_select_prefix_matches_digits_without_plus() -> None:
    routes = [Route(connectors=(A,), prefixes=("33",))]
    assert select(routes, "+33612345678", ALL) == A
    assert select(routes, "33612345678", ALL) == A


def test_select_fails_over_to_next_ready_connector() -> None:
    routes = [Route(connectors=(A, B, C))]
    assert select(routes, "+14155550100", {A, B, C}) == A
    assert select(routes, "+14155550100", {B, C}) == B
    assert select(routes, "+14155550100", {C}) == C


def test_select_failover_stays_within_the_best_route() -> None:
    routes = [Route(connectors=(A,), prefixes=("44",)), Route(connectors=(B,))]
    got = select(routes, "+447911123456", {B})
    assert isinstance(got, NotReady)
    assert "+447911123456" in got.reason


def test_select_no_ready_connector_is_not_ready() -> None:
    got = select([Route(connectors=(A, B))], "+14155550100", {C})
    assert isinstance(got, NotReady)


def test_select_no_matching_route_is_no_route() -> None:
    got = select([Route(connectors=(A,), prefixes=("44", "49"))], "+14155550100", ALL)
    assert isinstance(got, NoRoute)
    assert "+14155550100" in got.reason


def test_select_no_routes_is_no_route() -> None:
    assert isinstance(select([], "+14155550100", ALL), NoRoute)
