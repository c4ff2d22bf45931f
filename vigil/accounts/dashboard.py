"""The administrators' dashboard panel: accounts that need attention."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from vigil.accounts import access
from vigil.core.dashboard import Panel


def panel(request: HttpRequest) -> Panel | None:
    if not access.can_manage_accounts(request.user):
        return None
    User = get_user_model()
    active = User.objects.filter(is_active=True)
    return Panel(
        title="Accounts needing attention",
        template="accounts/_dashboard.html",
        context={
            "locked": list(active.filter(locked_at__isnull=False)[:10]),
            "without_mfa": active.exclude(totpdevice__confirmed=True).distinct().count(),
            "disabled": User.objects.filter(is_active=False).count(),
        },
        order=5,
    )
