"""Workers that die mid-task: noticed, and their work resumed or failed with a reason.

`vigil db_worker` (vigil/core/management/commands/db_worker.py) records a
heartbeat (`WorkerBeat`) every ``WORKER_HEARTBEAT_SECONDS`` from a side
thread. At start and with every heartbeat it looks for tasks still RUNNING
whose worker is gone — on the same host, its process no longer exists; on any
host, no heartbeat for ``WORKER_LOST_AFTER_SECONDS`` — marks each FAILED with
the reason (`WorkerLost`) and calls the handler its app registered with
:func:`on_lost`: the bulk import and match-request handlers enqueue the task
again (both resume where they stopped) or, after ``MAX_ATTEMPTS``, mark the
job failed with a reason and a "resume" button.

The same thread runs the periodic jobs apps register with :func:`every`
(e.g. removing expired export packages). Tasks are enqueued through the Tasks
API; only finding and closing a lost RUNNING result needs the database
backend's model (`django_tasks_db`), kept in this module.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from vigil.core.models import WorkerBeat

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

LostHandler = Callable[[list, dict, str], None]
_handlers: dict[str, LostHandler | str] = {}


@dataclass
class _Periodic:
    name: str
    interval: dt.timedelta
    func: Callable[[], Any] | str
    last: float = 0.0


_periodic: list[_Periodic] = []


class WorkerLost(Exception):
    """The worker running a task stopped before the task finished."""


def on_lost(task: Any, handler: LostHandler | str) -> None:
    """`handler(args, kwargs, reason)` is called once when `task`'s worker is found gone.

    `task` is a task or its dotted path; `handler` a function or its dotted path
    (imported when needed, so AppConfig.ready() imports no task module).
    """
    _handlers[str(getattr(task, "module_path", task))] = handler


def every(name: str, interval: dt.timedelta, func: Callable[[], Any] | str) -> None:
    """Run `func` in every worker at start and then every `interval` (idempotent jobs only)."""
    if not any(p.name == name for p in _periodic):
        _periodic.append(_Periodic(name, interval, func))


def _heartbeat_seconds() -> float:
    return float(getattr(settings, "WORKER_HEARTBEAT_SECONDS", 10))


def _lost_after() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "WORKER_LOST_AFTER_SECONDS", 60)))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def beat(worker_id: str, *, started: bool = False) -> None:
    now = timezone.now()
    defaults = {"hostname": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": now}
    if started:
        defaults["started_at"] = now
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id, defaults=defaults, create_defaults={**defaults, "started_at": now}
    )


def gone_reason(worker_id: str, started_at: dt.datetime | None) -> str | None:
    """Why the worker `worker_id` is considered gone, or None while it is alive."""
    now = timezone.now()
    info = WorkerBeat.objects.filter(worker_id=worker_id).first()
    if info is None:
        if started_at is None or now - started_at > _lost_after():
            return f"The worker {worker_id or '(unknown)'} that ran it is not running."
        return None
    if info.hostname == socket.gethostname() and not _pid_alive(info.pid):
        return (
            f"The worker {worker_id} (process {info.pid} on {info.hostname}) stopped "
            "while running it."
        )
    if now - info.seen_at > _lost_after():
        return (
            f"The worker {worker_id} on {info.hostname} has not been heard from since "
            f"{info.seen_at:%Y-%m-%d %H:%M:%S} UTC."
        )
    return None


def handle_lost(task_path: str, args: list, kwargs: dict, reason: str) -> bool:
    """Run the handler `task_path`'s app registered with :func:`on_lost` (for the database queue
    here, for RQ in vigil/core/rq.py); False when the task has none."""
    handler = _handlers.get(task_path)
    if handler is None:
        return False
    try:
        if isinstance(handler, str):
            from django.utils.module_loading import import_string

            handler = import_string(handler)
        handler(args, kwargs, reason)  # type: ignore[operator]
    except Exception:  # one bad handler must not stop the others
        log.exception("lost-task handler for %s failed", task_path)
    return True


def recover_lost_tasks() -> list[str]:
    """Close every RUNNING task whose worker is gone; returns a line per task handled."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    done = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker_id = (result.worker_ids or [""])[-1]
        reason = gone_reason(worker_id, result.started_at)
        if reason is None:
            continue
        with transaction.atomic():
            # Only one reaper wins a task, however many workers look at once.
            claimed = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=reason,
            )
        if not claimed:
            continue
        args_kwargs = result.args_kwargs or {}
        args, kwargs = list(args_kwargs.get("args", [])), dict(args_kwargs.get("kwargs", {}))
        line = f"task {result.pk} ({result.task_path}): {reason}"
        handle_lost(result.task_path, args, kwargs, reason)
        log.warning("%s", line)
        done.append(line)
    return done


def run_periodic(*, force: bool = False) -> None:
    import time

    now = time.monotonic()
    for job in _periodic:
        if force or now - job.last >= job.interval.total_seconds():
            job.last = now
            try:
                if isinstance(job.func, str):
                    from django.utils.module_loading import import_string

                    job.func = import_string(job.func)
                job.func()  # type: ignore[operator]
            except Exception:
                log.exception("periodic job %s failed", job.name)


class Heartbeat:
    """The side thread of a worker: heartbeat, lost-task check, periodic jobs."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vigil-heartbeat", daemon=True)

    def start(self) -> None:
        beat(self.worker_id, started=True)
        recover_lost_tasks()
        run_periodic(force=True)
        connection.close()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(_heartbeat_seconds()):
            try:
                beat(self.worker_id)
                recover_lost_tasks()
                run_periodic()
            except Exception:
                log.exception("worker heartbeat failed")
            finally:
                connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
        except Exception:
            log.exception("could not remove the heartbeat of %s", self.worker_id)
