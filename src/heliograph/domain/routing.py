"""MT routing: which connector carries a part.

A route matches destinations by prefix (the longest matching prefix wins; an
empty prefix list matches everything) and names connectors in failover order:
the first one that is ready takes the part. ``select()`` is pure: readiness is
passed in by the dispatcher.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass

from heliograph.domain.ids import ConnectorId


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    connectors: tuple[ConnectorId, ...]
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NoRoute:
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NotReady:
    reason: str


def _match_length(route: Route, digits: str) -> int:
    if not route.prefixes:
        return 0
    return max((len(p) for p in route.prefixes if digits.startswith(p)), default=-1)


def select(
    routes: Sequence[Route], to: str, ready: Container[ConnectorId]
) -> ConnectorId | NoRoute | NotReady:
    digits = to.lstrip("+")
    best: Route | None = None
    best_len = -1
    for route in routes:
        length = _match_length(route, digits)
        if length > best_len:
            best, best_len = route, length
    if best is None:
        return NoRoute(reason=f"no route matches {to}")
    for connector in best.connectors:
        if connector in ready:
            return connector
    return NotReady(reason=f"no connector of the route for {to} is ready")
