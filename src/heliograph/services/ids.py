"""Message identifiers: 26-character, time-ordered, unguessable.

A ULID-style layout: 48 bits of milliseconds since the epoch then 80 random
bits, written in Crockford's base32. Sorting ids sorts by creation time, which
is what cursor pagination relies on; the random part makes ids unguessable and
unique across nodes without coordination.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from heliograph.domain.ids import MessageId

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_message_id(now: float | None = None) -> MessageId:
    ms = int((time.time() if now is None else now) * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    return MessageId(_encode(ms, 10) + _encode(rand, 16))


def message_ids(now: float) -> Iterator[MessageId]:
    """Ids for one request, all with the request's timestamp."""
    prefix = _encode(int(now * 1000), 10)
    while True:
        yield MessageId(prefix + _encode(int.from_bytes(os.urandom(10), "big"), 16))
