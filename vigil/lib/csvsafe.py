"""CSV/XLSX cell escaping against formula injection (OWASP CSV injection)."""

from __future__ import annotations

from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def safe_cell(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would read as a formula with a quote."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
