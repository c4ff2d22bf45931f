"""Small wording helpers for messages people read."""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 flag", "2 flags", "0 flags" (a plural form other than +s when given)."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def error_line(exc: BaseException, limit: int = 300) -> str:
    """An error's message as a page or an import summary shows it: its first non-blank
    line, at most `limit` characters. PostgreSQL adds DETAIL lines that name the row's
    values (a unique key's: an e-mail, say) and CONTEXT lines that name the statement;
    those are for the log, which keeps the whole error."""
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), "")[:limit]
