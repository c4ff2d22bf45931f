"""Throw-away PostgreSQL databases of a test's own (127.0.0.1:5432, trust auth), for tests that
start real processes (gunicorn, task workers, backup scripts) which cannot share pytest's test
database. Each is a copy of one migrated template made once a test run (its xdist workers share
it), so a test pays for a `CREATE DATABASE … TEMPLATE`, not for every migration."""

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


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """An advisory lock for `name` on the server: the xdist workers of a run take turns."""
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])
        yield


def _exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def _drop_template(name: str) -> None:
    with contextlib.suppress(Exception), _locked(name):
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _template_name() -> str:
    """The migrated template of this test run (xdist's run id: its workers share it)."""
    global _template
    if _template is None:
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
        _template = f"vigil_template_{run[:12]}"
    return _template


def _migrate(name: str) -> None:
    _admin(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST"))}
    with tempfile.TemporaryDirectory() as data:
        env.update(DATABASE_URL=f"{SERVER}/{name}", VIGIL_DEBUG="1", VIGIL_DATA_DIR=data)
        vigil = Path(sys.executable).parent / "vigil"
        try:
            subprocess.run(  # noqa: S603 - our own console script
                [str(vigil), "migrate", "--noinput", "-v", "0"], env=env, check=True
            )
        except BaseException:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            raise


@contextlib.contextmanager
def database(prefix: str, *, migrated: bool = True) -> Iterator[str]:
    """Create vigil_<prefix>_<random> (migrated unless asked otherwise), yield its URL, drop it."""
    name = f"vigil_{prefix}_{uuid.uuid4().hex[:8]}"
    if migrated:
        template = _template_name()
        # Under its lock: the first worker that needs it migrates it while the others wait,
        # and none copies it while the worker that made it drops it at its exit (then it is
        # made again, and dropped at this one's).
        with _locked(template):
            if not _exists(template):
                _migrate(template)
                atexit.register(_drop_template, template)
            _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    else:
        _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
