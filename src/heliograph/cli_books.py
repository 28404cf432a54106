"""Command-line tools for address books and templates (docs/books.md).

``heliograph books import ACCOUNT BOOK FILE.csv`` adds or replaces contacts
from CSV and prints what was imported and which rows were refused (exit status
1 when any row was refused; the others are imported all the same);
``heliograph books list|contacts|remove`` and ``heliograph templates
set|list|remove`` work on the database like the other local commands.
Registered on the main application by ``cli.py``; its shared helpers are looked
up there when a command runs, so that this module can be imported first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

T = TypeVar("T")

books_app = typer.Typer(help="Manage accounts' address books.", no_args_is_help=True)
templates_app = typer.Typer(help="Manage accounts' message templates.", no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML file (default: ./heliograph.toml)")
]


def _base() -> Any:
    from heliograph import cli

    return cli


def _run(config: Path | None, account: str, work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run ``work(books service, account id)`` on the database; a refusal exits with its
    detail (status 1 for something missing, 2 for bad input)."""
    from heliograph.domain.rejections import Rejected, RejectReason

    base = _base()
    cfg = base._config(config)

    async def job(gw: Any) -> T:
        owner = await base._account_named(gw, account)
        try:
            return await work(gw.books, owner.id)
        except Rejected as exc:
            base.err.print(f"[red]error[/red] {escape(exc.field or '')}: {escape(exc.detail)}")
            raise typer.Exit(1 if exc.reason is RejectReason.NOT_FOUND else 2) from None

    result: T = base._store_command(cfg, job)
    return result


@books_app.command("import")
def books_import(
    account: str,
    book: str,
    file: Annotated[Path, typer.Argument(help="CSV: number[,name][,groups as a;b][,<field>...]")],
    config: ConfigOpt = None,
) -> None:
    """Add or replace contacts of BOOK (created if new) from a CSV file."""
    base = _base()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        base.err.print(f"[red]error[/red] cannot read {escape(str(file))}: {escape(str(exc))}")
        raise typer.Exit(2) from None
    done = _run(config, account, lambda books, owner: books.import_csv(owner, book, text))
    base.console.print(
        f"{done.added + done.updated} contacts imported into {escape(book)} "
        f"({done.added} added, {done.updated} updated), {len(done.refused)} rows refused"
    )
    if done.refused:
        table = Table("line", "refused because")
        for line, why in done.refused:
            table.add_row(str(line), Text(why))
        base.console.print(table)
        raise typer.Exit(1)


@books_app.command("list")
def books_list(account: str, config: ConfigOpt = None) -> None:
    """List ACCOUNT's address books with their contacts and groups."""
    base = _base()
    books = _run(config, account, lambda books, owner: books.list_books(owner))
    if not books:
        base.console.print(f"{account} has no address books")
        return
    table = Table("book", "contacts", "groups")
    for b in books:
        groups = ", ".join(f"{g} ({n})" for g, n in b.groups)
        table.add_row(Text(b.name), str(b.contacts), Text(groups))
    base.console.print(table)


@books_app.command("contacts")
def books_contacts(
    account: str,
    book: str,
    group: Annotated[str | None, typer.Option(help="Only the contacts of this group")] = None,
    limit: Annotated[int, typer.Option(help="At most this many")] = 1000,
    config: ConfigOpt = None,
) -> None:
    """List the contacts of BOOK."""
    page, more = _run(
        config, account, lambda books, owner: books.contacts(owner, book, group=group, limit=limit)
    )
    table = Table("number", "name", "groups", "fields")
    for c in page:
        fields = ", ".join(f"{k}={v}" for k, v in sorted(c.fields.items()))
        table.add_row(c.number, Text(c.name or ""), Text(";".join(c.groups)), Text(fields))
    _base().console.print(table)
    if more is not None:
        _base().console.print(f"(more after {more}: raise --limit)")


@books_app.command("remove")
def books_remove(account: str, book: str, config: ConfigOpt = None) -> None:
    """Remove BOOK and all its contacts."""
    _run(config, account, lambda books, owner: books.delete_book(owner, book))
    _base().console.print(f"address book {book} removed")


@templates_app.command("set")
def templates_set(account: str, name: str, text: str, config: ConfigOpt = None) -> None:
    """Create or replace template NAME: TEXT with {name}, {number} and {field} placeholders."""
    _, created = _run(config, account, lambda books, owner: books.set_template(owner, name, text))
    _base().console.print(f"template {name} {'created' if created else 'replaced'}")


@templates_app.command("list")
def templates_list(account: str, config: ConfigOpt = None) -> None:
    """List ACCOUNT's templates."""
    base = _base()
    templates = _run(config, account, lambda books, owner: books.templates(owner))
    if not templates:
        base.console.print(f"{account} has no templates")
        return
    table = Table("name", "text")
    for t in templates:
        table.add_row(Text(t.name), Text(t.text))
    base.console.print(table)


@templates_app.command("remove")
def templates_remove(account: str, name: str, config: ConfigOpt = None) -> None:
    """Remove template NAME."""
    _run(config, account, lambda books, owner: books.delete_template(owner, name))
    _base().console.print(f"template {name} removed")


def register(app: typer.Typer) -> None:
    """Add these commands to the main application."""
    app.add_typer(books_app, name="books")
    app.add_typer(templates_app, name="templates")
