"""The victim-identification dashboard panel: running and recent match requests."""

from __future__ import annotations

from django.http import HttpRequest

from vigil.accounts import access
from vigil.core.dashboard import Panel
from vigil.victimid.models import MatchRequest, Media, Series


def panel(request: HttpRequest) -> Panel | None:
    if not access.can_read_data(request.user):
        return None
    recent = list(MatchRequest.objects.for_user(request.user)[:5])
    return Panel(
        title="Victim identification",
        template="victimid/_dashboard.html",
        context={
            "series": Series.objects.count(),
            "running": MatchRequest.objects.exclude(status__in=["done", "failed"]).count(),
            # Submitted media in no series: possibly a child nobody has identified yet.
            "new_material": Media.objects.filter(series__isnull=True).count(),
            "recent": recent,
            "may_request": access.can_create(request.user),
        },
        order=60,
    )
