"""Login policy: audit every attempt, lock-out, 90-day inactivity."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from vigil.audit.log import diff, record
from vigil.audit.models import Outcome


def inactive_too_long(user) -> bool:
    last = user.last_seen_at or user.last_login or user.date_joined
    return last < timezone.now() - dt.timedelta(days=settings.ACCOUNT_INACTIVE_DAYS)


def disable_inactive(user, *, actor=None) -> None:
    """Disable an account unused for ACCOUNT_INACTIVE_DAYS (at sign-in, or by `vigil disable_inactive`)."""
    reason = f"inactive for {settings.ACCOUNT_INACTIVE_DAYS} days"
    with transaction.atomic():
        get_user_model().objects.filter(pk=user.pk).update(is_active=False, disabled_reason=reason)
        record(
            "account.disable",
            actor=actor,
            obj=user,
            changes=diff(
                {"is_active": True, "disabled_reason": user.disabled_reason},
                {"is_active": False, "disabled_reason": reason},
            ),
            summary=f"disabled after {settings.ACCOUNT_INACTIVE_DAYS} days without activity",
        )
    user.is_active = False
    user.disabled_reason = reason


def lock(user) -> None:
    if user.locked_at is None:
        with transaction.atomic():
            get_user_model().objects.filter(pk=user.pk).update(locked_at=timezone.now())
            record(
                "account.lockout",
                obj=user,
                actor_username=user.username,
                outcome=Outcome.DENIED,
                summary=f"locked after {settings.LOCKOUT_FAILURES} failed logins",
            )
        user.locked_at = timezone.now()


def is_locked(user) -> bool:
    """Locked until an administrator unlocks; with VIGIL_LOCKOUT_AUTO_RESET=1 the lock
    lapses after the lock-out window (and the lapse is audited)."""
    if user.locked_at is None:
        return False
    if settings.LOCKOUT_UNTIL_UNLOCK:
        return True
    if user.locked_at > timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_WINDOW_MINUTES):
        return True
    with transaction.atomic():
        get_user_model().objects.filter(pk=user.pk).update(locked_at=None)
        record(
            "account.unlock",
            obj=user,
            actor_username=user.username,
            changes=diff({"locked_at": user.locked_at}, {"locked_at": None}),
            summary=f"lock-out lapsed after {settings.LOCKOUT_WINDOW_MINUTES} minutes",
        )
    user.locked_at = None
    return False


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    get_user_model().objects.filter(pk=user.pk).update(last_seen_at=timezone.now())
    record("login", actor=user, obj=user)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        # The session policy names why it ended a session (idle time-out, disabled, locked).
        reason = getattr(request, "vigil_logout_reason", "") if request is not None else ""
        record("logout", actor=user, obj=user, summary=reason)


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
