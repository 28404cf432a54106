"""Content services: images to OTA bitmaps, MMS composition, sending and fetching.

An uploaded image (JPEG, GIF, PNG, BMP, WBMP... whatever Pillow reads) becomes a
monochrome Nokia OTA bitmap (Smart Messaging 3.0.0) of the size the content kind
uses — 72x14 for operator logos and CLI icons, 72x28 for picture messages: scaled
to fit with its aspect ratio kept, centred on white, thresholded at mid-grey.
Images are checked before they are decoded: at most ``MAX_IMAGE_OCTETS`` octets
and ``MAX_IMAGE_PIXELS`` pixels, so a small file that unpacks to an enormous
picture is refused, not decoded. Pillow is optional; without it an image is
answered "not supported" and the hex OTA form still works.

An MMS (OMA-MMS-ENC 1.2) comes as a ready encapsulated message (validated by
decoding it), a ZIP of parts (each size checked as it is unpacked, so a ZIP
bomb stops at the limit) or one media file; ``compose_mms`` makes the
m-retrieve-conf, multipart/related with the SMIL kept or generated (csoft
AddSMIL 2: none added). ``MmsService`` stores it and sends the notification;
at fetch time images larger than the handset's screen (a profile by User-Agent,
640x480 when unknown) are scaled down with Pillow, once per profile (cached),
unless the sender disabled repurposing.
"""

from __future__ import annotations

import asyncio
import html
import io
import secrets
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final, Protocol

from heliograph.domain.accounts import Account
from heliograph.domain.content import (
    MESSAGE_ID_PLACEHOLDER,
    Content,
    Mms,
    MmsNotification,
    StoredMms,
    WalledGarden,
    WapSi,
)
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import FINAL_STATES, MessageState, MessageView
from heliograph.domain.outcomes import Receipt
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitRequest
from heliograph.services.ports import Clock
from heliograph.services.submit import Render, SubmitResult, SubmitService
from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.mms.multipart import Part
from heliograph.wire.mms.pdus import RetrieveConf, SendReq, decode_pdu, encode_pdu, phone_address
from heliograph.wire.ota.bitmap import OtaBitmap, encode_ota_bitmap
from heliograph.wire.wap.content_types import ContentType
from heliograph.wire.wap.headers import Header

__all__ = [
    "DEFAULT_PROFILE",
    "HANDSET_PROFILES",
    "LOGO_SIZE",
    "MAX_IMAGE_OCTETS",
    "MAX_IMAGE_PIXELS",
    "MEDIA_TYPES",
    "PICTURE_SIZE",
    "ComposedMms",
    "HandsetProfile",
    "MmsLimits",
    "MmsService",
    "MmsStore",
    "adapt_mms",
    "browser_view",
    "compose_mms",
    "handset_profile",
    "ota_bitmap_from_image",
]

LOGO_SIZE: Final = (72, 14)
PICTURE_SIZE: Final = (72, 28)
MAX_IMAGE_OCTETS: Final = 2 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 16_000_000


def ota_bitmap_from_image(data: bytes, size: tuple[int, int], *, field: str) -> bytes:
    """An OTA bitmap of ``size`` drawn from an image file.

    Raises: Rejected naming ``field`` (INVALID_REQUEST for what is not an image or
    is too large, NOT_SUPPORTED when Pillow is not installed).
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise Rejected(
            RejectReason.NOT_SUPPORTED,
            "images need Pillow on the gateway (pip install pillow); send the bitmap as hex OTA",
            field=field,
        ) from None
    if len(data) > MAX_IMAGE_OCTETS:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"the image is {len(data)} octets, at most {MAX_IMAGE_OCTETS}",
            field=field,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise Rejected(RejectReason.INVALID_REQUEST, f"image refused: {exc}", field=field) from exc
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        raise Rejected(
            RejectReason.INVALID_REQUEST, f"not an image Pillow can read: {exc}", field=field
        ) from exc
    try:
        with image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Rejected(
                    RejectReason.INVALID_REQUEST,
                    f"the image is {width}x{height} pixels, at most {MAX_IMAGE_PIXELS} in all",
                    field=field,
                )
            image.seek(0)
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        raise Rejected(
            RejectReason.INVALID_REQUEST, f"not an image Pillow can read: {exc}", field=field
        ) from exc
    grey.thumbnail(size)
    canvas = Image.new("L", size, 255)
    canvas.paste(grey, ((size[0] - grey.width) // 2, (size[1] - grey.height) // 2))
    rows = [
        "".join("#" if canvas.getpixel((x, y)) < 128 else "." for x in range(size[0]))  # type: ignore[operator]
        for y in range(size[1])
    ]
    return encode_ota_bitmap(OtaBitmap.from_rows(rows))


# --- MMS: composition ---------------------------------------------------------------------

#: Media types by file extension (lower case), for ZIP entries and single files.
MEDIA_TYPES: Final[dict[str, str]] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "png": "image/png",
    "bmp": "image/bmp",
    "wbmp": "image/vnd.wap.wbmp",
    "txt": "text/plain",
    "smil": "application/smil",
    "smi": "application/smil",
    "amr": "audio/amr",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "mid": "audio/midi",
    "midi": "audio/midi",
    "3gp": "video/3gpp",
    "mp4": "video/mp4",
    "vcf": "text/x-vcard",
    "vcs": "text/x-vcalendar",
    "jad": "text/vnd.sun.j2me.app-descriptor",
    "jar": "application/java-archive",
}
_MMS_MESSAGE: Final = "application/vnd.wap.mms-message"
_ADAPTED_CACHE: Final = 256
_RELATED: Final = "application/vnd.wap.multipart.related"
_MIXED: Final = "application/vnd.wap.multipart.mixed"
_SMIL: Final = "application/smil"


@dataclass(frozen=True, slots=True, kw_only=True)
class MmsLimits:
    """What an MMS may be: the whole message and the ZIP that carries its parts."""

    max_octets: int = 600 * 1024  # the composed m-retrieve-conf
    max_parts: int = 20
    max_zip_entries: int = 50
    url_lifetime_s: int = 7 * 86400


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposedMms:
    pdu: bytes  # the m-retrieve-conf
    subject: str | None


def _bad_mms(detail: str, field: str = "content.data") -> Rejected:
    return Rejected(RejectReason.INVALID_REQUEST, detail, field=field)


def _media_type(name: str, given: str | None = None) -> str:
    if given:
        return given.strip().lower()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    media = MEDIA_TYPES.get(extension)
    if media is None:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"unknown content type for {name!r}: use one of .{', .'.join(sorted(MEDIA_TYPES))}",
            field="content.file_name",
        )
    return media


def _part(name: str, media: str, data: bytes) -> Part:
    parameters = (("charset", "utf-8"),) if media.startswith("text/") else ()
    if media.startswith("text/"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("latin-1").encode("utf-8")  # a text file in Latin-1
    return Part(
        content_type=ContentType(media_type=media, parameters=parameters),
        data=data,
        headers=(
            Header(name="Content-ID", value=f"<{name}>"),
            Header(name="Content-Location", value=name),
        ),
    )


# media type prefix → SMIL element and region (OMA MMS Conformance 1.3 §8)
_SMIL_ELEMENTS: Final = (
    ("image/", "img", "Image"),
    ("video/", "video", "Image"),
    ("audio/", "audio", None),
    ("text/plain", "text", "Text"),
)


def _smil(parts: Sequence[Part]) -> Part:
    """A SMIL presentation: one slide per part, a text joining the slide before it
    when that slide has no text yet (a picture and its caption)."""
    slides: list[list[str]] = []
    for part in parts:
        media = part.content_type.media_type
        tag, region = next(
            ((t, r) for prefix, t, r in _SMIL_ELEMENTS if media.startswith(prefix)), ("ref", None)
        )
        where = f' region="{region}"' if region else ""
        element = f'<{tag} src="{html.escape(part.content_location or "")}"{where}/>'
        joins = tag == "text" and slides and not any(e.startswith("<text") for e in slides[-1])
        if not joins:
            slides.append([])
        slides[-1].append(element)
    body = "".join(f'<par dur="5000ms">{"".join(s)}</par>' for s in slides)
    smil = (
        "<smil><head><layout>"
        '<root-layout width="100%" height="100%"/>'
        '<region id="Image" top="0" left="0" height="75%" width="100%" fit="meet"/>'
        '<region id="Text" top="75%" left="0" height="25%" width="100%"/>'
        f"</layout></head><body>{body}</body></smil>"
    )
    return Part(
        content_type=ContentType(media_type=_SMIL, parameters=(("charset", "utf-8"),)),
        data=smil.encode(),
        headers=(
            Header(name="Content-ID", value="<smil>"),
            Header(name="Content-Location", value="smil.xml"),
        ),
    )


def _zip_parts(data: bytes, limits: MmsLimits) -> list[Part]:
    """The files of a ZIP as parts, read with every size checked as it is read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise _bad_mms(f"not a ZIP file: {exc}") from exc
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > limits.max_zip_entries:
            raise _bad_mms(f"the ZIP holds {len(entries)} files, at most {limits.max_zip_entries}")
        parts: list[Part] = []
        budget = limits.max_octets
        for info in entries:
            name = info.filename.rsplit("/", 1)[-1]
            if not name or name.startswith(".") or name.startswith("__MACOSX"):
                continue
            if info.file_size > budget:
                raise _bad_mms(f"the ZIP unpacks to more than {limits.max_octets} octets")
            try:
                with archive.open(info) as member:
                    content = member.read(budget + 1)  # a lying header cannot make it read more
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
                raise _bad_mms(f"cannot read {name!r} from the ZIP: {exc}") from exc
            if len(content) > budget:
                raise _bad_mms(f"the ZIP unpacks to more than {limits.max_octets} octets")
            budget -= len(content)
            parts.append(_part(name, _media_type(name), content))
    if not parts:
        raise _bad_mms("the ZIP holds no files")
    return parts


def _from_mms_file(data: bytes) -> tuple[ContentType, tuple[Part, ...], bytes, str | None]:
    """A ready encapsulated MMS, validated by decoding it: (type, parts, body, subject)."""
    try:
        pdu = decode_pdu(data)
    except (DecodeError, EncodeError) as exc:
        raise _bad_mms(f"not an MMS (OMA-MMS-ENC) message: {exc}") from exc
    if not isinstance(pdu, SendReq | RetrieveConf):
        raise _bad_mms(f"a {type(pdu).__name__} is not a message to send; give an m-send-req")
    return pdu.content_type, pdu.parts, pdu.body, pdu.subject


def compose_mms(
    mms: Mms, *, now: float, message_id: str, sender: str | None, limits: MmsLimits
) -> ComposedMms:
    """The m-retrieve-conf for an MMS given as a .mms file, a ZIP of parts or one media
    file. Raises: Rejected naming the field."""
    name = (mms.file_name or "").strip()
    subject = mms.subject
    body = b""
    if not mms.data:
        raise _bad_mms("the MMS is empty")
    if len(mms.data) > limits.max_octets * 2:
        raise _bad_mms(f"{len(mms.data)} octets given, at most {limits.max_octets * 2}")
    media = mms.content_type.strip().lower() if mms.content_type else None
    if (
        media == _MMS_MESSAGE
        or name.lower().endswith(".mms")
        or (media is None and not name and mms.data[:1] == b"\x8c")
    ):
        content_type, parts, body, found = _from_mms_file(mms.data)
        subject = subject or found
        parts = tuple(parts)
    elif (
        media == "application/zip" or name.lower().endswith(".zip") or mms.data[:4] == b"PK\x03\x04"
    ):
        parts = tuple(_zip_parts(mms.data, limits))
        content_type = ContentType(media_type=_MIXED)
    else:
        if not name and not media:
            raise _bad_mms(
                "give the file_name (with its extension) or the content_type", "content.file_name"
            )
        parts = (_part(name or "file", _media_type(name, media), mms.data),)
        content_type = ContentType(media_type=_MIXED)
    if content_type.media_type in (_MIXED, _RELATED) and parts:
        if len(parts) > limits.max_parts:
            raise _bad_mms(f"{len(parts)} parts, at most {limits.max_parts}")
        smil = next((p for p in parts if p.content_type.media_type == _SMIL), None)
        if smil is None and mms.add_smil != 2:
            smil = _smil(parts)
            parts = (smil, *parts)
        if smil is not None:
            start = smil.content_id or "<smil>"
            if smil.content_id is None:
                smil = replace(
                    smil, headers=(*smil.headers, Header(name="Content-ID", value=start))
                )
                parts = tuple(smil if p.content_type.media_type == _SMIL else p for p in parts)
            content_type = ContentType(
                media_type=_RELATED, parameters=(("type", _SMIL), ("start", start))
            )
            parts = (
                smil,
                *(p for p in parts if p is not smil and p.content_type.media_type != _SMIL),
            )
    conf = RetrieveConf(
        date=datetime.fromtimestamp(int(now), UTC),
        content_type=content_type,
        parts=parts,
        body=body,
        message_id=message_id,
        from_address=phone_address(sender) if sender and sender.lstrip("+").isdigit() else None,
        subject=subject or None,
    )
    try:
        pdu = encode_pdu(conf)
        decode_pdu(pdu)  # what handsets will read must read back
    except (EncodeError, DecodeError) as exc:
        raise _bad_mms(f"the MMS cannot be encoded: {exc}") from exc
    if len(pdu) > limits.max_octets:
        raise Rejected(
            RejectReason.MESSAGE_TOO_LONG,
            f"the MMS is {len(pdu)} octets, at most {limits.max_octets}",
            field="content.data",
        )
    return ComposedMms(pdu=pdu, subject=subject or None)


# --- MMS: adaptation to the fetching handset ---------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HandsetProfile:
    """What a handset shows: images larger than this are scaled down when it fetches."""

    name: str
    max_width: int
    max_height: int


#: User-Agent substrings → profile, first match wins (screen sizes of the handset families).
HANDSET_PROFILES: Final = (
    ("Nokia3", HandsetProfile(name="nokia-s30", max_width=128, max_height=128)),
    ("Nokia6", HandsetProfile(name="nokia-s60", max_width=176, max_height=208)),
    ("NokiaN", HandsetProfile(name="nokia-n", max_width=240, max_height=320)),
    ("SonyEricsson", HandsetProfile(name="sonyericsson", max_width=176, max_height=220)),
    ("MOT-", HandsetProfile(name="motorola", max_width=176, max_height=220)),
    ("SAMSUNG", HandsetProfile(name="samsung", max_width=240, max_height=320)),
    ("iPhone", HandsetProfile(name="iphone", max_width=640, max_height=960)),
    ("Android", HandsetProfile(name="android", max_width=720, max_height=1280)),
)
DEFAULT_PROFILE: Final = HandsetProfile(name="default", max_width=640, max_height=480)
_ADAPTABLE: Final = {
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/png": "PNG",
    "image/bmp": "BMP",
}


def handset_profile(user_agent: str | None) -> HandsetProfile:
    """The profile of a handset by its User-Agent (the default when unknown)."""
    for needle, profile in HANDSET_PROFILES:
        if user_agent and needle.lower() in user_agent.lower():
            return profile
    return DEFAULT_PROFILE


def _scaled(part: Part, profile: HandsetProfile) -> Part:
    from PIL import Image

    image_format = _ADAPTABLE[part.content_type.media_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(part.data)) as opened:
                if opened.width <= profile.max_width and opened.height <= profile.max_height:
                    return part
                if opened.width * opened.height > MAX_IMAGE_PIXELS:
                    return part  # not decoded: far beyond anything worth adapting
                image = opened.copy()
            image.thumbnail((profile.max_width, profile.max_height))
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format=image_format)
    except (OSError, ValueError, EOFError, Image.DecompressionBombWarning):
        return part  # not adaptable: sent as it is
    return replace(part, data=out.getvalue())


def adapt_mms(pdu: bytes, profile: HandsetProfile) -> bytes:
    """The m-retrieve-conf with its images scaled down to fit ``profile`` (Pillow);
    ``pdu`` itself when nothing needs it or Pillow is not installed."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        return pdu
    conf = decode_pdu(pdu)
    if not isinstance(conf, RetrieveConf) or not conf.parts:
        return pdu
    parts = tuple(
        _scaled(p, profile) if p.content_type.media_type in _ADAPTABLE else p for p in conf.parts
    )
    if all(a is b for a, b in zip(parts, conf.parts, strict=True)):
        return pdu
    return encode_pdu(replace(conf, parts=parts))


# --- MMS: sending and fetching ------------------------------------------------------------


class MmsStore(Protocol):
    """What the MMS service needs from the store (SQLite: ``store/sqlite_content.py``)."""

    async def put_mms(self, mms: StoredMms) -> None: ...
    async def get_mms(self, token: str) -> StoredMms | None: ...
    async def mms_fetched(self, token: str, now: float) -> None: ...
    async def delete_mms(self, token: str) -> None: ...
    async def get_message(
        self, account_id: AccountId, message_id: MessageId
    ) -> MessageView | None: ...


class MmsService:
    """Send an MMS as an m-notification-ind by WAP Push; answer the handset's fetch.

    ``submit`` composes the m-retrieve-conf, keeps it under a random token, and
    submits an ``MmsNotification`` whose URL is ``<base>/mms/<token>/<message id>``:
    every recipient gets its own URL, unguessable (the token's 144 random bits and
    the message id's 80) and expiring with the notification. A refused request
    leaves nothing stored. ``fetch`` answers a URL with the m-retrieve-conf,
    counts the fetch, and reports the message's sent parts delivered through
    ``on_fetched`` (the receipt path, so callbacks follow).

    The same composed message can be seen in a browser at ``<base>/wap/<token>/<message
    id>`` (``browse``): an MMS marked ``wap_push`` is sent as a Service Indication
    pointing there instead of a notification, and so are the notifications to numbers
    of the ``walled_garden`` prefixes unless the MMS switches the rule off.
    """

    def __init__(
        self,
        store: MmsStore,
        submit: SubmitService,
        clock: Clock,
        *,
        public_url: str | None = None,
        limits: MmsLimits | None = None,
        on_fetched: Callable[[Sequence[Receipt]], None] | None = None,
        walled_garden: Sequence[str] = (),
    ) -> None:
        self._store = store
        self._walled_garden = tuple(p.removeprefix("+") for p in walled_garden)
        self._submit = submit
        self._clock = clock
        self._public_url = public_url.rstrip("/") if public_url else None
        self._limits = limits or MmsLimits()
        self._on_fetched = on_fetched
        self._adapted: dict[tuple[str, str], bytes] = {}  # (token, profile) → PDU, oldest first

    async def submit(
        self,
        req: SubmitRequest,
        account: Account,
        render: Render,
        *,
        base_url: str,
        idempotency_key: str | None = None,
    ) -> SubmitResult:
        """Raises: Rejected (nothing is stored then)."""
        if not isinstance(req.content, Mms):
            raise TypeError("MmsService.submit takes an MMS content")
        now = self._clock.now()
        token = secrets.token_urlsafe(18)
        composed = compose_mms(
            req.content, now=now, message_id=token, sender=req.sender, limits=self._limits
        )
        lifetime = self._limits.url_lifetime_s
        base = self._public_url or base_url.rstrip("/")
        push = WapSi(
            href=f"{base}/wap/{token}/{MESSAGE_ID_PLACEHOLDER}", text=composed.subject or ""
        )
        garden = None
        if self._walled_garden and req.content.walled_garden_rule:
            garden = WalledGarden(prefixes=self._walled_garden, push=push)
        notification: Content = push
        if not req.content.wap_push:
            notification = MmsNotification(
                url=f"{base}/mms/{token}/{MESSAGE_ID_PLACEHOLDER}",
                size=len(composed.pdu),
                subject=composed.subject,
                expiry_s=lifetime,
                walled_garden=garden,
            )
        await self._store.put_mms(
            StoredMms(
                token=token,
                account_id=account.id,
                pdu=composed.pdu,
                created_at=now,
                expires_at=now + lifetime,
                adapt=not req.content.disable_repurposing,
            )
        )
        try:
            result = await self._submit.submit(
                replace(req, content=notification),
                account,
                render,
                idempotency_key=idempotency_key,
            )
        except Exception:
            await self._store.delete_mms(token)
            raise
        if result.replayed or not any(p.message is not None for p in result.plans):
            await self._store.delete_mms(token)
        return result

    async def fetch(
        self, token: str, message_id: MessageId, user_agent: str | None = None
    ) -> bytes:
        """The m-retrieve-conf at ``/mms/<token>/<message id>``, its images fitted to the
        handset named by ``user_agent`` unless the sender disabled it (cached per token
        and profile). Raises: Rejected(NOT_FOUND)."""
        stored = await self._fetched(f"/mms/{token}/{message_id}", token, message_id)
        return await self._adapted_pdu(stored, token, user_agent)

    async def browse(
        self,
        token: str,
        message_id: MessageId,
        user_agent: str | None = None,
        part: int | None = None,
    ) -> tuple[bytes, str]:
        """(body, content type) at ``/wap/<token>/<message id>[/<part>]``: the one media
        file the message holds, or an XHTML Mobile page of its parts (texts inline,
        images shown, other files linked as ``…/<part>``). Fetching the page counts as
        the handset's fetch. Raises: Rejected(NOT_FOUND)."""
        path = f"/wap/{token}/{message_id}"
        if part is None:
            stored = await self._fetched(path, token, message_id)
        else:
            stored, _ = await self._stored(path, token, message_id)
        conf = decode_pdu(await self._adapted_pdu(stored, token, user_agent))
        assert isinstance(conf, RetrieveConf)
        return browser_view(conf, path, part)

    async def _stored(
        self, path: str, token: str, message_id: MessageId
    ) -> tuple[StoredMms, MessageView]:
        now = self._clock.now()
        stored = await self._store.get_mms(token)
        missing = Rejected(RejectReason.NOT_FOUND, "no such MMS, or its URL has expired")
        if stored is None or stored.expires_at <= now:
            raise missing
        view = await self._store.get_message(stored.account_id, message_id)
        if view is None or path not in view.text:
            raise missing
        return stored, view

    async def _fetched(self, path: str, token: str, message_id: MessageId) -> StoredMms:
        stored, view = await self._stored(path, token, message_id)
        now = self._clock.now()
        await self._store.mms_fetched(token, now)
        receipts = [
            Receipt(
                connector=p.connector,
                upstream_id=p.upstream_id,
                state=MessageState.DELIVERED,
                error=None,
                at=now,
            )
            for p in view.parts
            if p.connector is not None and p.upstream_id is not None and p.state not in FINAL_STATES
        ]
        if receipts and self._on_fetched is not None:
            self._on_fetched(receipts)
        return stored

    async def _adapted_pdu(self, stored: StoredMms, token: str, user_agent: str | None) -> bytes:
        if not stored.adapt:
            return stored.pdu
        profile = handset_profile(user_agent)
        key = (token, profile.name)
        adapted = self._adapted.get(key)
        if adapted is None:
            adapted = await asyncio.to_thread(adapt_mms, stored.pdu, profile)
            self._adapted[key] = adapted
            while len(self._adapted) > _ADAPTED_CACHE:
                self._adapted.pop(next(iter(self._adapted)))
        return adapted


# --- WAP Push of the content: what a browser is shown -------------------------------------

XHTML_MOBILE: Final = "application/vnd.wap.xhtml+xml"
_XHTML_HEAD: Final = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<!DOCTYPE html PUBLIC "-//WAPFORUM//DTD XHTML Mobile 1.0//EN"'
    ' "http://www.wapforum.org/DTD/xhtml-mobile10.dtd">\n'
)


def browser_view(conf: RetrieveConf, path: str, part: int | None) -> tuple[bytes, str]:
    """What a browser gets for a composed MMS at ``path`` (the SMIL is left out): part
    number ``part`` (from 1), the only part, or an XHTML Mobile page of all of them.
    Raises: Rejected(NOT_FOUND) for a part number the message does not have."""
    parts = [p for p in conf.parts if p.content_type.media_type != _SMIL]
    if part is not None or len(parts) == 1:
        index = 1 if part is None else part
        if not 1 <= index <= len(parts):
            raise Rejected(RejectReason.NOT_FOUND, f"the message has no part {index}")
        chosen = parts[index - 1]
        return chosen.data, _served_type(chosen)
    title = html.escape(conf.subject or "Message")
    items = []
    for number, p in enumerate(parts, 1):
        media = p.content_type.media_type
        name = html.escape(p.content_location or f"part {number}")
        if media.startswith("text/plain"):
            items.append(f"<p>{html.escape(p.data.decode('utf-8', 'replace'))}</p>")
        elif media.startswith("image/"):
            items.append(f'<p><img src="{path}/{number}" alt="{name}"/></p>')
        else:
            items.append(f'<p><a href="{path}/{number}">{name}</a></p>')
    page = (
        f'{_XHTML_HEAD}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}'
        f"</title></head><body>{''.join(items)}</body></html>"
    )
    return page.encode("utf-8"), f"{XHTML_MOBILE}; charset=utf-8"


def _served_type(part: Part) -> str:
    charset = dict(part.content_type.parameters).get("charset")
    media = part.content_type.media_type
    return f"{media}; charset={charset}" if charset else media
