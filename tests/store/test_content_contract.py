"""The Store contract for composed MMS kept for handsets to fetch (``put_mms`` and the rest).

Run against every backend through the ``store`` fixture (memory, SQLite, PostgreSQL).
"""

from __future__ import annotations

from typing import Protocol, cast

import pytest

from heliograph.domain.content import StoredMms
from heliograph.store.base import Conflict, Store
from tests.store.test_contract import ACC, DAY, OTHER, T0, with_accounts

PDU = bytes(range(256)) + b"\x00\xff"  # every octet value, NUL included


def mms(token: str, *, expires_at: float = T0 + DAY, adapt: bool = True) -> StoredMms:
    return StoredMms(
        token=token, account_id=ACC, pdu=PDU, created_at=T0, expires_at=expires_at, adapt=adapt
    )


class MmsContent(Protocol):
    """The content side every store backend offers beside ``Store``."""

    async def put_mms(self, mms: StoredMms) -> None: ...
    async def get_mms(self, token: str) -> StoredMms | None: ...
    async def mms_fetched(self, token: str, now: float) -> None: ...
    async def delete_mms(self, token: str) -> None: ...
    async def purge_mms(self, now: float) -> int: ...


@pytest.fixture
async def content_store(store: Store) -> MmsContent:
    await with_accounts(store)
    return cast(MmsContent, store)


async def test_an_mms_reads_back_as_it_was_put(content_store: MmsContent) -> None:
    kept = mms("tok-1", adapt=False)
    await content_store.put_mms(kept)
    assert await content_store.get_mms("tok-1") == kept
    assert await content_store.get_mms("tok-2") is None
    other = StoredMms(
        token="tok-2", account_id=OTHER, pdu=b"", created_at=T0, expires_at=T0 + 1, adapt=True
    )
    await content_store.put_mms(other)
    assert await content_store.get_mms("tok-2") == other


async def test_a_token_is_kept_once(content_store: MmsContent) -> None:
    await content_store.put_mms(mms("tok"))
    with pytest.raises(Conflict):
        await content_store.put_mms(
            StoredMms(token="tok", account_id=OTHER, pdu=b"x", created_at=T0, expires_at=T0 + 5)
        )
    stored = await content_store.get_mms("tok")
    assert stored is not None and (stored.account_id, stored.pdu) == (ACC, PDU)


async def test_fetches_are_counted_from_the_first(content_store: MmsContent) -> None:
    await content_store.put_mms(mms("tok"))
    await content_store.mms_fetched("tok", T0 + 10)
    await content_store.mms_fetched("tok", T0 + 20)
    await content_store.mms_fetched("nothing", T0 + 30)  # an unknown token is no error
    stored = await content_store.get_mms("tok")
    assert stored is not None
    assert (stored.fetches, stored.first_fetched_at) == (2, T0 + 10)
    assert await content_store.get_mms("nothing") is None


async def test_delete_and_purge(content_store: MmsContent) -> None:
    for token, expires in (("a", T0 + 10), ("b", T0 + 20), ("c", T0 + 30), ("d", T0 + 40)):
        await content_store.put_mms(mms(token, expires_at=expires))
    await content_store.delete_mms("d")
    await content_store.delete_mms("d")  # twice is no error
    assert await content_store.get_mms("d") is None
    assert await content_store.purge_mms(T0 + 5) == 0
    assert await content_store.purge_mms(T0 + 20) == 2  # expires_at <= now
    assert [await content_store.get_mms(t) is not None for t in "abc"] == [False, False, True]
    assert await content_store.purge_mms(T0 + 20) == 0
