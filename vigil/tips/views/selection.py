"""The queue's bulk form: a priority, a take or an assignment for many tips at once.

The form posts either the ticked tips (`tip`, repeated) or `scope=filter` with
the queue's filters as `f_<filter>` (every tip the filter shows the user, e.g.
one import batch; prefixed: `priority` and `assignee` are the change itself). The actions decide, tip by tip, what the user may change.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from vigil.accounts import access
from vigil.tips import actions
from vigil.tips.actions.selection import MAX_SELECTION
from vigil.tips.models import Tip
from vigil.tips.queue import FILTERS, filter_queue
from vigil.tips.views.common import int_or


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.POST[f"f_{k}"] for k in FILTERS if request.POST.get(f"f_{k}")}


def _selected(request: HttpRequest) -> list:
    if request.POST.get("scope") == "filter":
        qs, _ = filter_queue(Tip.objects.for_user(request.user), _filters(request), request.user)
        return list(qs.values_list("pk", flat=True)[: MAX_SELECTION + 1])
    return request.POST.getlist("tip")


def _back(request: HttpRequest) -> HttpResponse:
    query = _filters(request)
    return redirect(reverse("tips-queue") + ("?" + urlencode(query) if query else ""))


def _run(request: HttpRequest, call, done: str) -> HttpResponse:
    try:
        outcome = call(_selected(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, outcome.message(done))
    return _back(request)


@login_required
@require_POST
def bulk_priority(request: HttpRequest) -> HttpResponse:
    priority = request.POST.get("priority", "")
    return _run(
        request,
        lambda ids: actions.do_set_tips_priority(ids, priority, actor=request.user),
        "given the new priority",
    )


@login_required
@require_POST
def bulk_take(request: HttpRequest) -> HttpResponse:
    return _run(request, lambda ids: actions.do_take_tips(ids, actor=request.user), "taken")


@login_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    access.require(access.is_manager(request.user))
    raw = request.POST.get("assignee", "")
    assignee = None
    if raw:
        assignee = get_user_model().objects.filter(pk=int_or(raw, 0)).first()
        if assignee is None:
            raise Http404
    return _run(
        request,
        lambda ids: actions.do_assign_tips(ids, assignee, actor=request.user),
        "assigned" if assignee else "unassigned",
    )
