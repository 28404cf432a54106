"""The connector contract (Kannel's smscconn, as a type).

A connector is one configured upstream link. It answers every part it is given
with a ``SubmitOutcome`` value (never an exception for an upstream problem),
and yields receipts and MO through ``inbound()`` in batches. Implementations:
``loopback`` (the built-in simulated SMSC); SMPP and HTTP upstreams build on
the same contract.
"""

from __future__ import annotations

from heliograph.domain.outcomes import (
    Accepted,
    PermanentFailure,
    Receipt,
    SubmitOutcome,
    TemporaryFailure,
)
from heliograph.services.ports import Connector, Inbound, OutboundPart

__all__ = [
    "Accepted",
    "Connector",
    "Inbound",
    "OutboundPart",
    "PermanentFailure",
    "Receipt",
    "SubmitOutcome",
    "TemporaryFailure",
]
