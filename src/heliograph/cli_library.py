"""Command-line tools for the content library (docs/content.md, "Content library").

``heliograph library upload ACCOUNT FILE [--kind file|picture|logo] [--public]``
keeps a file and prints its library number; ``heliograph library list ACCOUNT``
and ``heliograph library remove ACCOUNT NUMBER`` work on the database like the
other local commands. Registered on the main application by ``cli.py``; its
shared helpers are looked up there when a command runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from heliograph.store.library import LibraryKind

T = TypeVar("T")

library_app = typer.Typer(help="Manage accounts' content library.", no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML file (default: ./heliograph.toml)")
]


def _base() -> Any:
    from heliograph import cli

    return cli


def _run(config: Path | None, account: str, work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run ``work(library service, account)`` on the database; a refusal exits with its
    detail (status 1 for something missing, 2 for bad input)."""
    from heliograph.domain.rejections import Rejected, RejectReason
    from heliograph.services.library import LibraryService
    from heliograph.store.sqlite_library import content_library

    base = _base()
    cfg = base._config(config)

    async def job(gw: Any) -> T:
        owner = await base._account_named(gw, account)
        try:
            return await work(LibraryService(content_library(gw.store), gw.clock), owner)
        except Rejected as exc:
            field = f"{exc.field}: " if exc.field else ""
            base.err.print(f"[red]error[/red] {escape(field)}{escape(exc.detail)}")
            raise typer.Exit(1 if exc.reason is RejectReason.NOT_FOUND else 2) from None

    result: T = base._store_command(cfg, job)
    return result


@library_app.command("upload")
def library_upload(
    account: str,
    file: Path,
    kind: Annotated[LibraryKind, typer.Option(help="file, picture or logo")] = LibraryKind.FILE,
    public: Annotated[
        bool, typer.Option(help="Every account may send it (admin accounts)")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Keep FILE in ACCOUNT's library and print its library number."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        _base().err.print(f"[red]error[/red] cannot read {escape(str(file))}: {escape(str(exc))}")
        raise typer.Exit(2) from None
    item = _run(
        config,
        account,
        lambda library, owner: library.upload(
            owner, data, file_name=file.name, kind=kind, public=public
        ),
    )
    _base().console.print(f"{item.number}")


@library_app.command("list")
def library_list(account: str, config: ConfigOpt = None) -> None:
    """List ACCOUNT's library items and the public ones."""
    items = _run(config, account, lambda library, owner: library.items(owner))
    if not items:
        _base().console.print(f"{account} has no library items")
        return
    table = Table("number", "kind", "file", "octets", "public", "added")
    for i in items:
        added = datetime.fromtimestamp(i.created_at, UTC).isoformat(timespec="seconds")
        table.add_row(
            str(i.number),
            i.kind.value,
            Text(i.file_name or ""),
            str(len(i.data)),
            "yes" if i.public else "",
            added,
        )
    _base().console.print(table)


@library_app.command("remove")
def library_remove(account: str, number: int, config: ConfigOpt = None) -> None:
    """Remove library item NUMBER."""
    _run(config, account, lambda library, owner: library.remove(owner, number))
    _base().console.print(f"library number {number} removed")


def register(app: typer.Typer) -> None:
    """Add these commands to the main application."""
    app.add_typer(library_app, name="library")
