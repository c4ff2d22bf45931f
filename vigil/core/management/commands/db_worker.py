"""`vigil db_worker`: django-tasks-db's worker plus a heartbeat (vigil/core/workers.py).

A restarted worker notices tasks whose worker is gone and resumes or fails
them; the heartbeat thread also runs the periodic jobs apps register.
With VIGIL_TASK_BACKEND=django_tasks_rq.RQBackend the same command runs an RQ
worker (vigil/core/rq.py) on the same queues, so a deployment switches with
one setting and no change to its units.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as BaseCommand
from django_tasks_db.management.commands.db_worker import valid_backend_name

from vigil.core import workers


def _backend_name(value: str) -> str:
    """The database backend's check, except that the RQ backend is welcome too."""
    from django_tasks import task_backends

    try:
        backend = task_backends[value]
    except Exception:
        return valid_backend_name(value)  # its own message for an unknown name
    if type(backend).__module__.startswith("django_tasks_rq."):
        return value
    return valid_backend_name(value)


class Command(BaseCommand):
    help = (
        "Run the background worker (bulk imports, hashing, matching). Records a heartbeat; "
        "at start and every heartbeat it resumes or fails tasks whose worker is gone. "
        "With the RQ task backend it runs an RQ worker on the same queues."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        for action in parser._actions:
            if action.dest == "backend_name":
                action.type = _backend_name

    def handle(self, *args: Any, **options: Any) -> None:
        from django_tasks import task_backends

        rq = type(task_backends[options["backend_name"]]).__module__.startswith("django_tasks_rq.")
        # With --reload the parent only restarts the child; the child does the work.
        works = rq or not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        heartbeat = workers.Heartbeat(options["worker_id"]) if works else None
        if heartbeat is not None:
            heartbeat.start()
        try:
            if rq:
                self._rq_worker(options)
            else:
                super().handle(*args, **options)
        finally:
            if heartbeat is not None:
                heartbeat.stop()

    def _rq_worker(self, options: dict) -> None:
        from django.core.management import call_command

        # Deferred: RQ (and its Redis client) loads only when the RQ backend is configured.
        from vigil.core import rq

        queues = [q for q in options["queue_name"].split(",") if q and q != "*"] or ["default"]
        call_command(
            "rqworker",
            *queues,
            worker_class=f"{rq.__name__}.Worker",
            job_class=rq.JOB_CLASS,
            with_scheduler=True,
            burst=bool(options.get("batch")),
            max_jobs=options.get("max_tasks"),
            verbosity=options.get("verbosity", 1),
        )
