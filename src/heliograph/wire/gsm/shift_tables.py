"""National language locking and single shift tables (3GPP TS 23.038 Annex A)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LOCKING_SHIFT_TABLES: Final[Mapping[int, str]] = {}
SINGLE_SHIFT_TABLES: Final[Mapping[int, Mapping[int, str]]] = {}
