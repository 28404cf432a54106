"""Errors raised by the pure wire layer.

Hierarchy::

    WireError
    ├── DecodeError           malformed bytes from a peer (carries a status hint)
    ├── EncodeError           a value that cannot be put on the wire as asked
    │   └── UnencodableCharacter   a character the chosen alphabet cannot carry
    └── ProtocolError
        ├── LocalProtocolError     we broke the protocol (e.g. submit_sm while unbound)
        └── RemoteProtocolError    the peer broke the protocol

``status`` is an integer hint in the style of h11's ``error_status_hint``: for
SMPP it is the ``command_status`` (SMPP 3.4 §5.1.3) an edge should answer with.
The wire layer knows nothing about which edge renders it.
"""

from __future__ import annotations


class WireError(Exception):
    """Base of every wire-layer error."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class DecodeError(WireError):
    """Bytes from a peer that do not parse."""


class EncodeError(WireError):
    """A value that cannot be encoded as asked."""


class UnencodableCharacter(EncodeError):
    """A character the chosen alphabet cannot carry, with its position in the text."""

    def __init__(self, char: str, position: int, alphabet: str) -> None:
        super().__init__(
            f"character {char!r} (U+{ord(char):04X}) at position {position} "
            f"cannot be encoded in {alphabet}"
        )
        self.char = char
        self.position = position
        self.alphabet = alphabet


class ProtocolError(WireError):
    """A protocol state machine was driven outside its rules."""


class LocalProtocolError(ProtocolError):
    """We tried to do something the protocol forbids in the current state."""


class RemoteProtocolError(ProtocolError):
    """The peer did something the protocol forbids."""
