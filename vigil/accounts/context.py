from django.http import HttpRequest

from vigil.accounts import access


def shell(request: HttpRequest) -> dict:
    """What the base layout needs on every page: the user's role and navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_can_read": access.can_read_data(user),
        "nav_is_admin": user.is_account_admin,
        "nav_can_audit": access.can_view_audit(user),
        "nav_can_grant_share": access.can_grant_share(user),
    }
