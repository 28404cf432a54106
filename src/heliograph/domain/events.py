"""Status events sent to clients as callbacks.

``status_event()`` is the JSON object a client's callback URL receives when a
message changes state. It is built when the change is committed and stored in
the callback outbox as is, so a callback retried hours later still says what
happened then. Field names are part of the public API (docs/api.md).

``connector`` and ``upstream_id`` name the upstream link and the upstream
SMSC's id of the part whose result or receipt caused the change, when the change
came from one (a submit answer or a receipt); otherwise they are None.
"""

from __future__ import annotations

from typing import Any

from heliograph.domain.messages import MessageState


def status_event(
    *,
    message_id: str,
    reference: str | None,
    to: str,
    sender: str | None,
    state: MessageState,
    previous: MessageState,
    parts: int,
    error: str | None,
    at: float,
    connector: str | None = None,
    upstream_id: str | None = None,
) -> dict[str, Any]:
    return {
        "event": "message.status",
        "id": message_id,
        "reference": reference,
        "to": to,
        "from": sender,
        "status": state.value,
        "previous_status": previous.value,
        "parts": parts,
        "error": error,
        "at": round(at, 3),
        "connector": connector,
        "upstream_id": upstream_id,
    }
