"""A match request whose worker died is resumed, then failed with a reason (issue 13, item 3)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from vigil.core import workers
from vigil.core.models import WorkerBeat
from vigil.victimid.models import MatchRequest


def _running(mr, attempt=0, worker="gone-worker"):
    return DBTaskResult.objects.create(
        task_path="vigil.victimid.tasks.process_match_request",
        args_kwargs={"args": [mr.pk, ""], "kwargs": {"attempt": attempt}},
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(hours=1),
        worker_ids=[worker],
    )


def test_it_resumes_a_match_request_whose_worker_is_gone(personas):
    mr = MatchRequest.objects.create(
        requesting_agency="A", case_number="1", status="running", submitted_by=personas.manager
    )
    lost = _running(mr)
    alive = _running(mr, worker="alive")
    WorkerBeat.objects.create(
        worker_id="alive",
        hostname="elsewhere",
        pid=1,
        started_at=timezone.now(),
        seen_at=timezone.now(),
    )
    lines = workers.recover_lost_tasks()
    assert len(lines) == 1 and "gone-worker" in lines[0]
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED and "WorkerLost" in lost.exception_class_path
    assert alive.status == TaskResultStatus.RUNNING  # its worker is alive
    mr.refresh_from_db()
    # Re-enqueued through the Tasks API (the immediate backend ran it): no items, done.
    assert mr.status == "done"


def test_it_fails_a_match_request_with_a_reason_after_three_lost_workers(personas):
    mr = MatchRequest.objects.create(
        requesting_agency="A",
        case_number="1",
        status="running",
        total=4,
        done=1,
        submitted_by=personas.manager,
    )
    _running(mr, attempt=workers.MAX_ATTEMPTS - 1)
    WorkerBeat.objects.create(
        worker_id="gone-worker",
        hostname="elsewhere",
        pid=1,
        started_at=timezone.now(),
        seen_at=timezone.now() - dt.timedelta(minutes=10),
    )
    workers.recover_lost_tasks()
    mr.refresh_from_db()
    assert mr.status == "failed"
    assert "has not been heard from" in mr.error and "1 of 4 items" in mr.error
