"""heliograph library against a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from heliograph.cli import app

runner = CliRunner()


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "h.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n')
    assert runner.invoke(app, ["accounts", "create", "shop", "--config", str(path)]).exit_code == 0
    return path


def _run(cfg: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--config", str(cfg)], terminal_width=200)
    return result.exit_code, result.output


def test_library_upload_list_remove(cfg: Path, tmp_path: Path) -> None:
    gif = tmp_path / "smiley.gif"
    gif.write_bytes(b"GIF89a...")
    code, out = _run(cfg, "library", "upload", "shop", str(gif))
    assert code == 0 and out.strip() == "80000", out
    code, out = _run(cfg, "library", "list", "shop")
    assert code == 0 and "80000" in out and "smiley.gif" in out
    bad = tmp_path / "x.exe"
    bad.write_bytes(b"MZ")
    code, out = _run(cfg, "library", "upload", "shop", str(bad))
    assert code == 2 and "file_name" in out
    assert _run(cfg, "library", "remove", "shop", "80000")[0] == 0
    code, out = _run(cfg, "library", "remove", "shop", "80000")
    assert code == 1 and "no library number 80000" in out
    code, out = _run(cfg, "library", "list", "shop")
    assert code == 0 and "shop has no library items" in out
