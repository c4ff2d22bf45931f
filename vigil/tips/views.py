"""Tip pages: queue, detail, create, search, sources, bulk import. Thin views over actions."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.audit.log import record
from vigil.core import request_context
from vigil.core.params import int_param
from vigil.core.replica import read_from_replica
from vigil.lib import crypto
from vigil.lib.csvsafe import safe_row
from vigil.lib.filenames import header_safe
from vigil.tips import actions, panels, search, tasks
from vigil.tips.forms import SourceForm, error_lines
from vigil.tips.importing import FORMATS
from vigil.tips.models import EvidenceItem, ImportJob, ResearchNote, Selector, Source, Tip

ENTRY_TYPES = [(v, label) for v, label in Selector.Type.choices]
MAX_UPLOAD = 200 * 1024 * 1024


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _when(text: str, name: str) -> dt.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"{name}: {text[:40]!r} is not a date and time") from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _filtered(request: HttpRequest):
    qs = Tip.objects.for_user(request.user).select_related("source", "assigned_to")
    f = {k: request.GET.get(k, "") for k in ("status", "source", "assignee", "priority")}
    if f["status"] == "open":
        qs = qs.open()
    elif f["status"] in Tip.Status.values:
        qs = qs.filter(status=f["status"])
    # A value that is not an id in range answers 400 (vigil/core/params.py), not a 500.
    if f["source"]:
        qs = qs.filter(source_id=int_param(f["source"], "source"))
    if f["assignee"] == "none":
        qs = qs.filter(assigned_to__isnull=True)
    elif f["assignee"] == "me":
        qs = qs.filter(assigned_to=request.user)
    elif f["assignee"]:
        qs = qs.filter(assigned_to_id=int_param(f["assignee"], "assignee"))
    if f["priority"]:
        qs = qs.filter(priority=int_param(f["priority"], "priority", maximum=32767))
    return qs.queue(), f


def _row_context(request: HttpRequest, tip: Tip) -> dict:
    return {
        "t": tip,
        "can_write": Tip.objects.for_user(request.user, access.WRITE).filter(pk=tip.pk).exists(),
        "is_manager": access.is_manager(request.user),
        "can_take": access.can_create(request.user) and tip.assigned_to_id is None,
        "assignable": get_user_model().objects.assignable()
        if access.is_manager(request.user)
        else [],
        "triage_choices": [c for c in Tip.Status.choices if c[0] != Tip.Status.NEW],
    }


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    qs, f = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    writable = set(
        Tip.objects.for_user(request.user, access.WRITE)
        .filter(pk__in=[t.pk for t in page])
        .values_list("pk", flat=True)
    )
    manager = access.is_manager(request.user)
    rows = [
        {
            "t": t,
            "can_write": t.pk in writable,
            "is_manager": manager,
            "can_take": access.can_create(request.user) and t.assigned_to_id is None,
        }
        for t in page
    ]
    return render(
        request,
        "tips/queue.html",
        {
            "rows": rows,
            "page": page,
            "f": f,
            "query": request.GET.urlencode(),
            "statuses": Tip.Status.choices,
            "priorities": Tip.Priority.choices,
            "sources": Source.objects.all(),
            "assignable": get_user_model().objects.assignable(),
            "triage_choices": [c for c in Tip.Status.choices if c[0] != Tip.Status.NEW],
            "can_create": access.can_create(request.user),
        },
    )


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The filtered queue as CSV; every cell escaped against spreadsheet formulas."""
    access.require(access.can_read_data(request.user))
    qs, f = _filtered(request)
    as_xlsx = request.GET.get("format") == "xlsx"
    header = [
        "id",
        "source",
        "reference",
        "received_at",
        "status",
        "priority",
        "assigned_to",
        "narrative",
    ]

    def rows():
        for t in qs.iterator(chunk_size=500):
            yield safe_row(
                [
                    t.pk,
                    t.source.name,
                    t.source_reference,
                    t.received_at.isoformat(),
                    t.status,
                    t.priority,
                    t.assigned_to.username if t.assigned_to else "",
                    t.narrative,
                ]
            )

    count = 0
    if as_xlsx:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Tips")
        ws.append(header)
        for row in rows():
            ws.append(row)
            count += 1
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="tips.xlsx"'
        wb.save(response)
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tips.csv"'
        writer = csv.writer(response)
        writer.writerow(header)
        for row in rows():
            writer.writerow(row)
            count += 1
    record(
        "tip.export",
        actor=request.user,
        object_type="tips.tip",
        changes={"filters": f, "rows": count},
        summary=f"{count} tips exported as {'XLSX' if as_xlsx else 'CSV'}",
    )
    return response


def _tip(request: HttpRequest, pk: int, action=access.READ) -> Tip:
    access.require(access.can_read_data(request.user))
    return access.get_for_user(
        Tip.objects.select_related("source", "assigned_to"), request.user, pk, action
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    tip = _tip(request, pk)
    record("tip.view", actor=request.user, obj=tip, summary=str(tip))
    groups: dict[str, list[Selector]] = {}
    proposed = []
    for s in tip.selectors.all():
        if s.extracted and not s.confirmed:
            proposed.append(s)
        else:
            groups.setdefault(s.get_type_display(), []).append(s)
    evidence = EvidenceItem.objects.filter(tip=tip).prefetch_related("transfers", "recorded_by")
    ctx = _row_context(request, tip)
    ctx.update(
        {
            "tip": tip,
            "groups": sorted(groups.items()),
            "proposed": proposed,
            "notes": ResearchNote.objects.filter(tip=tip).select_related("author"),
            "evidence": evidence,
            "priorities": Tip.Priority.choices,
            "entry_types": ENTRY_TYPES,
            "extra_panels": panels.urls_for(tip.pk),
        }
    )
    return render(request, "tips/detail.html", ctx)


def _selector_inputs(request: HttpRequest) -> list[actions.SelectorInput]:
    types = request.POST.getlist("sel_type")
    values = request.POST.getlist("sel_value")
    out = []
    for kind, value in zip(types, values, strict=False):
        if value.strip():
            out.append(actions.SelectorInput(kind, value.strip()))
    return out


def _int(value: str, default: int) -> int:
    try:
        return int_param(value, "id", default=default) or default
    except BadRequest:
        return default


@login_required
def create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            source = Source.objects.filter(
                pk=_int(request.POST.get("source"), 0), active=True
            ).first()
            if source is None:
                raise ValidationError("Choose the source of the tip.")
            tip = actions.do_create_tip(
                actor=request.user,
                source=source,
                source_reference=request.POST.get("source_reference", ""),
                received_at=_when(request.POST.get("received_at", ""), "received at"),
                received_via=request.POST.get("received_via", Tip.Via.WEB),
                country=request.POST.get("country", ""),
                priority=_int(request.POST.get("priority"), Tip.Priority.OTHER),
                narrative=request.POST.get("narrative", ""),
                selectors=_selector_inputs(request),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Tip {tip.source_reference} created.")
            return redirect("tips-detail", tip.pk)
    sel_rows = (
        list(zip(request.POST.getlist("sel_type"), request.POST.getlist("sel_value"), strict=False))
        if request.method == "POST"
        else []
    )
    sel_rows = [r for r in sel_rows if r[1].strip()] or [("email", "")]
    return render(
        request,
        "tips/create.html",
        {
            "v": values,
            "sources": Source.objects.filter(active=True),
            "vias": Tip.Via.choices,
            "priorities": Tip.Priority.choices,
            "entry_types": ENTRY_TYPES,
            "sel_rows": sel_rows,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def extract(request: HttpRequest) -> HttpResponse:
    """Live proposals while the analyst types: nothing is saved."""
    access.require(access.can_create(request.user))
    text = request.POST.get("narrative", "")[: actions.MAX_NARRATIVE]
    country = request.POST.get("country", "").strip().upper() or None
    found = actions.extract_inputs(text, region=country)
    from vigil.lib import selectors as sel

    items = [
        {
            "type": f.type,
            "label": dict(Selector.Type.choices).get(f.type, f.type),
            "raw": f.raw,
            "value": sel.normalise(f.type, f.raw, default_region=country or "US") or f.raw,
        }
        for f in found
    ]
    return render(request, "tips/_proposals.html", {"items": items})


@login_required
@require_GET
def selector_row(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    return render(
        request, "tips/_selector_row.html", {"entry_types": ENTRY_TYPES, "row": ("email", "")}
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    from vigil.tips.api import TipUpdateSerializer

    tip = _tip(request, pk, access.WRITE)
    status = 200
    if request.method == "POST":
        # The API's serializer: one validation for the page and PATCH /api/tips/<id>/.
        ser = TipUpdateSerializer(data=request.POST, partial=True)
        fields = {k: v for k, v in ser.validated_data.items()} if ser.is_valid() else None
        try:
            if fields is None:
                raise ValidationError(error_lines(ser.errors))
            fields.pop("priority", None)  # set from the tip page, not here
            actions.do_update_tip(tip, actor=request.user, **fields)
        except ValidationError as exc:
            _errors(request, exc)
            tip.refresh_from_db()
            status = 400
        else:
            messages.success(request, "Tip updated.")
            return redirect("tips-detail", tip.pk)
    return render(request, "tips/edit.html", {"tip": tip, "vias": Tip.Via.choices}, status=status)


def _back(request: HttpRequest, tip: Tip) -> HttpResponse:
    return redirect("tips-detail", tip.pk)


@login_required
@require_POST
def selector_add(request: HttpRequest, pk: int) -> HttpResponse:
    tip = _tip(request, pk, access.WRITE)
    try:
        added = actions.do_add_selectors(tip, _selector_inputs(request), actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request, f"{len(added)} selector(s) added." if added else "Already on the tip."
        )
    return _back(request, tip)


def _selector(request: HttpRequest, pk: int, sid: int) -> Selector:
    tip = _tip(request, pk, access.WRITE)
    selector = Selector.objects.filter(tip=tip, pk=sid).first()
    if selector is None:
        raise Http404
    return selector


@login_required
@require_POST
def selector_confirm(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    selector = _selector(request, pk, sid)
    actions.do_confirm_selector(selector, actor=request.user)
    return _back(request, selector.tip)


@login_required
@require_POST
def selector_remove(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    selector = _selector(request, pk, sid)
    actions.do_remove_selector(selector, actor=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, "Selector removed.")
    return _back(request, selector.tip)


@login_required
@require_POST
def triage(request: HttpRequest, pk: int) -> HttpResponse:
    tip = _tip(request, pk, access.WRITE)
    error = ""
    try:
        actions.do_triage_tip(
            tip,
            request.POST.get("status", ""),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        ctx = _row_context(request, tip)
        ctx["error"] = error
        return render(request, "tips/_queue_row.html", ctx)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Marked {tip.get_status_display().lower()}.")
    return _back(request, tip)


@login_required
@require_POST
def priority(request: HttpRequest, pk: int) -> HttpResponse:
    tip = _tip(request, pk, access.WRITE)
    try:
        actions.do_set_priority(tip, request.POST.get("priority", ""), actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return _back(request, tip)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    tip = _tip(request, pk)
    raw = request.POST.get("assignee", "")
    if raw == "me":
        assignee = request.user
    elif raw == "":
        assignee = None
    else:
        assignee = get_user_model().objects.filter(pk=_int(raw, 0)).first()
        if assignee is None:
            raise Http404
    error = ""
    try:
        actions.do_assign_tip(tip, assignee, actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        tip.refresh_from_db()
        ctx = _row_context(request, tip)
        ctx["error"] = error
        return render(request, "tips/_queue_row.html", ctx)
    if error:
        messages.error(request, error)
    return _back(request, tip)


@login_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    tip = _tip(request, pk, access.WRITE)
    try:
        actions.do_add_research_note(
            tip,
            request.POST.get("body", ""),
            actor=request.user,
            attachment=request.FILES.get("attachment"),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Note added.")
    return _back(request, tip)


@login_required
@require_GET
def note_attachment(request: HttpRequest, pk: int, nid: int) -> HttpResponse:
    tip = _tip(request, pk)
    note = ResearchNote.objects.filter(tip=tip, pk=nid).exclude(attachment_path="").first()
    if note is None:
        raise Http404
    root = Path(settings.UPLOAD_DIR).resolve()
    path = (root / note.attachment_path).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    record(
        "tip.note_attachment_download",
        actor=request.user,
        obj=tip,
        changes={"note": note.pk, "name": note.attachment_name},
        summary=note.attachment_name,
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
    tip = _tip(request, pk, access.WRITE)
    try:
        actions.do_add_evidence_item(
            tip,
            actor=request.user,
            description=request.POST.get("description", ""),
            received_from=request.POST.get("received_from", ""),
            received_at=_when(request.POST.get("received_at", ""), "received at"),
            stored_at=request.POST.get("stored_at", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    return _back(request, tip)


@login_required
@require_POST
def evidence_transfer(request: HttpRequest, pk: int, eid: int) -> HttpResponse:
    tip = _tip(request, pk, access.WRITE)
    item = EvidenceItem.objects.filter(tip=tip, pk=eid).first()
    if item is None:
        raise Http404
    try:
        actions.do_record_evidence_transfer(
            item,
            actor=request.user,
            from_party=request.POST.get("from_party", ""),
            to_party=request.POST.get("to_party", ""),
            transferred_at=_when(request.POST.get("transferred_at", ""), "transferred at"),
            stored_at=request.POST.get("stored_at", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    return _back(request, tip)


@login_required
@require_GET
@read_from_replica
def search_page(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    q = request.GET.get("q", "").strip()[:500]
    mode = request.GET.get("mode", "selector")
    results = None
    candidates = []
    if q:
        base = Tip.objects.for_user(request.user).select_related("source", "assigned_to")
        if mode == "text":
            results = search.fulltext(base, q)
        else:
            candidates = search.candidate_values(q)
            results = search.by_selector(base, q)
        results = list(results.queue()[:200])
        record(
            "tip.search",
            actor=request.user,
            object_type="tips.tip",
            changes={"mode": mode, "results": len(results)},
            summary=f"{mode} search",
        )
    return render(
        request,
        "tips/search.html",
        {
            "q": q,
            "mode": mode,
            "results": results,
            "candidates": [c for c in candidates if c[0] not in actions.HASHED_TYPES],
        },
    )


# --- sources ----------------------------------------------------------------------------


@login_required
@require_GET
def sources(request: HttpRequest) -> HttpResponse:
    access.require(
        access.can_read_data(request.user) or access.can_manage_reference_data(request.user)
    )
    return render(
        request,
        "tips/sources.html",
        {
            "sources": Source.objects.for_user(request.user).with_tip_counts(),
            "can_manage": access.can_manage_reference_data(request.user),
        },
    )


@login_required
def source_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    access.require(access.can_manage_reference_data(request.user))
    source = access.get_for_user(Source, request.user, pk, access.WRITE) if pk else None
    if source is not None:
        # False tips count against a source: the page shows how many and what share.
        counts = Source.objects.with_tip_counts().filter(pk=source.pk)
        source.tip_count, source.unfounded_count = counts.values_list(
            "tip_count", "unfounded_count"
        ).get()
    status = 200
    if request.method == "POST":
        form = SourceForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(error_lines(form.errors))
            fields = dict(form.cleaned_data)
            name = fields.pop("name")
            if source is None:
                source = actions.do_create_source(actor=request.user, name=name, **fields)
            else:
                actions.do_update_source(source, actor=request.user, name=name, **fields)
        except ValidationError as exc:
            _errors(request, exc)
            status = 400
            if source is not None:
                source.refresh_from_db()
        else:
            messages.success(request, f"Source {source.name} saved.")
            return redirect("tips-sources")
    return render(
        request,
        "tips/source_form.html",
        {
            "source": source,
            "v": request.POST,
            "kinds": Source.Kind.choices,
            "reliabilities": Source.Reliability.choices,
        },
        status=status,
    )


# --- bulk import -------------------------------------------------------------------------


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    if request.method == "POST":
        upload = request.FILES.get("file")
        fmt = request.POST.get("format", "auto")
        source = Source.objects.filter(pk=_int(request.POST.get("source"), 0)).first()
        error = ""
        if upload is None:
            error = "Choose a file to import."
        elif upload.size > MAX_UPLOAD:
            error = f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB; use `vigil import_tips` on the server."
        elif fmt not in ("auto", *FORMATS):
            error = "Unknown format."
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


def dashboard_panel(request: HttpRequest):
    """'My tips' on the dashboard: open tips assigned to me, most urgent first."""
    from vigil.core.dashboard import Panel

    user = request.user
    if not access.can_read_data(user):
        return None
    mine = Tip.objects.for_user(user).open().filter(assigned_to=user)
    unassigned = Tip.objects.for_user(user).open().filter(assigned_to__isnull=True).count()
    return Panel(
        title="My open tips",
        template="tips/_dashboard.html",
        context={
            "items": list(mine.queue().select_related("source")[:10]),
            "count": mine.count(),
            "unassigned": unassigned,
        },
        order=10,
    )
