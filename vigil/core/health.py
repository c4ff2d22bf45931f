"""Liveness and readiness for load balancers and monitoring (docs/operations.md, "Monitoring").

`/healthz` (liveness): the process answers and the database answers one query.
`/readyz` (readiness): the database, and the task queue the configured backend uses: for the
database queue, how many tasks wait and how long the oldest has waited (a queue nobody drains
means no worker runs); for the RQ queue, that Redis answers and how many jobs wait.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone

# A task still waiting after this long means no worker is draining the queue.
MAX_QUEUE_SECONDS = int(os.environ.get("VIGIL_READY_MAX_QUEUE_SECONDS", "900"))


def database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def task_queue() -> dict[str, Any]:
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.startswith("django_tasks_db."):
        return _database_queue(backend)
    if backend.startswith("django_tasks_rq."):
        return _rq_queue(backend)
    return {"ok": True, "backend": backend, "note": "tasks run in the web process"}


def _database_queue(backend: str) -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    try:
        ready = DBTaskResult.objects.ready()
        waiting = ready.count()
        running = DBTaskResult.objects.running().count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": type(exc).__name__}
    age = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    report: dict[str, Any] = {
        "ok": age <= MAX_QUEUE_SECONDS,
        "backend": backend,
        "waiting": waiting,
        "running": running,
        "oldest_waiting_seconds": age,
    }
    if not report["ok"]:
        report["error"] = f"a task has waited {age}s (> {MAX_QUEUE_SECONDS}s): is a worker running?"
    return report


def _rq_queue(backend: str) -> dict[str, Any]:
    try:
        import django_rq

        queue = django_rq.get_queue("default")
        queue.connection.ping()
        waiting = queue.count
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": type(exc).__name__}
    return {"ok": True, "backend": backend, "waiting": waiting}


def readiness() -> dict[str, Any]:
    checks = {"database": database()}
    checks["tasks"] = (
        task_queue() if checks["database"]["ok"] else {"ok": False, "error": "no database"}
    )
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "unavailable", **checks}
