from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from vigil.messaging.models import Message

    return {"unread_count": Message.objects.filter(recipient=user, read_at__isnull=True).count()}
