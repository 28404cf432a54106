"""LibraryService: content uploaded once and sent again by its library number.

Files (an .mms, a ZIP of MMS parts, or one media file) are kept as given, under a
number in 80000–89999; pictures (20000–29999) and logos or group graphics
(10000–19999) are kept as Nokia OTA bitmaps: an uploaded image is converted
(``services.content.ota_bitmap_from_image``), a ``.otb`` file is checked by
decoding it. An item belongs to the account that uploaded it, or is public
(uploaded by an admin account with ``public``), and then every account may send
it but only an admin account may remove it. Another account's item is answered
"not found", never "forbidden", so numbers do not reveal what others keep.

``content`` turns a number into the domain content a send carries: a file
becomes an ``Mms``, a picture a ``Picture``, a logo an ``OperatorLogo`` when a
network code is given and a ``GroupGraphic`` otherwise. On a store without a
library every operation answers "not supported".
"""

from __future__ import annotations

from typing import Final

from heliograph.domain.accounts import Account
from heliograph.domain.content import Content, GroupGraphic, Mms, OperatorLogo, Picture
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.services.content import (
    LOGO_SIZE,
    MEDIA_TYPES,
    PICTURE_SIZE,
    MmsLimits,
    ota_bitmap_from_image,
)
from heliograph.services.ports import Clock
from heliograph.store.library import (
    LIBRARY_RANGES,
    ContentLibrary,
    LibraryItem,
    LibraryKind,
    NewLibraryItem,
)
from heliograph.wire.errors import DecodeError
from heliograph.wire.ota.bitmap import decode_ota_bitmap

__all__ = ["MAX_FILE_OCTETS", "LibraryService", "kind_of_number"]

MAX_FILE_OCTETS: Final = MmsLimits().max_octets * 2  # what an MMS send accepts
_FILE_EXTENSIONS: Final = frozenset({*MEDIA_TYPES, "mms", "zip"})


def kind_of_number(number: int) -> LibraryKind | None:
    """The kind whose csoft range holds ``number``, None outside every range."""
    for kind, (first, last) in LIBRARY_RANGES.items():
        if first <= number <= last:
            return kind
    return None


def _extension(file_name: str | None) -> str:
    name = (file_name or "").strip()
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _bitmap(data: bytes, file_name: str | None, size: tuple[int, int]) -> bytes:
    if _extension(file_name) in ("otb", "ota"):
        try:
            decode_ota_bitmap(data)
        except DecodeError as exc:
            raise Rejected(
                RejectReason.INVALID_REQUEST, f"not an OTA bitmap: {exc}", field="data"
            ) from exc
        return data
    return ota_bitmap_from_image(data, size, field="data")


class LibraryService:
    def __init__(self, library: ContentLibrary, clock: Clock) -> None:
        self._library = library
        self._clock = clock

    async def upload(
        self,
        account: Account,
        data: bytes,
        *,
        file_name: str | None = None,
        content_type: str | None = None,
        kind: LibraryKind = LibraryKind.FILE,
        public: bool = False,
    ) -> LibraryItem:
        """Keep ``data`` under a new number of ``kind``'s range.

        Raises: Rejected naming the field (nothing is stored then).
        """
        if public and not account.is_admin:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "only an admin account may add public content",
                field="public",
            )
        if not data:
            raise Rejected(RejectReason.INVALID_REQUEST, "the file is empty", field="data")
        if len(data) > MAX_FILE_OCTETS:
            raise Rejected(
                RejectReason.MESSAGE_TOO_LONG,
                f"the file is {len(data)} octets, at most {MAX_FILE_OCTETS}",
                field="data",
            )
        match kind:
            case LibraryKind.FILE:
                if content_type is None and _extension(file_name) not in _FILE_EXTENSIONS:
                    raise Rejected(
                        RejectReason.INVALID_REQUEST,
                        f"unknown file type {file_name!r}: give a file_name with one of"
                        f" .{', .'.join(sorted(_FILE_EXTENSIONS))}, or the content_type",
                        field="file_name",
                    )
                stored = data
            case LibraryKind.PICTURE:
                stored = _bitmap(data, file_name, PICTURE_SIZE)
            case LibraryKind.LOGO:
                stored = _bitmap(data, file_name, LOGO_SIZE)
        item = await self._library.add(
            NewLibraryItem(
                account_id=None if public else account.id,
                kind=kind,
                data=stored,
                file_name=file_name,
                content_type=content_type,
                created_at=self._clock.now(),
            )
        )
        if item is None:
            first, last = LIBRARY_RANGES[kind]
            raise Rejected(
                RejectReason.UNAVAILABLE,
                f"every {kind.value} library number ({first}–{last}) is in use",
                field="kind",
            )
        return item

    async def items(self, account: Account) -> list[LibraryItem]:
        """The account's own items and the public ones, by number."""
        return await self._library.items(account.id)

    async def item(self, account: Account, number: int, *, field: str = "number") -> LibraryItem:
        """Raises: Rejected(NOT_FOUND) unless the item is the account's or public."""
        item = await self._library.get(number)
        if item is None or not (item.public or item.account_id == account.id):
            raise Rejected(RejectReason.NOT_FOUND, f"no library number {number}", field=field)
        return item

    async def remove(self, account: Account, number: int) -> None:
        """Raises: Rejected(NOT_FOUND) unless the account owns the item (public: is admin)."""
        item = await self.item(account, number)
        if item.public and not account.is_admin:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"library number {number} is public: only an admin account may remove it",
                field="number",
            )
        await self._library.delete(number)

    async def content(
        self,
        account: Account,
        number: int,
        *,
        text: str | None = None,
        mcc: str | None = None,
        mnc: str | None = None,
        want: LibraryKind | None = None,
        field: str = "content.number",
    ) -> Content:
        """What a send of library ``number`` carries; ``text`` is a picture's text or an
        MMS subject. ``want``: the kind the caller's parameter takes (csoft
        PictureMessage takes pictures only). Raises: Rejected naming ``field``."""
        if want is not None and kind_of_number(number) is not want:
            first, last = LIBRARY_RANGES[want]
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"{want.value} library numbers are {first} to {last}",
                field=field,
            )
        item = await self.item(account, number, field=field)
        match item.kind:
            case LibraryKind.FILE:
                return Mms(
                    data=item.data,
                    file_name=item.file_name,
                    content_type=item.content_type,
                    subject=text or None,
                )
            case LibraryKind.PICTURE:
                return Picture(bitmap=item.data, text=text or "")
            case LibraryKind.LOGO:
                if mcc is not None or mnc is not None:
                    return OperatorLogo(bitmap=item.data, mcc=mcc, mnc=mnc)
                return GroupGraphic(bitmap=item.data)
