"""The sources directory."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.tips import actions
from vigil.tips.forms import SourceForm, error_lines
from vigil.tips.models import Source
from vigil.tips.views.common import (
    errors,
)


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
            errors(request, exc)
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
