"""Allocation of concatenation references (3GPP TS 23.040 §9.2.3.24.1 / §9.2.3.24.8).

All parts of one message carry the same reference, and the reference "shall remain
constant for every short message which makes up a particular concatenated short message";
a receiver tells two messages from one originator apart only by it. References are
therefore counted per destination, so that a handset sees 256 (or 65536) different
references before one repeats, however much traffic goes elsewhere.

Pure and deterministic: a new destination starts at a point derived from its address and
``seed`` (pass something that differs between runs, e.g. the start time, so a restart does
not replay the same references). Memory is bounded by ``max_destinations``; the least
recently used destination is forgotten first.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict

__all__ = ["ReferenceAllocator"]


class ReferenceAllocator:
    """Hands out the next concatenation reference for a destination."""

    def __init__(
        self, *, ref16: bool = False, seed: int = 0, max_destinations: int = 100_000
    ) -> None:
        if max_destinations < 1:
            raise ValueError("max_destinations must be at least 1")
        self.modulus = 0x10000 if ref16 else 0x100
        self.seed = seed
        self.max_destinations = max_destinations
        self._last: OrderedDict[str, int] = OrderedDict()

    def next(self, destination: str) -> int:
        """The reference to use for the next multipart message to ``destination``."""
        last = self._last.pop(destination, None)
        if last is None:
            start = zlib.crc32(destination.encode("utf-8"), self.seed & 0xFFFFFFFF)
            reference = start % self.modulus
            if len(self._last) >= self.max_destinations:
                self._last.popitem(last=False)
        else:
            reference = (last + 1) % self.modulus
        self._last[destination] = reference
        return reference
