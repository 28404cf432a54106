"""Service Indication (WAP-167-ServiceInd): token tables, builder and parser.

An SI is ``<si><indication ...>text</indication><info><item class="...">...</item></info></si>``
(the DTD of §8.2). It is sent as WBXML (public id 0x05, §9.2) with content type
``application/vnd.wap.sic`` (0x2E). Tokens are WAP-167 §9.3: tags (§9.3.1), attribute
start tokens with their value prefixes (§9.3.2) and attribute value tokens (§9.3.3).

``created`` and ``si-expires`` are OPAQUE (§9.2.2): the UTC date ``YYYY-MM-DDThh:mm:ssZ``
written as its 14 digits packed two per octet, trailing zero octets left out, so
``1999-06-30T00:00:00Z`` is ``19 99 06 30``. ``action`` defaults to ``signal-medium`` on the
handset when absent (§8.2); it is written only when given. This module knows nothing
about WSP or SMS; :mod:`.push` carries the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.wbxml import Document, Element, PublicId, Vocabulary
from heliograph.wire.wap.wbxml_reader import decode_wbxml
from heliograph.wire.wap.wbxml_writer import encode_wbxml

__all__ = [
    "SI",
    "Action",
    "InfoItem",
    "ServiceIndication",
    "decode_si",
    "decode_si_date",
    "encode_si",
    "encode_si_date",
    "parse_si_date",
]


class Action(StrEnum):
    """``action`` values (WAP-167 §8.2)."""

    SIGNAL_NONE = "signal-none"
    SIGNAL_LOW = "signal-low"
    SIGNAL_MEDIUM = "signal-medium"
    SIGNAL_HIGH = "signal-high"
    DELETE = "delete"


#: WAP-167 §9.3: the SI token tables (code page 0 only).
SI: Final = Vocabulary(
    name="SI 1.0",
    public_id=PublicId.SI_1_0,
    public_id_text="-//WAPFORUM//DTD SI 1.0//EN",
    tags={(0, 0x05): "si", (0, 0x06): "indication", (0, 0x07): "info", (0, 0x08): "item"},
    attribute_starts={
        (0, 0x05): ("action", "signal-none"),
        (0, 0x06): ("action", "signal-low"),
        (0, 0x07): ("action", "signal-medium"),
        (0, 0x08): ("action", "signal-high"),
        (0, 0x09): ("action", "delete"),
        (0, 0x0A): ("created", ""),
        (0, 0x0B): ("href", ""),
        (0, 0x0C): ("href", "http://"),
        (0, 0x0D): ("href", "http://www."),
        (0, 0x0E): ("href", "https://"),
        (0, 0x0F): ("href", "https://www."),
        (0, 0x10): ("si-expires", ""),
        (0, 0x11): ("si-id", ""),
        (0, 0x12): ("class", ""),
    },
    attribute_values={
        (0, 0x85): ".com/",
        (0, 0x86): ".edu/",
        (0, 0x87): ".net/",
        (0, 0x88): ".org/",
    },
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InfoItem:
    """An ``<item class="...">text</item>`` of ``<info>`` (§8.2)."""

    item_class: str
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceIndication:
    """The fields of an SI; dates are UTC (naive datetimes are taken as UTC)."""

    href: str | None = None
    si_id: str | None = None
    created: datetime | None = None
    si_expires: datetime | None = None
    action: Action | None = None
    text: str = ""
    info: tuple[InfoItem, ...] = ()


def encode_si_date(moment: datetime) -> bytes:
    """The §9.2.2 OPAQUE form of a date: packed digits, trailing zero octets dropped."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    digits = f"{moment.year:04d}{moment:%m%d%H%M%S}"
    return bytes.fromhex(digits).rstrip(b"\x00")


def decode_si_date(data: bytes) -> datetime:
    """The UTC datetime of a §9.2.2 OPAQUE date.

    Raises :class:`DecodeError` when it is not 1–7 packed decimal octets of a valid date.
    """
    if not 1 <= len(data) <= 7:
        raise DecodeError(f"SI date of {len(data)} octets (1 to 7 expected)")
    digits = data.ljust(7, b"\x00").hex()
    if not digits.isdigit():
        raise DecodeError(f"SI date {data.hex()} is not packed decimal")
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise DecodeError(f"SI date {data.hex()} is not a valid date") from None


def parse_si_date(text: str) -> datetime:
    """``YYYY-MM-DDThh:mm:ss`` with an optional ``Z`` (the form of §8.2), as UTC.

    Raises :class:`EncodeError` for any other form.
    """
    try:
        return datetime.strptime(text.strip().removesuffix("Z"), "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=UTC
        )
    except ValueError:
        raise EncodeError(f"SI date {text!r} is not YYYY-MM-DDThh:mm:ssZ") from None


def _document(si: ServiceIndication) -> Element:
    attributes: list[tuple[str, str | bytes]] = []
    if si.href is not None:
        attributes.append(("href", si.href))
    if si.si_id is not None:
        attributes.append(("si-id", si.si_id))
    if si.created is not None:
        attributes.append(("created", encode_si_date(si.created)))
    if si.si_expires is not None:
        attributes.append(("si-expires", encode_si_date(si.si_expires)))
    if si.action is not None:
        attributes.append(("action", si.action.value))
    indication = Element(
        tag="indication", attributes=tuple(attributes), content=(si.text,) if si.text else ()
    )
    content: tuple[Element, ...] = (indication,)
    if si.info:
        items = tuple(
            Element(
                tag="item",
                attributes=(("class", item.item_class),),
                content=(item.text,) if item.text else (),
            )
            for item in si.info
        )
        content += (Element(tag="info", content=items),)
    return Element(tag="si", content=content)


def encode_si(
    si: ServiceIndication, *, version: int = 0x02, charset: int = 106, string_table: bool = False
) -> bytes:
    """The SI as WBXML (WAP-167 §9).

    Raises :class:`EncodeError` for text the charset cannot carry.
    """
    document = Document(
        root=_document(si), public_id=PublicId.SI_1_0, version=version, charset=charset
    )
    return encode_wbxml(document, SI, string_table=string_table)


def _date(element: Element, name: str) -> datetime | None:
    value = element.attribute(name)
    if value is None:
        return None
    if isinstance(value, str):  # a textual date is allowed too (§8.2)
        try:
            return parse_si_date(value)
        except EncodeError as exc:
            raise DecodeError(str(exc)) from None
    return decode_si_date(value)


def _text(element: Element, name: str) -> str | None:
    value = element.attribute(name)
    if isinstance(value, bytes):
        raise DecodeError(f"SI attribute {name} is OPAQUE")
    return value


def decode_si(data: bytes) -> ServiceIndication:
    """Parse an SI in WBXML.

    Raises :class:`DecodeError` for malformed WBXML or a document that is not an SI.
    """
    root = decode_wbxml(data, SI).root
    indication = next(root.children("indication"), None)
    if root.tag != "si" or indication is None:
        raise DecodeError("document is not <si><indication>...")
    action = _text(indication, "action")
    try:
        parsed_action = None if action is None else Action(action)
    except ValueError:
        raise DecodeError(f"SI action {action!r} is not one of WAP-167 §8.2") from None
    info = tuple(
        InfoItem(item_class=_text(item, "class") or "", text=item.text())
        for element in root.children("info")
        for item in element.children("item")
    )
    return ServiceIndication(
        href=_text(indication, "href"),
        si_id=_text(indication, "si-id"),
        created=_date(indication, "created"),
        si_expires=_date(indication, "si-expires"),
        action=parsed_action,
        text=indication.text(),
        info=info,
    )
