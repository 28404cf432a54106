"""The ``heliograph`` command line.

Local commands read the configuration and open the store themselves (serve,
migrate, accounts, config show). Commands that talk to a running gateway
(send, status) take ``--url`` and ``--api-key``, or ``HELIOGRAPH_URL`` and
``HELIOGRAPH_API_KEY``. Invalid configuration exits with status 2 after one
line naming the key; nothing is started.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from heliograph import __version__
from heliograph.cli_books import register as register_books
from heliograph.cli_content import register as register_content
from heliograph.cli_inbound import register as register_inbound
from heliograph.cli_library import register as register_library
from heliograph.cli_subaccounts import register as register_subaccounts
from heliograph.config import Config, ConfigError, as_dict, load, redact_url

T = TypeVar("T")

app = typer.Typer(help="Heliograph SMS gateway.", no_args_is_help=True, add_completion=False)
accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(config_app, name="config")
prices_app = typer.Typer(
    help="Manage price lists (price per part by destination).", no_args_is_help=True
)
app.add_typer(prices_app, name="prices")
senders_app = typer.Typer(help="Manage the sender ids accounts may use.", no_args_is_help=True)
app.add_typer(senders_app, name="senders")
text_app = typer.Typer(help="Text encoding tools.", no_args_is_help=True)
app.add_typer(text_app, name="text")
register_inbound(app, accounts_app)  # routes, optouts, simulate, accounts test-mode
register_books(app)  # books, templates: docs/books.md
register_library(app)  # library: docs/content.md
register_subaccounts(accounts_app)  # accounts transfer, children, parent: docs/api.md
register_content(app)  # content upload, mms build|decode: docs/content.md

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML file (default: ./heliograph.toml)")
]
UrlOpt = Annotated[str, typer.Option("--url", envvar="HELIOGRAPH_URL", help="Gateway base URL")]
KeyOpt = Annotated[
    str, typer.Option("--api-key", envvar="HELIOGRAPH_API_KEY", help="API key of the account")
]


def _config(path: Path | None) -> Config:
    try:
        return load(str(path) if path else None)
    except ConfigError as exc:
        err.print(f"[red]configuration error[/red] {exc}")
        raise typer.Exit(2) from None


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)
    return uvloop.run(coro)


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
def serve(config: ConfigOpt = None) -> None:
    """Run the gateway until SIGTERM or Ctrl-C (a second signal exits at once)."""
    from heliograph.app import Gateway

    cfg = _config(config)
    _setup_logging(cfg.log_level)
    try:
        gateway = Gateway(cfg)
    except ConfigError as exc:
        err.print(f"[red]configuration error[/red] {exc}")
        raise typer.Exit(2) from None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if stop.is_set():
                os._exit(130)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        await gateway.run(stop)

    _run(main())


@app.command()
def migrate(config: ConfigOpt = None) -> None:
    """Create or upgrade the database schema."""
    from heliograph.app import open_store

    cfg = _config(config)

    async def main() -> None:
        store = open_store(cfg)
        await store.open()
        await store.close()

    _run(main())
    console.print(f"schema up to date: {redact_url(cfg.store_url)}")


def _with_gateway(cfg: Config, work: Callable[[Any], Awaitable[T]]) -> T:
    from heliograph.app import Gateway

    async def main() -> T:
        gateway = Gateway(cfg)
        await gateway.store.open()
        try:
            return await work(gateway)
        finally:
            await gateway.store.close()

    return _run(main())


@accounts_app.command("create")
def accounts_create(
    name: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    callback_url: Annotated[
        str | None, typer.Option(help="Default callback URL for status events")
    ] = None,
    parent: Annotated[
        str | None, typer.Option(help="Make it a sub-account of this account")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Create an account and print, once, every credential it can use."""
    from heliograph.domain.rejections import Rejected

    cfg = _config(config)

    async def work(gw: Any) -> Any:
        if parent is None:
            return await gw.create_account(name, callback_url)
        owner = await gw.accounts.named(parent, field="parent")
        return await gw.subaccounts.create(owner, name, callback_url=callback_url)

    try:
        new = _with_gateway(cfg, work)
    except Rejected as exc:
        err.print(f"[red]error[/red] {exc.detail}")
        raise typer.Exit(1) from None
    data = new.as_json()
    if as_json:
        print(json.dumps(data))
        return
    table = Table(title=f"Account {name} (credentials are shown only this once)")
    table.add_column("credential")
    table.add_column("value")
    for key, value in data.items():
        table.add_row(key, value)
    console.print(table)


@accounts_app.command("keys")
def accounts_keys(name: str, config: ConfigOpt = None) -> None:
    """List an account's API keys (by id: the start of their hash)."""
    cfg = _config(config)

    async def work(gw: Any) -> list[Any]:
        keys: list[Any] = await gw.accounts.api_keys(await gw.accounts.named(name))
        return keys

    for key in _admin_command(cfg, work):
        state = "revoked" if key.revoked else "active"
        console.print(f"{key.lookup[:16]}  {state}")


@accounts_app.command("key-add")
def accounts_key_add(name: str, config: ConfigOpt = None) -> None:
    """Give an account one more API key (printed once)."""
    cfg = _config(config)

    async def work(gw: Any) -> str:
        key: str = await gw.accounts.add_api_key(await gw.accounts.named(name))
        return key

    print(_admin_command(cfg, work))


@accounts_app.command("key-revoke")
def accounts_key_revoke(name: str, key_id: str, config: ConfigOpt = None) -> None:
    """Revoke an API key (takes effect within ten seconds on running gateways)."""
    cfg = _config(config)

    async def work(gw: Any) -> None:
        await gw.accounts.revoke_api_key(await gw.accounts.named(name), key_id)

    _admin_command(cfg, work)
    console.print(f"key {key_id} of {name} revoked")


@accounts_app.command("set")
def accounts_set(
    name: str,
    callback_url: Annotated[str | None, typer.Option(help="Default callback URL")] = None,
    no_callback_url: Annotated[bool, typer.Option(help="Remove the callback URL")] = False,
    allow_ip: Annotated[
        list[str] | None, typer.Option(help="Address or network it may connect from (repeat)")
    ] = None,
    any_ip: Annotated[bool, typer.Option(help="Remove the address restriction")] = False,
    disabled: Annotated[bool | None, typer.Option("--disable/--enable")] = None,
    admin: Annotated[bool | None, typer.Option("--admin/--no-admin")] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            help='Its own protective rules as JSON, e.g. \'{"rate_per_s": 5, "duplicates": '
            'false, "quiet_hours": "22:00-07:00"}\'; {} for the gateway\'s'
        ),
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="Address replies and receipts are mailed to")
    ] = None,
    no_email: Annotated[bool, typer.Option(help="Remove the e-mail address")] = False,
    email_receipts: Annotated[
        str | None,
        typer.Option(help="Mail status events: off, also (besides the callback URL) or only"),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Change an account's settings."""
    from heliograph.domain.accounts import ReceiptMail, parse_allowlist, parse_email, parse_rules
    from heliograph.store.base import AccountChanges

    cfg = _config(config)
    try:
        allowlist = () if any_ip else (parse_allowlist(allow_ip) if allow_ip else None)
    except ValueError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        own_rules = parse_rules(json.loads(rules)) if rules is not None else None
    except (ValueError, AttributeError) as exc:
        err.print(f"[red]error[/red] --rules: {exc}")
        raise typer.Exit(2) from None
    try:
        address = parse_email(email, field="--email") if email is not None else None
    except ValueError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(2) from None
    if email_receipts is not None and email_receipts not in set(ReceiptMail):
        err.print("[red]error[/red] --email-receipts: must be off, also or only")
        raise typer.Exit(2)
    receipts = ReceiptMail(email_receipts) if email_receipts is not None else None
    changes = AccountChanges(
        callback_url=callback_url,
        clear_callback_url=no_callback_url,
        disabled=disabled,
        is_admin=admin,
        ip_allowlist=allowlist,
        rules=own_rules,
        email=address,
        clear_email=no_email,
        email_receipts=receipts,
    )

    async def work(gw: Any) -> Any:
        return await gw.accounts.update(await gw.accounts.named(name), changes)

    account = _admin_command(cfg, work)
    console.print(
        f"{account.name}: callback {account.callback_url or '-'}, "
        f"{'disabled' if account.disabled else 'enabled'}, "
        f"{'admin, ' if account.is_admin else ''}"
        f"from {', '.join(account.ip_allowlist) or 'anywhere'}, "
        f"rules {json.dumps(account.rules.as_dict())}, "
        f"e-mail {account.email or '-'} (receipts {account.email_receipts.value})"
    )


def _admin_command(cfg: Config, work: Callable[[Any], Awaitable[T]]) -> T:
    from heliograph.domain.rejections import Rejected

    try:
        return _store_command(cfg, work)
    except Rejected as exc:
        err.print(f"[red]error[/red] {exc.detail}")
        raise typer.Exit(1) from None


@accounts_app.command("list")
def accounts_list(config: ConfigOpt = None) -> None:
    """List accounts."""
    cfg = _config(config)
    accounts = _with_gateway(cfg, lambda gw: gw.store.list_accounts())
    names = {a.id: a.name for a in accounts}
    table = Table()
    for col in ("name", "id", "callback_url", "disabled", "parent"):
        table.add_column(col)
    for a in accounts:
        parent = names.get(a.parent_id, a.parent_id) if a.parent_id else ""
        table.add_row(a.name, a.id, a.callback_url or "", "yes" if a.disabled else "no", parent)
    console.print(table)


def _account_named(gw: Any, name: str) -> Any:
    async def find() -> Any:
        account = await gw.store.find_account(name)
        if account is None:
            err.print(f"[red]no account named {name!r}[/red]")
            raise typer.Exit(1)
        return account

    return find()


@accounts_app.command("credit")
def accounts_credit(
    name: str,
    amount: Annotated[
        str,
        typer.Argument(
            help="Amount to add, e.g. 25.50; to take, a negative amount after --: -- -5"
        ),
    ],
    config: ConfigOpt = None,
) -> None:
    """Add credit to an account (or take it, with a negative amount)."""
    from heliograph.domain.pricing import from_micros, parse_amount, to_micros
    from heliograph.domain.rejections import Rejected
    from heliograph.store.base import StoreError

    cfg = _config(config)
    try:
        micros = to_micros(parse_amount(amount))
    except Rejected as exc:
        err.print(f"[red]error[/red] {exc.detail}")
        raise typer.Exit(2) from None

    async def work(gw: Any) -> Any:
        account = await _account_named(gw, name)
        return await gw.store.adjust_balance(
            account.id, micros, "credit added by an operator", gw.clock.now()
        )

    try:
        balance = _with_gateway(cfg, work)
    except StoreError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"{name}: balance {from_micros(balance.balance_micros)} {balance.currency}")


@accounts_app.command("ledger")
def accounts_ledger(
    name: str,
    limit: Annotated[int, typer.Option(help="How many of the most recent rows")] = 50,
    config: ConfigOpt = None,
) -> None:
    """An account's balance, reserved amount and most recent ledger rows (newest first)."""
    from datetime import UTC, datetime

    from heliograph.domain.pricing import from_micros

    cfg = _config(config)

    async def work(gw: Any) -> Any:
        account = await _account_named(gw, name)
        return await gw.store.balance(account.id), await gw.store.ledger(account.id, limit=limit)

    balance, rows = _with_gateway(cfg, work)
    console.print(
        f"{name}: balance {from_micros(balance.balance_micros)} {balance.currency},"
        f" reserved {from_micros(balance.reserved_micros)}"
    )
    table = Table()
    for col in ("at (UTC)", "kind", "amount", "reserved", "balance", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            datetime.fromtimestamp(r.at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            r.kind.value,
            str(from_micros(r.amount_micros)),
            str(from_micros(r.reserve_change_micros)),
            str(from_micros(r.balance_micros)),
            r.reason,
        )
    console.print(table)


@prices_app.command("set")
def prices_set(
    prefix: Annotated[str, typer.Argument(help="Destination prefix (digits; '' = default)")],
    price: Annotated[str, typer.Argument(help="Price per part, e.g. 0.045")],
    account: Annotated[str | None, typer.Option(help="Only for this account")] = None,
    config: ConfigOpt = None,
) -> None:
    """Set the price per part for destinations starting with PREFIX."""
    from heliograph.domain.pricing import parse_amount, to_micros
    from heliograph.domain.rejections import Rejected
    from heliograph.store.base import StoreError

    cfg = _config(config)
    if prefix and not prefix.isdigit():
        err.print("[red]error[/red] the prefix is digits only (no '+'), or '' for the default")
        raise typer.Exit(2)
    try:
        micros = to_micros(parse_amount(price, field="price"))
    except Rejected as exc:
        err.print(f"[red]error[/red] {exc.detail}")
        raise typer.Exit(2) from None
    if micros < 0:
        err.print("[red]error[/red] a price cannot be negative")
        raise typer.Exit(2)

    async def work(gw: Any) -> None:
        owner = (await _account_named(gw, account)).id if account else None
        await gw.store.set_price(owner, prefix, micros)

    try:
        _with_gateway(cfg, work)
    except StoreError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"price for '{prefix}' set to {price}" + (f" for {account}" if account else ""))


@prices_app.command("list")
def prices_list(
    account: Annotated[str | None, typer.Option(help="The list in force for this account")] = None,
    config: ConfigOpt = None,
) -> None:
    """Show the gateway-wide price list, or the one in force for an account."""
    from heliograph.domain.pricing import from_micros

    cfg = _config(config)

    async def work(gw: Any) -> tuple[dict[str, int], dict[str, int]]:
        owner = (await _account_named(gw, account)).id if account else ""
        result: tuple[dict[str, int], dict[str, int]] = await gw.store.price_lists(owner)
        return result

    own, default = _with_gateway(cfg, work)
    table = Table()
    for col in ("prefix", "price per part", "from"):
        table.add_column(col)
    for prefix, micros in sorted({**default, **own}.items()):
        table.add_row(
            prefix or "(default)",
            str(from_micros(micros)),
            account if prefix in own and account else "gateway",
        )
    console.print(table)


@senders_app.command("add")
def senders_add(
    account: str,
    sender: str,
    default: Annotated[
        bool, typer.Option("--default", help="Use it when a request has no from")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Allow ACCOUNT to send from SENDER (once an account has one, it may use no other)."""
    from heliograph.domain.rejections import Rejected
    from heliograph.domain.senders import validate_sender

    cfg = _config(config)
    try:
        value = validate_sender(sender)
    except Rejected as exc:
        err.print(f"[red]error[/red] {exc.detail}")
        raise typer.Exit(2) from None

    async def work(gw: Any) -> None:
        owner = await _account_named(gw, account)
        await gw.store.add_sender(owner.id, value, default=default, now=gw.clock.now())

    _store_command(cfg, work)
    console.print(f"{account} may send from {value}" + (" (default)" if default else ""))


@senders_app.command("remove")
def senders_remove(account: str, sender: str, config: ConfigOpt = None) -> None:
    """Take a sender id away from an account."""
    cfg = _config(config)

    async def work(gw: Any) -> bool:
        owner = await _account_named(gw, account)
        removed: bool = await gw.store.remove_sender(owner.id, sender)
        return removed

    if not _store_command(cfg, work):
        err.print(f"[red]{account} has no sender id {sender!r}[/red]")
        raise typer.Exit(1)
    console.print(f"{account} may no longer send from {sender}")


@senders_app.command("list")
def senders_list(account: str, config: ConfigOpt = None) -> None:
    """List an account's sender ids."""
    cfg = _config(config)

    async def work(gw: Any) -> list[tuple[str, bool]]:
        owner = await _account_named(gw, account)
        rows: list[tuple[str, bool]] = await gw.store.senders(owner.id)
        return rows

    rows = _store_command(cfg, work)
    if not rows:
        console.print(f"{account} may send from any valid sender id")
    for sender, is_default in rows:
        console.print(sender + ("  (default)" if is_default else ""))


def _store_command(cfg: Config, work: Callable[[Any], Awaitable[T]]) -> T:
    from heliograph.store.base import StoreError

    try:
        return _with_gateway(cfg, work)
    except StoreError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from None


@text_app.command("split")
def text_split(
    text: str,
    encoding: Annotated[str, typer.Option(help="auto, gsm7, latin1 or ucs2")] = "auto",
    transliterate: Annotated[bool, typer.Option(help="Replace what cannot be carried")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Show how a text goes on the air: encoding, parts and what each part holds."""
    import msgspec

    from heliograph.domain.rejections import Rejected
    from heliograph.servers.http.preview import preview

    try:
        p = preview(text, encoding, transliterate)
    except Rejected as exc:
        err.print(f"[red]error[/red] {exc.detail}")
        raise typer.Exit(2) from None
    if as_json:
        print(msgspec.json.encode(p).decode())
        return
    console.print(
        f"{p.encoding} (data_coding 0x{p.data_coding:02X}): {p.characters} characters, "
        f"{p.parts} part{'s' if p.parts != 1 else ''}, {p.remaining} units left in the last"
    )
    if p.forced_ucs2:
        console.print("UCS-2 because of: " + " ".join(repr(c) for c in p.forced_ucs2))
    for i, part in enumerate(p.part_texts, 1):
        console.print(f"part {i}: {part!r}", markup=False)


@config_app.command("show")
def config_show(config: ConfigOpt = None) -> None:
    """Print the effective configuration (file + environment + defaults) as JSON."""
    cfg = _config(config)
    print(json.dumps(as_dict(cfg), indent=2))


def _call(url: str, api_key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
    except urllib.error.URLError as exc:
        err.print(f"[red]cannot reach {url}[/red]: {exc.reason}")
        raise typer.Exit(1) from None


def _need_key(api_key: str) -> None:
    if not api_key:
        err.print("[red]give --api-key or set HELIOGRAPH_API_KEY[/red]")
        raise typer.Exit(2)


def _send_csv(url: str, api_key: str, path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f)]
    if rows and not {"to", "text"} <= set(rows[0]):
        err.print("[red]the CSV needs the columns to,text (and optionally from)[/red]")
        raise typer.Exit(2)
    groups: dict[tuple[str, str | None], list[str]] = {}
    for row in rows:
        groups.setdefault((row["text"], row.get("from") or None), []).append(row["to"])
    accepted = rejected = 0
    with Progress(console=err) as progress:
        task = progress.add_task("sending", total=len(rows))
        for (text, sender), numbers in groups.items():
            for start in range(0, len(numbers), 1000):
                chunk = numbers[start : start + 1000]
                body: dict[str, Any] = {"to": chunk, "text": text}
                if sender:
                    body["from"] = sender
                status, answer = _call(url, api_key, "POST", "/v1/messages", body)
                if status == 202:
                    accepted += answer["accepted"]
                    rejected += answer["rejected"]
                else:
                    rejected += len(chunk)
                    err.print(f"[red]{len(chunk)} refused[/red]: {answer['error']['message']}")
                progress.advance(task, len(chunk))
    console.print(f"accepted: {accepted}  rejected: {rejected}")
    if rejected:
        raise typer.Exit(1)


@app.command()
def send(
    to: Annotated[list[str] | None, typer.Option("--to", help="Recipient (repeatable)")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Message text")] = None,
    sender: Annotated[str | None, typer.Option("--from", help="Sender id")] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="CSV with columns to,text[,from]")
    ] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    api_key: KeyOpt = "",
) -> None:
    """Send a message (or a CSV of messages) through a running gateway."""
    _need_key(api_key)
    if csv_file is not None:
        _send_csv(url, api_key, csv_file)
        return
    if not to or text is None:
        err.print("[red]give --to and --text, or --csv FILE[/red]")
        raise typer.Exit(2)
    body: dict[str, Any] = {"to": to, "text": text}
    if sender:
        body["from"] = sender
    status, answer = _call(url, api_key, "POST", "/v1/messages", body)
    print(json.dumps(answer, indent=2))
    if status != 202 or answer.get("rejected"):
        raise typer.Exit(1)


@app.command()
def status(message_id: str, url: UrlOpt = "http://127.0.0.1:8080", api_key: KeyOpt = "") -> None:
    """Show a message's status, parts and timestamps."""
    _need_key(api_key)
    code, answer = _call(url, api_key, "GET", f"/v1/messages/{message_id}")
    print(json.dumps(answer, indent=2))
    if code != 200:
        raise typer.Exit(1)


pdu_app = typer.Typer(help="SMPP PDU tools.", no_args_is_help=True)
app.add_typer(pdu_app, name="pdu")


@pdu_app.command("decode")
def pdu_decode(
    hex_: Annotated[
        str, typer.Argument(metavar="HEX", help="A whole PDU in hex (spaces and colons allowed)")
    ],
) -> None:
    """Print an SMPP PDU field by field, with what each value means."""
    from heliograph.servers.smpp.describe import describe_pdu, parse_hex
    from heliograph.wire.errors import DecodeError
    from heliograph.wire.smpp.constants import CommandStatus

    try:
        title, rows = describe_pdu(parse_hex(hex_))
    except ValueError as exc:
        err.print(f"[red]not hex[/red] {exc}")
        raise typer.Exit(2) from None
    except DecodeError as exc:
        try:
            status = CommandStatus(exc.status).name
        except ValueError:
            status = f"0x{exc.status:08x}"
        err.print(f"[red]not a valid PDU[/red] ({status}): {exc}")
        raise typer.Exit(1) from None
    table = Table(title=title, show_header=True)
    for column in ("field", "value", "meaning"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.field, row.value, row.meaning)
    console.print(table)


@app.command()
def connectors(url: UrlOpt = "http://127.0.0.1:8080", api_key: KeyOpt = "") -> None:
    """Show the binds and windows of every connector and SMPP client of a running gateway."""
    _need_key(api_key)
    code, answer = _call(url, api_key, "GET", "/v1/connectors")
    if code != 200:
        print(json.dumps(answer, indent=2))
        raise typer.Exit(1)
    table = Table(title="connectors")
    for column in ("connector", "ready", "bind", "mode", "state", "peer", "window", "sent"):
        table.add_column(column, overflow="fold")
    table.add_column("last error", overflow="fold")
    for c in answer["connectors"]:
        binds = c["binds"] or [None]
        for b in binds:
            table.add_row(
                c["id"],
                "yes" if c["ready"] else "no",
                *(
                    (b["name"], b["mode"], b["state"], b["peer"])
                    if b
                    else (f"({c['type']})", "", "", "")
                ),
                f"{b['window_in_use']}/{b['window']}" if b else str(c["window_in_use"]),
                str(b["requests_sent"]) if b else "",
                (b["last_error"] or "") if b else "",
            )
    console.print(table)
    if not answer["smpp_server"]:
        console.print("SMPP server: not enabled")
        return
    clients = Table(title="SMPP client binds")
    for column in ("account", "system_id", "mode", "state", "peer", "window", "received", "sent"):
        clients.add_column(column, overflow="fold")
    for b in answer["client_binds"]:
        clients.add_row(
            b["account"],
            b["name"],
            b["mode"],
            b["state"],
            b["peer"],
            f"{b['window_in_use']}/{b['window']}",
            str(b["requests_received"]),
            str(b["requests_sent"]),
        )
    console.print(clients)


def main() -> None:
    app()
