from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from vigil.accounts import access
from vigil.core.params import int_param
from vigil.messaging import actions
from vigil.messaging.models import Message


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = Message.objects.filter(recipient=request.user).select_related("sender")[:200]
    users = get_user_model().objects.filter(is_active=True).exclude(pk=request.user.pk)
    return render(request, "messaging/inbox.html", {"items": items, "users": users})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    msg = access.get_for_user(Message, request.user, pk)
    actions.do_mark_read(msg, actor=request.user)
    return render(request, "messaging/detail.html", {"msg": msg})


@login_required
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    # "abc" or a 30-digit id answers 400 with the reason (vigil/core/params.py).
    recipient_id = int_param(request.POST.get("recipient"), "recipient", minimum=1)
    recipient = (
        get_user_model().objects.filter(pk=recipient_id, is_active=True).first()
        if recipient_id
        else None
    )
    if recipient is None:
        messages.error(request, "Choose who the message is for.")
        return redirect("messaging-inbox")
    try:
        actions.do_send_message(
            actor=request.user,
            recipient=recipient,
            subject=request.POST.get("subject", ""),
            body=request.POST.get("body", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Message sent to {recipient.username}.")
    return redirect("messaging-inbox")
