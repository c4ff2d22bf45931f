"""Bulk imports: resume a failed job, the audit row that closes an import."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from vigil.accounts import access
from vigil.audit.log import record
from vigil.audit.models import Outcome
from vigil.core import request_context
from vigil.tips.models import ImportJob


def do_resume_import(job: Any, *, actor: Any) -> None:
    """Queue a failed web import again from its last committed batch (its sealed file was kept)."""
    # Deferred: the task module runs the importer, which imports these actions; actions enqueue.
    from vigil.tips import tasks

    access.require(access.can_create(actor))
    if not ImportJob.objects.for_user(actor, access.WRITE).filter(pk=job.pk).exists():
        raise PermissionDenied
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
