"""Nokia Smart Messaging pictures: operator logo, CLI (group) icon, picture message.

Nokia Smart Messaging Specification 3.0.0 and the Smart Messaging FAQ 2.0:

* Operator logo (port 5506)::

      "0" (0x30, version)  MCC (2 octets)  MNC (1 octet)  LF (0x0A)  OTA bitmap

  MCC and MNC are little-endian BCD: MCC 123 is ``21 F3`` (the third digit with an F
  filler), MNC 45 is ``54``. The FAQ (question 19) also describes a form without the
  version and LF, two octets shorter so a 72x14 logo fits one SMS; Nokia phones accept
  it. :func:`encode_operator_logo` writes either; :func:`decode_operator_logo` reads both
  (no MCC starts with 0, so a first octet 0x30 is always the version).
* CLI icon, the group graphic (port 5507): ``"0"`` then the OTA bitmap.
* Picture message (port 5514): ``"0"`` then items, each a type octet, a 16-bit length and
  the data: 0x00 text in ISO-8859-1, 0x01 text in UCS-2, 0x02 OTA bitmap.

Bitmaps are :class:`~heliograph.wire.ota.bitmap.OtaBitmap`; the ports and SMS parts are in
:mod:`.smart`. This module knows nothing about image files.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.ota.bitmap import (
    OtaBitmap,
    decode_ota_bitmap,
    encode_ota_bitmap,
    read_ota_bitmap,
)
from heliograph.wire.wap.encoding import ByteReader

__all__ = [
    "LogoInput",
    "OperatorLogo",
    "PictureItem",
    "PictureMessage",
    "decode_cli_icon",
    "decode_logo_input",
    "decode_operator_logo",
    "decode_picture_message",
    "encode_cli_icon",
    "encode_operator_logo",
    "encode_picture_message",
]

_VERSION: Final = 0x30  # ISO-8859-1 "0"
_LF: Final = 0x0A


class PictureItem(IntEnum):
    """Item types of a picture message (Smart Messaging 3.0.0, multipart message)."""

    TEXT_ISO_8859_1 = 0x00
    TEXT_UCS2 = 0x01
    OTA_BITMAP = 0x02


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorLogo:
    """An operator logo for network MCC/MNC (digit strings, e.g. ``"234"``, ``"33"``)."""

    mcc: str
    mnc: str
    bitmap: OtaBitmap


@dataclass(frozen=True, slots=True, kw_only=True)
class PictureMessage:
    """A picture with optional text; ``text_first`` puts the text item before the picture."""

    bitmap: OtaBitmap
    text: str = ""
    text_first: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LogoInput:
    """What a client's hex held: the bitmap, and a network code when one came with it."""

    bitmap: OtaBitmap
    mcc: str | None = None
    mnc: str | None = None


def _digits(value: int | str, count: int, what: str) -> str:
    text = f"{value:0{count}d}" if isinstance(value, int) else value.strip()
    if not (text.isdigit() and text.isascii() and len(text) == count):
        raise EncodeError(f"{what} {value!r} is not {count} digits")
    return text


def _netcode(mcc: int | str, mnc: int | str) -> bytes:
    m = _digits(mcc, 3, "MCC")
    n = _digits(mnc, 2, "MNC")  # one octet holds two digits
    return bytes((int(m[1]) << 4 | int(m[0]), 0xF0 | int(m[2]), int(n[1]) << 4 | int(n[0])))


def _read_netcode(data: bytes) -> tuple[str, str]:
    nibbles = [data[0] & 0x0F, data[0] >> 4, data[1] & 0x0F, data[1] >> 4]
    mnc = [data[2] & 0x0F, data[2] >> 4]
    if nibbles[3] != 0x0F or max(nibbles[:3] + mnc) > 9:
        raise DecodeError(f"{data[:3].hex()} is not a BCD MCC/MNC")
    return "".join(map(str, nibbles[:3])), "".join(map(str, mnc))


def encode_operator_logo(
    mcc: int | str, mnc: int | str, bitmap: OtaBitmap, *, nokia_headers: bool = True
) -> bytes:
    """Operator logo data for port 5506; ``nokia_headers=False`` drops version and LF.

    Raises :class:`EncodeError` for an MCC that is not 3 digits or an MNC that is not 2.
    """
    body = _netcode(mcc, mnc)
    if nokia_headers:
        return bytes((_VERSION,)) + body + bytes((_LF,)) + encode_ota_bitmap(bitmap)
    return body + encode_ota_bitmap(bitmap)


def decode_operator_logo(data: bytes) -> OperatorLogo:
    """Parse operator logo data, with or without the version and LF."""
    if data[:1] == bytes((_VERSION,)):
        if len(data) < 5 or data[4] != _LF:
            raise DecodeError("operator logo lacks the LF after its network code")
        mcc, mnc = _read_netcode(data[1:4])
        return OperatorLogo(mcc=mcc, mnc=mnc, bitmap=decode_ota_bitmap(data[5:]))
    if len(data) < 3:
        raise DecodeError("operator logo is shorter than its network code")
    mcc, mnc = _read_netcode(data)
    return OperatorLogo(mcc=mcc, mnc=mnc, bitmap=decode_ota_bitmap(data[3:]))


def decode_logo_input(data: bytes) -> LogoInput:
    """A client's logo data: a bare OTA bitmap, or an operator logo in either form.

    Raises :class:`DecodeError` when it is none of them.
    """
    try:
        return LogoInput(bitmap=decode_ota_bitmap(data))
    except DecodeError:
        pass
    logo = decode_operator_logo(data)
    return LogoInput(bitmap=logo.bitmap, mcc=logo.mcc, mnc=logo.mnc)


def encode_cli_icon(bitmap: OtaBitmap) -> bytes:
    """CLI icon (group graphic) data for port 5507."""
    return bytes((_VERSION,)) + encode_ota_bitmap(bitmap)


def decode_cli_icon(data: bytes) -> OtaBitmap:
    """Parse CLI icon data; a bitmap without the version octet is accepted too."""
    if data[:1] == bytes((_VERSION,)):
        return decode_ota_bitmap(data[1:])
    return decode_ota_bitmap(data)


def _item(kind: PictureItem, data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise EncodeError(f"picture message item of {len(data)} octets exceeds 65535")
    return bytes((kind,)) + len(data).to_bytes(2, "big") + data


def encode_picture_message(message: PictureMessage) -> bytes:
    """Picture message data for port 5514: version, then text and bitmap items."""
    items = [_item(PictureItem.OTA_BITMAP, encode_ota_bitmap(message.bitmap))]
    if message.text:
        try:
            text = _item(PictureItem.TEXT_ISO_8859_1, message.text.encode("latin-1"))
        except UnicodeEncodeError:
            text = _item(PictureItem.TEXT_UCS2, message.text.encode("utf-16-be"))
        items.insert(0 if message.text_first else 1, text)
    return bytes((_VERSION,)) + b"".join(items)


def decode_picture_message(data: bytes) -> PictureMessage:
    """Parse picture message data.

    Raises :class:`DecodeError` without exactly one bitmap, or for an unknown item.
    """
    reader = ByteReader(data)
    if reader.octet() != _VERSION:
        raise DecodeError("picture message does not start with version '0'")
    bitmap: OtaBitmap | None = None
    text, text_first = "", True
    while not reader.at_end():
        kind = reader.octet()
        item = reader.sub(int.from_bytes(reader.take(2), "big"))
        if kind == PictureItem.OTA_BITMAP:
            if bitmap is not None:
                raise DecodeError("picture message has two bitmaps")
            bitmap = read_ota_bitmap(item)
            if not item.at_end():
                raise DecodeError("picture message bitmap item is longer than its bitmap")
        elif kind in (PictureItem.TEXT_ISO_8859_1, PictureItem.TEXT_UCS2):
            codec = "latin-1" if kind == PictureItem.TEXT_ISO_8859_1 else "utf-16-be"
            try:
                text += item.rest().decode(codec)
            except UnicodeDecodeError:
                raise DecodeError("picture message text is not valid UCS-2") from None
            text_first = bitmap is None
        else:
            raise DecodeError(f"picture message item type 0x{kind:02X} is not supported")
    if bitmap is None:
        raise DecodeError("picture message has no bitmap")
    return PictureMessage(bitmap=bitmap, text=text, text_first=text_first)
