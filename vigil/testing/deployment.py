"""Real `vigil` processes (a worker, a command) against the test's own database.

For tests that must kill a real process. Needs `transactional_db`: on SQLite
the in-memory test database is copied to a file (`VACUUM INTO`) that the
processes and :meth:`Deployment.query` share from then on; on PostgreSQL they
use the test database itself.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection


class Deployment:
    def __init__(self, data_dir: Path, **env: str):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sqlite: Path | None = None
        if connection.vendor == "sqlite":
            self.sqlite = self.data_dir / "deployed.sqlite3"
            with connection.cursor() as cur:
                cur.execute("VACUUM INTO %s", [str(self.sqlite)])
            url = f"sqlite:///{self.sqlite}"
        else:
            d = connection.settings_dict
            url = (
                f"postgres://{d['USER']}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"
            )
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIGIL_TESTING"))
        }
        self.env.update(
            {
                "VIGIL_DEBUG": "1",
                "VIGIL_REQUIRE_MFA": "0",
                "DATABASE_URL": url,
                "VIGIL_DATA_DIR": str(self.data_dir),
                "VIGIL_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
                "VIGIL_SECRET_KEY": str(settings.SECRET_KEY),
                "VIGIL_FIELD_KEY": str(settings.FIELD_KEY),
                **env,
            }
        )
        self.procs: list[subprocess.Popen] = []

    def spawn(self, *args: str, log: str = "proc") -> subprocess.Popen:
        out = open(self.data_dir / f"{log}.log", "ab")  # noqa: SIM115 - kept by the process
        proc = subprocess.Popen(  # noqa: S603 - our own `vigil` command
            [str(Path(sys.executable).with_name("vigil")), *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        path = self.data_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def query(self, sql: str, params: tuple = ()) -> list[tuple[Any, ...]]:
        if self.sqlite is not None:
            db = sqlite3.connect(self.sqlite, timeout=30)
            try:
                return db.execute(sql, params).fetchall()
            finally:
                db.close()
        with connection.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)
            return cur.fetchall()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
