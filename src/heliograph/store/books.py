"""The AddressBooks protocol: per-account address books of contacts, and text templates.

Kept apart from ``store.base.Store``, as ``AccountAdmin`` is: only the books
service needs it, and a backend without it (``address_books(store)`` gives
None, see ``store.sqlite_books``) answers "not supported". Every write is one
transaction; names are compared exactly (case matters). Contacts come back
ordered by number. The protocol speaks the domain's types (``domain.books``)
and knows nothing about how a send uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from heliograph.domain.books import BookSummary, Contact, Template
from heliograph.domain.ids import AccountId


@runtime_checkable
class AddressBooks(Protocol):
    async def books(self, account_id: AccountId) -> list[BookSummary]: ...

    async def contacts(
        self,
        account_id: AccountId,
        book: str,
        *,
        group: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Contact] | None:
        """The book's contacts (of ``group``; numbers after ``after``), None without such
        a book."""

    async def save_contacts(
        self, account_id: AccountId, book: str, contacts: Sequence[Contact], now: float
    ) -> tuple[int, int]:
        """Add or replace contacts, creating the book: (added, updated)."""

    async def delete_contact(self, account_id: AccountId, book: str, number: str) -> bool: ...
    async def delete_book(self, account_id: AccountId, book: str) -> bool: ...

    async def templates(self, account_id: AccountId) -> list[Template]: ...
    async def template(self, account_id: AccountId, name: str) -> Template | None: ...

    async def set_template(self, account_id: AccountId, name: str, text: str, now: float) -> bool:
        """Create or replace: True when it is new."""

    async def delete_template(self, account_id: AccountId, name: str) -> bool: ...
