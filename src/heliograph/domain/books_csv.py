"""Contacts from a CSV file (RFC 4180, as spreadsheets write it), for ``books import``.

A header row names the columns: ``number`` (required), ``name``, ``groups``
(several separated by ``;``) and any other column, a field of the contact
(its name lower-cased, as placeholders are matched). A file without a header
row has the columns number[,name][,groups]. Every row is checked with
``domain.books.make_contact``; a bad row is refused with its line and reason
and the others are kept; a number given twice is refused on its second line.
A UTF-8 byte order mark is ignored. Pure: the caller reads the file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from heliograph.domain.books import FIELD_NAME, RESERVED, Contact, make_contact
from heliograph.domain.rejections import Rejected, RejectReason


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvContacts:
    contacts: tuple[Contact, ...]
    refused: tuple[tuple[int, str], ...]  # (line, why)


def parse_contacts_csv(text: str) -> CsvContacts:
    """Contacts from CSV: a header row naming ``number`` and optionally ``name``,
    ``groups`` (``a;b``) and any other column (a field); without a header, the
    columns are number[,name][,groups]. A bad row is refused with its line and
    reason; the others are kept.

    Raises: Rejected(INVALID_REQUEST) for a file that cannot be read as a whole.
    """
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        first = next(r for r in rows if any(c.strip() for c in r))
    except StopIteration:
        raise Rejected(RejectReason.INVALID_REQUEST, "the file has no rows", field="file") from None
    except csv.Error as exc:
        raise Rejected(RejectReason.INVALID_REQUEST, f"not CSV: {exc}", field="file") from exc
    header = [c.strip().lower() for c in first]
    if "number" in header:
        columns = _header(header)
        pending: list[tuple[int, list[str]]] = []
    else:
        if len(first) > 3:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "without a header row the columns are number, name, groups; give a header "
                "row (number,name,groups,<field>...) for fields",
                field="file",
            )
        columns = ["number", "name", "groups"][: len(first)]
        pending = [(rows.line_num, first)]
    contacts: dict[str, Contact] = {}
    lines: dict[str, int] = {}
    refused: list[tuple[int, str]] = []
    try:
        for line, row in [*pending, *((rows.line_num, r) for r in rows)]:
            if not any(c.strip() for c in row):
                continue
            try:
                contact = _row(columns, row)
            except Rejected as exc:
                refused.append((line, f"{exc.field}: {exc.detail}" if exc.field else exc.detail))
                continue
            if contact.number in contacts:
                refused.append((line, f"{contact.number} is on line {lines[contact.number]} too"))
                continue
            contacts[contact.number] = contact
            lines[contact.number] = line
    except csv.Error as exc:
        raise Rejected(
            RejectReason.INVALID_REQUEST, f"line {rows.line_num}: {exc}", field="file"
        ) from exc
    return CsvContacts(contacts=tuple(contacts.values()), refused=tuple(refused))


def _header(header: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise Rejected(
                RejectReason.INVALID_REQUEST, f"column {name!r} is there twice", field="file"
            )
        seen.add(name)
        if name not in RESERVED and not FIELD_NAME.fullmatch(name):
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"column {name[:40]!r} is no field name (a letter or '_' then letters, digits "
                "or '_')",
                field="file",
            )
    return header


def _row(columns: list[str], row: list[str]) -> Contact:
    if len(row) > len(columns):
        raise Rejected(
            RejectReason.INVALID_REQUEST, f"{len(row)} columns, the header has {len(columns)}"
        )
    cells = dict(zip(columns, (c.strip() for c in row), strict=False))
    return make_contact(
        cells.get("number", ""),
        cells.get("name"),
        [g for g in cells.get("groups", "").split(";") if g.strip()],
        {k: v for k, v in cells.items() if k not in RESERVED},
    )
