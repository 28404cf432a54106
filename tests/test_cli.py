from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heliograph.cli import app

runner = CliRunner()


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "h.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n')
    return path


def test_accounts_create_json_prints_every_credential_once(cfg: Path) -> None:
    result = runner.invoke(app, ["accounts", "create", "shop", "--json", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {
        "account",
        "api_key",
        "callback_secret",
        "username",
        "password",
        "pin",
        "smpp_system_id",
        "smpp_password",
    }
    assert data["account"] == "shop" and data["api_key"].startswith("hg_")
    again = runner.invoke(app, ["accounts", "create", "shop", "--config", str(cfg)])
    assert again.exit_code == 1
    listing = runner.invoke(app, ["accounts", "list", "--config", str(cfg)])
    assert "shop" in listing.stdout


def test_config_show_prints_effective_config(cfg: Path) -> None:
    result = runner.invoke(
        app, ["config", "show", "--config", str(cfg)], env={"HELIOGRAPH_HTTP_PORT": "9999"}
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["http"]["port"] == 9999


def test_send_without_key_is_usage_error() -> None:
    result = runner.invoke(
        app, ["send", "--to", "+447700900001", "--text", "x"], env={"HELIOGRAPH_API_KEY": ""}
    )
    assert result.exit_code == 2


def test_prices_and_credit_commands(cfg: Path) -> None:
    assert runner.invoke(app, ["accounts", "create", "shop", "--config", str(cfg)]).exit_code == 0
    result = runner.invoke(app, ["prices", "set", "44", "0.04", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["prices", "set", "447", "0.035", "--account", "shop", "--config", str(cfg)]
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(app, ["prices", "list", "--account", "shop", "--config", str(cfg)])
    assert "0.035000" in listing.stdout and "0.040000" in listing.stdout
    result = runner.invoke(app, ["accounts", "credit", "shop", "12.5", "--config", str(cfg)])
    assert result.exit_code == 0 and "12.500000 EUR" in result.stdout
    result = runner.invoke(app, ["accounts", "credit", "--config", str(cfg), "shop", "--", "-20"])
    assert result.exit_code == 1 and "balance" in result.stderr
    bad = runner.invoke(app, ["prices", "set", "+44", "0.04", "--config", str(cfg)])
    assert bad.exit_code == 2
    bad = runner.invoke(app, ["accounts", "credit", "shop", "lots", "--config", str(cfg)])
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["accounts", "credit", "nobody", "1", "--config", str(cfg)])
    assert missing.exit_code == 1
    ledger = runner.invoke(app, ["accounts", "ledger", "shop", "--config", str(cfg)])
    assert ledger.exit_code == 0, ledger.output
    assert "balance 12.500000 EUR, reserved 0.000000" in ledger.stdout
    assert "adjust" in ledger.stdout and "operator" in ledger.stdout  # the table may wrap
    missing = runner.invoke(app, ["accounts", "ledger", "nobody", "--config", str(cfg)])
    assert missing.exit_code == 1


def test_senders_commands(cfg: Path) -> None:
    assert runner.invoke(app, ["accounts", "create", "shop", "--config", str(cfg)]).exit_code == 0
    ok = runner.invoke(app, ["senders", "add", "shop", "Shop", "--default", "--config", str(cfg)])
    assert ok.exit_code == 0, ok.output
    listing = runner.invoke(app, ["senders", "list", "shop", "--config", str(cfg)])
    assert "Shop  (default)" in listing.stdout
    bad = runner.invoke(
        app, ["senders", "add", "shop", "way-too-long-sender", "--config", str(cfg)]
    )
    assert bad.exit_code == 2
    gone = runner.invoke(app, ["senders", "remove", "shop", "Shop", "--config", str(cfg)])
    assert gone.exit_code == 0
    again = runner.invoke(app, ["senders", "remove", "shop", "Shop", "--config", str(cfg)])
    assert again.exit_code == 1


def test_account_keys_and_settings_commands(cfg: Path) -> None:
    assert runner.invoke(app, ["accounts", "create", "shop", "--config", str(cfg)]).exit_code == 0
    added = runner.invoke(app, ["accounts", "key-add", "shop", "--config", str(cfg)])
    assert added.exit_code == 0 and added.stdout.startswith("hg_")
    listed = runner.invoke(app, ["accounts", "keys", "shop", "--config", str(cfg)])
    ids = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
    assert len(ids) == 2
    revoked = runner.invoke(app, ["accounts", "key-revoke", "shop", ids[1], "--config", str(cfg)])
    assert revoked.exit_code == 0
    listed = runner.invoke(app, ["accounts", "keys", "shop", "--config", str(cfg)])
    assert "revoked" in listed.stdout and "active" in listed.stdout
    again = runner.invoke(app, ["accounts", "key-revoke", "shop", ids[1], "--config", str(cfg)])
    assert again.exit_code == 1
    result = runner.invoke(
        app,
        ["accounts", "set", "shop", "--allow-ip", "10.0.0.0/8", "--disable", "--config", str(cfg)],
    )
    assert result.exit_code == 0 and "disabled" in result.stdout and "10.0.0.0/8" in result.stdout
    bad = runner.invoke(app, ["accounts", "set", "shop", "--allow-ip", "x", "--config", str(cfg)])
    assert bad.exit_code == 2


def test_accounts_set_forwarding_address_and_mo_route_by_email(cfg: Path) -> None:
    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, [*args, "--config", str(cfg)])
        return result.exit_code, " ".join(result.output.split())  # rich wraps long lines

    assert run("accounts", "create", "shop")[0] == 0
    code, out = run("accounts", "set", "shop", "--email-receipts", "also")
    assert code == 1 and "need the account's e-mail address" in out
    code, out = run("accounts", "set", "shop", "--email", "Desk <desk@shop.example>")
    assert code == 2 and "--email: " in out
    code, out = run("accounts", "set", "shop", "--email-receipts", "sometimes")
    assert code == 2 and "--email-receipts: must be off, also or only" in out
    code, out = run("accounts", "set", "shop", "--email", "desk@shop.example", "--email-receipts",
                    "only")  # fmt: skip
    assert code == 0 and "e-mail desk@shop.example (receipts only)" in out
    code, out = run("routes", "mo", "add", "12345", "shop", "--method", "email")
    assert code == 0 and "by email (the account's e-mail address)" in out
    code, out = run("routes", "mo", "add", "12346", "shop", "--method", "email", "--url",
                    "https://x.example/")  # fmt: skip
    assert code != 0 and "takes no URL" in out
