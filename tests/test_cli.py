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
