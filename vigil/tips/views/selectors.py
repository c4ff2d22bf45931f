"""Adding, confirming and removing selectors on the tip page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from vigil.accounts import access
from vigil.tips import actions
from vigil.tips.models import Selector
from vigil.tips.views.common import (
    back,
    errors,
    get_tip,
    selector_inputs,
)


@login_required
@require_POST
def selector_add(request: HttpRequest, pk: int) -> HttpResponse:
    tip = get_tip(request, pk, access.WRITE)
    try:
        added = actions.do_add_selectors(tip, selector_inputs(request), actor=request.user)
    except ValidationError as exc:
        errors(request, exc)
    else:
        messages.success(
            request, f"{len(added)} selector(s) added." if added else "Already on the tip."
        )
    return back(request, tip)


def _selector(request: HttpRequest, pk: int, sid: int) -> Selector:
    tip = get_tip(request, pk, access.WRITE)
    selector = Selector.objects.filter(tip=tip, pk=sid).first()
    if selector is None:
        raise Http404
    return selector


@login_required
@require_POST
def selector_confirm(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    selector = _selector(request, pk, sid)
    actions.do_confirm_selector(selector, actor=request.user)
    return back(request, selector.tip)


@login_required
@require_POST
def selector_remove(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    selector = _selector(request, pk, sid)
    actions.do_remove_selector(selector, actor=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, "Selector removed.")
    return back(request, selector.tip)
