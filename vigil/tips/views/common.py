"""What the tip pages share: one way to fetch a tip for a request, form helpers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from vigil.accounts import access
from vigil.core.params import int_param
from vigil.tips import actions
from vigil.tips.models import Selector, Tip

ENTRY_TYPES = [(v, label) for v, label in Selector.Type.choices]


def errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def row_context(request: HttpRequest, tip: Tip) -> dict:
    return {
        "t": tip,
        "can_write": access.can(request.user, access.WRITE, tip),
        "is_manager": access.is_manager(request.user),
        "can_take": access.can_take_tip(request.user, tip),
        "can_select": access.can_create(request.user),
        "assignable": get_user_model().objects.assignable()
        if access.is_manager(request.user)
        else [],
        "triage_choices": [c for c in Tip.Status.choices if c[0] != Tip.Status.NEW],
    }


def get_tip(request: Any, pk: int, action: Any = access.READ, *, selectors: bool = False) -> Tip:
    """The tip a page or API call is about: 404 if the user may not see it, 403 if not change it.

    No role check first: a tip the user may not see is a 404 for every role (an
    administrator without a data role included)."""
    qs = Tip.objects.select_related("source", "assigned_to")
    if selectors:
        qs = qs.prefetch_related("selectors")
    return access.get_for_user(qs, request.user, pk, action)


def selector_inputs(request: HttpRequest) -> list[actions.SelectorInput]:
    types = request.POST.getlist("sel_type")
    values = request.POST.getlist("sel_value")
    out = []
    for kind, value in zip(types, values, strict=False):
        if value.strip():
            out.append(actions.SelectorInput(kind, value.strip()))
    return out


def int_or(value: str, default: int) -> int:
    try:
        return int_param(value, "id", default=default) or default
    except BadRequest:
        return default


def back(request: HttpRequest, tip: Tip) -> HttpResponse:
    return redirect("tips-detail", tip.pk)
