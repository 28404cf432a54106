"""Nokia OTA bitmaps (Nokia Smart Messaging Specification 3.0.0, OTA Bitmap format).

Layout::

    infofield  1 octet: 0x00 (8-bit width and height); 0x10 (16-bit width and height)
    width      1 octet (2 with 0x10)
    height     1 octet (2 with 0x10)
    depth      1 octet: 0x01, one bit per pixel (monochrome)
    image      width x height bits, row by row from the top left, most significant bit
               first, 1 = black; zero bits pad the last octet

Operator logos are usually 72x14, CLI icons 72x14 and picture messages 72x28; the format
does not fix a size, so none is enforced here. Multi-colour depths, animation and the
extension fields of the infofield (bit 7) are not supported. This module knows nothing
about the messages that carry a bitmap (:mod:`.logos`) nor about image files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.encoding import ByteReader

__all__ = ["OtaBitmap", "decode_ota_bitmap", "encode_ota_bitmap", "read_ota_bitmap"]

_WIDE: Final = 0x10  # infofield bit 4: width and height take two octets each
_MONOCHROME: Final = 0x01


@dataclass(frozen=True, slots=True, kw_only=True)
class OtaBitmap:
    """A monochrome bitmap; ``data`` holds the packed pixels, ``ceil(w*h/8)`` octets."""

    width: int
    height: int
    data: bytes

    def __post_init__(self) -> None:
        if not (0 < self.width <= 0xFFFF and 0 < self.height <= 0xFFFF):
            raise EncodeError(f"bitmap size {self.width}x{self.height} is outside 1..65535")
        if len(self.data) != _octets(self.width, self.height):
            raise EncodeError(
                f"a {self.width}x{self.height} bitmap has {_octets(self.width, self.height)} "
                f"octets of pixels, not {len(self.data)}"
            )

    def pixel(self, x: int, y: int) -> bool:
        """Whether the pixel at column ``x``, row ``y`` is black."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise IndexError(f"pixel ({x}, {y}) is outside {self.width}x{self.height}")
        bit = y * self.width + x
        return bool(self.data[bit >> 3] & (0x80 >> (bit & 7)))

    def rows(self) -> list[str]:
        """The picture as text, one string per row: ``#`` black, ``.`` white."""
        return [
            "".join("#" if self.pixel(x, y) else "." for x in range(self.width))
            for y in range(self.height)
        ]

    @classmethod
    def from_rows(cls, rows: Sequence[str]) -> OtaBitmap:
        """A bitmap from text rows of equal length (``#``, ``X``, ``1`` or ``*`` are black)."""
        if not rows or len({len(row) for row in rows}) != 1:
            raise EncodeError("bitmap rows must be non-empty and of equal length")
        bits = [ch in "#X1*" for row in rows for ch in row]
        packed = bytearray(_octets(len(rows[0]), len(rows)))
        for index, black in enumerate(bits):
            if black:
                packed[index >> 3] |= 0x80 >> (index & 7)
        return cls(width=len(rows[0]), height=len(rows), data=bytes(packed))


def _octets(width: int, height: int) -> int:
    return (width * height + 7) // 8


def encode_ota_bitmap(bitmap: OtaBitmap) -> bytes:
    """The OTA bitmap: header then pixels (8-bit sizes when both fit, else 16-bit)."""
    if bitmap.width <= 0xFF and bitmap.height <= 0xFF:
        head = bytes((0x00, bitmap.width, bitmap.height, _MONOCHROME))
    else:
        head = (
            bytes((_WIDE,))
            + bitmap.width.to_bytes(2, "big")
            + bitmap.height.to_bytes(2, "big")
            + bytes((_MONOCHROME,))
        )
    return head + bitmap.data


def read_ota_bitmap(reader: ByteReader) -> OtaBitmap:
    """Read one OTA bitmap (header and exactly its pixels) at the reader's position."""
    info = reader.octet()
    if info not in (0x00, _WIDE):
        raise DecodeError(f"OTA bitmap infofield 0x{info:02X} is not supported")
    size = 2 if info == _WIDE else 1
    width = int.from_bytes(reader.take(size), "big")
    height = int.from_bytes(reader.take(size), "big")
    depth = reader.octet()
    if depth != _MONOCHROME:
        raise DecodeError(f"OTA bitmap depth {depth} is not monochrome (1)")
    if not (width and height):
        raise DecodeError(f"OTA bitmap size {width}x{height} is empty")
    return OtaBitmap(width=width, height=height, data=reader.take(_octets(width, height)))


def decode_ota_bitmap(data: bytes) -> OtaBitmap:
    """Parse a whole OTA bitmap.

    Raises :class:`DecodeError` for an unsupported header or pixel data of the wrong length.
    """
    reader = ByteReader(data)
    bitmap = read_ota_bitmap(reader)
    if not reader.at_end():
        raise DecodeError(f"{reader.remaining} octets follow the OTA bitmap's pixels")
    return bitmap
