"""Bulk import pages: upload, progress, resume."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.audit.log import record
from vigil.core import request_context
from vigil.lib import crypto
from vigil.tips import actions, tasks
from vigil.tips.importing import FORMATS
from vigil.tips.importing.detection import detect_format
from vigil.tips.models import ImportJob, Source
from vigil.tips.views.common import (
    int_or,
)

MAX_UPLOAD = 200 * 1024 * 1024


def _lacks_source_column(upload, fmt: str) -> bool:
    """Whether the file can name no source itself (an IP list, or no 'source' column)."""
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


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    if request.method == "POST":
        upload = request.FILES.get("file")
        fmt = request.POST.get("format", "auto")
        source = Source.objects.filter(pk=int_or(request.POST.get("source"), 0)).first()
        error = ""
        if upload is None:
            error = "Choose a file to import."
        elif upload.size > MAX_UPLOAD:
            error = f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB; use `vigil import_tips` on the server."
        elif fmt not in ("auto", *FORMATS):
            error = "Unknown format."
        elif source is None and _lacks_source_column(upload, fmt):
            error = (
                "Choose the source of these tips: the file names none (it has no 'source' column)."
            )
        if error:
            messages.error(request, error)
        else:
            # Sealed like media: the file may hold SSNs or card numbers, never on disk in clear.
            rel = Path("imports") / f"{uuid.uuid4().hex}.sealed"
            dest = Path(settings.UPLOAD_DIR) / rel
            upload.seek(0)
            file_key = crypto.seal_file(upload, dest)
            with transaction.atomic():
                job = ImportJob.objects.create(
                    created_by=request.user,
                    source=source,
                    format=fmt,
                    note=request.POST.get("note", "")[:5000],
                    original_name=Path(upload.name).name[:255],
                    file_path=str(rel),
                    file_key=file_key,
                    progress_total=upload.size,
                )
                record(
                    "tip.import_upload",
                    actor=request.user,
                    obj=job,
                    summary=job.original_name,
                    changes={"size": upload.size, "format": fmt},
                )
                request_id = request_context.current().request_id
                transaction.on_commit(lambda: tasks.run_import_job.enqueue(job.pk, request_id))
            return redirect("tips-import-detail", job.pk)
    jobs = ImportJob.objects.for_user(request.user, access.WRITE)[:20]
    return render(
        request,
        "tips/import.html",
        {"sources": Source.objects.filter(active=True), "formats": FORMATS, "jobs": jobs},
    )


def _job(request: HttpRequest, pk: int) -> ImportJob:
    access.require(access.can_create(request.user))
    job = access.get_for_user(ImportJob, request.user, pk)
    if not ImportJob.objects.for_user(request.user, access.WRITE).filter(pk=job.pk).exists():
        raise PermissionDenied
    return job


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "tips/import_detail.html", {"job": _job(request, pk)})


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "tips/_import_progress.html", {"job": _job(request, pk)})


@login_required
@require_POST
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        actions.do_resume_import(job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The import was queued again; it goes on from its last batch.")
    return redirect("tips-import-detail", job.pk)
