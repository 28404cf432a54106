"""User data header: information elements, parsed and built (3GPP TS 23.040 §9.2.3.24).

A UDH is ``UDHL`` (its length in octets, not counting itself) followed by information
elements, each ``IEI, IEDL, data``. Parsing keeps the raw header so a header supplied by a
client goes out exactly as it came in; the elements Heliograph acts on are read into
typed values:

* §9.2.3.24.1 concatenated short messages, 8-bit reference (IEI 0x00);
* §9.2.3.24.8 concatenated short messages, 16-bit reference (IEI 0x08);
* §9.2.3.24.3 application port addressing, 8-bit (IEI 0x04);
* §9.2.3.24.4 application port addressing, 16-bit (IEI 0x05);
* §9.2.3.24.15 national language single shift (IEI 0x24);
* §9.2.3.24.16 national language locking shift (IEI 0x25).

Structural faults (a length running past the data, a known element with the wrong
length) raise :class:`DecodeError`. A concatenation element whose sequence number is 0 or
above the total is ignored, as §9.2.3.24.1 tells the receiver to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError

__all__ = [
    "IEI",
    "ApplicationPorts",
    "Concatenation",
    "InformationElement",
    "UserDataHeader",
    "application_port_ie",
    "concatenation_ie",
    "decode_udh",
    "encode_ie",
    "encode_udh",
    "national_locking_shift_ie",
    "national_single_shift_ie",
    "split_user_data",
]


class IEI(IntEnum):
    """Information element identifiers (TS 23.040 §9.2.3.24, table 9.2.3.24)."""

    CONCAT_8BIT = 0x00
    SPECIAL_SMS_INDICATION = 0x01
    APPLICATION_PORT_8BIT = 0x04
    APPLICATION_PORT_16BIT = 0x05
    SMSC_CONTROL_PARAMETERS = 0x06
    UDH_SOURCE_INDICATOR = 0x07
    CONCAT_16BIT = 0x08
    WIRELESS_CONTROL_MESSAGE_PROTOCOL = 0x09
    TEXT_FORMATTING = 0x0A
    PREDEFINED_SOUND = 0x0B
    USER_DEFINED_SOUND = 0x0C
    PREDEFINED_ANIMATION = 0x0D
    LARGE_ANIMATION = 0x0E
    SMALL_ANIMATION = 0x0F
    LARGE_PICTURE = 0x10
    SMALL_PICTURE = 0x11
    VARIABLE_PICTURE = 0x12
    USER_PROMPT_INDICATOR = 0x13
    EXTENDED_OBJECT = 0x14
    REUSED_EXTENDED_OBJECT = 0x15
    COMPRESSION_CONTROL = 0x16
    OBJECT_DISTRIBUTION_INDICATOR = 0x17
    STANDARD_WVG_OBJECT = 0x18
    CHARACTER_SIZE_WVG_OBJECT = 0x19
    EXTENDED_OBJECT_DATA_REQUEST_COMMAND = 0x1A
    RFC_822_EMAIL_HEADER = 0x20
    HYPERLINK_FORMAT_ELEMENT = 0x21
    REPLY_ADDRESS_ELEMENT = 0x22
    ENHANCED_VOICE_MAIL_INFORMATION = 0x23
    NATIONAL_LANGUAGE_SINGLE_SHIFT = 0x24
    NATIONAL_LANGUAGE_LOCKING_SHIFT = 0x25


# Data lengths fixed by TS 23.040 §9.2.3.24.x for the elements read here.
_FIXED_LENGTH: Final[dict[int, int]] = {
    IEI.CONCAT_8BIT: 3,
    IEI.APPLICATION_PORT_8BIT: 2,
    IEI.APPLICATION_PORT_16BIT: 4,
    IEI.CONCAT_16BIT: 4,
    IEI.NATIONAL_LANGUAGE_SINGLE_SHIFT: 1,
    IEI.NATIONAL_LANGUAGE_LOCKING_SHIFT: 1,
}

#: TS 23.040 §9.2.3.16: TP-UD is at most 140 octets, so UDHL is at most 139.
MAX_UDHL: Final = 139


@dataclass(frozen=True, slots=True, kw_only=True)
class InformationElement:
    """One IE as it was on the wire."""

    iei: int
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Concatenation:
    """TS 23.040 §9.2.3.24.1 / .8: which part of which message this is (seq from 1)."""

    reference: int
    total: int
    seq: int
    ref16: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationPorts:
    """TS 23.040 §9.2.3.24.3 / .4: destination and originator application ports."""

    destination: int
    source: int
    wide: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDataHeader:
    """A parsed UDH; ``raw`` is the header exactly as received, UDHL included."""

    raw: bytes
    elements: tuple[InformationElement, ...]

    def find(self, iei: int) -> InformationElement | None:
        """The last element with this IEI (§9.2.3.24: the last occurrence applies)."""
        for element in reversed(self.elements):
            if element.iei == iei:
                return element
        return None

    @property
    def concatenation(self) -> Concatenation | None:
        """The concatenation element, ``None`` when absent or to be ignored."""
        for element in reversed(self.elements):
            if element.iei == IEI.CONCAT_8BIT:
                reference, data = element.data[0], element.data[1:]
            elif element.iei == IEI.CONCAT_16BIT:
                reference, data = int.from_bytes(element.data[:2], "big"), element.data[2:]
            else:
                continue
            total, seq = data[0], data[1]
            if total == 0 or not 1 <= seq <= total:
                return None
            return Concatenation(
                reference=reference, total=total, seq=seq, ref16=element.iei == IEI.CONCAT_16BIT
            )
        return None

    @property
    def ports(self) -> ApplicationPorts | None:
        """The application port addressing element, if any."""
        for element in reversed(self.elements):
            if element.iei == IEI.APPLICATION_PORT_8BIT:
                return ApplicationPorts(
                    destination=element.data[0], source=element.data[1], wide=False
                )
            if element.iei == IEI.APPLICATION_PORT_16BIT:
                return ApplicationPorts(
                    destination=int.from_bytes(element.data[:2], "big"),
                    source=int.from_bytes(element.data[2:], "big"),
                    wide=True,
                )
        return None

    @property
    def single_shift(self) -> int | None:
        """National language of the single shift table (§9.2.3.24.15), if any."""
        element = self.find(IEI.NATIONAL_LANGUAGE_SINGLE_SHIFT)
        return None if element is None else element.data[0]

    @property
    def locking_shift(self) -> int | None:
        """National language of the locking shift table (§9.2.3.24.16), if any."""
        element = self.find(IEI.NATIONAL_LANGUAGE_LOCKING_SHIFT)
        return None if element is None else element.data[0]


def decode_udh(data: bytes) -> UserDataHeader:
    """Parse a UDH that starts at ``data[0]`` (UDHL); trailing bytes are not looked at."""
    if not data:
        raise DecodeError("user data header is empty")
    udhl = data[0]
    if udhl + 1 > len(data):
        raise DecodeError(f"UDHL {udhl} runs past the {len(data)} octets of user data")
    elements: list[InformationElement] = []
    offset, end = 1, udhl + 1
    while offset < end:
        if offset + 2 > end:
            raise DecodeError(f"information element at octet {offset} is cut off")
        iei, length = data[offset], data[offset + 1]
        start = offset + 2
        if start + length > end:
            raise DecodeError(f"information element 0x{iei:02X} runs past the UDH")
        expected = _FIXED_LENGTH.get(iei)
        if expected is not None and length != expected:
            raise DecodeError(
                f"information element 0x{iei:02X} has length {length}, not {expected}"
            )
        elements.append(InformationElement(iei=iei, data=data[start : start + length]))
        offset = start + length
    return UserDataHeader(raw=bytes(data[:end]), elements=tuple(elements))


def split_user_data(user_data: bytes) -> tuple[UserDataHeader, bytes]:
    """Split user data whose UDHI bit is set into (header, body after the header)."""
    header = decode_udh(user_data)
    return header, user_data[len(header.raw) :]


def encode_ie(iei: int, data: bytes) -> bytes:
    """One information element: IEI, IEDL, data (TS 23.040 §9.2.3.24)."""
    if not 0 <= iei <= 0xFF or len(data) > MAX_UDHL - 2:
        raise EncodeError(f"information element 0x{iei:X} with {len(data)} octets is too large")
    return bytes((iei, len(data))) + data


def encode_udh(elements: bytes) -> bytes:
    """UDHL followed by already encoded elements."""
    if len(elements) > MAX_UDHL:
        raise EncodeError(f"user data header of {len(elements)} octets exceeds {MAX_UDHL}")
    return bytes((len(elements),)) + elements


def concatenation_ie(reference: int, total: int, seq: int, *, ref16: bool = False) -> bytes:
    """Concatenation IE 0x00 (8-bit reference) or 0x08 (16-bit) (§9.2.3.24.1 / .8)."""
    if not 1 <= seq <= total <= 255:
        raise EncodeError(f"part {seq} of {total} is not a valid concatenation")
    if ref16:
        if not 0 <= reference <= 0xFFFF:
            raise EncodeError(f"16-bit reference {reference} out of range")
        return bytes((IEI.CONCAT_16BIT, 4, reference >> 8, reference & 0xFF, total, seq))
    if not 0 <= reference <= 0xFF:
        raise EncodeError(f"8-bit reference {reference} out of range")
    return bytes((IEI.CONCAT_8BIT, 3, reference, total, seq))


def application_port_ie(destination: int, source: int = 0, *, wide: bool = True) -> bytes:
    """Application port IE: 0x05 with 16-bit ports, 0x04 with 8-bit (§9.2.3.24.4 / .3)."""
    limit = 0xFFFF if wide else 0xFF
    if not (0 <= destination <= limit and 0 <= source <= limit):
        raise EncodeError(f"ports {destination}/{source} do not fit {16 if wide else 8} bits")
    if wide:
        return encode_ie(
            IEI.APPLICATION_PORT_16BIT, destination.to_bytes(2, "big") + source.to_bytes(2, "big")
        )
    return encode_ie(IEI.APPLICATION_PORT_8BIT, bytes((destination, source)))


def national_single_shift_ie(language: int) -> bytes:
    """National language single shift IE 0x24 (§9.2.3.24.15)."""
    return encode_ie(IEI.NATIONAL_LANGUAGE_SINGLE_SHIFT, bytes((language,)))


def national_locking_shift_ie(language: int) -> bytes:
    """National language locking shift IE 0x25 (§9.2.3.24.16)."""
    return encode_ie(IEI.NATIONAL_LANGUAGE_LOCKING_SHIFT, bytes((language,)))
