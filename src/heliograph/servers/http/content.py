"""REST API v1 ``content`` objects: the JSON form of every content kind, and its translation.

``POST /v1/messages`` takes ``{"content": {"type": "wap_si", ...}}`` instead of
``text``. Each kind is a msgspec Struct tagged by ``type`` (so a wrong field is
refused naming it, and ``openapi.py`` documents the union); ``content_value()``
turns one into a ``domain.content`` value. Octets are hex (``bitmap``,
``payload``, ``udh``), images base64 (``image``, converted to an OTA bitmap by
``services.content``). Which bytes go on the wire is decided in
``domain.content``, not here. ``GET /mms/{token}/{message_id}`` is where
handsets fetch an MMS sent with ``{"type": "mms"}`` (``services.content``), and
``GET /wap/{token}/{message_id}`` where a browser opens one sent by WAP Push.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from aiohttp import web

from heliograph.domain.accounts import Account
from heliograph.domain.content import (
    Binary,
    Content,
    GroupGraphic,
    Mms,
    MmsNotification,
    OperatorLogo,
    Picture,
    Ringtone,
    VCal,
    VCard,
    WapSi,
    WapSl,
    content_type_name,
)
from heliograph.domain.ids import MessageId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.services.content import (
    LOGO_SIZE,
    PICTURE_SIZE,
    MmsService,
    ota_bitmap_from_image,
)
from heliograph.services.library import LibraryService
from heliograph.store.postgres_library import NOT_SUPPORTED

__all__ = [
    "MMS",
    "ContentBody",
    "LibraryBody",
    "add_routes",
    "base_url",
    "content_value",
    "fetch_mms",
    "library_content",
]

_Hex = Annotated[str, msgspec.Meta(pattern=r"^\s*(?:[0-9A-Fa-f]{2}\s*)+$", max_length=80_000)]
_Text = Annotated[str, msgspec.Meta(max_length=40_000)]
_Port = Annotated[int, msgspec.Meta(ge=0, le=0xFFFF)]


class SiInfoBody(msgspec.Struct, forbid_unknown_fields=True):
    class_: str = msgspec.field(name="class")
    text: str = ""


class WapSiBody(msgspec.Struct, tag="wap_si", tag_field="type", forbid_unknown_fields=True):
    """WAP Push Service Indication (WAP-167); dates with a time zone."""

    href: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    text: _Text = ""
    action: str | None = None
    si_id: str | None = None
    created: datetime | None = None
    expires: datetime | None = None
    info: list[SiInfoBody] = []


class WapSlBody(msgspec.Struct, tag="wap_sl", tag_field="type", forbid_unknown_fields=True):
    """WAP Push Service Loading (WAP-168)."""

    href: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    action: str | None = None


class VCardBody(msgspec.Struct, tag="vcard", tag_field="type", forbid_unknown_fields=True):
    text: _Text


class VCalBody(msgspec.Struct, tag="vcal", tag_field="type", forbid_unknown_fields=True):
    text: _Text


class RingtoneBody(msgspec.Struct, tag="ringtone", tag_field="type", forbid_unknown_fields=True):
    rtttl: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class OperatorLogoBody(
    msgspec.Struct, tag="operator_logo", tag_field="type", forbid_unknown_fields=True
):
    """``bitmap`` (hex OTA bitmap or operator logo) or ``image`` (base64 image file)."""

    mcc: Annotated[str, msgspec.Meta(pattern=r"^\d{3}$")] | None = None
    mnc: Annotated[str, msgspec.Meta(pattern=r"^\d{2}$")] | None = None
    bitmap: _Hex | None = None
    image: bytes | None = None
    nokia_headers: bool = False


class GroupGraphicBody(
    msgspec.Struct, tag="group_graphic", tag_field="type", forbid_unknown_fields=True
):
    bitmap: _Hex | None = None
    image: bytes | None = None


class PictureBody(msgspec.Struct, tag="picture", tag_field="type", forbid_unknown_fields=True):
    bitmap: _Hex | None = None
    image: bytes | None = None
    text: Annotated[str, msgspec.Meta(max_length=120)] = ""


class BinaryBody(msgspec.Struct, tag="binary", tag_field="type", forbid_unknown_fields=True):
    """Raw user data; ``udh`` (with its UDHL) makes it one part sent as given."""

    payload: _Hex
    udh: _Hex | None = None
    dest_port: _Port | None = None
    src_port: _Port | None = None
    data_coding: Annotated[int, msgspec.Meta(ge=0, le=255)] | None = None


class MmsNotificationBody(
    msgspec.Struct, tag="mms_notification", tag_field="type", forbid_unknown_fields=True
):
    """An m-notification-ind by WAP Push for an MMS the handset fetches from ``url``."""

    url: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=2048)]
    size: Annotated[int, msgspec.Meta(ge=1, le=0xFFFFFFFF)]
    subject: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    expiry_s: Annotated[int, msgspec.Meta(ge=60, le=366 * 86400)] = 7 * 86400


class MmsBody(msgspec.Struct, tag="mms", tag_field="type", forbid_unknown_fields=True):
    """``data``: base64 of a ready .mms, a ZIP of parts, or one media file."""

    data: bytes
    file_name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    content_type: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    subject: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    add_smil: Annotated[int, msgspec.Meta(ge=0, le=2)] | None = None
    disable_repurposing: bool = False  # send the images as given, whatever the handset
    wap_push: bool = False  # a WAP Push SI to the browser instead of an MMS notification
    walled_garden_rule: bool = True  # false: an MMS notification even to walled gardens


class LibraryBody(msgspec.Struct, tag="library", tag_field="type", forbid_unknown_fields=True):
    """Content kept in the library under ``number`` (``services.library``): a file goes as
    an MMS (or by WAP Push with ``wap_push``), a picture as a picture message with
    ``text``, a logo as an operator logo with ``mcc``/``mnc``, else as a group graphic."""

    number: Annotated[int, msgspec.Meta(ge=0, le=99999)]
    text: Annotated[str, msgspec.Meta(max_length=255)] | None = None  # or an MMS subject
    mcc: Annotated[str, msgspec.Meta(pattern=r"^\d{3}$")] | None = None
    mnc: Annotated[str, msgspec.Meta(pattern=r"^\d{2}$")] | None = None
    wap_push: bool = False
    walled_garden_rule: bool = True
    disable_repurposing: bool = False


ContentBody = (
    WapSiBody
    | WapSlBody
    | VCardBody
    | VCalBody
    | RingtoneBody
    | OperatorLogoBody
    | GroupGraphicBody
    | PictureBody
    | BinaryBody
    | MmsNotificationBody
    | MmsBody
    | LibraryBody
)


def _hex(value: str) -> bytes:
    return bytes.fromhex("".join(value.split()))  # the schema's pattern checked it


def _utc(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            "give a time zone (e.g. 2026-01-31T09:00:00Z)",
            field=f"content.{field}",
        )
    return value.astimezone(UTC)


def _bitmap(bitmap: str | None, image: bytes | None, size: tuple[int, int]) -> bytes:
    if (bitmap is None) == (image is None):
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            "give the bitmap as hex OTA or an image, one of the two",
            field="content.bitmap",
        )
    if bitmap is not None:
        return _hex(bitmap)
    assert image is not None
    return ota_bitmap_from_image(image, size, field="content.image")


def content_value(body: ContentBody) -> Content:
    """The domain value of a ``content`` object. Raises: Rejected naming the field."""
    match body:
        case WapSiBody():
            return WapSi(
                href=body.href,
                text=body.text,
                action=body.action,
                si_id=body.si_id,
                created=_utc(body.created, "created"),
                expires=_utc(body.expires, "expires"),
                info=tuple((i.class_, i.text) for i in body.info),
            )
        case WapSlBody():
            return WapSl(href=body.href, action=body.action)
        case VCardBody():
            return VCard(text=body.text)
        case VCalBody():
            return VCal(text=body.text)
        case RingtoneBody():
            return Ringtone(rtttl=body.rtttl)
        case OperatorLogoBody():
            return OperatorLogo(
                bitmap=_bitmap(body.bitmap, body.image, LOGO_SIZE),
                mcc=body.mcc,
                mnc=body.mnc,
                nokia_headers=body.nokia_headers,
            )
        case GroupGraphicBody():
            return GroupGraphic(bitmap=_bitmap(body.bitmap, body.image, LOGO_SIZE))
        case PictureBody():
            return Picture(bitmap=_bitmap(body.bitmap, body.image, PICTURE_SIZE), text=body.text)
        case BinaryBody():
            return Binary(
                payload=_hex(body.payload),
                udh=_hex(body.udh) if body.udh is not None else None,
                dest_port=body.dest_port,
                src_port=body.src_port,
                data_coding=body.data_coding,
            )
        case MmsNotificationBody():
            return MmsNotification(
                url=body.url, size=body.size, subject=body.subject, expiry_s=body.expiry_s
            )
        case MmsBody():
            return Mms(
                data=body.data,
                file_name=body.file_name,
                content_type=body.content_type,
                subject=body.subject,
                add_smil=body.add_smil,
                disable_repurposing=body.disable_repurposing,
                wap_push=body.wap_push,
                walled_garden_rule=body.walled_garden_rule,
            )
        case LibraryBody():
            raise TypeError("library content is resolved by library_content()")


async def library_content(
    library: LibraryService | None, account: Account, body: LibraryBody
) -> Content:
    """The domain value of ``{"type": "library", ...}``: the stored item the account may
    send, with the body's options. Raises: Rejected naming ``content.number`` (404 for
    a number that is not the account's nor public)."""
    if library is None:
        raise Rejected(RejectReason.NOT_SUPPORTED, NOT_SUPPORTED, field="content.number")
    if (body.mcc is None) != (body.mnc is None):
        raise Rejected(
            RejectReason.INVALID_REQUEST, "give mcc and mnc together", field="content.mcc"
        )
    content = await library.content(
        account, body.number, text=body.text, mcc=body.mcc, mnc=body.mnc
    )
    if isinstance(content, Mms):
        return replace(
            content,
            wap_push=body.wap_push,
            walled_garden_rule=body.walled_garden_rule,
            disable_repurposing=body.disable_repurposing,
        )
    if body.wap_push:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"library number {body.number} is a {content_type_name(content)}, not a file",
            field="content.wap_push",
        )
    return content


# --- MMS: the handset's fetch -------------------------------------------------------------

MMS = web.AppKey("mms", MmsService)
MMS_MESSAGE = "application/vnd.wap.mms-message"


async def fetch_mms(request: web.Request) -> web.Response:
    """GET /mms/{token}/{message_id}: the m-retrieve-conf (OMA-MMS-ENC §6.3), 404 when
    unknown or expired. No API key: the URL itself is the secret."""
    mms = request.app[MMS]
    pdu = await mms.fetch(
        request.match_info["token"],
        MessageId(request.match_info["message_id"]),
        request.headers.get("User-Agent"),
    )
    return web.Response(
        body=pdu, headers={"Content-Type": MMS_MESSAGE, "Cache-Control": "no-store"}
    )


async def browse_mms(request: web.Request) -> web.Response:
    """GET /wap/{token}/{message_id}[/{part}]: the content a WAP Push pointed the browser
    at (``MmsService.browse``), 404 when unknown or expired. No API key either."""
    raw = request.match_info.get("part")
    if raw is not None and not (raw.isdigit() and len(raw) <= 3):
        raise Rejected(RejectReason.NOT_FOUND, f"no part {raw!r}")
    body, content_type = await request.app[MMS].browse(
        request.match_info["token"],
        MessageId(request.match_info["message_id"]),
        request.headers.get("User-Agent"),
        int(raw) if raw is not None else None,
    )
    return web.Response(
        body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"}
    )


def base_url(request: web.Request) -> str:
    """How this request reached the gateway: the default base of MMS fetch URLs."""
    return f"{request.scheme}://{request.host}"


def add_routes(app: web.Application, mms: MmsService) -> None:
    app[MMS] = mms
    app.router.add_get("/mms/{token}/{message_id}", fetch_mms)
    app.router.add_get("/wap/{token}/{message_id}", browse_mms)
    app.router.add_get("/wap/{token}/{message_id}/{part}", browse_mms)
