"""The tip page and what it changes inline: edit, triage, priority, assignment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.tips import actions, panels
from vigil.tips.forms import error_lines
from vigil.tips.models import EvidenceItem, ResearchNote, Selector, Tip
from vigil.tips.views.common import (
    ENTRY_TYPES,
    back,
    errors,
    get_tip,
    int_or,
    row_context,
)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    tip = get_tip(request, pk)
    audit_actions.do_view(tip, actor=request.user, action="tip.view")
    groups: dict[str, list[Selector]] = {}
    proposed = []
    for s in tip.selectors.all():
        if s.extracted and not s.confirmed:
            proposed.append(s)
        else:
            groups.setdefault(s.get_type_display(), []).append(s)
    evidence = EvidenceItem.objects.filter(tip=tip).prefetch_related("transfers", "recorded_by")
    ctx = row_context(request, tip)
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


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    # Deferred: tips.api imports tips.views.common, which runs this package's __init__.
    from vigil.tips.api import TipUpdateSerializer

    tip = get_tip(request, pk, access.WRITE)
    status = 200
    if request.method != "POST":
        audit_actions.do_view(tip, actor=request.user, action="tip.view", page="edit")
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
            errors(request, exc)
            tip.refresh_from_db()
            status = 400
        else:
            messages.success(request, "Tip updated.")
            return redirect("tips-detail", tip.pk)
    return render(request, "tips/edit.html", {"tip": tip, "vias": Tip.Via.choices}, status=status)


@login_required
@require_POST
def triage(request: HttpRequest, pk: int) -> HttpResponse:
    tip = get_tip(request, pk, access.WRITE)
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
        ctx = row_context(request, tip)
        ctx["error"] = error
        return render(request, "tips/_queue_row.html", ctx)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Marked {tip.get_status_display().lower()}.")
    return back(request, tip)


@login_required
@require_POST
def priority(request: HttpRequest, pk: int) -> HttpResponse:
    tip = get_tip(request, pk, access.WRITE)
    try:
        actions.do_set_priority(tip, request.POST.get("priority", ""), actor=request.user)
    except ValidationError as exc:
        errors(request, exc)
    return back(request, tip)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    tip = get_tip(request, pk)
    raw = request.POST.get("assignee", "")
    if raw == "me":
        assignee = request.user
    elif raw == "":
        assignee = None
    else:
        assignee = get_user_model().objects.filter(pk=int_or(raw, 0)).first()
        if assignee is None:
            raise Http404
    error = ""
    try:
        actions.do_assign_tip(tip, assignee, actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        tip.refresh_from_db()
        ctx = row_context(request, tip)
        ctx["error"] = error
        return render(request, "tips/_queue_row.html", ctx)
    if error:
        messages.error(request, error)
    return back(request, tip)
