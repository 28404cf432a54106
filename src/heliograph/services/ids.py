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
from base64 import b32encode
from collections.abc import Iterator
from hashlib import blake2b

from heliograph.domain.ids import MessageId

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KEY = os.urandom(32)
_COUNTER = itertools.count()


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


# RFC 4648 base32 and Crockford's base32 give the same 5-bit groups in the same
# order; only the symbols differ, and Crockford's sort like their values.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def _random80() -> int:
    digest = blake2b(next(_COUNTER).to_bytes(8, "big"), key=_KEY, digest_size=10).digest()
    return int.from_bytes(digest, "big")


def _random_text() -> str:
    """80 unpredictable bits as 16 Crockford base32 characters."""
    digest = blake2b(next(_COUNTER).to_bytes(8, "big"), key=_KEY, digest_size=10).digest()
    return b32encode(digest).translate(_TO_CROCKFORD).decode()


def new_message_id(now: float | None = None) -> MessageId:
    ms = int((time.time() if now is None else now) * 1000)
    return MessageId(_encode(ms, 10) + _encode(_random80(), 16))


def message_ids(now: float) -> Iterator[MessageId]:
    """Ids for one request, all with the request's timestamp."""
    prefix = _encode(int(now * 1000), 10)
    while True:
        yield MessageId(prefix + _random_text())
