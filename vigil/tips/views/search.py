"""Search by selector value and full text."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.replica import read_from_replica
from vigil.tips import actions, search
from vigil.tips.models import Tip


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
        # The query itself is not kept: it may be a selector value (an SSN, a card).
        audit_actions.do_view_list(
            Tip,
            [t.pk for t in results],
            actor=request.user,
            action="tip.search",
            filters={"mode": mode},
            results=len(results),
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
