"""The AddressBooks contract (``store.books``): books, contacts, groups and templates.

Run against every backend through the ``store`` fixture (memory, SQLite, PostgreSQL);
each backend's books come from ``store.sqlite_books.address_books``.
"""

from __future__ import annotations

import pytest

from heliograph.domain.books import BookSummary, Contact, Template, make_contact
from heliograph.store.base import Store
from heliograph.store.books import AddressBooks
from heliograph.store.sqlite_books import address_books
from tests.store.test_contract import ACC, OTHER, T0, with_accounts

ANN = make_contact("+447700900001", "Ann", ["Friends"], {"city": "Leeds"})
BOB = make_contact("+447700900002", "Bob", ["Family", "Friends"])
CY = make_contact("+447700900003", None, ["Family"], {"city": "York", "note": "ünïcode ✓"})


@pytest.fixture
async def books(store: Store) -> AddressBooks:
    await with_accounts(store)
    backend = address_books(store)
    assert isinstance(backend, AddressBooks)
    return backend


async def test_every_backend_has_books(store: Store) -> None:
    assert address_books(store) is not None


async def test_save_and_read_back(books: AddressBooks) -> None:
    assert await books.contacts(ACC, "Club") is None
    assert await books.save_contacts(ACC, "Club", [CY, ANN, BOB], T0) == (3, 0)
    assert await books.contacts(ACC, "Club") == [ANN, BOB, CY]  # by number
    assert await books.books(ACC) == [
        BookSummary(name="Club", contacts=3, groups=(("Family", 2), ("Friends", 2)), created_at=T0)
    ]


async def test_saving_replaces_a_contact_whole(books: AddressBooks) -> None:
    await books.save_contacts(ACC, "Club", [ANN, BOB], T0)
    robert = make_contact("+447700900002", "Robert", ["Family"])
    assert await books.save_contacts(ACC, "Club", [robert, CY], T0 + 5) == (1, 1)
    assert await books.contacts(ACC, "Club") == [ANN, robert, CY]
    assert await books.contacts(ACC, "Club", group="Friends") == [ANN]  # replaced, not merged
    [summary] = await books.books(ACC)
    assert summary.groups == (("Family", 2), ("Friends", 1)) and summary.created_at == T0


async def test_groups_and_pages(books: AddressBooks) -> None:
    await books.save_contacts(ACC, "Club", [ANN, BOB, CY], T0)
    assert await books.contacts(ACC, "Club", group="Family") == [BOB, CY]
    assert await books.contacts(ACC, "Club", group="family") == []  # names are exact
    assert await books.contacts(ACC, "Club", group="Nobody") == []
    assert await books.contacts(ACC, "Club", limit=2) == [ANN, BOB]
    assert await books.contacts(ACC, "Club", after=BOB.number, limit=2) == [CY]
    assert await books.contacts(ACC, "Club", group="Family", after=BOB.number) == [CY]
    assert await books.contacts(ACC, "club") is None


async def test_names_sort_by_code_point(books: AddressBooks) -> None:
    for name in ("b", "B", "a", "Z", "é"):
        await books.save_contacts(ACC, name, [ANN], T0)
        await books.set_template(ACC, name, "x", T0)
    assert [b.name for b in await books.books(ACC)] == ["B", "Z", "a", "b", "é"]
    assert [t.name for t in await books.templates(ACC)] == ["B", "Z", "a", "b", "é"]


async def test_accounts_do_not_see_each_other(books: AddressBooks) -> None:
    await books.save_contacts(ACC, "Club", [ANN], T0)
    await books.set_template(ACC, "hi", "Hello {name}", T0)
    assert await books.books(OTHER) == [] and await books.templates(OTHER) == []
    assert await books.contacts(OTHER, "Club") is None
    assert await books.template(OTHER, "hi") is None
    assert not await books.delete_book(OTHER, "Club")
    assert not await books.delete_contact(OTHER, "Club", ANN.number)
    assert not await books.delete_template(OTHER, "hi")
    assert await books.save_contacts(OTHER, "Club", [BOB], T0) == (1, 0)
    assert await books.contacts(ACC, "Club") == [ANN]


async def test_delete_contact_and_book(books: AddressBooks) -> None:
    await books.save_contacts(ACC, "Club", [ANN, BOB], T0)
    assert await books.delete_contact(ACC, "Club", BOB.number)
    assert not await books.delete_contact(ACC, "Club", BOB.number)
    assert await books.contacts(ACC, "Club", group="Family") == []
    assert [(b.contacts, b.groups) for b in await books.books(ACC)] == [(1, (("Friends", 1),))]
    assert await books.delete_book(ACC, "Club")
    assert not await books.delete_book(ACC, "Club")
    assert await books.books(ACC) == [] and await books.contacts(ACC, "Club") is None
    assert await books.save_contacts(ACC, "Club", [BOB], T0 + 1) == (1, 0)  # a fresh book
    assert await books.contacts(ACC, "Club", group="Friends") == [BOB]


async def test_an_empty_save_creates_an_empty_book(books: AddressBooks) -> None:
    assert await books.save_contacts(ACC, "Empty", [], T0) == (0, 0)
    assert await books.contacts(ACC, "Empty") == []
    assert await books.books(ACC) == [
        BookSummary(name="Empty", contacts=0, groups=(), created_at=T0)
    ]


async def test_a_contact_without_name_groups_or_fields(books: AddressBooks) -> None:
    bare = Contact(number="+447700900009")
    await books.save_contacts(ACC, "Club", [bare], T0)
    assert await books.contacts(ACC, "Club") == [bare]


async def test_templates(books: AddressBooks) -> None:
    assert await books.template(ACC, "hi") is None
    assert await books.set_template(ACC, "hi", "Hello {name}", T0)
    assert await books.set_template(ACC, "bye", "Bye", T0)
    assert not await books.set_template(ACC, "hi", "Hi {name}", T0 + 5)  # replaced
    assert await books.template(ACC, "hi") == Template(
        name="hi", text="Hi {name}", updated_at=T0 + 5
    )
    assert await books.template(ACC, "Hi") is None
    assert await books.templates(ACC) == [
        Template(name="bye", text="Bye", updated_at=T0),
        Template(name="hi", text="Hi {name}", updated_at=T0 + 5),
    ]
    assert await books.delete_template(ACC, "hi")
    assert not await books.delete_template(ACC, "hi")
    assert await books.templates(ACC) == [Template(name="bye", text="Bye", updated_at=T0)]
