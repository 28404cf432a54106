"""Address books and templates: names, contacts, ``Book::Group`` references, placeholders.

An account keeps named address books of contacts. A contact is an E.164
number with an optional name, groups and free fields. A recipient of a send
may name a book (``Book``) or one group of it (``Book::Group``, the csoft
notation; ``Book::`` is the whole book too): the entry expands to the
contacts' numbers, each number once, and a book or group that does not exist
is that entry's own error. Book, group and template names start with a letter
(so that ``Book`` can never be taken for a number) and hold letters, digits,
spaces, ``_``, ``.`` and ``-``.

A template is a text with placeholders: ``{name}``, ``{number}`` and
``{field}`` for any field of the contact (field and placeholder names are
matched without regard to case); ``{{`` and ``}}`` are literal braces. It is
filled per recipient; a recipient given as a bare number has only
``{number}``, and a placeholder with no value refuses that recipient, naming
the placeholder. Contacts can also be read from CSV (``domain.books_csv``).

Pure: no I/O. The store keeps books and templates (``store.books``), the
service fetches what a send names (``services.books``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.rejections import Rejected, RejectReason

NAME_MAX = 64
CONTACT_NAME_MAX = 100
FIELD_VALUE_MAX = 500
MAX_FIELDS = 50
MAX_GROUPS = 50
TEMPLATE_MAX = 40_000
RESERVED = frozenset({"number", "name", "groups"})  # columns and placeholders of their own

_NAME = re.compile(rf"[^\W\d_](?:[\w .-]{{0,{NAME_MAX - 2}}}[\w.-])?")
FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,31}")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def check_name(value: str, *, what: str, field: str) -> str:
    """A book, group or template name. Raises: Rejected(INVALID_REQUEST) naming ``field``."""
    if not _NAME.fullmatch(value):
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"{what} name {value[:80]!r} must be 1 to {NAME_MAX} letters, digits, spaces, "
            "'_', '.' or '-', starting with a letter",
            field=field,
        )
    return value


# --- recipients: Book, Book::Group ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookRef:
    book: str
    group: str | None = None

    def __str__(self) -> str:
        return self.book if self.group is None else f"{self.book}::{self.group}"


def may_name_book(entry: str) -> bool:
    """Whether a ``to`` entry is a book reference rather than a number (cheap: every send)."""
    return "::" in entry or entry.lstrip()[:1].isalpha()


def book_ref(entry: str) -> BookRef | None:
    """The book (and group) a ``to`` entry names, None for a number.

    Raises: Rejected(INVALID_DESTINATION) for an entry that is neither.
    """
    if not may_name_book(entry):
        return None
    book, _, group = entry.strip().partition("::")
    if not (_NAME.fullmatch(book) and (not group or _NAME.fullmatch(group))):
        raise Rejected(
            RejectReason.INVALID_DESTINATION,
            f"{entry[:80]!r} is neither a number nor an address book (Book or Book::Group, "
            "names starting with a letter)",
            field="to",
        )
    return BookRef(book, group or None)


def named_books(to: Iterable[str]) -> list[BookRef]:
    """The distinct books and groups ``to`` names, in order (malformed entries left out)."""
    refs: dict[BookRef, None] = {}
    for entry in to:
        try:
            ref = book_ref(entry)
        except Rejected:
            continue
        if ref is not None:
            refs[ref] = None
    return list(refs)


# --- contacts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    number: str  # E.164
    name: str | None = None
    groups: tuple[str, ...] = ()  # sorted, each once
    fields: Mapping[str, str] = field(default_factory=dict)  # lower-case names

    def values(self) -> dict[str, str]:
        """What placeholders are filled with for this contact."""
        values = {**self.fields, "number": self.number}
        if self.name:
            values["name"] = self.name
        return values


@dataclass(frozen=True, slots=True, kw_only=True)
class BookSummary:
    name: str
    contacts: int
    groups: tuple[tuple[str, int], ...]  # (group, contacts), by name
    created_at: float


def make_contact(
    number: str,
    name: str | None = None,
    groups: Iterable[str] = (),
    fields: Mapping[str, str] | None = None,
    *,
    at: str = "",
) -> Contact:
    """A checked contact; ``at`` prefixes the field named by an error (``contacts[2].``).

    Raises: Rejected naming the field.
    """
    clean_name = (name or "").strip() or None
    if clean_name is not None and len(clean_name) > CONTACT_NAME_MAX:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"name is longer than {CONTACT_NAME_MAX} characters",
            field=f"{at}name",
        )
    clean_groups = sorted(
        {check_name(g.strip(), what="group", field=f"{at}groups") for g in groups}
    )
    if len(clean_groups) > MAX_GROUPS:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"at most {MAX_GROUPS} groups per contact",
            field=f"{at}groups",
        )
    return Contact(
        number=normalize_msisdn(number, field=f"{at}number"),
        name=clean_name,
        groups=tuple(clean_groups),
        fields=_fields(fields or {}, at),
    )


def _fields(fields: Mapping[str, str], at: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw, value in fields.items():
        key = raw.strip().lower()
        where = f"{at}fields.{raw}"
        if not FIELD_NAME.fullmatch(key) or key in RESERVED:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"field name {raw[:40]!r} must be a letter or '_' then up to 31 letters, digits "
                "or '_', and not number, name or groups",
                field=where,
            )
        if key in out:
            raise Rejected(RejectReason.INVALID_REQUEST, f"field {key!r} given twice", field=where)
        if len(value) > FIELD_VALUE_MAX:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"a field value is at most {FIELD_VALUE_MAX} characters",
                field=where,
            )
        if value.strip():
            out[key] = value
    if len(out) > MAX_FIELDS:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"at most {MAX_FIELDS} fields per contact",
            field=f"{at}fields",
        )
    return out


# --- expanding a send's recipients ------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    entry: str  # as given in ``to``
    number: str | None = None  # E.164, unless refused
    values: Mapping[str, str] = field(default_factory=dict)  # for the placeholders
    error: Rejected | None = None


NOT_SUPPORTED = "address books are not supported on this store in this version"


def expand_recipients(
    to: Sequence[str], books: Mapping[BookRef, Sequence[Contact] | None] | None
) -> list[Recipient]:
    """``to`` with every book or group replaced by its contacts, each number once.

    ``books`` holds the contacts of every reference ``named_books(to)`` gave
    (None: no such book), or is None when the store has no address books (then
    ``Book::Group`` is refused as not supported and a bare ``Book`` is read as
    a number). An entry given twice counts once. When a number comes both bare
    and from a book, it keeps its place and takes the contact's values.
    """
    out: list[Recipient] = []
    at: dict[str, int] = {}  # number → index in out
    for entry in dict.fromkeys(to):
        if books is None:
            if "::" in entry:
                out.append(Recipient(entry=entry, error=_unsupported()))
                continue
            found: Sequence[Recipient] = [_bare(entry)]
        else:
            found = _entry(entry, books)
        for r in found:
            if r.number is None:
                out.append(r)
            elif r.number not in at:
                at[r.number] = len(out)
                out.append(r)
            elif len(out[at[r.number]].values) == 1 and len(r.values) > 1:
                out[at[r.number]] = Recipient(
                    entry=out[at[r.number]].entry, number=r.number, values=r.values
                )
    return out


def _unsupported() -> Rejected:
    return Rejected(RejectReason.NOT_SUPPORTED, NOT_SUPPORTED, field="to")


def _bare(entry: str) -> Recipient:
    try:
        number = normalize_msisdn(entry)
    except Rejected as exc:
        return Recipient(entry=entry, error=exc)
    return Recipient(entry=entry, number=number, values={"number": number})


def _entry(entry: str, books: Mapping[BookRef, Sequence[Contact] | None]) -> list[Recipient]:
    try:
        ref = book_ref(entry)
    except Rejected as exc:
        return [Recipient(entry=entry, error=exc)]
    if ref is None:
        return [_bare(entry)]
    contacts = books.get(ref)
    if contacts:
        return [Recipient(entry=entry, number=c.number, values=c.values()) for c in contacts]
    if contacts is None:
        detail = f"no address book {ref.book!r}"
    elif ref.group is None:
        detail = f"address book {ref.book!r} has no contacts"
    else:
        detail = f"no contacts in group {ref.group!r} of address book {ref.book!r}"
    return [
        Recipient(
            entry=entry,
            error=Rejected(RejectReason.INVALID_DESTINATION, detail, field="to"),
        )
    ]


# --- templates --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str  # lower case


Piece = str | Placeholder


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    name: str
    text: str
    updated_at: float


def parse_template(text: str, *, field: str = "text") -> tuple[Piece, ...]:
    """The text as literal pieces and placeholders. Raises: Rejected(INVALID_TEXT)."""
    if not text:
        raise Rejected(RejectReason.INVALID_TEXT, "the template is empty", field=field)
    if len(text) > TEMPLATE_MAX:
        raise Rejected(RejectReason.INVALID_TEXT, f"at most {TEMPLATE_MAX} characters", field=field)
    pieces: list[Piece] = []
    literal: list[str] = []
    end = 0
    for m in _TOKEN.finditer(text):
        literal.append(text[end : m.start()])
        end = m.end()
        token = m.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        name = (m.group(1) or "").strip().lower()
        if token in ("{", "}") or not FIELD_NAME.fullmatch(name):
            raise Rejected(
                RejectReason.INVALID_TEXT,
                f"{token[:40]!r} at character {m.start() + 1} is not a placeholder: write "
                "{name}, {number} or {field} (letters, digits, '_'), and {{ or }} for a brace",
                field=field,
            )
        if "".join(literal):
            pieces.append("".join(literal))
        literal = []
        pieces.append(Placeholder(name))
    literal.append(text[end:])
    if "".join(literal):
        pieces.append("".join(literal))
    return tuple(pieces)


def placeholders(pieces: Iterable[Piece]) -> list[str]:
    """The placeholders of a parsed template, each once, in order."""
    return list(dict.fromkeys(p.name for p in pieces if isinstance(p, Placeholder)))


def render(pieces: Iterable[Piece], values: Mapping[str, str], *, field: str = "text") -> str:
    """The text for one recipient. Raises: Rejected(INVALID_TEXT) naming a placeholder
    with no value."""
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        value = values.get(piece.name)
        if not value:
            whose = values.get("number", "this recipient")
            raise Rejected(
                RejectReason.INVALID_TEXT,
                f"placeholder {{{piece.name}}} has no value for {whose}",
                field=field,
            )
        out.append(value)
    return "".join(out)
