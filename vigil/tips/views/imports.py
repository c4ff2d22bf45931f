"""Bulk import pages: upload, progress, resume."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.tips import actions, panels
from vigil.tips.importing import FORMATS
from vigil.tips.models import ImportJob, Source
from vigil.tips.views.common import (
    int_or,
)


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    if request.method == "POST":
        try:
            job = actions.do_queue_import(
                request.FILES.get("file"),
                actor=request.user,
                fmt=request.POST.get("format", "auto"),
                source=Source.objects.filter(pk=int_or(request.POST.get("source"), 0)).first(),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("tips-import-detail", job.pk)
    jobs = ImportJob.objects.for_user(request.user, access.WRITE)[:20]
    return render(
        request,
        "tips/import.html",
        {"sources": Source.objects.filter(active=True), "formats": FORMATS, "jobs": jobs},
    )


def _job(request: HttpRequest, pk: int) -> ImportJob:
    """An import's page is its creator's (or a Manager's): 404 for anyone else."""
    return access.get_for_user(ImportJob, request.user, pk, access.WRITE)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "tips/import_detail.html", _result(_job(request, pk)))


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "tips/_import_progress.html", _result(_job(request, pk)))


def _result(job: ImportJob) -> dict:
    """The job, and once it is done the links to what it made: its tips, other apps' pages."""
    return {
        "job": job,
        "tips_url": f"{reverse('tips-queue')}?batch={job.pk}",
        "links": panels.import_links(job.pk) if job.finished else [],
    }


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
