"""Background work: web-uploaded bulk imports.

The uploaded file is stored sealed (vigil/lib/crypto.py) and read through a
decrypting stream. It is deleted when the import ends, refused files included;
it stays (sealed) only while the job may still be resumed: after a lost worker
or an unexpected error. Every committed batch checkpoints the job's summary, so
a resumed import skips what was already written (vigil/core/workers.py notices
a lost worker and re-enqueues the task).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from vigil.audit.log import record
from vigil.core import request_context, workers
from vigil.lib import crypto
from vigil.lib.text import error_line
from vigil.tips.importing import ImportFileError, import_file
from vigil.tips.models import ImportJob

log = logging.getLogger(__name__)


def _open(job: ImportJob, path: Path) -> Any:
    import io

    if job.file_key:
        return io.BufferedReader(crypto.SealedReader(path, bytes(job.file_key)), 65536)
    return open(path, "rb")  # noqa: SIM115 - an upload stored before sealing; import_file closes it


def delete_upload(job: ImportJob) -> None:
    if job.file_path:
        (Path(settings.UPLOAD_DIR) / job.file_path).unlink(missing_ok=True)
    job.file_path, job.file_key = "", None


@task()
def run_import_job(job_id: int, request_id: str = "", attempt: int = 0) -> dict:
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
                batch_size=settings.IMPORT_BATCH_SIZE,
                import_job_id=job.pk,
            )
        except ImportFileError as exc:
            job.status, job.error = ImportJob.Status.FAILED, str(exc)
            summary = None
        except Exception as exc:  # the job page must say it failed, not spin forever
            log.exception("tip import job %s stopped", job.pk)  # the whole error
            job.status, job.error = (
                ImportJob.Status.FAILED,
                f"The import stopped: {exc.__class__.__name__}: {error_line(exc)}",
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
        job.save(update_fields=ImportJob.END_FIELDS)
    return job.summary


def import_job_lost(args: list, kwargs: dict, reason: str) -> None:
    """The worker running `run_import_job` is gone: resume it, or fail it with a resume button."""
    job_id = kwargs.get("job_id", args[0] if args else None)
    request_id = kwargs.get("request_id", args[1] if len(args) > 1 else "")
    attempt = int(kwargs.get("attempt", args[2] if len(args) > 2 else 0))
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return
    rows = (job.summary or {}).get("rows_read", 0) if (job.summary or {}).get("checkpoint") else 0
    resumable = bool(job.file_path) and attempt + 1 < workers.MAX_ATTEMPTS
    with request_context.bind(request_id=request_id or None, via="task"):
        if resumable:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.QUEUED,
                error=f"{reason} Resuming after row {rows:,} (attempt {attempt + 2}).",
            )
            run_import_job.enqueue(job.pk, request_id, attempt=attempt + 1)
        else:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED,
                finished_at=timezone.now(),
                error=f"{reason} The import stopped after row {rows:,}"
                + (f" ({attempt + 1} attempts)" if attempt else "")
                + (
                    "; press Resume to go on from there."
                    if job.file_path
                    else "; the file is no longer stored: upload it again."
                ),
            )
        record(
            "tip.import_lost",
            actor=job.created_by,
            obj=job,
            outcome="failed",
            changes={"rows_committed": rows, "attempt": attempt + 1, "resumed": resumable},
            summary=reason[:300],
        )


def resume_import_job(job: ImportJob, request_id: str = "") -> None:
    """Queue a failed import again from its last committed batch (its sealed file is kept)."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.QUEUED, finished_at=None, error=""
    )
    run_import_job.enqueue(job.pk, request_id, attempt=0)
