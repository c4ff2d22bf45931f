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
import contextlib
import fcntl
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Migrated databases that instances start from, one a test run (xdist's run id), made by the
# run's first instance; a lock on the folder orders the workers.
_TEMPLATES = Path(tempfile.gettempdir()) / f"vigil-instance-templates-{os.getuid()}"


@contextlib.contextmanager
def _templates_locked() -> Iterator[None]:
    fd = os.open(_TEMPLATES, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_template(template: Path) -> None:
    with _templates_locked():
        template.unlink(missing_ok=True)


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
        """A migrated instance: a copy of a freshly migrated database that the first instance
        of the test run migrates (xdist workers share it: one migration a run, not one each)."""
        root.mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        inst = cls(root=root, name=name, env=_env(root, name))
        _TEMPLATES.mkdir(exist_ok=True)
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"
        template = _TEMPLATES / f"{run}.sqlite3"
        with _templates_locked():  # the other workers wait rather than migrate too
            if template.is_file():
                shutil.copyfile(template, inst.database)
                return inst
            inst.vigil("migrate", "--noinput", "-v", "0")
            # Every page in the main file (no -wal beside it), then the copy others start from.
            con = sqlite3.connect(inst.database)
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                con.close()
            shutil.copyfile(inst.database, template.with_suffix(".part"))
            template.with_suffix(".part").replace(template)
            atexit.register(_remove_template, template)
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
