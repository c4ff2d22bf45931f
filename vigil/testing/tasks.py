"""Tasks for the worker tests (vigil/core/tests/test_workers.py): each run leaves marks in the
folder VIGIL_TASK_MARKS names, so a test counts how often every task ran, and by which worker
(VIGIL_TEST_WORKER, set per worker process; RQ runs each job in a fork of its worker)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def mark(key: int, first_attempt_seconds: float = 0.0, seconds: float = 0.0) -> int:
    folder = Path(os.environ["VIGIL_TASK_MARKS"])
    started = folder / f"{key}.started"
    first = not started.exists()
    with started.open("a") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(first_attempt_seconds if first else seconds)
    try:
        fd = os.open(folder / f"{key}.done", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        with (folder / f"{key}.twice").open("a") as fh:
            fh.write(f"{os.getpid()}\n")
    else:
        os.write(fd, os.environ.get("VIGIL_TEST_WORKER", str(os.getpid())).encode())
        os.close(fd)
    return key
