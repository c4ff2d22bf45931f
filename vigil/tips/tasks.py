"""Background work: web-uploaded bulk imports.

The uploaded file is stored sealed (vigil/lib/crypto.py) and read through a
decrypting stream. It is deleted when the import ends, refused files included;
it stays (sealed) only while the job may still be resumed: after a lost worker
or an unexpected error. Every committed batch checkpoints the job's summary, so
a resumed import skips what was already written (vigil/core/workers.py notices
a lost worker and re-enqueues the task).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from vigil.core import request_context
from vigil.tips.models import ImportJob


def _open(job: ImportJob, path: Path) -> Any:
    import io

    from vigil.lib import crypto

    if job.file_key:
        return io.BufferedReader(crypto.SealedReader(path, bytes(job.file_key)), 65536)
    return open(path, "rb")  # noqa: SIM115 - an upload stored before sealing; import_file closes it


def delete_upload(job: ImportJob) -> None:
    if job.file_path:
        (Path(settings.UPLOAD_DIR) / job.file_path).unlink(missing_ok=True)
    job.file_path, job.file_key = "", None


@task()
def run_import_job(job_id: int, request_id: str = "", attempt: int = 0) -> dict:
    from vigil.tips.importers import ImportFileError, import_file

    job = ImportJob.objects.select_related("created_by", "source").get(pk=job_id)
    if job.finished:
        return job.summary
    path = Path(settings.UPLOAD_DIR) / job.file_path
    resume = job.summary if job.summary.get("checkpoint") else None
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, error="")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            ImportJob.objects.filter(pk=job.pk).update(
                progress_done=done, progress_total=total or job.progress_total
            )

    def checkpoint(state: dict) -> None:
        ImportJob.objects.filter(pk=job.pk).update(summary={**state, "checkpoint": True})

    keep_file = False
    with request_context.bind(request_id=request_id or None, via="task"):
        try:
            if not job.file_path:
                raise ImportFileError("The uploaded file is no longer stored; upload it again.")
            summary = import_file(
                Path(job.original_name or path.name),
                actor=job.created_by,
                fmt=job.format,
                source=job.source,
                note=job.note,
                progress=progress,
                fileobj=_open(job, path),
                checkpoint=checkpoint,
                resume=resume,
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
            keep_file = True  # sealed; the job page offers to resume
        job.summary = ImportJob.objects.values_list("summary", flat=True).get(pk=job.pk)
        if summary is not None:
            job.summary = summary.as_dict()
            job.error = summary.error
            job.status = (
                ImportJob.Status.FAILED
                if summary.error and not summary.rows_read
                else ImportJob.Status.DONE
            )
        if not keep_file:
            # Done or refused: the file is not kept (it may hold victim sections,
            # SSNs, card numbers); the summary says what was imported.
            delete_upload(job)
        job.progress_done = job.progress_total
        job.finished_at = timezone.now()
        job.save(
            update_fields=[
                "summary",
                "error",
                "status",
                "file_path",
                "file_key",
                "progress_done",
                "finished_at",
            ]
        )
    return job.summary
