"""Message identifiers: 26-character, time-ordered, unguessable.

A ULID-style layout: 48 bits of milliseconds since the epoch then 80 random
bits, written in Crockford's base32. Sorting ids sorts by creation time, which
is what cursor pagination relies on; the random part makes ids unguessable and
unique across nodes without coordination.

The random bits come from keyed BLAKE2b over a counter (a keyed PRF with a
per-process key from ``os.urandom``): as unpredictable as the key, and
computed without a system call, which matters on the hot path because every
system call releases the GIL to the database writer thread.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from hashlib import blake2b

from heliograph.domain.ids import MessageId

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
_KEY = os.urandom(32)
_COUNTER = itertools.count()
# Two symbols per 10 bits: encoding is a few table lookups, not a loop per symbol.
_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]


def encode_base32(value: int, length: int) -> str:
    """The low ``5 * length`` bits of ``value`` as ``length`` symbols, most significant first."""
    pairs = _PAIRS
    out = [pairs[(value >> shift) & 1023] for shift in range(10 * (length // 2) - 10, -1, -10)]
    if length % 2:
        out.insert(0, ALPHABET[(value >> (5 * (length - 1))) & 31])
    return "".join(out)


def _random_text() -> str:
    """80 unpredictable bits as 16 Crockford base32 characters."""
    digest = blake2b(next(_COUNTER).to_bytes(8, "big"), key=_KEY, digest_size=10).digest()
    v = int.from_bytes(digest, "big")
    p = _PAIRS
    return (
        p[v >> 70]
        + p[(v >> 60) & 1023]
        + p[(v >> 50) & 1023]
        + p[(v >> 40) & 1023]
        + p[(v >> 30) & 1023]
        + p[(v >> 20) & 1023]
        + p[(v >> 10) & 1023]
        + p[v & 1023]
    )


_last_prefix: tuple[int, str] = (-1, "")


def _prefix(ms: int) -> str:
    """The 10 symbols of a millisecond timestamp (the last one is remembered)."""
    global _last_prefix
    if _last_prefix[0] != ms:
        _last_prefix = (ms, encode_base32(ms, 10))
    return _last_prefix[1]


def new_message_id(now: float | None = None) -> MessageId:
    ms = int((time.time() if now is None else now) * 1000)
    return MessageId(_prefix(ms) + _random_text())


def message_ids(now: float) -> Iterator[MessageId]:
    """Ids for one request, all with the request's timestamp."""
    prefix = _prefix(int(now * 1000))
    while True:
        yield MessageId(prefix + _random_text())
