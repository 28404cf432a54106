"""wire/gsm is pure: no I/O, clock, randomness or logging (STYLE.md §7 rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import heliograph.wire.gsm

FORBIDDEN = {"asyncio", "socket", "time", "random", "logging", "os", "sqlite3", "threading"}
PACKAGE = Path(heliograph.wire.gsm.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_gsm_modules_import_nothing_impure() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 10
    for module in modules:
        assert not _imports(module) & FORBIDDEN, module.name
        assert module.read_text(encoding="utf-8").startswith('"""'), f"{module.name}: docstring"
