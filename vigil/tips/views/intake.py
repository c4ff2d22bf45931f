"""The create form and its live selector proposals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.lib import selectors as sel
from vigil.tips import actions
from vigil.tips.dates import parse_when
from vigil.tips.models import Selector, Source, Tip
from vigil.tips.views.common import (
    ENTRY_TYPES,
    errors,
    int_or,
    selector_inputs,
)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            source = Source.objects.filter(
                pk=int_or(request.POST.get("source"), 0), active=True
            ).first()
            if source is None:
                raise ValidationError("Choose the source of the tip.")
            tip = actions.do_create_tip(
                actor=request.user,
                source=source,
                source_reference=request.POST.get("source_reference", ""),
                received_at=parse_when(request.POST.get("received_at", ""), column="received at"),
                received_via=request.POST.get("received_via", Tip.Via.WEB),
                country=request.POST.get("country", ""),
                priority=int_or(request.POST.get("priority"), Tip.Priority.OTHER),
                narrative=request.POST.get("narrative", ""),
                selectors=selector_inputs(request),
            )
        except ValidationError as exc:
            errors(request, exc)
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
