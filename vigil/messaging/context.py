from django.http import HttpRequest

from vigil.messaging.models import Message


def inbox(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": Message.objects.filter(recipient=user, read_at__isnull=True).count()}
