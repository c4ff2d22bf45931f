"""Background work: web-uploaded bulk imports."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from vigil.core import request_context
from vigil.tips.models import ImportJob


@task()
def run_import_job(job_id: int, request_id: str = "") -> dict:
    from vigil.tips.importers import ImportFileError, import_file

    job = ImportJob.objects.select_related("created_by", "source").get(pk=job_id)
    if job.finished:
        return job.summary
    path = Path(settings.UPLOAD_DIR) / job.file_path
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            ImportJob.objects.filter(pk=job.pk).update(
                progress_done=done, progress_total=total or job.progress_total
            )

    with request_context.bind(request_id=request_id or None, via="task"):
        try:
            summary = import_file(
                path,
                actor=job.created_by,
                fmt=job.format,
                source=job.source,
                note=job.note,
                progress=progress,
            )
        except ImportFileError as exc:
            job.status, job.error = ImportJob.Status.FAILED, str(exc)
            summary = None
        except Exception as exc:  # the job page must say it failed, not spin forever
            job.status, job.error = (
                ImportJob.Status.FAILED,
                f"The import stopped: {exc.__class__.__name__}: {exc}"[:2000],
            )
            summary = None
        if summary is not None:
            job.summary = summary.as_dict()
            job.error = summary.error
            job.status = (
                ImportJob.Status.FAILED
                if summary.error and not summary.rows_read
                else ImportJob.Status.DONE
            )
            if summary.victim_sections_dropped:
                # The original file carried victim information: it is not kept.
                path.unlink(missing_ok=True)
                job.file_path = ""
        job.progress_done = job.progress_total
        job.finished_at = timezone.now()
        job.save(
            update_fields=[
                "summary",
                "error",
                "status",
                "file_path",
                "progress_done",
                "finished_at",
            ]
        )
    return job.summary
