"""Login policy: audit every attempt, lock-out, 90-day inactivity."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from vigil.audit.log import record
from vigil.audit.models import Outcome


def inactive_too_long(user) -> bool:
    last = user.last_seen_at or user.last_login or user.date_joined
    return last < timezone.now() - dt.timedelta(days=settings.ACCOUNT_INACTIVE_DAYS)


def disable_inactive(user, *, actor=None) -> None:
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(
            is_active=False, disabled_reason="inactive for 90 days"
        )
        record(
            "account.disable",
            actor=actor,
            obj=user,
            summary=f"disabled after {settings.ACCOUNT_INACTIVE_DAYS} days without activity",
        )


def lock(user) -> None:
    if user.locked_at is None:
        with transaction.atomic():
            type(user).objects.filter(pk=user.pk).update(locked_at=timezone.now())
            record(
                "account.lockout",
                obj=user,
                actor_username=user.username,
                outcome=Outcome.DENIED,
                summary=f"locked after {settings.LOCKOUT_FAILURES} failed logins",
            )
        user.locked_at = timezone.now()


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    type(user).objects.filter(pk=user.pk).update(last_seen_at=timezone.now())
    record("login", actor=user, obj=user)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record("logout", actor=user, obj=user)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record(
        "login",
        actor_username=username,
        outcome=Outcome.FAILED,
        object_type="accounts.user",
        summary="wrong username or password",
    )


def on_axes_lockout(sender, request, username, ip_address, **kwargs):
    user = get_user_model().objects.filter(username=username).first()
    if user is not None:
        lock(user)
    else:
        record(
            "account.lockout",
            actor_username=str(username)[:150],
            outcome=Outcome.DENIED,
            summary="lock-out of an unknown username",
        )
