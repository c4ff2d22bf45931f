"""The exchange dashboard panel: partners and the conflicts waiting for a Manager."""

from __future__ import annotations

from django.http import HttpRequest

from vigil.core.dashboard import Panel
from vigil.exchange import rules
from vigil.exchange.models import Conflict, Partner


def panel(request: HttpRequest) -> Panel | None:
    if not rules.can_read(request.user):
        return None
    return Panel(
        title="Partner exchange",
        template="exchange/_dashboard.html",
        context={
            "approved": Partner.objects.approved().count(),
            "proposed": Partner.objects.filter(status=Partner.Status.PROPOSED).count(),
            "conflicts": Conflict.objects.open().count(),
        },
        order=70,
    )
