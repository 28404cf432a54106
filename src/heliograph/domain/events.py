"""Status events sent to clients as callbacks.

``status_event()`` is the JSON object a client's callback URL receives when a
message changes state. It is built when the change is committed and stored in
the callback outbox as is, so a callback retried hours later still says what
happened then. Field names are part of the public API (docs/api.md).
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
    }
