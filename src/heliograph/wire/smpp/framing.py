"""SMPP framing: cut a byte stream into whole PDUs by command_length (SMPP 3.4 §3.2).

``FrameBuffer`` accepts bytes as they arrive from a transport, in pieces of any
size, and hands back whole frames (header included) ready for
``codec.decode``. It enforces a maximum frame size so a peer cannot make the
gateway buffer unbounded input: a command_length below 16 or above the limit is
a ``PduDecodeError`` with ESME_RINVCMDLEN and the header's command_id and
sequence_number for the generic_nack; the length is judged once a whole header
has arrived, so the outcome never depends on how the stream was split. After such an
error the stream has lost its framing; every later ``pop`` raises it again.
This module knows nothing about PDU bodies.
"""

from __future__ import annotations

import struct

from heliograph.wire.smpp.codec import HEADER, PduDecodeError
from heliograph.wire.smpp.constants import HEADER_OCTETS, CommandStatus

__all__ = ["DEFAULT_MAX_FRAME_OCTETS", "FrameBuffer"]

DEFAULT_MAX_FRAME_OCTETS = 70_000
"""Room for a data_sm carrying a full 64K message_payload (§5.3.2.32) plus its fields."""

_LENGTH = struct.Struct(">I")
_COMPACT_AFTER = 65_536


class FrameBuffer:
    """Reassemble SMPP frames from a byte stream."""

    __slots__ = ("_buffer", "_error", "_start", "max_frame_octets")

    def __init__(self, *, max_frame_octets: int = DEFAULT_MAX_FRAME_OCTETS) -> None:
        if max_frame_octets < HEADER_OCTETS:
            raise ValueError("max_frame_octets must be at least 16")
        self.max_frame_octets = max_frame_octets
        self._buffer = bytearray()
        self._start = 0
        self._error: PduDecodeError | None = None

    @property
    def buffered_octets(self) -> int:
        """Octets received and not yet returned as a frame."""
        return len(self._buffer) - self._start

    def feed(self, data: bytes) -> None:
        """Append bytes received from the peer."""
        self._buffer += data

    def pop(self) -> bytes | None:
        """Return the next whole frame, or None if more bytes are needed.

        Raises:
            PduDecodeError: command_length below 16 or above ``max_frame_octets``
                (ESME_RINVCMDLEN); raised again on every later call.
        """
        if self._error is not None:
            raise self._error
        buffer, start = self._buffer, self._start
        available = len(buffer) - start
        if available < HEADER_OCTETS:
            return None
        (length,) = _LENGTH.unpack_from(buffer, start)
        if length < HEADER_OCTETS or length > self.max_frame_octets:
            _, command_id, _, sequence_number = HEADER.unpack_from(buffer, start)
            self._error = PduDecodeError(
                f"command_length {length} outside 16..{self.max_frame_octets}",
                status=CommandStatus.ESME_RINVCMDLEN,
                command_id=command_id,
                sequence_number=sequence_number,
            )
            raise self._error
        if available < length:
            return None
        frame = bytes(buffer[start : start + length])
        start += length
        if start == len(buffer):
            buffer.clear()
            start = 0
        elif start > _COMPACT_AFTER:
            del buffer[:start]
            start = 0
        self._start = start
        return frame

    def pop_all(self) -> list[bytes]:
        """Return every whole frame buffered so far (see ``pop`` for errors)."""
        frames = []
        while (frame := self.pop()) is not None:
            frames.append(frame)
        return frames
