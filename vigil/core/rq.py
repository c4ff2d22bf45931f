"""The RQ side of `vigil db_worker` (VIGIL_TASK_BACKEND=django_tasks_rq.RQBackend).

`vigil db_worker` runs :class:`Worker` (django-rq's `rqworker` with django-tasks-rq's job class)
when the task backend is RQ, so the shipped unit (deploy/systemd/vigil-worker@.service) needs
no change. RQ notices a worker that died mid-job itself: the job's heartbeat lapses
(``WORKER_LOST_AFTER_SECONDS`` after the last one) and the next worker maintenance (every
``WORKER_HEARTBEAT_SECONDS`` here) finds it abandoned. :func:`abandoned` then does what
vigil/core/workers.py does for the database queue: the handler the task's app registered with
`workers.on_lost` runs (imports and match requests resume, or fail with a reason after
`workers.MAX_ATTEMPTS`); a task without a handler is retried once, then failed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rq.exceptions import AbandonedJobError
from rq.worker import Worker as BaseWorker

from vigil.core import workers

log = logging.getLogger(__name__)

JOB_CLASS = "django_tasks_rq.backend.Job"
RETRIES_META = "vigil_lost_retries"


def abandoned(job: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> bool:
    """An RQ exception handler: a job whose worker died is resumed, retried once, or failed."""
    if exc_type is not AbandonedJobError:
        return True  # the next handler (RQ's own: the job goes to the failed registry)
    reason = f"The worker {job.worker_name or '(unknown)'} that ran it stopped while running it."
    task_path = job.func_name
    if workers.handle_lost(task_path, list(job.args), dict(job.kwargs), reason):
        return True  # the app's handler enqueued what is needed; this job ends failed
    done = int(job.meta.get(RETRIES_META, 0))
    if done < 1:
        # RQ's clean-up retries a job that has retries left, right after the handlers ran.
        job.meta[RETRIES_META] = done + 1
        job.save_meta()
        job.retries_left = 1
        job.retry_intervals = [0]
        log.warning("job %s (%s): %s; retried once", job.id, task_path, reason)
    else:
        log.warning("job %s (%s): %s again; failed", job.id, task_path, reason)
    return True


class Worker(BaseWorker):
    """RQ's worker with Vigil's handling of abandoned jobs, on the database queue's clock: a
    heartbeat every WORKER_HEARTBEAT_SECONDS, a job lost WORKER_LOST_AFTER_SECONDS after its
    last one, and the look for lost jobs every heartbeat (RQ's defaults: 30 s, +60 s, 10 min)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        beat = max(1, int(settings.WORKER_HEARTBEAT_SECONDS))
        kwargs.setdefault("maintenance_interval", beat)
        kwargs.setdefault("job_monitoring_interval", beat)
        super().__init__(*args, **kwargs)
        self.push_exc_handler(abandoned)

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker waits for a job at most one heartbeat, then looks for lost jobs (RQ's
        # own wait is its worker TTL minus 15 s: about 7 minutes).
        return max(1, min(int(super().dequeue_timeout), int(self.maintenance_interval)))

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        # RQ adds a fixed 60 s of grace to the monitoring interval; Vigil's is the setting.
        ttl = super().get_heartbeat_ttl(job, working_time) - 60
        return max(1, ttl) + int(settings.WORKER_LOST_AFTER_SECONDS)
