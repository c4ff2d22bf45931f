"""What the referrals views share: form errors, no-store responses, fetching a tip or a
referral in scope."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from vigil.accounts import access
from vigil.referrals.models import Referral
from vigil.tips.models import Tip


def _errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _tip(request: HttpRequest, tip_id: int, action=access.READ) -> Tip:
    return access.get_for_user(
        Tip.objects.select_related("source", "assigned_to"), request.user, tip_id, action
    )


def _referral(request: HttpRequest, pk: int, action=access.READ) -> Referral:
    return access.get_for_user(
        Referral.objects.select_related("office", "tip__source", "tip__assigned_to"),
        request.user,
        pk,
        action,
    )


def _can_write_tip(user, tip: Tip) -> bool:
    return access.can(user, access.WRITE, tip)
