"""Background work: a VICS file uploaded through the web (exchange.ImportJob).

`do_import_vics` imports the file in one transaction, so the job row cannot carry its
progress while it runs: an update made inside that transaction is invisible to the page's
connection until the end, and on SQLite a second connection may not write while the import
holds the write lock. The task writes the progress (records read, bytes read) to a small
file beside the sealed upload instead, replaced atomically; the page reads it. This works
the same on SQLite and PostgreSQL. The upload and the progress file are deleted when the
job ends, failed or done; a lost worker fails the job (nothing was committed: one transaction).
"""

from __future__ import annotations

import io
import logging
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from vigil.audit.log import record
from vigil.core import request_context
from vigil.exchange.actions import do_import_vics
from vigil.exchange.models import ImportJob
from vigil.exchange.vics import VicsFormatError
from vigil.lib import crypto
from vigil.lib.text import error_line

log = logging.getLogger(__name__)


def _open(job: ImportJob) -> Any:
    path = Path(settings.UPLOAD_DIR) / job.file_path
    return crypto.SealedReader(path, bytes(job.file_key or b""))


def write_progress(job: ImportJob, records: int, done: int) -> None:
    path = job.progress_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(f"{records} {done}")
    os.replace(tmp, path)


def delete_upload(job: ImportJob) -> None:
    if job.file_path:
        (Path(settings.UPLOAD_DIR) / job.file_path).unlink(missing_ok=True)
    job.progress_path.unlink(missing_ok=True)
    job.file_path, job.file_key = "", None


@task()
def run_vics_import(job_id: int, request_id: str = "") -> dict:
    job = ImportJob.objects.select_related("created_by", "partner").get(pk=job_id)
    if job.finished:
        return job.summary
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, error="")
    job.status = ImportJob.Status.RUNNING
    summary: dict | None = None
    with request_context.bind(request_id=request_id or None, via="task"):
        stream = None
        try:
            if not job.file_path:
                raise ValidationError("The uploaded file is no longer stored; upload it again.")
            stream = _open(job)
            raw = stream
            write_progress(job, 0, 0)
            last = [0.0]

            def progress(records: int) -> None:
                now = time.monotonic()
                if now - last[0] >= 0.5:
                    last[0] = now
                    write_progress(job, records, raw.tell())

            summary = do_import_vics(
                io.BufferedReader(stream, 65536),
                actor=job.created_by,
                partner=job.partner,
                filename=job.original_name,
                progress=progress,
            )
        except VicsFormatError as exc:
            job.error = f"{exc} Nothing was imported."
        except ValidationError as exc:
            job.error = " ".join(exc.messages) + " Nothing was imported."
        except Exception as exc:  # the job page must say it failed, not spin forever
            log.exception("VICS import job %s stopped", job.pk)  # the whole error
            job.error = (
                f"The import stopped: {exc.__class__.__name__}: {error_line(exc)}. "
                "Nothing was imported."
            )
        finally:
            if stream is not None:
                stream.close()
        job.status = ImportJob.Status.FAILED if summary is None else ImportJob.Status.DONE
        job.summary = summary or {}
        delete_upload(job)
        job.progress_done = job.progress_total if summary is not None else 0
        job.finished_at = timezone.now()
        job.save(update_fields=ImportJob.END_FIELDS)
    return job.summary


def vics_import_lost(args: list, kwargs: dict, reason: str) -> None:
    """The worker running `run_vics_import` is gone: its one transaction never committed, so
    nothing was imported; the job fails with that reason and its file is deleted."""
    job_id = kwargs.get("job_id", args[0] if args else None)
    request_id = kwargs.get("request_id", args[1] if len(args) > 1 else "")
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return
    with request_context.bind(request_id=request_id or None, via="task"):
        delete_upload(job)
        job.status = ImportJob.Status.FAILED
        job.error = f"{reason} Nothing was imported; upload the file again."
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "file_path", "file_key"])
        record(
            "exchange.import_lost",
            actor=job.created_by,
            obj=job,
            outcome="failed",
            summary=reason[:300],
        )
