"""Bulk imports: queue an uploaded file, resume a failed job, the audit row that closes an import."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.accounts import access
from vigil.audit.log import record
from vigil.audit.models import Outcome
from vigil.core import request_context
from vigil.lib import crypto
from vigil.tips.models import ImportJob, Source

MAX_UPLOAD = 200 * 1024 * 1024


def _lacks_source_column(upload, fmt: str) -> bool:
    """Whether the file can name no source itself (an IP list, or no 'source' column)."""
    # Deferred: the importer package imports these actions.
    from vigil.tips.importing.detection import detect_format

    upload.seek(0)
    head = upload.read(65536)
    upload.seek(0)
    if fmt == "auto":
        fmt = detect_format(upload.name, head)
    if fmt == "iplist":
        return True
    if fmt == "csv":
        text = head.decode("utf-8-sig", errors="replace")
        for cells in csv.reader(io.StringIO(text)):
            if any(c.strip() for c in cells):
                return "source" not in {c.strip().lower() for c in cells}
        return False  # empty: the importer says so
    if fmt == "json":
        return b'"source"' not in head
    if fmt == "xlsx":
        try:
            from openpyxl import load_workbook

            ws = load_workbook(upload, read_only=True).active
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
        except Exception:  # noqa: BLE001 - an unreadable file is the importer's to report
            return False
        finally:
            upload.seek(0)
        return "source" not in {str(c or "").strip().lower() for c in first}
    return False


def do_queue_import(
    upload: Any, *, actor: Any, fmt: str = "auto", source: Source | None = None, note: str = ""
) -> ImportJob:
    """A file uploaded on the import page: sealed into the upload store, an ImportJob
    recorded (`tip.import_upload`) and the background import queued after the commit. A
    missing, empty or oversized file, an unknown format or a missing source is refused with
    nothing stored but its `tip.import_refused` row (the web page and POST /api/tips/imports/)."""
    # Deferred: the task module and the importer (FORMATS) import these actions.
    from vigil.tips import tasks
    from vigil.tips.importing import FORMATS

    access.require(access.can_create(actor))
    problem = ""
    if upload is None:
        problem = "Choose a file to import."
    elif not upload.size:
        problem = "The file is empty."
    elif upload.size > MAX_UPLOAD:
        problem = (
            f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB; "
            "use `vigil import_tips` on the server."
        )
    elif fmt not in ("auto", *FORMATS):
        problem = "Unknown format."
    elif source is None and _lacks_source_column(upload, fmt):
        problem = (
            "Choose the source of these tips: the file names none (it has no 'source' column)."
        )
    if problem:
        do_refuse_import(problem, actor=actor, upload=upload, fmt=fmt)
        raise ValidationError(problem)
    # Sealed like media: the file may hold SSNs or card numbers, never on disk in clear.
    rel = Path("imports") / f"{uuid.uuid4().hex}.sealed"
    dest = Path(settings.UPLOAD_DIR) / rel
    upload.seek(0)
    file_key = crypto.seal_file(upload, dest)
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                created_by=actor,
                source=source,
                format=fmt,
                note=note[:5000],
                original_name=Path(upload.name).name[:255],
                file_path=str(rel),
                file_key=file_key,
                progress_total=upload.size,
            )
            record(
                "tip.import_upload",
                actor=actor,
                obj=job,
                summary=job.original_name,
                changes={"size": upload.size, "format": fmt},
            )
            request_id = request_context.current().request_id
            transaction.on_commit(lambda: tasks.run_import_job.enqueue(job.pk, request_id))
    except Exception:
        dest.unlink(missing_ok=True)  # no job refers to it
        raise
    return job


def do_refuse_import(message: str, *, actor: Any, upload: Any = None, fmt: str = "") -> None:
    """An upload refused for its input (no file, empty, too large, unknown format or source):
    one `tip.import_refused` row (outcome failed) saying why; no job, no file, nothing else."""
    record(
        "tip.import_refused",
        actor=actor,
        object_type="tips.importjob",
        outcome=Outcome.FAILED,
        summary=message[:300],
        changes={
            "file_name": Path(getattr(upload, "name", "") or "").name[:255],
            "size": getattr(upload, "size", 0) or 0,
            "format": str(fmt)[:32],
        },
    )


def do_resume_import(job: Any, *, actor: Any) -> None:
    """Queue a failed web import again from its last committed batch (its sealed file was kept)."""
    # Deferred: the task module runs the importer, which imports these actions; actions enqueue.
    from vigil.tips import tasks

    access.require(access.can_create(actor))
    access.ensure(actor, access.WRITE, job)
    if job.status != ImportJob.Status.FAILED or not job.file_path:
        raise ValidationError("Only a failed import whose file is still stored can be resumed.")
    with transaction.atomic():
        record(
            "tip.import_resume",
            actor=actor,
            obj=job,
            changes={"rows_committed": (job.summary or {}).get("rows_read", 0)},
            summary=job.original_name[:300],
        )
        request_id = request_context.current().request_id
        transaction.on_commit(lambda: tasks.resume_import_job(job, request_id))


def do_finish_import(summary: dict[str, Any], *, name: str, fmt: str, actor: Any) -> None:
    """The import's own audit row: the summary's counts (not its rejected rows or warnings)."""
    failed = bool(summary.get("error")) and not summary.get("rows_read")
    with transaction.atomic():
        record(
            "tip.import",
            actor=actor,
            object_type="tips.tip",
            changes={k: v for k, v in summary.items() if k not in {"rejected", "warnings"}},
            summary=f"{name[:100]} ({fmt}): {summary.get('tips_created', 0)} created, "
            f"{summary.get('tips_updated', 0)} updated, {summary.get('rejected_count', 0)} rejected",
            outcome=Outcome.FAILED if failed else Outcome.SUCCESS,
        )
