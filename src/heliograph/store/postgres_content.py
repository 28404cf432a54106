"""The PostgreSQL store's content side: not in this version.

Composed MMS are kept by the SQLite store only (migration 0007 there); on
PostgreSQL every method answers ``Rejected(NOT_SUPPORTED)``, so an MMS send
is refused before anything is written and the other content kinds, which need
no storage of their own, work as on SQLite.
"""

from __future__ import annotations

from heliograph.domain.content import StoredMms
from heliograph.domain.rejections import Rejected, RejectReason


def _unsupported() -> Rejected:
    return Rejected(
        RejectReason.NOT_SUPPORTED,
        "MMS needs the SQLite store in this version",
        field="content.type",
    )


class PostgresContent:
    async def put_mms(self, mms: StoredMms) -> None:
        raise _unsupported()

    async def get_mms(self, token: str) -> StoredMms | None:
        raise _unsupported()

    async def mms_fetched(self, token: str, now: float) -> None:
        raise _unsupported()

    async def delete_mms(self, token: str) -> None:
        raise _unsupported()

    async def purge_mms(self, now: float) -> int:
        raise _unsupported()
