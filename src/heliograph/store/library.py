"""The ContentLibrary protocol: uploaded content kept under library numbers.

Kept apart from ``store.base.Store``, as ``AddressBooks`` is: only the library
service needs it. ``content_library(store)`` (``store.sqlite_library``) gives the
SQLite or the PostgreSQL implementation (``store.postgres_library``), the same
schema and rules on both. Numbers are unique across the gateway
and allocated by kind in the csoft ranges (``LIBRARY_RANGES``); an item with no
owner is public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Protocol, runtime_checkable

from heliograph.domain.ids import AccountId

__all__ = ["LIBRARY_RANGES", "ContentLibrary", "LibraryItem", "LibraryKind", "NewLibraryItem"]


class LibraryKind(StrEnum):
    FILE = "file"  # MMS files and files for WAP Push (csoft MMSFileMMS, MMSFileWAP)
    PICTURE = "picture"  # picture messages (csoft PictureMessage), an OTA bitmap
    LOGO = "logo"  # operator logos and group graphics (csoft OperatorLogo, GroupGraphic)


#: kind → (first, last) library number (csoft, seed 002).
LIBRARY_RANGES: Final = {
    LibraryKind.FILE: (80000, 89999),
    LibraryKind.PICTURE: (20000, 29999),
    LibraryKind.LOGO: (10000, 19999),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class NewLibraryItem:
    account_id: AccountId | None  # None: public
    kind: LibraryKind
    data: bytes
    file_name: str | None
    content_type: str | None
    created_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LibraryItem:
    number: int
    account_id: AccountId | None
    kind: LibraryKind
    data: bytes
    file_name: str | None
    content_type: str | None
    created_at: float

    @property
    def public(self) -> bool:
        return self.account_id is None


@runtime_checkable
class ContentLibrary(Protocol):
    async def add(self, item: NewLibraryItem) -> LibraryItem | None:
        """Keep ``item`` under the next free number of its kind's range; None when the
        range is full."""

    async def get(self, number: int) -> LibraryItem | None: ...

    async def items(self, account_id: AccountId, *, public: bool = True) -> list[LibraryItem]:
        """The account's items (and the public ones unless ``public`` is False), by number."""

    async def delete(self, number: int) -> bool: ...


# The SQL stores' rows: both select and insert these columns in this order.
LIBRARY_COLUMNS = "number, account_id, kind, data, file_name, content_type, created_at"


def numbered(item: NewLibraryItem, number: int) -> LibraryItem:
    """The stored item: the new one under the number it was given."""
    return LibraryItem(
        number=number,
        account_id=item.account_id,
        kind=item.kind,
        data=item.data,
        file_name=item.file_name,
        content_type=item.content_type,
        created_at=item.created_at,
    )


def library_row(item: LibraryItem) -> tuple[object, ...]:
    """The values of ``LIBRARY_COLUMNS`` for an item."""
    return (
        item.number,
        item.account_id,
        item.kind.value,
        item.data,
        item.file_name,
        item.content_type,
        item.created_at,
    )


def library_item(row: Sequence[Any]) -> LibraryItem:
    """The item of a ``LIBRARY_COLUMNS`` row."""
    number, account_id, kind, data, file_name, content_type, created_at = row
    return LibraryItem(
        number=number,
        account_id=AccountId(account_id) if account_id is not None else None,
        kind=LibraryKind(kind),
        data=bytes(data),
        file_name=file_name,
        content_type=content_type,
        created_at=created_at,
    )
