"""The PostgreSQL store's content library: not in this version.

``store.sqlite_library.content_library`` gives this for any store that is not
SQLite; every method answers ``Rejected(NOT_SUPPORTED)``, so nothing is stored
and a send naming a library number is refused before anything is written.
"""

from __future__ import annotations

from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.store.library import LibraryItem, NewLibraryItem

NOT_SUPPORTED = "the content library needs the SQLite store in this version"


def _unsupported() -> Rejected:
    return Rejected(RejectReason.NOT_SUPPORTED, NOT_SUPPORTED)


class PostgresLibrary:
    async def add(self, item: NewLibraryItem) -> LibraryItem | None:
        raise _unsupported()

    async def get(self, number: int) -> LibraryItem | None:
        raise _unsupported()

    async def items(self, account_id: AccountId, *, public: bool = True) -> list[LibraryItem]:
        raise _unsupported()

    async def delete(self, number: int) -> bool:
        raise _unsupported()
