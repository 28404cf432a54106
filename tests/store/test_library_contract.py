"""The ContentLibrary contract (``store.library``): numbers by kind, owners, public items.

Run against every backend through the ``store`` fixture (memory, SQLite, PostgreSQL);
each backend's library comes from ``store.sqlite_library.content_library``.
"""

from __future__ import annotations

import asyncio

import pytest

from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.store.base import Store
from heliograph.store.library import ContentLibrary, LibraryItem, LibraryKind, NewLibraryItem
from heliograph.store.postgres_library import UnsupportedLibrary
from heliograph.store.sqlite_library import content_library
from tests.store.test_contract import ACC, OTHER, T0, with_accounts

DATA = bytes(range(256)) + b"\x00\xff"  # every octet value, NUL included


def new(kind: LibraryKind, account: AccountId | None = ACC, **kw: object) -> NewLibraryItem:
    fields: dict[str, object] = {
        "account_id": account,
        "kind": kind,
        "data": DATA,
        "file_name": "smiley.gif",
        "content_type": None,
        "created_at": T0,
    }
    fields.update(kw)
    return NewLibraryItem(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def library(store: Store) -> ContentLibrary:
    await with_accounts(store)
    backend = content_library(store)
    assert not isinstance(backend, UnsupportedLibrary)
    return backend


async def test_items_read_back_whole(library: ContentLibrary) -> None:
    item = await library.add(new(LibraryKind.FILE, content_type="image/gif"))
    assert item == LibraryItem(
        number=80000,
        account_id=ACC,
        kind=LibraryKind.FILE,
        data=DATA,
        file_name="smiley.gif",
        content_type="image/gif",
        created_at=T0,
    )
    assert await library.get(80000) == item
    assert await library.get(80001) is None


async def test_numbers_are_allocated_by_kind(library: ContentLibrary) -> None:
    numbers = [
        (await library.add(new(kind))).number  # type: ignore[union-attr]
        for kind in (LibraryKind.FILE, LibraryKind.PICTURE, LibraryKind.LOGO, LibraryKind.FILE)
    ]
    assert numbers == [80000, 20000, 10000, 80001]


async def test_concurrent_uploads_get_distinct_numbers(library: ContentLibrary) -> None:
    items = await asyncio.gather(*(library.add(new(LibraryKind.PICTURE)) for _ in range(8)))
    assert sorted(i.number for i in items if i is not None) == list(range(20000, 20008))


async def test_a_freed_number_is_reused_only_when_the_top_is_taken(
    library: ContentLibrary,
) -> None:
    for _ in range(3):
        await library.add(new(LibraryKind.LOGO))
    assert await library.delete(10001)
    assert not await library.delete(10001)
    assert (await library.add(new(LibraryKind.LOGO))).number == 10003  # type: ignore[union-attr]


async def test_owners_and_public_items(library: ContentLibrary) -> None:
    mine = await library.add(new(LibraryKind.FILE))
    theirs = await library.add(new(LibraryKind.FILE, OTHER))
    public = await library.add(new(LibraryKind.PICTURE, None))
    assert mine and theirs and public and public.public and not mine.public
    assert [i.number for i in await library.items(ACC)] == [public.number, mine.number]
    assert [i.number for i in await library.items(ACC, public=False)] == [mine.number]
    assert [i.number for i in await library.items(OTHER)] == [public.number, theirs.number]


async def test_a_store_without_a_library_answers_not_supported() -> None:
    library = content_library(object())
    with pytest.raises(Rejected) as info:
        await library.items(ACC)
    assert info.value.reason is RejectReason.NOT_SUPPORTED
