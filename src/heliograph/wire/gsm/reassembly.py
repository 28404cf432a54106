"""Reassembly of concatenated MO messages (3GPP TS 23.040 §9.2.3.24.1 / §9.2.3.24.8).

The parts of one message share originator, recipient, concatenation reference and total
(the reference is only unique per originator, §9.2.3.24.1). They can arrive in any order,
twice, and over different binds of the same or another connector; the bind is recorded
but is not part of the key, so parts from different binds combine.

Sans-IO in the style of aioquic: the caller passes ``now`` to :meth:`Reassembler.feed` and
:meth:`Reassembler.expire`, and sleeps until :meth:`Reassembler.next_deadline`. A message
is delivered once: complete when its last part arrives, or, ``timeout_s`` after its first
part, as what arrived, marked incomplete. A part repeating one of a message delivered in
the last ``timeout_s`` is dropped rather than starting a message that can never complete.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

from heliograph.wire.errors import DecodeError

__all__ = ["ConcatenatedPart", "ReassembledMessage", "Reassembler"]

_Key = tuple[str, str, int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConcatenatedPart:
    """One received part: addresses, its concatenation IE values and its user data.

    ``payload`` is the user data after the UDH (GSM 7-bit unpacked septets or octets);
    ``udh`` is the header as received; ``bind_id`` names the bind it came in on.
    """

    source: str
    destination: str
    reference: int
    total: int
    seq: int
    payload: bytes
    data_coding: int = 0
    udh: bytes = b""
    bind_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReassembledMessage:
    """A message put back together; ``parts[i]`` is part ``i + 1`` or ``None`` if missing."""

    source: str
    destination: str
    reference: int
    total: int
    parts: tuple[ConcatenatedPart | None, ...]
    complete: bool
    first_seen: float

    @property
    def payload(self) -> bytes:
        """The user data of the parts that arrived, in order."""
        return b"".join(p.payload for p in self.parts if p is not None)

    @property
    def missing(self) -> tuple[int, ...]:
        """Sequence numbers (from 1) of the parts that did not arrive."""
        return tuple(i for i, p in enumerate(self.parts, start=1) if p is None)

    @property
    def bind_ids(self) -> tuple[str, ...]:
        """The binds that delivered parts, in order of first appearance."""
        return tuple(dict.fromkeys(p.bind_id for p in self.parts if p is not None))

    @property
    def data_coding(self) -> int:
        """The DCS of the first part that arrived."""
        return next(p.data_coding for p in self.parts if p is not None)


@dataclass(slots=True)
class _Pending:
    first_seen: float
    deadline: float
    parts: list[ConcatenatedPart | None]
    received: int = 0


@dataclass(slots=True)
class _Delivered:
    forget_at: float
    payloads: dict[int, bytes] = field(default_factory=dict)


class Reassembler:
    """Collects parts into messages. ``max_pending`` bounds memory: past it, the oldest
    message is given up on and delivered incomplete at the next :meth:`expire`."""

    def __init__(self, *, timeout_s: float = 60.0, max_pending: int = 100_000) -> None:
        if timeout_s <= 0 or max_pending < 1:
            raise ValueError("timeout_s must be positive and max_pending at least 1")
        self.timeout_s = timeout_s
        self.max_pending = max_pending
        self._pending: dict[_Key, _Pending] = {}
        self._deadlines: list[tuple[float, _Key]] = []  # heap; stale entries skipped
        self._delivered: dict[_Key, _Delivered] = {}
        self._forget_order: deque[tuple[float, _Key]] = deque()

    def __len__(self) -> int:
        """Messages waiting for parts."""
        return len(self._pending)

    def feed(self, part: ConcatenatedPart, now: float) -> ReassembledMessage | None:
        """Add a part; return the message when this part completes it, else ``None``.

        Raises :class:`DecodeError` for a sequence number outside 1..total (such an IE is
        to be ignored, TS 23.040 §9.2.3.24.1, so the caller should not have sent it here).
        """
        if not 1 <= part.seq <= part.total:
            raise DecodeError(f"part {part.seq} of {part.total} is not a valid concatenation")
        key = (part.source, part.destination, part.reference, part.total)
        self._forget_delivered(now)
        done = self._delivered.get(key)
        if done is not None and done.payloads.get(part.seq) == part.payload:
            return None  # a repeat of a part already delivered
        entry = self._pending.get(key)
        if entry is None:
            if part.total == 1:
                return self._deliver(key, _Pending(now, now, [part], 1), now, complete=True)
            entry = self._start(key, now)
        if entry.parts[part.seq - 1] is not None:
            return None  # duplicate
        entry.parts[part.seq - 1] = part
        entry.received += 1
        if entry.received < part.total:
            return None
        del self._pending[key]
        return self._deliver(key, entry, now, complete=True)

    def expire(self, now: float) -> list[ReassembledMessage]:
        """Messages whose deadline has passed, delivered as incomplete, oldest first."""
        self._forget_delivered(now)
        out: list[ReassembledMessage] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, key = heapq.heappop(self._deadlines)
            entry = self._pending.get(key)
            if entry is None or entry.deadline != deadline:
                continue  # completed, or an older entry under a reused key
            del self._pending[key]
            out.append(self._deliver(key, entry, now, complete=False))
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`expire` next has something to deliver, or ``None``."""
        while self._deadlines:
            deadline, key = self._deadlines[0]
            entry = self._pending.get(key)
            if entry is not None and entry.deadline == deadline:
                return deadline
            heapq.heappop(self._deadlines)
        return None

    def _start(self, key: _Key, now: float) -> _Pending:
        if len(self._pending) >= self.max_pending:
            self._give_up_oldest(now)
        entry = _Pending(now, now + self.timeout_s, [None] * key[3])
        self._pending[key] = entry
        heapq.heappush(self._deadlines, (entry.deadline, key))
        return entry

    def _give_up_oldest(self, now: float) -> None:
        key = min(self._pending, key=lambda k: self._pending[k].first_seen)
        entry = self._pending[key]
        entry.deadline = min(entry.deadline, now)
        heapq.heappush(self._deadlines, (entry.deadline, key))

    def _deliver(
        self, key: _Key, entry: _Pending, now: float, *, complete: bool
    ) -> ReassembledMessage:
        received = {p.seq: p.payload for p in entry.parts if p is not None}
        self._delivered[key] = _Delivered(now + self.timeout_s, received)
        self._forget_order.append((now + self.timeout_s, key))
        source, destination, reference, total = key
        return ReassembledMessage(
            source=source,
            destination=destination,
            reference=reference,
            total=total,
            parts=tuple(entry.parts),
            complete=complete,
            first_seen=entry.first_seen,
        )

    def _forget_delivered(self, now: float) -> None:
        order = self._forget_order
        while order and order[0][0] <= now:
            forget_at, key = order.popleft()
            done = self._delivered.get(key)
            if done is not None and done.forget_at == forget_at:
                del self._delivered[key]
