"""heliograph books and heliograph templates against a SQLite file."""

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


def test_books_import_list_contacts_remove(cfg: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("number,name,groups,city\n+447700900001,Ann,Friends;Family,Leeds\n")
    code, out = _run(cfg, "books", "import", "shop", "Club", str(good))
    assert code == 0, out
    assert "1 contacts imported into Club (1 added, 0 updated), 0 rows refused" in out
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("number,name\n+447700900001,Ann B\n12,[bold]x\n+447700900002,Bob\n")
    code, out = _run(cfg, "books", "import", "shop", "Club", str(mixed))
    assert code == 1
    assert "2 contacts imported into Club (1 added, 1 updated), 1 rows refused" in out
    assert "3" in out and "'12' is not an E.164 number" in out
    code, out = _run(cfg, "books", "list", "shop")
    assert code == 0 and "│ Club │ 2 " in out and "Friends" not in out  # rows replace contacts
    groups = tmp_path / "groups.csv"
    groups.write_text("number,groups\n+447700900001,Friends;Family\n+447700900003,Family\n")
    assert _run(cfg, "books", "import", "shop", "Club", str(groups))[0] == 0
    code, out = _run(cfg, "books", "list", "shop")
    assert "Family (2), Friends (1)" in out
    code, out = _run(cfg, "books", "contacts", "shop", "Club", "--group", "Friends")
    assert code == 0 and "+447700900001" in out and "+447700900003" not in out
    code, out = _run(cfg, "books", "remove", "shop", "Club")
    assert code == 0
    code, out = _run(cfg, "books", "list", "shop")
    assert "shop has no address books" in out
    code, out = _run(cfg, "books", "remove", "shop", "Club")
    assert code == 1 and "no address book 'Club'" in out


def test_books_import_refuses_an_unreadable_file(cfg: Path, tmp_path: Path) -> None:
    code, out = _run(cfg, "books", "import", "shop", "Club", str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("number,shoe size\n+447700900001,9\n")
    code, out = _run(cfg, "books", "import", "shop", "Club", str(bad))
    assert code == 2 and "shoe size" in out
    code, out = _run(cfg, "books", "import", "nobody", "Club", str(bad))
    assert code == 1 and "no account named 'nobody'" in out


def test_templates_set_list_remove(cfg: Path) -> None:
    code, out = _run(cfg, "templates", "set", "shop", "hello", "Hi {name} [x]")
    assert code == 0 and "template hello created" in out
    code, out = _run(cfg, "templates", "set", "shop", "hello", "Hello {name} [x]")
    assert code == 0 and "template hello replaced" in out
    code, out = _run(cfg, "templates", "list", "shop")
    assert code == 0 and "Hello {name} [x]" in out
    code, out = _run(cfg, "templates", "set", "shop", "broken", "Hi {name")
    assert code == 2 and "not a placeholder" in out
    code, out = _run(cfg, "templates", "remove", "shop", "hello")
    assert code == 0
    code, out = _run(cfg, "templates", "remove", "shop", "hello")
    assert code == 1
    code, out = _run(cfg, "templates", "list", "shop")
    assert "shop has no templates" in out
