"""Real Vigil instances for tests: each its own SQLite database, data folder and
HTTP server on 127.0.0.1 (port chosen by the OS), in its own process.

    a = Instance.create(tmp_path / "a", "alpha")
    a.start()                      # a threaded WSGI server; a.url is its address
    a.py("from vigil.exchange import keys; print(keys.identity().name)")
    a.vigil("sync_partner", "beta", "--json")
    a.stop()

`py()` runs code in a fresh process against that instance (Django set up),
returning its stdout; `vigil()` runs a management command. Nothing touches the
test process's own database.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

_TEMPLATE: dict[str, Path] = {}


def _env(root: Path, name: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "VIGIL_", "DATABASE_URL", "DJANGO_SETTINGS"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{root / 'vigil.sqlite3'}",
        VIGIL_DATA_DIR=str(root / "data"),
        VIGIL_DEBUG="1",
        VIGIL_TESTING="1",
        VIGIL_TASK_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        VIGIL_INSTANCE_NAME=name,
        VIGIL_OUTBOUND_HOSTS="127.0.0.1",
        VIGIL_EXCHANGE_SYNC_SETTLE_SECONDS="0",
        DJANGO_SETTINGS_MODULE="vigil.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Instance:
    root: Path
    name: str
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    url: str = ""
    log: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, root: Path, name: str) -> Instance:
        """A migrated instance. The first one migrates; later ones copy its fresh database."""
        root.mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        inst = cls(root=root, name=name, env=_env(root, name))
        template = _TEMPLATE.get("db")
        if template is None or not template.is_file():
            inst.vigil("migrate", "--noinput", "-v", "0")
            keep = Path(tempfile.gettempdir()) / f"vigil-instance-template-{os.getpid()}.sqlite3"
            atexit.register(keep.unlink, missing_ok=True)
            inst.py(
                "from django.db import connection; connection.cursor().execute('PRAGMA wal_checkpoint(TRUNCATE)')"
            )
            shutil.copyfile(root / "vigil.sqlite3", keep)
            _TEMPLATE["db"] = keep
        else:
            shutil.copyfile(template, root / "vigil.sqlite3")
        return inst

    def _run(
        self, args: list[str], *, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            args, env=self.env, cwd=self.root, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{self.name}: {' '.join(args[2:4])} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def vigil(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        return self._run([sys.executable, "-m", "vigil.cli", *args], check=check, timeout=timeout)

    def spawn(self, *args: str) -> subprocess.Popen:
        """A management command left running (the caller waits for it or kills it)."""
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "vigil.cli", *args],
            env=self.env,
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def py(self, code: str, *, check: bool = True) -> str:
        script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
        return self._run([sys.executable, "-c", script], check=check).stdout

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "vigil.testing.serve"],
            env=self.env,
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("port "):
            self.stop()
            raise AssertionError(f"{self.name} did not start: {line}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def database(self) -> Path:
        return self.root / "vigil.sqlite3"
