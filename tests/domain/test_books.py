"""domain.books: Book::Group references, contacts, expansion, templates, CSV; and
plan_submission with a text per recipient."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from heliograph.domain.books import (
    BookRef,
    Contact,
    Placeholder,
    book_ref,
    check_name,
    expand_recipients,
    make_contact,
    named_books,
    parse_template,
    placeholders,
    render,
)
from heliograph.domain.books_csv import parse_contacts_csv
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import (
    RecipientPlan,
    SubmitLimits,
    SubmitRequest,
    plan_submission,
)

R = RejectReason
ANN = Contact(number="+447700900001", name="Ann", groups=("Friends",), fields={"city": "Leeds"})
BOB = Contact(number="+447700900002", groups=("Family", "Friends"))

# --- names and references -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "ref"),
    [
        ("+447700900001", None),
        ("447700900001", None),
        ("0044 7700 900001", None),
        ("12", None),
        ("Friends", BookRef("Friends")),
        (" Friends ", BookRef("Friends")),
        ("Friends::Family", BookRef("Friends", "Family")),
        ("Friends::", BookRef("Friends")),
        ("Clients 2024::VIP-list", BookRef("Clients 2024", "VIP-list")),
        ("Müller", BookRef("Müller")),
    ],
)
def test_book_ref_tells_books_from_numbers(entry: str, ref: BookRef | None) -> None:
    assert book_ref(entry) == ref


@pytest.mark.parametrize(
    "entry", ["::Friends", "Fr!ends", "Book::Group::More", "Book::1st", "2024::VIP", "a" * 65]
)
def test_malformed_reference_is_invalid_destination(entry: str) -> None:
    with pytest.raises(Rejected) as info:
        book_ref(entry)
    assert info.value.reason is R.INVALID_DESTINATION and info.value.field == "to"


def test_book_ref_str_is_the_csoft_notation() -> None:
    assert str(BookRef("B", "G")) == "B::G" and str(BookRef("B")) == "B"


def test_named_books_are_distinct_in_order_and_skip_bad_entries() -> None:
    to = ["B::G", "+447700900001", "A", "B::G", "Fr!ends", "A::"]
    assert named_books(to) == [BookRef("B", "G"), BookRef("A")]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("A", True), ("a" * 64, True), ("a" * 65, False), ("Ends ", False), ("x:y", False)],
)
def test_check_name_bounds(value: str, ok: bool) -> None:
    if ok:
        assert check_name(value, what="book", field="book") == value
        return
    with pytest.raises(Rejected) as info:
        check_name(value, what="book", field="book")
    assert info.value.field == "book" and "book name" in info.value.detail


# --- contacts -----------------------------------------------------------------------------


def test_make_contact_normalizes_everything() -> None:
    c = make_contact(
        "0044 7700 900001",
        "  Ann  ",
        ["Friends", " Family", "Friends"],
        {"City": "Leeds", "note": "  "},
    )
    assert c == Contact(
        number="+447700900001",
        name="Ann",
        groups=("Family", "Friends"),
        fields={"city": "Leeds"},
    )
    assert c.values() == {"number": "+447700900001", "name": "Ann", "city": "Leeds"}
    assert make_contact("+447700900001", " ").name is None


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"number": "12"}, "[3].number"),
        ({"name": "x" * 101}, "[3].name"),
        ({"groups": ["ok", "no::pe"]}, "[3].groups"),
        ({"groups": [f"g{n}" for n in range(51)]}, "[3].groups"),
        ({"fields": {"Number": "x"}}, "[3].fields.Number"),
        ({"fields": {"first name": "x"}}, "[3].fields.first name"),
        ({"fields": {"city": "a", "CITY": "b"}}, "[3].fields.CITY"),
        ({"fields": {"note": "x" * 501}}, "[3].fields.note"),
        ({"fields": {f"f{n}": "x" for n in range(51)}}, "[3].fields"),
    ],
)
def test_make_contact_names_the_bad_field(kw: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"number": "+447700900001", **kw}
    with pytest.raises(Rejected) as info:
        make_contact(at="[3].", **args)  # type: ignore[arg-type]
    assert info.value.field == field


# --- expansion ----------------------------------------------------------------------------


def test_expansion_keeps_order_and_removes_duplicates() -> None:
    books = {BookRef("B", "Friends"): [ANN, BOB], BookRef("B", "Family"): [BOB]}
    out = expand_recipients(
        ["+447700900009", "B::Friends", "447700900009", "B::Family", "B::Friends"], books
    )
    assert [r.number for r in out] == ["+447700900009", ANN.number, BOB.number]
    assert [r.entry for r in out] == ["+447700900009", "B::Friends", "B::Friends"]
    assert out[1].values == {"number": ANN.number, "name": "Ann", "city": "Leeds"}
    assert all(r.error is None for r in out)


def test_a_bare_number_takes_the_contacts_values_and_keeps_its_place() -> None:
    out = expand_recipients(["+447700900001", "B"], {BookRef("B"): [ANN]})
    assert len(out) == 1
    assert out[0].entry == "+447700900001" and out[0].values["city"] == "Leeds"


def test_unknown_book_empty_group_and_empty_book_are_their_own_errors() -> None:
    books: dict[BookRef, list[Contact] | None] = {
        BookRef("Nope"): None,
        BookRef("B", "Ghosts"): [],
        BookRef("Empty"): [],
    }
    out = expand_recipients(["Nope", "+447700900001", "B::Ghosts", "Empty", "Fr!ends"], books)
    assert [r.entry for r in out] == ["Nope", "+447700900001", "B::Ghosts", "Empty", "Fr!ends"]
    errors = [r.error for r in out]
    assert errors[1] is None
    details = [e.detail for e in errors if e is not None]
    assert details[:3] == [
        "no address book 'Nope'",
        "no contacts in group 'Ghosts' of address book 'B'",
        "address book 'Empty' has no contacts",
    ]
    assert all(e.reason is R.INVALID_DESTINATION and e.field == "to" for e in errors if e)


def test_without_address_books_a_group_is_not_supported_and_a_name_is_a_bad_number() -> None:
    out = expand_recipients(["B::G", "Friends", "+447700900001"], None)
    assert out[0].error is not None and out[0].error.reason is R.NOT_SUPPORTED
    assert out[1].error is not None and out[1].error.reason is R.INVALID_DESTINATION
    assert "E.164" in out[1].error.detail
    assert out[2].number == "+447700900001" and out[2].values == {"number": "+447700900001"}


# --- templates ----------------------------------------------------------------------------


def test_parse_template_pieces_escapes_and_case() -> None:
    pieces = parse_template("Hi {Name}, {{not}} {number}}} {name}")
    assert pieces == (
        "Hi ",
        Placeholder("name"),
        ", {not} ",
        Placeholder("number"),
        "} ",
        Placeholder("name"),
    )
    assert placeholders(pieces) == ["name", "number"]
    assert parse_template("{a}{b}") == (Placeholder("a"), Placeholder("b"))
    assert parse_template("plain") == ("plain",)


@pytest.mark.parametrize(
    ("text", "where"),
    [("Hi {name", "character 4"), ("Hi }", "character 4"), ("{}", "'{}'"), ("{a b}", "{a b}")],
)
def test_malformed_template_is_refused_with_its_position(text: str, where: str) -> None:
    with pytest.raises(Rejected) as info:
        parse_template(text, field="template")
    assert info.value.reason is R.INVALID_TEXT and info.value.field == "template"
    assert where in info.value.detail


def test_empty_or_huge_template_is_refused() -> None:
    for text in ("", "x" * 40_001):
        with pytest.raises(Rejected):
            parse_template(text)


def test_render_fills_values_and_names_a_missing_placeholder() -> None:
    pieces = parse_template("Hi {name} in {CITY}")
    assert render(pieces, ANN.values()) == "Hi Ann in Leeds"
    with pytest.raises(Rejected) as info:
        render(pieces, {"number": "+447700900002", "name": "Bob"}, field="template")
    assert info.value.reason is R.INVALID_TEXT and info.value.field == "template"
    assert info.value.detail == "placeholder {city} has no value for +447700900002"


# --- CSV ----------------------------------------------------------------------------------


def test_csv_with_header_fields_and_groups() -> None:
    text = (
        "\ufeffNumber,Name,Groups,City\n"
        '+447700900001,Ann,Friends;Family,Leeds\n\n447700900002,"Bob, Jr",,"York\nNorth"\n'
    )
    parsed = parse_contacts_csv(text)
    assert parsed.refused == ()
    assert parsed.contacts == (
        Contact(
            number="+447700900001",
            name="Ann",
            groups=("Family", "Friends"),
            fields={"city": "Leeds"},
        ),
        Contact(number="+447700900002", name="Bob, Jr", fields={"city": "York\nNorth"}),
    )


def test_csv_refuses_bad_rows_with_line_and_reason() -> None:
    text = (
        "number,name\n"
        "+447700900001,Ann\n"
        "12,Short\n"
        "+447700900001,Again\n"
        "+447700900003,Cy,extra\n"
        "+447700900004,Dee\n"
    )
    parsed = parse_contacts_csv(text)
    assert [c.number for c in parsed.contacts] == ["+447700900001", "+447700900004"]
    lines = [line for line, _ in parsed.refused]
    assert lines == [3, 4, 5]
    reasons = [why for _, why in parsed.refused]
    assert reasons[0].startswith("number: '12' is not an E.164 number")
    assert reasons[1] == "+447700900001 is on line 2 too"
    assert reasons[2] == "3 columns, the header has 2"


def test_csv_without_header_is_number_name_groups() -> None:
    parsed = parse_contacts_csv("+447700900001,Ann,A;B\n+447700900002\n")
    assert parsed.contacts[0].groups == ("A", "B") and parsed.contacts[1].name is None
    with pytest.raises(Rejected) as info:
        parse_contacts_csv("+447700900001,Ann,A,Leeds\n")
    assert info.value.field == "file" and "header" in info.value.detail


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "no rows"),
        ("\n \n", "no rows"),
        ("number,shoe size\n", "shoe size"),
        ("number,city,City\n", "twice"),
    ],
)
def test_csv_that_cannot_be_read_is_refused_whole(text: str, detail: str) -> None:
    with pytest.raises(Rejected) as info:
        parse_contacts_csv(text)
    assert info.value.field == "file" and detail in info.value.detail


# --- plan_submission with a text per recipient --------------------------------------------


def _plan(
    to: tuple[str, ...], texts: tuple[str | Rejected | None, ...] | None, **kw: object
) -> list[RecipientPlan]:
    ids: Iterator[MessageId] = (MessageId(f"M{n:025d}") for n in itertools.count(1))
    req = SubmitRequest(account_id=AccountId("a"), to=to, text="T", texts=texts, **kw)  # type: ignore[arg-type]
    return plan_submission(req, now=0.0, ids=ids, limits=SubmitLimits(max_parts=3))


def test_each_recipient_text_is_planned_on_its_own() -> None:
    refused = Rejected(R.INVALID_DESTINATION, "no address book 'X'", field="to")
    plans = _plan(
        ("+447700900001", "+447700900002", "X", "+447700900003", "+447700900004"),
        ("short", "é" * 71 + "Ж", refused, None, "y" * 500),
    )
    messages = [p.message for p in plans]
    assert messages[0] is not None and (messages[0].text, messages[0].parts) == ("short", 1)
    assert messages[1] is not None and messages[1].encoding == "ucs2" and messages[1].parts == 2
    assert plans[2].to == "X" and plans[2].error is refused
    assert messages[3] is not None and messages[3].text == "T" and messages[3].parts == 1
    assert messages[4] is None and plans[4].error is not None
    assert plans[4].error.reason is R.MESSAGE_TOO_LONG


def test_template_without_the_books_service_is_not_supported() -> None:
    for kw, field in (({"template": "t"}, "template"), ({"personalize": True}, "personalize")):
        with pytest.raises(Rejected) as info:
            _plan(("+447700900001",), None, **kw)
        assert info.value.reason is R.NOT_SUPPORTED and info.value.field == field


def test_texts_must_match_the_recipients() -> None:
    with pytest.raises(Rejected) as info:
        _plan(("+447700900001", "+447700900002"), ("a",))
    assert info.value.reason is R.INVALID_REQUEST and info.value.field == "to"
    with pytest.raises(Rejected):
        _plan(("+447700900001",), ("a",), udh=b"\x00")
