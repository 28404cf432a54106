"""Command-line tools for sub-accounts (docs/api.md, "Sub-accounts").

``heliograph accounts create NAME --parent PARENT`` (in ``cli.py``) makes a
sub-account; ``heliograph accounts transfer CHILD AMOUNT`` moves credit from its
parent to it (a negative amount, after ``--``, moves it back), in one
transaction; ``heliograph accounts children PARENT`` lists a parent's
sub-accounts; ``heliograph accounts parent NAME [PARENT | --none]`` attaches an
account to a parent or makes it top level again. Registered on the ``accounts``
application by ``cli.py``; its shared helpers are looked up there when a
command runs, so that this module can be imported first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

T = TypeVar("T")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML file (default: ./heliograph.toml)")
]


def _base() -> Any:
    from heliograph import cli

    return cli


def _run(config: Path | None, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(gateway)`` on the database; a refusal exits with its detail (status 1
    for something missing or refused, 2 for bad input)."""
    from heliograph.domain.rejections import Rejected, RejectReason

    base = _base()
    cfg = base._config(config)

    async def job(gw: Any) -> T:
        try:
            return await work(gw)
        except Rejected as exc:
            field = f"{escape(exc.field)}: " if exc.field else ""
            base.err.print(f"[red]error[/red] {field}{escape(exc.detail)}")
            bad_input = exc.reason in (RejectReason.INVALID_REQUEST, RejectReason.INVALID_SENDER)
            raise typer.Exit(2 if bad_input else 1) from None

    result: T = base._store_command(cfg, job)
    return result


def transfer(
    child: Annotated[str, typer.Argument(help="The sub-account to fund")],
    amount: Annotated[
        str,
        typer.Argument(
            help="Amount to move from its parent, e.g. 25.50; back to the parent: -- -5"
        ),
    ],
    config: ConfigOpt = None,
) -> None:
    """Move credit from CHILD's parent to CHILD (or back), both balances in one transaction."""
    from heliograph.domain.pricing import from_micros, parse_amount, to_micros

    async def work(gw: Any) -> tuple[Any, Any, str]:
        micros = to_micros(parse_amount(amount))
        account = await gw.accounts.named(child)
        parent, kid = await gw.subaccounts.transfer(account, micros)
        return parent, kid, await gw.subaccounts.parent_name(account)

    parent, kid, parent_name = _run(config, work)
    base = _base()
    base.console.print(
        f"{child}: balance {from_micros(kid.balance_micros)} {kid.currency}; "
        f"{parent_name}: balance {from_micros(parent.balance_micros)} {parent.currency}"
    )


def children(
    parent: Annotated[str, typer.Argument(help="The parent account")],
    config: ConfigOpt = None,
) -> None:
    """List an account's sub-accounts and their balances."""
    from heliograph.domain.pricing import from_micros

    async def work(gw: Any) -> list[tuple[Any, Any]]:
        owner = await gw.accounts.named(parent)
        kids = await gw.subaccounts.children(owner)
        return [(k, await gw.store.balance(k.id)) for k in kids]

    rows = _run(config, work)
    table = Table(title=f"Sub-accounts of {parent}")
    for col in ("name", "id", "balance", "disabled"):
        table.add_column(col)
    for account, balance in rows:
        table.add_row(
            account.name,
            account.id,
            f"{from_micros(balance.balance_micros)} {balance.currency}",
            "yes" if account.disabled else "no",
        )
    _base().console.print(table)


def set_parent(
    name: Annotated[str, typer.Argument(help="The account to attach or detach")],
    parent: Annotated[str | None, typer.Argument(help="Its new parent account")] = None,
    none: Annotated[bool, typer.Option("--none", help="Make it a top-level account")] = False,
    config: ConfigOpt = None,
) -> None:
    """Make NAME a sub-account of PARENT, or a top-level account again with --none."""
    if (parent is None) != none:
        _base().err.print("[red]error[/red] give PARENT or --none")
        raise typer.Exit(2)

    async def work(gw: Any) -> Any:
        account = await gw.accounts.named(name)
        new_parent = await gw.accounts.named(parent, field="parent") if parent else None
        return await gw.subaccounts.set_parent(account, new_parent)

    _run(config, work)
    _base().console.print(
        f"{name} is a sub-account of {parent}" if parent else f"{name} is a top-level account"
    )


def register(accounts_app: typer.Typer) -> None:
    accounts_app.command("transfer")(transfer)
    accounts_app.command("children")(children)
    accounts_app.command("parent")(set_parent)
