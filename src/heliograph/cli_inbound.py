"""Command-line tools for routes, opt-outs, test mode and MO simulation (docs/inbound.md).

``heliograph routes mo add|list|remove`` manage MO routes; ``heliograph routes
test`` (also ``heliograph route test``) shows which connector and price an MT
message would take; ``heliograph optouts list|add|remove`` and ``heliograph
accounts test-mode`` work on the database like the other local commands;
``heliograph simulate mo`` asks a running gateway to make up an MO. Registered
on the main application by ``cli.py``; its shared helpers are looked up there
when a command runs, so that this module can be imported first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

routes_app = typer.Typer(
    help="MO routes, and which route an MT message takes.", no_args_is_help=True
)
mo_routes_app = typer.Typer(
    help="Manage MO routes (number, keyword → account).", no_args_is_help=True
)
routes_app.add_typer(mo_routes_app, name="mo")
optouts_app = typer.Typer(help="Manage accounts' opt-out lists.", no_args_is_help=True)
simulate_app = typer.Typer(help="Try the gateway without an SMSC.", no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML file (default: ./heliograph.toml)")
]
UrlOpt = Annotated[str, typer.Option("--url", envvar="HELIOGRAPH_URL", help="Gateway base URL")]
KeyOpt = Annotated[
    str, typer.Option("--api-key", envvar="HELIOGRAPH_API_KEY", help="API key of the account")
]


def _base() -> Any:
    from heliograph import cli

    return cli


def _checked(value: Any) -> Any:
    """Validate with a domain function; a refusal exits with status 2 and its detail."""
    from heliograph.domain.rejections import Rejected

    try:
        return value()
    except Rejected as exc:
        _base().err.print(f"[red]error[/red] {exc.field or ''}: {exc.detail}")
        raise typer.Exit(2) from None


@mo_routes_app.command("add")
def routes_mo_add(
    number: Annotated[str, typer.Argument(help="+447700900000, a prefix 4477009* or * for all")],
    account: str,
    keyword: Annotated[str | None, typer.Option(help="Only MO whose first word is this")] = None,
    method: Annotated[
        str,
        typer.Option(help="http (callback URL), smpp (receiver binds) or email (its address)"),
    ] = "http",
    url: Annotated[str | None, typer.Option(help="http: URL (default: the account's)")] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="http: json (the REST event, default) or a dialect's request: ozeki, "
            "ozeki:post, smsc, mxtelecom, kannel (URL is the get-url pattern), kannel:noreply",
        ),
    ] = "json",
    config: ConfigOpt = None,
) -> None:
    """Route MO sent to NUMBER (optionally starting with a keyword) to ACCOUNT."""
    from heliograph.domain.inbound import mo_route_spec

    base = _base()
    cfg = base._config(config)
    fmt = _checked(lambda: _mo_format(format))
    spec = _checked(
        lambda: mo_route_spec(number, keyword=keyword, method=method, url=url, format=fmt)
    )

    async def work(gw: Any) -> Any:
        owner = await base._account_named(gw, account)
        return await gw.store.add_mo_route(spec, owner.id, gw.clock.now())

    route = base._store_command(cfg, work)
    how = route.url or {
        "http": "the account's callback URL",
        "smpp": "its receiver binds",
        "email": "the account's e-mail address",
    }.get(route.method, "")
    base.console.print(
        f"route {route.id}: {route.number}"
        + (f" keyword {route.keyword!r}" if route.keyword else "")
        + f" → {account} by {route.method} ({how})"
        + (f" in {route.format} format" if route.format != "json" else "")
    )


def _mo_format(value: str) -> str:
    """``--format``: json, or a dialect whose MO renderer is registered (``<name>-mo``).

    Raises: Rejected(INVALID_REQUEST).
    """
    from heliograph.domain.inbound import JSON_FORMAT
    from heliograph.domain.rejections import Rejected, RejectReason
    from heliograph.servers.http.dialects import callback_renderers

    name, colon, params = value.strip().partition(":")
    name = name.lower().removesuffix("-mo")
    if name == JSON_FORMAT and not colon:
        return JSON_FORMAT
    known = sorted(
        n.removesuffix("-mo") for n in callback_renderers() if n.endswith("-mo") and ":" not in n
    )
    if name not in known:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"unknown MO format {value!r}: json or one of {', '.join(known)}",
            field="format",
        )
    return f"{name}{colon}{params}"


@mo_routes_app.command("list")
def routes_mo_list(config: ConfigOpt = None) -> None:
    """List MO routes."""
    base = _base()
    cfg = base._config(config)

    async def work(gw: Any) -> tuple[list[Any], dict[str, str]]:
        routes = await gw.store.mo_routes()
        names = {a.id: a.name for a in await gw.store.list_accounts()}
        return routes, names

    routes, names = base._store_command(cfg, work)
    table = Table()
    for col in ("id", "number", "keyword", "account", "method", "url", "format"):
        table.add_column(col)
    for r in routes:
        table.add_row(
            str(r.id),
            r.number,
            r.keyword or "",
            names.get(r.account_id, r.account_id),
            r.method.value,
            r.url or ("(account callback URL)" if r.method == "http" else ""),
            r.format if r.method == "http" else "",
        )
    base.console.print(table)


@mo_routes_app.command("remove")
def routes_mo_remove(route_id: int, config: ConfigOpt = None) -> None:
    """Remove an MO route."""
    base = _base()
    cfg = base._config(config)

    async def work(gw: Any) -> bool:
        removed: bool = await gw.store.remove_mo_route(route_id)
        return removed

    if not base._store_command(cfg, work):
        base.err.print(f"[red]no MO route {route_id}[/red]")
        raise typer.Exit(1)
    base.console.print(f"route {route_id} removed")


@routes_app.command("test")
def routes_test(
    to: Annotated[str, typer.Option("--to", help="Destination number")],
    account: Annotated[str, typer.Option("--account", help="Sending account")],
    text: Annotated[str | None, typer.Option(help="Count parts and total price")] = None,
    config: ConfigOpt = None,
) -> None:
    """Show which connector and price an MT message to --to from --account would take."""
    from heliograph.domain.addresses import normalize_msisdn
    from heliograph.domain.pricing import PriceList, from_micros, merge
    from heliograph.domain.routing import NoRoute, RouteQuery, best_route, select
    from heliograph.domain.submission import count_text_parts

    base = _base()
    cfg = base._config(config)
    number = _checked(lambda: normalize_msisdn(to))
    parts = _checked(lambda: count_text_parts(text, "auto", 255)[1]) if text else 1

    async def work(gw: Any) -> tuple[Any, Any, Any, set[str], str]:
        owner = await base._account_named(gw, account)
        own, default = await gw.store.price_lists(owner.id)
        return (
            owner,
            merge(PriceList(prices=own), PriceList(prices=default)),
            await gw.store.account_modes(owner.id),
            await gw.store.opted_out(owner.id, [number]),
            (await gw.store.balance(owner.id)).currency,
        )

    owner, prices, modes, opted_out, currency = base._store_command(cfg, work)
    gw_routes = _routes(cfg)
    query = RouteQuery(account_id=owner.id, account_name=owner.name)
    choice = select(gw_routes, number, {c.name for c in cfg.connectors}, part=query)
    rows = [("to", number), ("account", owner.name)]
    if isinstance(choice, NoRoute):
        rows.append(("route", f"none: {choice.reason}"))
    else:
        route = best_route(gw_routes, number, query)
        assert route is not None
        if route.name:
            rows.append(("route", f"{route.name} ({route.strategy.value})"))
        rows.append(("connector", choice))
        others = [c for c in route.connectors if c != choice]
        if others:
            rows.append(("also in the route", ", ".join(others)))
    price = prices.price_micros(number)
    if not prices.enforced:
        rows.append(("price per part", "free (no price list)"))
    elif price is None:
        rows.append(("price per part", "none: the message would be refused (no_route)"))
    else:
        rows.append(("price per part", f"{from_micros(price)} {currency}"))
        if text:
            rows.append(("parts", str(parts)))
            rows.append(("price", f"{from_micros(price * parts)} {currency}"))
    if modes.test_mode:
        rows.append(("test mode", "on: the built-in 'test' connector takes it, nothing is charged"))
    if opted_out:
        rows.append(("opted out", f"yes: {number} is on {owner.name}'s opt-out list"))
    table = Table(show_header=False)
    table.add_column()
    table.add_column()
    for key, value in rows:
        table.add_row(key, str(value))
    base.console.print(table)


def _routes(cfg: Any) -> list[Any]:
    from heliograph.app import mt_routes

    routes: list[Any] = mt_routes(cfg)
    return routes


@optouts_app.command("list")
def optouts_list(
    account: str,
    limit: Annotated[int, typer.Option(help="At most this many")] = 1000,
    config: ConfigOpt = None,
) -> None:
    """List an account's opt-out list with the consent record of each number."""
    from datetime import UTC, datetime

    base = _base()
    cfg = base._config(config)

    async def work(gw: Any) -> list[Any]:
        owner = await base._account_named(gw, account)
        rows: list[Any] = await gw.store.optouts(owner.id, after=None, limit=limit)
        return rows

    rows = base._store_command(cfg, work)
    if not rows:
        base.console.print(f"{account} has no opt-outs")
        return
    table = Table()
    for col in ("number", "since", "source", "keyword", "mo id", "reason"):
        table.add_column(col)
    for o in rows:
        since = datetime.fromtimestamp(o.since, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        table.add_row(
            o.number, since, o.source.value, o.keyword or "", o.mo_id or "", o.reason or ""
        )
    base.console.print(table)


def _consent(account: str, number: str, opt_out: bool, reason: str | None, config: Any) -> bool:
    from heliograph.domain.optout import (
        Consent,
        ConsentAction,
        ConsentSource,
        check_reason,
        optout_number,
    )

    base = _base()
    cfg = base._config(config)
    value = _checked(lambda: optout_number(number))
    why = _checked(lambda: check_reason(reason))

    async def work(gw: Any) -> bool:
        owner = await base._account_named(gw, account)
        changed: bool = await gw.store.record_consent(
            Consent(
                account_id=owner.id,
                number=value,
                action=ConsentAction.OPT_OUT if opt_out else ConsentAction.OPT_IN,
                at=gw.clock.now(),
                source=ConsentSource.CLI,
                reason=why,
            )
        )
        return changed

    changed: bool = base._store_command(cfg, work)
    return changed


@optouts_app.command("add")
def optouts_add(
    account: str,
    number: str,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the consent record)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Put NUMBER on ACCOUNT's opt-out list."""
    changed = _consent(account, number, True, reason, config)
    _base().console.print(f"{number} {'is now' if changed else 'was already'} opted out")


@optouts_app.command("remove")
def optouts_remove(
    account: str,
    number: str,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the consent record)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Take NUMBER off ACCOUNT's opt-out list."""
    if not _consent(account, number, False, reason, config):
        _base().err.print(f"[red]{number} was not on {account}'s opt-out list[/red]")
        raise typer.Exit(1)
    _base().console.print(f"{number} removed from {account}'s opt-out list")


def accounts_test_mode(
    name: str,
    state: Annotated[str, typer.Argument(help="on or off")],
    config: ConfigOpt = None,
) -> None:
    """Turn test mode on or off for an account (nothing sent upstream, nothing charged)."""
    base = _base()
    if state not in ("on", "off"):
        base.err.print("[red]error[/red] give on or off")
        raise typer.Exit(2)
    cfg = base._config(config)

    async def work(gw: Any) -> None:
        owner = await base._account_named(gw, name)
        await gw.store.set_test_mode(owner.id, state == "on")

    base._store_command(cfg, work)
    base.console.print(f"test mode {state} for {name} (a running gateway follows within 10 s)")


@simulate_app.command("mo")
def simulate_mo(
    sender: Annotated[str, typer.Option("--from", help="The subscriber's number")],
    to: Annotated[str, typer.Option("--to", help="The number texted (an MO route's)")],
    text: Annotated[str, typer.Option("--text", help="Message text")],
    connector: Annotated[str, typer.Option(help="A loopback connector")] = "loopback",
    url: UrlOpt = "http://127.0.0.1:8080",
    api_key: KeyOpt = "",
) -> None:
    """Make up an MO on a loopback connector of a running gateway, as if a subscriber sent it."""
    import json

    base = _base()
    base._need_key(api_key)
    body = {"from": sender, "to": to, "text": text, "connector": connector}
    status, answer = base._call(url, api_key, "POST", "/v1/simulate/mo", body)
    print(json.dumps(answer, indent=2))
    if status != 202:
        raise typer.Exit(1)


def register(app: typer.Typer, accounts_app: typer.Typer) -> None:
    """Add these commands to the main application."""
    app.add_typer(routes_app, name="routes")
    app.add_typer(routes_app, name="route", hidden=True)
    app.add_typer(optouts_app, name="optouts")
    app.add_typer(simulate_app, name="simulate")
    accounts_app.command("test-mode")(accounts_test_mode)
