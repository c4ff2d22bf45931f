"""Search a whole database and a data directory for values that must not be there.

What `grep` would find: the value as given, digits only, with dashes, with spaces,
each in UTF-8 and UTF-16 (both byte orders).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.db import connection


def forms(value: str) -> set[str]:
    digits = re.sub(r"\D", "", value)
    out = {value, digits}
    if len(digits) == 9:  # an SSN: 3-2-4
        groups = [digits[:3], digits[3:5], digits[5:]]
    else:  # a card: groups of four
        groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    out |= {"-".join(groups), " ".join(groups)}
    return out


def patterns(value: str) -> set[bytes]:
    return {f.encode(enc) for f in forms(value) for enc in ("utf-8", "utf-16-le", "utf-16-be")}


def database_bytes() -> bytes:
    """Every row of every table, as the database stores it (SQLite: a copy of the file).

    Needs a test that is not wrapped in a transaction (`transactional_db`) on SQLite.
    """
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "copy.sqlite3"
            with connection.cursor() as cur:
                cur.execute("VACUUM INTO %s", [str(copy)])
            return copy.read_bytes()
    chunks: list[bytes] = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            with (
                cur.connection.cursor() as raw,
                raw.copy(_copy_sql(table)) as copy,
            ):
                for block in copy:
                    chunks.append(bytes(block))
    return b"\n".join(chunks)


def _copy_sql(table: str) -> str:
    # The table names come from the database's own catalogue.
    return f"COPY (SELECT * FROM {connection.ops.quote_name(table)}) TO STDOUT"  # noqa: S608


def files_bytes(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in Path(root).rglob("*") if p.is_file()]


def find(values: list[str], *, root: Path) -> list[str]:
    """Where each value was found ("database", or a file path), as readable strings."""
    found = []
    db = database_bytes()
    files = files_bytes(root)
    for value in values:
        for pat in patterns(value):
            if pat in db:
                found.append(f"{value!r} as {pat!r} in the database")
            for path, data in files:
                if pat in data:
                    found.append(f"{value!r} as {pat!r} in {path}")
    return found
