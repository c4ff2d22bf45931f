"""Everyone's dashboard panel: unread messages (only when there are some)."""

from __future__ import annotations

from django.http import HttpRequest

from vigil.core.dashboard import Panel
from vigil.messaging.models import Message


def panel(request: HttpRequest) -> Panel | None:
    user = request.user
    if not user.is_authenticated:
        return None
    unread = Message.objects.filter(recipient=user).unread()
    items = list(unread.select_related("sender")[:5])
    if not items:
        return None
    return Panel(
        title="Unread messages",
        template="messaging/_dashboard.html",
        context={"items": items, "count": unread.count()},
        order=10,
    )
