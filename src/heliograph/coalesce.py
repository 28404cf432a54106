"""Writes coalesced per pass of the event loop, for the SMPP protocols of both sides.

The SMPP client connection (``servers/smpp/client.py``) and the link to an
upstream SMSC (``connectors/smpp/link.py``) answer and send many PDUs in one
pass of the loop; queued here, they leave in one ``transport.write`` when the
pass ends, instead of one system call each.
"""

from __future__ import annotations

import asyncio


class CoalescedWrites:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._out = bytearray()
        self._scheduled = False
        self.transport: asyncio.Transport | None = None  # set by the protocol's connection_made

    def add(self, data: bytes) -> None:
        """Queue ``data`` without arranging a write (the next ``queue`` or ``flush`` takes it)."""
        self._out += data

    def queue(self, data: bytes) -> None:
        """Queue ``data``; it is written when the loop's current pass ends."""
        if not data:
            return
        self._out += data
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write what is queued now (dropped if the connection is closing)."""
        self._scheduled = False
        transport = self.transport
        if self._out and transport is not None and not transport.is_closing():
            transport.write(bytes(self._out))
        self._out.clear()
