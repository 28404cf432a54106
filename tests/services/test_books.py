"""BookService on SQLite (store.sqlite_books): books, contacts, templates, CSV import, and
sends through SubmitService that name books or templates."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from heliograph.domain.accounts import Account
from heliograph.domain.books import Contact, make_contact
from heliograph.domain.ids import AccountId
from heliograph.domain.pricing import PriceList
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitLimits, SubmitRequest
from heliograph.services.books import BookService
from heliograph.services.metrics import Metrics
from heliograph.services.submit import SubmitService
from heliograph.store.base import IdempotentAnswer, MessageFilter
from heliograph.store.books import AddressBooks
from heliograph.store.sqlite import SqliteStore
from heliograph.store.sqlite_books import address_books
from tests.services.fakes import make_account
from tests.support.clock import FakeClock

R = RejectReason
ANN = make_contact("+447700900001", "Ann", ["Friends"], {"city": "Leeds"})
BOB = make_contact("+447700900002", "Bob", ["Family", "Friends"])
CY = make_contact("+447700900003", None, ["Family"], {"city": "York"})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(str(tmp_path / "books.sqlite3"), synchronous="NORMAL")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def books(store: SqliteStore, clock: FakeClock) -> BookService:
    backend = address_books(store)
    assert isinstance(backend, AddressBooks)
    return BookService(backend, clock, max_recipients=5)


@pytest.fixture
async def alice(store: SqliteStore, clock: FakeClock) -> Account:
    return await make_account(store, clock, "alice")


async def _rejected(coro: object) -> Rejected:
    with pytest.raises(Rejected) as info:
        await coro  # type: ignore[misc]
    return info.value


# --- books and contacts -------------------------------------------------------------------


async def test_save_list_and_replace_contacts(books: BookService, alice: Account) -> None:
    assert await books.save_contacts(alice.id, "Club", [ANN, BOB]) == (2, 0)
    changed = make_contact("+447700900002", "Robert", ["Family"])
    assert await books.save_contacts(alice.id, "Club", [changed, CY]) == (1, 1)
    page, cursor = await books.contacts(alice.id, "Club")
    assert page == [ANN, changed, CY] and cursor is None
    friends, _ = await books.contacts(alice.id, "Club", group="Friends")
    assert friends == [ANN]  # Robert's groups were replaced, not merged
    [summary] = await books.list_books(alice.id)
    assert (summary.name, summary.contacts) == ("Club", 3)
    assert summary.groups == (("Family", 2), ("Friends", 1))


async def test_contacts_come_in_pages(books: BookService, alice: Account) -> None:
    await books.save_contacts(alice.id, "Club", [CY, ANN, BOB])
    first, cursor = await books.contacts(alice.id, "Club", limit=2)
    assert [c.number for c in first] == [ANN.number, BOB.number] and cursor == BOB.number
    rest, end = await books.contacts(alice.id, "Club", limit=2, cursor=cursor)
    assert rest == [CY] and end is None


async def test_books_of_other_accounts_are_invisible(
    books: BookService, alice: Account, store: SqliteStore, clock: FakeClock
) -> None:
    bob = await make_account(store, clock, "bob")
    await books.save_contacts(alice.id, "Club", [ANN])
    assert await books.list_books(bob.id) == []
    err = await _rejected(books.contacts(bob.id, "Club"))
    assert err.reason is R.NOT_FOUND and err.field == "book"
    assert (await _rejected(books.delete_book(bob.id, "Club"))).reason is R.NOT_FOUND


async def test_delete_contact_and_book(books: BookService, alice: Account) -> None:
    await books.save_contacts(alice.id, "Club", [ANN, BOB])
    assert await books.delete_contact(alice.id, "Club", "447700900001") == ANN.number
    err = await _rejected(books.delete_contact(alice.id, "Club", "+447700900001"))
    assert err.reason is R.NOT_FOUND and err.field == "number"
    [summary] = await books.list_books(alice.id)
    assert summary.contacts == 1 and summary.groups == (("Family", 1), ("Friends", 1))
    await books.delete_book(alice.id, "Club")
    assert await books.list_books(alice.id) == []
    await books.save_contacts(alice.id, "Club", [CY])
    [again] = await books.list_books(alice.id)
    assert again.contacts == 1 and again.groups == (("Family", 1),)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b, a: b.save_contacts(a, "Club", []), "contacts"),
        (lambda b, a: b.save_contacts(a, "Club", [ANN, ANN]), "contacts[1].number"),
        (lambda b, a: b.save_contacts(a, "9lives", [ANN]), "book"),
        (lambda b, a: b.contacts(a, "Club", limit=0), "limit"),
        (lambda b, a: b.contacts(a, "Club", group="no::pe"), "group"),
        (lambda b, a: b.contacts(a, "Club", cursor="nope"), "cursor"),
        (lambda b, a: b.delete_contact(a, "Club", "12"), "number"),
    ],
)
async def test_bad_input_names_its_field_and_writes_nothing(
    books: BookService, alice: Account, call: object, field: str
) -> None:
    err = await _rejected(call(books, alice.id))  # type: ignore[operator]
    assert err.field == field
    assert await books.list_books(alice.id) == []


async def test_import_csv_reports_refused_rows(books: BookService, alice: Account) -> None:
    await books.save_contacts(alice.id, "Club", [ANN])
    text = "number,name,groups,city\n+447700900001,Ann B,,Hull\n12,x\n+447700900002,Bob,A;B,\n"
    done = await books.import_csv(alice.id, "Club", text)
    assert (done.added, done.updated) == (1, 1)
    assert [line for line, _ in done.refused] == [3]
    page, _ = await books.contacts(alice.id, "Club")
    assert page[0] == Contact(number=ANN.number, name="Ann B", fields={"city": "Hull"})
    assert page[1].groups == ("A", "B")


async def test_import_of_nothing_good_creates_no_book(books: BookService, alice: Account) -> None:
    done = await books.import_csv(alice.id, "Club", "number\n12\n")
    assert (done.added, done.updated, len(done.refused)) == (0, 0, 1)
    assert await books.list_books(alice.id) == []
    err = await _rejected(books.import_csv(alice.id, "Club", "number,bad col\n"))
    assert err.field == "file"


async def test_data_outlives_the_process(
    store: SqliteStore, books: BookService, alice: Account
) -> None:
    await books.save_contacts(alice.id, "Club", [ANN])
    await books.set_template(alice.id, "hello", "Hi {name}")
    await store.close()
    await store.open()
    assert (await books.contacts(alice.id, "Club"))[0] == [ANN]
    assert (await books.template(alice.id, "hello")).text == "Hi {name}"


# --- templates ----------------------------------------------------------------------------


async def test_templates_set_replace_list_delete(
    books: BookService, alice: Account, clock: FakeClock
) -> None:
    template, created = await books.set_template(alice.id, "hello", "Hi {name}")
    assert created and template.updated_at == clock.now()
    clock.advance(5)
    _, created = await books.set_template(alice.id, "hello", "Hello {name}")
    assert not created
    await books.set_template(alice.id, "bye", "Bye")
    assert [(t.name, t.text) for t in await books.templates(alice.id)] == [
        ("bye", "Bye"),
        ("hello", "Hello {name}"),
    ]
    await books.delete_template(alice.id, "bye")
    assert (await _rejected(books.delete_template(alice.id, "bye"))).reason is R.NOT_FOUND
    assert (await _rejected(books.template(alice.id, "bye"))).reason is R.NOT_FOUND


async def test_a_malformed_template_is_refused_when_set(books: BookService, alice: Account) -> None:
    err = await _rejected(books.set_template(alice.id, "hello", "Hi {name"))
    assert err.reason is R.INVALID_TEXT and err.field == "text"
    assert (await _rejected(books.set_template(alice.id, "", "x"))).field == "name"
    assert await books.templates(alice.id) == []


# --- not supported ------------------------------------------------------------------------


async def test_without_a_backend_everything_is_not_supported(clock: FakeClock) -> None:
    books = BookService(None, clock)
    account = AccountId("a")
    for call in (
        books.list_books(account),
        books.contacts(account, "Club"),
        books.save_contacts(account, "Club", [ANN]),
        books.templates(account),
        books.set_template(account, "t", "x"),
    ):
        err = await _rejected(call)
        assert err.reason is R.NOT_SUPPORTED and "not supported on this store" in err.detail
    req = SubmitRequest(account_id=account, to=("Club::Friends", "+447700900001"), text="x")
    out = await books.expand(req, account)
    assert out.to == ("Club::Friends", "+447700900001")
    assert out.texts is not None and isinstance(out.texts[0], Rejected)
    assert out.texts[0].reason is R.NOT_SUPPORTED and out.texts[1] is None
    template = SubmitRequest(account_id=account, to=("+447700900001",), text="", template="t")
    assert (await _rejected(books.expand(template, account))).field == "template"
    personal = SubmitRequest(
        account_id=account, to=("+447700900001",), text="To {number}", personalize=True
    )
    assert (await books.expand(personal, account)).texts == ("To +447700900001",)


def test_address_books_of_another_backend_is_none() -> None:
    assert address_books(object()) is None


# --- sends --------------------------------------------------------------------------------


class Sender:
    def __init__(self, store: SqliteStore, clock: FakeClock, books: BookService) -> None:
        self.store = store
        self.clock = clock
        self.service = SubmitService(
            store,
            clock,
            Metrics(),
            SubmitLimits(max_recipients=5),
            lambda: None,
            prices=self._prices,
            books=books,
        )

    async def _prices(self, account_id: AccountId) -> PriceList:
        return PriceList.of([("44", 10_000)])

    @staticmethod
    def render(plans: list[RecipientPlan]) -> IdempotentAnswer:
        body = [
            {"to": p.to, "text": p.message.text, "parts": p.message.parts}
            if p.message is not None
            else {"to": p.to, "error": p.error.reason.value, "detail": p.error.detail}
            for p in plans
            if p.message is not None or p.error is not None
        ]
        return IdempotentAnswer(status=202, body=json.dumps(body).encode())

    async def estimate(self, acct: Account, *to: str, **kw: object) -> tuple[list[dict], int]:  # type: ignore[type-arg]
        req = SubmitRequest(account_id=acct.id, to=to, **kw)  # type: ignore[arg-type]
        plans, cost = await self.service.estimate(req, acct, self.clock.now())
        return json.loads(self.render(plans).body), cost

    async def submit(self, acct: Account, *to: str, **kw: object) -> list[dict]:  # type: ignore[type-arg]
        req = SubmitRequest(account_id=acct.id, to=to, **kw)  # type: ignore[arg-type]
        result = await self.service.submit(req, acct, self.render)
        answer: list[dict] = json.loads(result.answer.body)  # type: ignore[type-arg]
        return answer


@pytest.fixture
async def sender(
    store: SqliteStore, clock: FakeClock, books: BookService, alice: Account
) -> Sender:
    await books.save_contacts(alice.id, "Club", [ANN, BOB, CY])
    await store.adjust_balance(alice.id, 1_000_000, "test credit", clock.now())
    return Sender(store, clock, books)


async def test_a_group_expands_without_duplicates(sender: Sender, alice: Account) -> None:
    answer = await sender.submit(
        alice, "Club::Friends", "+447700900002", "Club::Family", "Nope", "Club::Ghosts", text="Hi"
    )
    assert answer == [
        {"to": ANN.number, "text": "Hi", "parts": 1},
        {"to": BOB.number, "text": "Hi", "parts": 1},
        {"to": CY.number, "text": "Hi", "parts": 1},
        {"to": "Nope", "error": "invalid_destination", "detail": "no address book 'Nope'"},
        {
            "to": "Club::Ghosts",
            "error": "invalid_destination",
            "detail": "no contacts in group 'Ghosts' of address book 'Club'",
        },
    ]
    views = await sender.store.list_messages(alice.id, MessageFilter(), before=None, limit=10)
    assert sorted(v.to for v in views) == [ANN.number, BOB.number, CY.number]


async def test_a_book_larger_than_the_limit_is_refused_whole(
    sender: Sender, books: BookService, alice: Account
) -> None:
    more = [make_contact(f"+4477009001{n:02d}") for n in range(6)]
    await books.save_contacts(alice.id, "Big", more)
    err = await _rejected(sender.submit(alice, "Big", text="Hi"))
    assert err.reason is R.TOO_MANY_RECIPIENTS


async def test_personalized_texts_are_priced_per_distinct_text(
    sender: Sender, books: BookService, alice: Account
) -> None:
    long = make_contact("+447700900009", "L" * 100)
    await books.save_contacts(alice.id, "Club", [long])
    answer, cost = await sender.estimate(
        alice, "Club", "+447700900008", text="Hi {name}, {name}", personalize=True
    )
    assert answer[:3] == [
        {"to": ANN.number, "text": "Hi Ann, Ann", "parts": 1},
        {"to": BOB.number, "text": "Hi Bob, Bob", "parts": 1},
        {
            "to": CY.number,
            "error": "invalid_text",
            "detail": "placeholder {name} has no value for +447700900003",
        },
    ]
    assert answer[3] == {"to": long.number, "text": f"Hi {'L' * 100}, {'L' * 100}", "parts": 2}
    assert answer[4]["error"] == "invalid_text" and "+447700900008" in answer[4]["detail"]
    assert cost == 10_000 * (1 + 1 + 2)


async def test_a_template_is_filled_per_contact(
    sender: Sender, books: BookService, alice: Account
) -> None:
    await books.set_template(alice.id, "where", "{number} lives in {City}")
    answer = await sender.submit(alice, "Club::Family", text="", template="where")
    assert [a.get("text") for a in answer] == [None, "+447700900003 lives in York"]
    assert answer[0]["to"] == BOB.number and "{city}" in answer[0]["detail"]
    err = await _rejected(sender.submit(alice, "Club", text="", template="nope"))
    assert err.reason is R.INVALID_REQUEST and err.field == "template"
    err = await _rejected(sender.submit(alice, "Club", template="where", text="x"))
    assert err.field == "template"


async def test_plain_sends_are_left_alone(sender: Sender, alice: Account) -> None:
    answer = await sender.submit(alice, "+447700900001", "+447700900001", text="{name}")
    assert [a["text"] for a in answer] == ["{name}", "{name}"]


async def test_a_malformed_personalized_text_is_refused_whole(
    sender: Sender, alice: Account
) -> None:
    err = await _rejected(sender.submit(alice, "Club", text="Hi {name", personalize=True))
    assert err.reason is R.INVALID_TEXT and err.field == "text"
    err = await _rejected(
        sender.submit(alice, "Club", text="Hi", personalize=True, udh=b"\x05\x00\x03\x01\x02\x01")
    )
    assert err.field == "personalize"
