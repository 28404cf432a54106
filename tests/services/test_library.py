"""LibraryService on SQLite (store.sqlite_library): numbers by kind, ownership, public
items, removal, what a send of a number carries, and "not supported" without a library."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from heliograph.domain.accounts import Account
from heliograph.domain.content import GroupGraphic, Mms, OperatorLogo, Picture
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.services.library import LibraryService, kind_of_number
from heliograph.store.library import LibraryKind
from heliograph.store.postgres_library import UnsupportedLibrary
from heliograph.store.sqlite import SqliteStore
from heliograph.store.sqlite_library import SqliteLibrary, content_library
from heliograph.wire.ota.bitmap import OtaBitmap, encode_ota_bitmap
from tests.services.fakes import make_account
from tests.support.clock import FakeClock

R = RejectReason
PICTURE = encode_ota_bitmap(OtaBitmap.from_rows(["#" * 72] * 28))
LOGO = encode_ota_bitmap(OtaBitmap.from_rows(["#." * 36] * 14))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(str(tmp_path / "library.sqlite3"), synchronous="NORMAL")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def library(store: SqliteStore, clock: FakeClock) -> LibraryService:
    backend = content_library(store)
    assert isinstance(backend, SqliteLibrary)
    return LibraryService(backend, clock)


@pytest.fixture
async def alice(store: SqliteStore, clock: FakeClock) -> Account:
    return await make_account(store, clock, "alice")


@pytest.fixture
async def bob(store: SqliteStore, clock: FakeClock) -> Account:
    return await make_account(store, clock, "bob")


async def _rejected(coro: object) -> Rejected:
    with pytest.raises(Rejected) as info:
        await coro  # type: ignore[misc]
    return info.value


async def test_numbers_are_allocated_in_the_range_of_each_kind(
    library: LibraryService, alice: Account
) -> None:
    first = await library.upload(alice, b"GIF89a...", file_name="smiley.gif")
    second = await library.upload(alice, b"PK\x03\x04...", file_name="card.zip")
    picture = await library.upload(alice, PICTURE, file_name="p.otb", kind=LibraryKind.PICTURE)
    logo = await library.upload(alice, LOGO, file_name="l.otb", kind=LibraryKind.LOGO)
    assert (first.number, second.number) == (80000, 80001)
    assert picture.number == 20000 and logo.number == 10000
    assert [i.number for i in await library.items(alice)] == [10000, 20000, 80000, 80001]
    assert kind_of_number(19999) is LibraryKind.LOGO and kind_of_number(30000) is None


async def test_a_number_freed_at_the_top_of_a_full_range_is_reused(
    store: SqliteStore, library: LibraryService, alice: Account
) -> None:
    def fill(conn: object) -> None:
        conn.executemany(  # type: ignore[attr-defined]
            "INSERT INTO content_library (number, account_id, kind, data, created_at)"
            " VALUES (?, ?, 'logo', x'00', 0)",
            [(n, alice.id) for n in range(10000, 20000) if n != 10005],
        )

    await store._write(fill)
    assert (
        await library.upload(alice, LOGO, file_name="l.otb", kind=LibraryKind.LOGO)
    ).number == 10005
    full = await _rejected(library.upload(alice, LOGO, file_name="l.otb", kind=LibraryKind.LOGO))
    assert full.reason is R.UNAVAILABLE and full.field == "kind"


async def test_items_are_private_unless_public(
    library: LibraryService, alice: Account, bob: Account
) -> None:
    mine = await library.upload(alice, b"GIF89a", file_name="a.gif")
    assert await library.items(bob) == []
    assert (await _rejected(library.item(bob, mine.number))).reason is R.NOT_FOUND
    assert (await _rejected(library.remove(bob, mine.number))).reason is R.NOT_FOUND
    refused = await _rejected(library.upload(bob, b"GIF89a", file_name="b.gif", public=True))
    assert refused.field == "public"
    admin = dataclasses.replace(bob, is_admin=True)
    public = await library.upload(admin, b"GIF89a", file_name="logo.gif", public=True)
    assert public.public
    assert [i.number for i in await library.items(alice)] == [mine.number, public.number]
    assert (await _rejected(library.remove(alice, public.number))).field == "number"
    await library.remove(alice, mine.number)
    await library.remove(admin, public.number)
    assert await library.items(alice) == []


async def test_bad_uploads_are_refused_and_nothing_is_stored(
    library: LibraryService, alice: Account
) -> None:
    assert (await _rejected(library.upload(alice, b"", file_name="a.gif"))).field == "data"
    assert (await _rejected(library.upload(alice, b"x", file_name="a.exe"))).field == "file_name"
    bad_bitmap = library.upload(alice, b"\x00\x48", file_name="p.otb", kind=LibraryKind.PICTURE)
    assert (await _rejected(bad_bitmap)).field == "data"
    assert await library.items(alice) == []


async def test_what_a_send_of_a_number_carries(library: LibraryService, alice: Account) -> None:
    file = await library.upload(alice, b"GIF89a", file_name="a.gif")
    picture = await library.upload(alice, PICTURE, file_name="p.otb", kind=LibraryKind.PICTURE)
    logo = await library.upload(alice, LOGO, file_name="l.otb", kind=LibraryKind.LOGO)
    assert await library.content(alice, file.number, text="Hi") == Mms(
        data=b"GIF89a", file_name="a.gif", subject="Hi"
    )
    assert await library.content(alice, picture.number, text="Hi") == Picture(
        bitmap=PICTURE, text="Hi"
    )
    assert await library.content(alice, logo.number) == GroupGraphic(bitmap=LOGO)
    assert await library.content(alice, logo.number, mcc="234", mnc="15") == OperatorLogo(
        bitmap=LOGO, mcc="234", mnc="15"
    )
    wrong = library.content(alice, file.number, want=LibraryKind.PICTURE, field="PictureMessage")
    assert (await _rejected(wrong)).field == "PictureMessage"
    assert (await _rejected(library.content(alice, 80999))).reason is R.NOT_FOUND


async def test_a_store_without_a_library_answers_not_supported(
    clock: FakeClock, alice: Account
) -> None:
    library = LibraryService(content_library(object()), clock)
    assert isinstance(content_library(object()), UnsupportedLibrary)
    assert (await _rejected(library.items(alice))).reason is R.NOT_SUPPORTED
    upload = library.upload(alice, b"GIF89a", file_name="a.gif")
    assert (await _rejected(upload)).reason is R.NOT_SUPPORTED
