"""What one SMPP upstream is: its address, credentials, binds, window and pacing.

``SmppSettings`` is built by the composition root from a ``[[connectors]]``
entry of type ``smpp`` (``config.py`` validates the keys); ``SubmitDefaults``
(in ``translate.py``) holds the submit_sm fields a message does not decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from heliograph.connectors.smpp import statuses
from heliograph.connectors.smpp.translate import IdFormat, SubmitDefaults
from heliograph.wire.smpp.pdus import Bind, BindReceiver, BindTransceiver, BindTransmitter

__all__ = ["BIND_CLASSES", "BindMode", "BindRefused", "SmppSettings"]


class BindMode(StrEnum):
    TRANSCEIVER = "transceiver"
    TRANSMITTER = "transmitter"
    RECEIVER = "receiver"


BIND_CLASSES: dict[BindMode, type[Bind]] = {
    BindMode.TRANSCEIVER: BindTransceiver,
    BindMode.TRANSMITTER: BindTransmitter,
    BindMode.RECEIVER: BindReceiver,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SmppSettings:
    host: str
    port: int
    system_id: str
    password: str = ""
    system_type: str = ""
    bind_mode: BindMode = BindMode.TRANSCEIVER
    binds: int = 1
    receiver_binds: int = 0
    window: int = 10
    throughput_per_s: float = 0.0  # 0: no limit
    enquire_link_interval_s: float = 30.0
    response_timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    reconnect_backoff_base_s: float = 1.0
    reconnect_backoff_max_s: float = 60.0
    throttle_pause_s: float = 1.0
    tls: bool = False
    tls_verify: bool = True
    id_format: IdFormat = IdFormat.AUTO
    address_range: str = ""
    mo_reassembly_timeout_s: float = 60.0
    submit: SubmitDefaults = field(default_factory=SubmitDefaults)


class BindRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"bind refused: {statuses.describe(status)}")
        self.status = status
