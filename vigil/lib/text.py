"""Small wording helpers for messages people read."""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 flag", "2 flags", "0 flags" (a plural form other than +s when given)."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
