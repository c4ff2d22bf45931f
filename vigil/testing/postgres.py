"""Throw-away PostgreSQL databases of a test's own (127.0.0.1:5432, trust auth), for tests that
start real processes (gunicorn, task workers, backup scripts) which cannot share pytest's test
database. Each is a copy of one migrated template made once per test process, so a test pays
for a `CREATE DATABASE … TEMPLATE`, not for every migration."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = os.environ.get("VIGIL_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
_template: str | None = None


def available() -> bool:
    import psycopg

    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def require() -> None:
    """Skip (in a plain SQLite run without a server) or fail loudly under CI."""
    if not available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {SERVER} (CI must start it)")
        pytest.skip(f"PostgreSQL is not reachable at {SERVER}")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _drop_template() -> None:
    if _template:
        with contextlib.suppress(Exception):
            _admin(f'DROP DATABASE IF EXISTS "{_template}" WITH (FORCE)')


def migrated_template() -> str:
    """The name of a database with every migration applied (made on first use)."""
    global _template
    if _template is None:
        name = f"vigil_template_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{name}"')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST"))}
        with tempfile.TemporaryDirectory() as data:
            env.update(DATABASE_URL=f"{SERVER}/{name}", VIGIL_DEBUG="1", VIGIL_DATA_DIR=data)
            vigil = Path(sys.executable).parent / "vigil"
            subprocess.run(  # noqa: S603 - our own console script
                [str(vigil), "migrate", "--noinput", "-v", "0"], env=env, check=True
            )
        _template = name
        atexit.register(_drop_template)
    return _template


@contextlib.contextmanager
def database(prefix: str, *, migrated: bool = True) -> Iterator[str]:
    """Create vigil_<prefix>_<random> (migrated unless asked otherwise), yield its URL, drop it."""
    name = f"vigil_{prefix}_{uuid.uuid4().hex[:8]}"
    template = f' TEMPLATE "{migrated_template()}"' if migrated else ""
    _admin(f'CREATE DATABASE "{name}"{template}')
    try:
        yield f"{SERVER}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
