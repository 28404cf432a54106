"""ISO-8859-1 (Latin-1) user data: SMPP 3.4 §5.2.19 ``data_coding`` 3.

Not a TS 23.038 alphabet: the SMSC converts it for the air interface. Some upstreams also
call it ``data_coding`` 1 (the SMS Center document's ``system-type = "ISO"``); which byte
to send is the connector's choice, the octets are the same. One octet per character, so
parts hold 140 / 134 / 133 characters like 8-bit data.
"""

from __future__ import annotations

from typing import Final

from heliograph.wire.errors import UnencodableCharacter

__all__ = ["LATIN1_CHARSET", "decode_latin1", "encode_latin1"]

#: Every character Latin-1 can carry (U+0000-U+00FF).
LATIN1_CHARSET: Final = frozenset(chr(code) for code in range(256))


def encode_latin1(text: str) -> bytes:
    """Text → ISO-8859-1; :class:`UnencodableCharacter` names the first character above U+00FF."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise UnencodableCharacter(text[exc.start], exc.start, "Latin-1") from None


def decode_latin1(data: bytes) -> str:
    """ISO-8859-1 → text (every octet is a character, so this never fails)."""
    return data.decode("latin-1")
