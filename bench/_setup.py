"""Django set-up shared by the benchmarks.

Test-mode settings (generated secrets, a fast password hasher: argon2's
100 MiB per hash would otherwise dominate peak-memory figures) with DEBUG off
so no query log skews the figures; tasks run inline; a fresh data directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def django_setup(db_url: str, data_dir: str | Path, *, migrate: bool = True) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["VIGIL_DATA_DIR"] = str(data_dir)
    os.environ["VIGIL_DEBUG"] = "0"
    os.environ["VIGIL_TESTING"] = "1"
    os.environ["VIGIL_TASK_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def setup_database(url: str | None, data_dir: Path) -> str:
    """A fresh, empty database: PostgreSQL `url` dropped and created again, else SQLite
    in `data_dir`. Returns the DATABASE_URL to use."""
    if url and url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return url
    return f"sqlite:///{data_dir / 'bench.sqlite3'}"


def backend_cpu(pid: int | None) -> float:
    """CPU seconds of a PostgreSQL backend on this machine (0 when it cannot be read)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
