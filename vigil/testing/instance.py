"""Real Vigil instances for tests: each its own SQLite database, data folder and
HTTP server on 127.0.0.1 (port chosen by the OS), in its own process.

    a = Instance.create(tmp_path / "a", "alpha")
    a.start()                      # a threaded WSGI server; a.url is its address
    a.py("from vigil.exchange import keys; print(keys.identity().name)")
    a.vigil("sync_partner", "beta", "--json")
    a.stop()

`py()` runs code in a fresh process against that instance (Django set up),
returning its stdout; `vigil()` runs a management command, `spawn()` starts one and leaves
it running. Each is a process of its own, forked from the instance's zygote
(vigil.testing.zygote: the apps imported once, not once a command). Nothing touches the
test process's own database.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
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
    zygote: _Zygote | None = None

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

    def _zygote(self) -> _Zygote:
        if self.zygote is not None and (not self.zygote.alive() or self.zygote.env != self.env):
            self.zygote.close()  # gone, or started with other settings than the instance's now
            self.zygote = None
        if self.zygote is None:
            self.zygote = _Zygote(self)
        return self.zygote

    def _run(
        self, request: dict, what: str, *, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        child = self._zygote().fork(request)
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise
        stdout, stderr = child.communicate()
        result = subprocess.CompletedProcess(what, child.returncode, stdout, stderr)
        if check and result.returncode != 0:
            raise AssertionError(
                f"{self.name}: {what} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def vigil(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        return self._run({"argv": list(args)}, " ".join(args[:2]), check=check, timeout=timeout)

    def spawn(self, *args: str) -> _Child:
        """A management command left running (the caller waits for it or kills it)."""
        return self._zygote().fork({"argv": list(args)})

    def py(self, code: str, *, check: bool = True) -> str:
        script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
        first = textwrap.dedent(code).strip().splitlines()[0][:60]
        return self._run({"code": script}, first, check=check).stdout

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
        """Stop the server and the zygote (started again by the next command)."""
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None
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


class _Zygote:
    """An instance's vigil.testing.zygote: its commands are children forked from it."""

    def __init__(self, inst: Instance) -> None:
        self.runs = inst.root / "runs"
        self.runs.mkdir(exist_ok=True)
        self.count = 0
        self.env = dict(inst.env)
        with (inst.root / "zygote.log").open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "vigil.testing.zygote"],
                env=inst.env,
                cwd=inst.root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                bufsize=0,
            )
        self.exits: dict[int, int] = {}
        self.started: list[int] = []
        self.pending = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, request: dict) -> _Child:
        self.count += 1
        out, err = self.runs / f"{self.count}.out", self.runs / f"{self.count}.err"
        line = json.dumps({**request, "stdout": str(out), "stderr": str(err)})
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        while not self.started:
            if not self.read(timeout=120):
                raise AssertionError(f"the zygote did not fork ({self.proc.poll()})")
        return _Child(self, self.started.pop(0), out, err)

    def read(self, timeout: float | None) -> bool:
        """Take the answers that came within `timeout` seconds; False when none did."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], timeout)[0]:
            return False
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        self.pending += chunk
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            word, pid, *code = line.decode().split()
            if word == "started":
                self.started.append(int(pid))
            else:
                self.exits[int(pid)] = int(code[0])
        return True

    def close(self) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class _Child:
    """A command forked by the zygote, as much of subprocess.Popen as the tests use."""

    zygote: _Zygote
    pid: int
    out: Path
    err: Path
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            while self.zygote.read(timeout=0):
                pass
            self.returncode = self.zygote.exits.pop(self.pid, None)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            if not self.zygote.read(timeout=left if left is None else min(left, 1.0)):
                if not self.zygote.alive() and self.poll() is None:
                    raise AssertionError(f"the zygote exited before child {self.pid}")
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self) -> tuple[str, str]:
        """Its stdout and stderr, once it has ended."""
        self.wait()
        texts = (self.out.read_text(), self.err.read_text())
        self.out.unlink(missing_ok=True)
        self.err.unlink(missing_ok=True)
        return texts
