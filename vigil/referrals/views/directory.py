"""The directory of field offices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.referrals import actions
from vigil.referrals.forms import OfficeForm
from vigil.referrals.models import Office
from vigil.referrals.views.common import _errors


@login_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    offices = Office.objects.for_user(request.user).prefetch_related("areas")
    kind = request.GET.get("kind", "")
    if kind in Office.Kind.values:
        offices = offices.filter(kind=kind)
    return render(
        request,
        "referrals/directory.html",
        {
            "offices": offices,
            "kind": kind,
            "kinds": Office.Kind.choices,
            "can_manage": access.is_manager(request.user),
        },
    )


def _office_initial(office: Office) -> dict:
    data = {k: getattr(office, k) for k in actions.OFFICE_FIELDS}
    data["areas"] = office.area_codes
    return data


@login_required
def office_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    office = None
    if pk is not None:
        office = access.get_for_user(Office, request.user, pk)
    if request.method == "POST" or pk is None:
        access.require(access.is_manager(request.user))
    form = OfficeForm(request.POST or None, initial=_office_initial(office) if office else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        areas = data.pop("areas")
        try:
            office = actions.do_save_office(office, actor=request.user, areas=areas, **data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"Saved {office.name}.")
            return redirect("referrals-office", office.pk)
    return render(
        request,
        "referrals/office.html",
        {
            "office": office,
            "form": form,
            "can_manage": access.is_manager(request.user),
            "referrals": office.referrals.select_related("tip__source")[:20] if office else [],
        },
    )
