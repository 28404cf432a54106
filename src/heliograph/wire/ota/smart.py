"""Smart Messaging and vObject payloads as binary SMS parts addressed to a port.

* TS 23.040 §9.2.3.24.4: the 16-bit application port IE in every part's UDH;
  §9.2.3.24.1: concatenation when a payload needs more than one part
  (:func:`heliograph.wire.gsm.parts.split_binary`).
* Nokia Smart Messaging 3.0.0 ports: ringing tone 5505, operator logo 5506, CLI icon
  5507, picture message 5514; the originator port is the destination port, as Nokia
  handsets send them.
* vCard 9204 and vCalendar 9205 (the IANA-registered vCard/vCal ports the Smart Messaging
  FAQ uses), with originator port 0 as in the csoft PDU examples (``06050423F40000``).
  :func:`vobject_payload` encodes the text with CRLF line ends; checking that it is a
  valid vCard is the caller's business.
"""

from __future__ import annotations

from enum import IntEnum

from heliograph.wire.errors import EncodeError
from heliograph.wire.gsm.parts import MAX_PARTS, SplitText, split_binary
from heliograph.wire.gsm.udh import application_port_ie

__all__ = ["SmartPort", "port_parts", "vobject_payload"]


class SmartPort(IntEnum):
    """Destination ports of Smart Messaging and vObject payloads."""

    RINGTONE = 5505
    OPERATOR_LOGO = 5506
    CLI_ICON = 5507
    PICTURE_MESSAGE = 5514
    VCARD = 9204
    VCALENDAR = 9205


_VOBJECT_PORTS = (SmartPort.VCARD, SmartPort.VCALENDAR)


def port_parts(
    payload: bytes,
    port: int,
    *,
    reference: int,
    source_port: int | None = None,
    ref16: bool = False,
    max_parts: int = MAX_PARTS,
    message_class: int | None = None,
) -> SplitText:
    """``payload`` as 8-bit SMS parts addressed to ``port``.

    ``source_port`` defaults to the destination port for Smart Messaging and to 0 for
    vCard and vCalendar. Raises :class:`EncodeError` for more than ``max_parts`` parts.
    """
    if source_port is None:
        source_port = 0 if port in _VOBJECT_PORTS else port
    return split_binary(
        payload,
        reference=reference,
        udh_extra=application_port_ie(port, source_port),
        ref16=ref16,
        max_parts=max_parts,
        message_class=message_class,
    )


def vobject_payload(text: str, *, encoding: str = "utf-8") -> bytes:
    """A vCard or vCalendar as octets, every line ending in CRLF (RFC 2425 §5.8.1).

    Raises :class:`EncodeError` when the text is not a ``BEGIN:``/``END:`` object or
    cannot be written in ``encoding``.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    first, last = lines[0].strip().upper(), lines[-1].strip().upper()
    if not (first.startswith("BEGIN:") and last.startswith("END:")):
        raise EncodeError("a vCard or vCalendar starts with BEGIN: and ends with END:")
    if first[6:] != last[4:]:
        raise EncodeError(f"{lines[0]!r} is closed by {lines[-1]!r}")
    try:
        return "".join(line + "\r\n" for line in lines).encode(encoding)
    except UnicodeEncodeError:
        raise EncodeError(f"the text cannot be written in {encoding}") from None
