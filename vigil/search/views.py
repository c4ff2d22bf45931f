"""The results page of the search box in every page's header."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.replica import read_from_replica
from vigil.search import finder
from vigil.tips.models import Tip


@login_required
@require_GET
@read_from_replica
def results(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    found = finder.find(request.user, request.GET.get("q", ""))
    if found.query:
        # One row per kind that answered (a search that found nothing: one row on tips).
        # The query itself is not kept: it may be a selector value (an SSN, a card).
        answered = [s for s in found.sections if s.rows] or found.sections[:1]
        for section in answered:
            model = section.rows[0].__class__ if section.rows else Tip
            audit_actions.do_view_list(
                model,
                [r.pk for r in section.rows],
                actor=request.user,
                action="search.results",
                filters={"kind": section.kind},
                results=len(section.rows),
                summary=f"search box: {len(section.rows)} {section.label.lower()}",
            )
    return render(request, "search/results.html", {"found": found, "q": found.query})
