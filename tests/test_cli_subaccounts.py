"""heliograph accounts create --parent, accounts transfer, accounts children, accounts parent."""

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


def run(cfg: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--config", str(cfg)])
    return result.exit_code, result.output


def test_create_a_child_fund_it_and_take_credit_back(cfg: Path) -> None:
    assert run(cfg, "accounts", "create", "shop")[0] == 0
    code, out = run(cfg, "accounts", "create", "kid", "--parent", "shop", "--json")
    assert code == 0, out
    assert json.loads(out)["account"] == "kid"
    code, out = run(cfg, "accounts", "list")
    assert "kid" in out and "shop" in out.split("kid", 1)[1]
    assert run(cfg, "accounts", "credit", "shop", "10")[0] == 0
    code, out = run(cfg, "accounts", "transfer", "kid", "4.5")
    assert code == 0, out
    assert "kid: balance 4.500000 EUR" in out and "shop: balance 5.500000 EUR" in out
    result = runner.invoke(app, ["accounts", "transfer", "--config", str(cfg), "kid", "--", "-1.5"])
    code, out = result.exit_code, result.output
    assert code == 0 and "kid: balance 3.000000 EUR" in out, out
    code, out = run(cfg, "accounts", "transfer", "kid", "7.01")
    assert code == 1 and "amount" in out
    code, out = run(cfg, "accounts", "transfer", "kid", "lots")
    assert code == 2 and "amount" in out
    code, out = run(cfg, "accounts", "transfer", "shop", "1")
    assert code == 2 and "no parent" in out
    code, out = run(cfg, "accounts", "children", "shop")
    assert code == 0 and "kid" in out and "3.000000 EUR" in out


def test_nesting_is_refused_and_accounts_are_attached_and_detached(cfg: Path) -> None:
    for name in ("shop", "other"):
        assert run(cfg, "accounts", "create", name)[0] == 0
    assert run(cfg, "accounts", "create", "kid", "--parent", "shop")[0] == 0
    code, out = run(cfg, "accounts", "create", "grandkid", "--parent", "kid")
    assert code == 1 and "sub-account" in out
    code, out = run(cfg, "accounts", "create", "orphan", "--parent", "nobody")
    assert code == 1 and "nobody" in out
    code, out = run(cfg, "accounts", "parent", "other", "shop")
    assert code == 0 and "other is a sub-account of shop" in out
    code, out = run(cfg, "accounts", "parent", "shop", "other")
    assert code == 2 and "parent" in out
    code, out = run(cfg, "accounts", "parent", "other", "--none")
    assert code == 0 and "top-level" in out
    assert run(cfg, "accounts", "parent", "other")[0] == 2
    assert run(cfg, "accounts", "create", "boss")[0] == 0
    assert run(cfg, "accounts", "set", "boss", "--admin")[0] == 0
    code, out = run(cfg, "accounts", "parent", "boss", "shop")
    assert code == 2 and "admin" in out
    code, out = run(cfg, "accounts", "children", "shop")
    assert "kid" in out and "other" not in out
