"""BookService: address books, templates, and what a send that names them becomes.

The REST routes (``servers/http/books.py``) and the CLI (``cli_books.py``) manage
books and templates through it. The submit service hands it every request
(``expand``): a request that names no book, no template and does not ask to be
personalized goes on unchanged (one cheap scan of ``to``); otherwise each book
or group it names is read once, the recipients are expanded and de-duplicated
(``domain.books.expand_recipients``) and, for a template or a personalized
text, each recipient's own text is filled in. The request that comes out has
one ``texts`` entry per recipient (its text, or the refusal of that
recipient), so that ``plan_submission`` plans each distinct text once and
counts its parts and price right.

On a store without address books (``store.sqlite_books.address_books`` gives
None) every book operation and every template answers "not supported";
personalizing a text sent to bare numbers needs no store and still works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.books import (
    BookRef,
    BookSummary,
    Contact,
    Piece,
    Recipient,
    Template,
    check_name,
    expand_recipients,
    may_name_book,
    named_books,
    parse_template,
    render,
)
from heliograph.domain.books_csv import parse_contacts_csv
from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitRequest
from heliograph.services.ports import Clock
from heliograph.store.books import AddressBooks

NOT_SUPPORTED = "address books and templates are not supported on this store in this version"
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Imported:
    added: int
    updated: int
    refused: tuple[tuple[int, str], ...]  # (line, why)


def needs_books(req: SubmitRequest) -> bool:
    """Whether ``expand`` has anything to do: a template, personalized texts or a book."""
    return req.template is not None or req.personalize or any(map(may_name_book, req.to))


class BookService:
    def __init__(
        self, books: AddressBooks | None, clock: Clock, *, max_recipients: int = 10_000
    ) -> None:
        self._books = books
        self._clock = clock
        self._max_recipients = max_recipients

    def _store(self, field: str | None = None) -> AddressBooks:
        if self._books is None:
            raise Rejected(RejectReason.NOT_SUPPORTED, NOT_SUPPORTED, field=field)
        return self._books

    # --- books and contacts -------------------------------------------------------------

    async def list_books(self, account_id: AccountId) -> list[BookSummary]:
        return await self._store().books(account_id)

    async def contacts(
        self,
        account_id: AccountId,
        book: str,
        *,
        group: str | None = None,
        cursor: str | None = None,
        limit: int = 1000,
    ) -> tuple[list[Contact], str | None]:
        """One page of a book's contacts by number, and the cursor of the next page.

        Raises: Rejected (NOT_FOUND without such a book; a bad name, group or limit).
        """
        store = self._store()
        check_name(book, what="book", field="book")
        if group is not None:
            check_name(group, what="group", field="group")
        if not 1 <= limit <= MAX_PAGE:
            raise Rejected(
                RejectReason.INVALID_REQUEST, f"limit must be 1 to {MAX_PAGE}", field="limit"
            )
        after = normalize_msisdn(cursor, field="cursor") if cursor is not None else None
        found = await store.contacts(account_id, book, group=group, after=after, limit=limit + 1)
        if found is None:
            raise Rejected(RejectReason.NOT_FOUND, f"no address book {book!r}", field="book")
        page = found[:limit]
        return page, page[-1].number if len(found) > limit else None

    async def save_contacts(
        self, account_id: AccountId, book: str, contacts: Sequence[Contact]
    ) -> tuple[int, int]:
        """Add or replace contacts (checked with ``make_contact``), creating the book:
        (added, updated). Raises: Rejected; nothing is written then."""
        store = self._store()
        check_name(book, what="book", field="book")
        if not contacts:
            raise Rejected(RejectReason.INVALID_REQUEST, "no contacts given", field="contacts")
        seen: set[str] = set()
        for i, c in enumerate(contacts):
            if c.number in seen:
                raise Rejected(
                    RejectReason.INVALID_REQUEST,
                    f"{c.number} is given twice",
                    field=f"contacts[{i}].number",
                )
            seen.add(c.number)
        return await store.save_contacts(account_id, book, contacts, self._clock.now())

    async def import_csv(self, account_id: AccountId, book: str, text: str) -> Imported:
        """Add or replace the contacts of a CSV file (``domain.books_csv``);
        rows that are refused are reported, the others written in one transaction.
        Raises: Rejected for a file that cannot be read at all."""
        store = self._store()
        check_name(book, what="book", field="book")
        parsed = parse_contacts_csv(text)
        added = updated = 0
        if parsed.contacts:
            added, updated = await store.save_contacts(
                account_id, book, parsed.contacts, self._clock.now()
            )
        return Imported(added=added, updated=updated, refused=parsed.refused)

    async def delete_contact(self, account_id: AccountId, book: str, number: str) -> str:
        """The number removed, in E.164. Raises: Rejected(NOT_FOUND)."""
        store = self._store()
        check_name(book, what="book", field="book")
        e164 = normalize_msisdn(number, field="number")
        if not await store.delete_contact(account_id, book, e164):
            raise Rejected(
                RejectReason.NOT_FOUND, f"{e164} is not in address book {book!r}", field="number"
            )
        return e164

    async def delete_book(self, account_id: AccountId, book: str) -> None:
        """Remove a book and its contacts. Raises: Rejected(NOT_FOUND)."""
        store = self._store()
        check_name(book, what="book", field="book")
        if not await store.delete_book(account_id, book):
            raise Rejected(RejectReason.NOT_FOUND, f"no address book {book!r}", field="book")

    # --- templates ----------------------------------------------------------------------

    async def templates(self, account_id: AccountId) -> list[Template]:
        return await self._store().templates(account_id)

    async def template(self, account_id: AccountId, name: str) -> Template:
        """Raises: Rejected(NOT_FOUND)."""
        check_name(name, what="template", field="name")
        found = await self._store().template(account_id, name)
        if found is None:
            raise Rejected(RejectReason.NOT_FOUND, f"no template {name!r}", field="name")
        return found

    async def set_template(
        self, account_id: AccountId, name: str, text: str
    ) -> tuple[Template, bool]:
        """Create or replace a template: (template, created). Raises: Rejected for a bad
        name or text (its placeholders are checked now, not at the first send)."""
        store = self._store()
        check_name(name, what="template", field="name")
        parse_template(text, field="text")
        now = self._clock.now()
        created = await store.set_template(account_id, name, text, now)
        return Template(name=name, text=text, updated_at=now), created

    async def delete_template(self, account_id: AccountId, name: str) -> None:
        """Raises: Rejected(NOT_FOUND)."""
        store = self._store()
        check_name(name, what="template", field="name")
        if not await store.delete_template(account_id, name):
            raise Rejected(RejectReason.NOT_FOUND, f"no template {name!r}", field="name")

    # --- sends --------------------------------------------------------------------------

    async def expand(self, req: SubmitRequest, account_id: AccountId) -> SubmitRequest:
        """``req`` with its books expanded and its texts filled in per recipient (see the
        module docstring); ``req`` itself when it uses neither.

        Raises: Rejected for the request as a whole (an unknown template, a malformed
        one, a template with a text).
        """
        if not needs_books(req):
            return req
        text, pieces = await self._source(req, account_id)
        found: dict[BookRef, list[Contact] | None] | None = None
        if self._books is not None:
            found = {
                ref: await self._books.contacts(
                    account_id, ref.book, group=ref.group, limit=self._max_recipients + 1
                )
                for ref in named_books(req.to)
            }
        recipients = expand_recipients(req.to, found)
        field = "template" if req.template is not None else "text"
        texts = [_own_text(r, pieces, field) for r in recipients]
        return replace(
            req,
            to=tuple(r.number or r.entry for r in recipients),
            text=text,
            texts=tuple(texts) if any(t is not None for t in texts) else None,
            template=None,
            personalize=False,
        )

    async def _source(
        self, req: SubmitRequest, account_id: AccountId
    ) -> tuple[str, tuple[Piece, ...] | None]:
        """(the text, parsed when it is filled in per recipient)."""
        if req.template is None:
            if not req.personalize:
                return req.text, None
            if req.content is not None or req.udh is not None:
                raise Rejected(
                    RejectReason.INVALID_REQUEST,
                    "personalize applies to text messages",
                    field="personalize",
                )
            return req.text, parse_template(req.text, field="text")
        if req.text or req.content is not None or req.udh is not None:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "give a template or a text (or content), not both",
                field="template",
            )
        store = self._store("template")
        name = check_name(req.template, what="template", field="template")
        template = await store.template(account_id, name)
        if template is None:
            raise Rejected(RejectReason.INVALID_REQUEST, f"no template {name!r}", field="template")
        return template.text, parse_template(template.text, field="template")


def _own_text(r: Recipient, pieces: tuple[Piece, ...] | None, field: str) -> str | Rejected | None:
    if r.error is not None:
        return r.error
    if pieces is None:
        return None
    try:
        return render(pieces, r.values, field=field)
    except Rejected as exc:
        return exc
