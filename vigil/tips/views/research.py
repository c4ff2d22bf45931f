"""Research notes (with attachments) and the evidence log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.lib import crypto
from vigil.lib.filenames import header_safe
from vigil.tips import actions
from vigil.tips.dates import parse_when
from vigil.tips.models import EvidenceItem, ResearchNote
from vigil.tips.views.common import (
    back,
    errors,
    get_tip,
)


@login_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    tip = get_tip(request, pk, access.WRITE)
    try:
        actions.do_add_research_note(
            tip,
            request.POST.get("body", ""),
            actor=request.user,
            attachment=request.FILES.get("attachment"),
        )
    except ValidationError as exc:
        errors(request, exc)
    else:
        messages.success(request, "Note added.")
    return back(request, tip)


@login_required
@require_GET
def note_attachment(request: HttpRequest, pk: int, nid: int) -> HttpResponse:
    tip = get_tip(request, pk)
    note = ResearchNote.objects.filter(tip=tip, pk=nid).exclude(attachment_path="").first()
    if note is None:
        raise Http404
    root = Path(settings.UPLOAD_DIR).resolve()
    path = (root / note.attachment_path).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    audit_actions.do_view(
        tip,
        actor=request.user,
        action="tip.note_attachment_download",
        summary=note.attachment_name,
        note=note.pk,
        name=note.attachment_name,
    )
    if note.attachment_key:
        import io

        fh: Any = io.BufferedReader(crypto.SealedReader(path, bytes(note.attachment_key)), 65536)
    else:
        fh = open(path, "rb")  # noqa: SIM115 - an attachment stored before sealing
    return FileResponse(fh, as_attachment=True, filename=header_safe(note.attachment_name))


@login_required
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    tip = get_tip(request, pk, access.WRITE)
    try:
        actions.do_add_evidence_item(
            tip,
            actor=request.user,
            description=request.POST.get("description", ""),
            received_from=request.POST.get("received_from", ""),
            received_at=parse_when(request.POST.get("received_at", ""), column="received at"),
            stored_at=request.POST.get("stored_at", ""),
        )
    except ValidationError as exc:
        errors(request, exc)
    return back(request, tip)


@login_required
@require_POST
def evidence_transfer(request: HttpRequest, pk: int, eid: int) -> HttpResponse:
    tip = get_tip(request, pk, access.WRITE)
    item = EvidenceItem.objects.filter(tip=tip, pk=eid).first()
    if item is None:
        raise Http404
    try:
        actions.do_record_evidence_transfer(
            item,
            actor=request.user,
            from_party=request.POST.get("from_party", ""),
            to_party=request.POST.get("to_party", ""),
            transferred_at=parse_when(
                request.POST.get("transferred_at", ""), column="transferred at"
            ),
            stored_at=request.POST.get("stored_at", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        errors(request, exc)
    return back(request, tip)
