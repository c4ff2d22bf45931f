"""`vigil db_worker`: django-tasks-db's worker plus a heartbeat (vigil/core/workers.py).

A restarted worker notices tasks whose worker is gone and resumes or fails
them; the heartbeat thread also runs the periodic jobs apps register.
"""

from __future__ import annotations

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as BaseCommand

from vigil.core import workers


class Command(BaseCommand):
    help = (
        "Run the background worker (bulk imports, hashing, matching). Records a heartbeat; "
        "at start and every heartbeat it resumes or fails tasks whose worker is gone."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the parent only restarts the child; the child does the work.
        works = not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        heartbeat = workers.Heartbeat(options["worker_id"]) if works else None
        if heartbeat is not None:
            heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            if heartbeat is not None:
                heartbeat.stop()
