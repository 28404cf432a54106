"""Prometheus metrics of one gateway process.

Counters move when a committed change says so (the store's ``Changes``), never
before, so that the figures match what is in the database. Each ``Metrics``
owns its registry: several gateways in one test process do not share numbers.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from heliograph.domain.messages import MessageState
from heliograph.store.base import Changes


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.accepted = Counter(
            "heliograph_messages_accepted", "MT messages accepted (committed)", registry=r
        )
        self.rejected = Counter(
            "heliograph_messages_rejected", "MT recipients refused at submit", registry=r
        )
        self.transitions = Counter(
            "heliograph_message_transitions",
            "Message state changes, by new state",
            ["state"],
            registry=r,
        )
        self.parts_submitted = Counter(
            "heliograph_parts_submitted", "Parts handed to connectors", ["connector"], registry=r
        )
        self.parts_resent = Counter(
            "heliograph_parts_resent",
            "Parts found in flight after a restart and queued again (at-least-once)",
            registry=r,
        )
        self.callbacks = Counter(
            "heliograph_callbacks", "Client callbacks by result", ["result"], registry=r
        )
        self.queue_depth = Gauge(
            "heliograph_queue_depth", "Parts waiting, by state", ["state"], registry=r
        )
        self.window_in_use = Gauge(
            "heliograph_connector_window_in_use",
            "Requests in flight on each connector",
            ["connector"],
            registry=r,
        )
        self.binds = Gauge(
            "heliograph_binds",
            "Protocol binds by owner (connector:<id> or smpp-server) and state",
            ["owner", "state"],
            registry=r,
        )
        self.accept_latency = Histogram(
            "heliograph_accept_latency_seconds",
            "Submit request to commit, per request",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        self.delivery_latency = Histogram(
            "heliograph_receipt_batch_seconds",
            "Time to apply one batch of receipts",
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0),
            registry=r,
        )
        for state in MessageState:
            self.transitions.labels(state.value)

    def record(self, changes: Changes) -> None:
        for state, count in changes.states.items():
            self.transitions.labels(state.value).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
