"""Account administration: every change checks the actor, changes, and audits in one transaction."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.accounts.models import ApiToken, Role
from vigil.audit.log import diff, record, snapshot
from vigil.audit.models import Outcome
from vigil.core import request_context
from vigil.lib import tokens

# What an account audit row shows before/after (never the password hash).
ROLE_FIELDS = ["role", "is_account_admin"]
PROFILE_FIELDS = ["first_name", "last_name", "email", "agency", "phone"]
STATE_FIELDS = ["is_active", "locked_at", "disabled_reason", "last_seen_at"]


def generate_password() -> str:
    """A random initial password: 4 groups of 5 URL-safe characters (~120 bits)."""
    return "-".join(secrets.token_urlsafe(4)[:5] for _ in range(4))


def _other_admins(account: Any) -> bool:
    """Is there an administrator besides `account` who can still sign in?"""
    return (
        get_user_model()
        .objects.filter(is_account_admin=True, is_active=True, locked_at__isnull=True)
        .exclude(pk=account.pk)
        .exists()
    )


def _require_admin(actor: Any) -> None:
    access.require(access.can_manage_accounts(actor))


def do_create_account(
    *,
    actor: Any,
    username: str,
    role: str = Role.NONE,
    is_account_admin: bool = False,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    agency: str = "",
    phone: str = "",
    password: str | None = None,
) -> tuple[Any, str | None]:
    """Create an account. Returns (user, generated password or None when `password` was given)."""
    _require_admin(actor)
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"username": "A username is required."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"The username {username!r} is taken."})
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    user = User(
        username=username,
        role=role,
        is_account_admin=is_account_admin,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        agency=agency.strip(),
        phone=phone.strip(),
        # The administrator knows this password: the user replaces it at first sign-in.
        must_change_password=True,
    )
    generated = None
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
    else:
        password = generated = generate_password()
    user.set_password(password)
    with transaction.atomic():
        user.save()
        record(
            "account.create",
            actor=actor,
            obj=user,
            changes=diff({}, snapshot(user, ["username", *ROLE_FIELDS, *PROFILE_FIELDS])),
            summary=f"{user.username} created as {user.role_label}",
        )
    return user, generated


def do_update_account(
    account: Any,
    *,
    actor: Any,
    role: str,
    is_account_admin: bool,
    **profile: str,
) -> None:
    """Change an account's role, administrator flag and profile fields.

    A role change is audited as `account.role_change`; other edits as `account.update`.
    The last administrator who can still sign in keeps the administrator flag.
    """
    _require_admin(actor)
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    with transaction.atomic():
        account = type(account).objects.select_for_update().get(pk=account.pk)
        if account.is_account_admin and not is_account_admin and not _other_admins(account):
            raise ValidationError(
                {
                    "is_account_admin": "This is the last administrator who can sign in: "
                    "make another account an administrator first."
                }
            )
        before_role = snapshot(account, ROLE_FIELDS)
        before_profile = snapshot(account, PROFILE_FIELDS)
        account.role = role
        account.is_account_admin = is_account_admin
        for name, value in profile.items():
            setattr(account, name, (value or "").strip())
        account.save(update_fields=[*ROLE_FIELDS, *profile])
        role_changes = diff(before_role, snapshot(account, ROLE_FIELDS))
        profile_changes = diff(before_profile, snapshot(account, PROFILE_FIELDS))
        if role_changes:
            record(
                "account.role_change",
                actor=actor,
                obj=account,
                changes=role_changes,
                summary=f"{account.username} is now {account.role_label}",
            )
        if profile_changes:
            record("account.update", actor=actor, obj=account, changes=profile_changes)


def _set_state(account: Any, action: str, *, actor: Any, summary: str = "", **values: Any) -> Any:
    """Change state fields of one account under a row lock and audit before/after."""
    with transaction.atomic():
        account = type(account).objects.select_for_update().get(pk=account.pk)
        before = snapshot(account, STATE_FIELDS)
        for name, value in values.items():
            setattr(account, name, value)
        account.save(update_fields=list(values))
        record(
            action,
            actor=actor,
            obj=account,
            changes=diff(before, snapshot(account, STATE_FIELDS)),
            summary=summary,
        )
    return account


def do_disable_account(account: Any, *, actor: Any, reason: str = "") -> Any:
    _require_admin(actor)
    reason = reason.strip()[:200] or "disabled by an administrator"
    if account.pk == actor.pk:
        raise ValidationError("You cannot disable your own account: ask another administrator.")
    if not account.is_active:
        raise ValidationError(f"{account.username} is disabled already.")
    if account.is_account_admin and not _other_admins(account):
        raise ValidationError("This is the last administrator who can sign in.")
    return _set_state(
        account,
        "account.disable",
        actor=actor,
        summary=reason,
        is_active=False,
        disabled_reason=reason,
    )


def do_enable_account(account: Any, *, actor: Any) -> Any:
    _require_admin(actor)
    if account.is_active:
        raise ValidationError(f"{account.username} is enabled already.")
    # Restart the inactivity clock, or the next sign-in would disable it again.
    return _set_state(
        account,
        "account.enable",
        actor=actor,
        is_active=True,
        disabled_reason="",
        last_seen_at=timezone.now(),
    )


def do_unlock_account(account: Any, *, actor: Any) -> Any:
    """Clear the lock-out and the failed attempts that caused it."""
    from axes.utils import reset

    _require_admin(actor)
    with transaction.atomic():
        account = _set_state(account, "account.unlock", actor=actor, locked_at=None)
        reset(username=account.username)
    return account


def do_reset_mfa(account: Any, *, actor: Any) -> int:
    """Remove the account's authenticators; the user enrols again at the next sign-in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require_admin(actor)
    with transaction.atomic():
        count, _ = TOTPDevice.objects.filter(user=account).delete()
        record(
            "mfa.reset",
            actor=actor,
            obj=account,
            changes={"totp_devices": {"before": count, "after": 0}},
            summary=f"{count} authenticator(s) removed",
        )
    return count


def do_begin_mfa_enrolment(user: Any) -> Any:
    """The user's unconfirmed authenticator (a TOTP secret shown on the enrol page), made and
    audited (`mfa.issue`) on the first visit, the same one after; None when the user has a
    confirmed authenticator already."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is not None:
        return device
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        record(
            "mfa.issue",
            actor=user,
            obj=user,
            summary="authenticator secret issued for enrolment (not yet confirmed)",
        )
    return device


def do_confirm_mfa_enrolment(device: Any, token: str) -> bool:
    """Confirm the authenticator with one code from it; audited either way (`mfa.enrol`)."""
    user = device.user
    if not device.verify_token(token):
        record("mfa.enrol", actor=user, obj=user, outcome=Outcome.FAILED, summary="wrong code")
        return False
    with transaction.atomic():
        device.confirmed = True
        device.save()
        record("mfa.enrol", actor=user, obj=user)
    return True


def do_reset_password(account: Any, *, actor: Any) -> str:
    """An administrator sets a new random password for a user who lost theirs; shown once."""
    _require_admin(actor)
    password = generate_password()
    with transaction.atomic():
        account = type(account).objects.select_for_update().get(pk=account.pk)
        account.set_password(password)
        account.must_change_password = True
        account.save(update_fields=["password", "must_change_password"])
        record(
            "password.reset",
            actor=actor,
            obj=account,
            changes=diff({"password": 1}, {"password": 2}),
            summary=f"new password issued to {account.username}",
        )
    return password


def do_change_password(user: Any, *, actor: Any, new_password: str) -> None:
    """The user changes their own password (the form checked the old one)."""
    access.require(actor.is_authenticated and actor.pk == user.pk)
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        record(
            "password.change",
            actor=actor,
            obj=user,
            changes=diff({"password": 1}, {"password": 2}),
        )


def inactive_accounts():
    """Active accounts with no activity for ACCOUNT_INACTIVE_DAYS."""
    import datetime as dt

    from django.db.models.functions import Coalesce

    cutoff = timezone.now() - dt.timedelta(days=settings.ACCOUNT_INACTIVE_DAYS)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(last_activity=Coalesce("last_seen_at", "last_login", "date_joined"))
        .filter(last_activity__lt=cutoff)
        .order_by("username")
    )


SHARE_FIELDS = ["may_share", "may_share_reason", "may_share_changed_at", "may_share_changed_by"]


def _set_share(account: Any, *, actor: Any, granted: bool, reason: str) -> Any:
    with transaction.atomic():
        account = type(account).objects.select_for_update().get(pk=account.pk)
        if account.may_share == granted:
            state = "may share already" if granted else "may not share already"
            raise ValidationError(f"{account.username} {state}.")
        if granted and (not account.is_active or account.role not in SHARE_ROLES):
            raise ValidationError(
                f"{account.username} is not an active Investigator or Manager: "
                "only they may be granted sharing."
            )
        before = snapshot(account, SHARE_FIELDS)
        account.may_share = granted
        account.may_share_reason = reason
        account.may_share_changed_at = timezone.now()
        account.may_share_changed_by = actor
        account.save(update_fields=SHARE_FIELDS)
        record(
            "account.share_grant" if granted else "account.share_revoke",
            actor=actor,
            obj=account,
            changes=diff(before, snapshot(account, SHARE_FIELDS)),
            summary=f"{account.username}: {reason}" if reason else account.username,
        )
    return account


SHARE_ROLES = {Role.INVESTIGATOR, Role.MANAGER}


def do_grant_share(account: Any, *, actor: Any, reason: str) -> Any:
    """A Manager validates `account`'s mission need to share with outside agencies."""
    access.require(access.can_grant_share(actor))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Record the mission need you validated."})
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason under 300 characters."})
    return _set_share(account, actor=actor, granted=True, reason=reason)


def do_revoke_share(account: Any, *, actor: Any, reason: str = "") -> Any:
    access.require(access.can_grant_share(actor))
    return _set_share(account, actor=actor, granted=False, reason=(reason or "").strip()[:300])


# --- API tokens (vigil/lib/tokens.py; the page is accounts-api-tokens) ---------------------

API_TOKEN_DAYS = (30, 90, 180, 365)


def do_create_api_token(*, actor: Any, name: str, days: int = 90) -> tuple[Any, str]:
    """A new API token for `actor`, named by them. Returns (token, secret): the secret is shown once."""
    import datetime as dt

    access.require(access.can_use_api(actor))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Name the token (what will use it, e.g. “case tool on laptop 12”).")
    if len(name) > 100:
        raise ValidationError("A token's name has at most 100 characters.")
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError("Choose how long the token lasts.") from None
    if days not in API_TOKEN_DAYS:
        raise ValidationError(
            "A token lasts " + ", ".join(str(d) for d in API_TOKEN_DAYS) + " days."
        )
    key_id, secret = tokens.new_token(ApiToken.PREFIX)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            key_id=key_id,
            token_hash=tokens.hash_token(secret),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        record(
            "api_token.create",
            actor=actor,
            obj=actor,
            summary=f"API token {key_id} “{name}”, {days} days",
            changes={"token": {"before": None, "after": key_id}},
        )
    return token, secret


def do_revoke_api_token(token: Any, *, actor: Any) -> Any:
    """Revoke a token: its user, or a Manager or administrator for anyone's. Idempotent."""
    token = access.api_token_for(actor, token.pk)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = actor
            token.save(update_fields=["revoked_at", "revoked_by"])
            record(
                "api_token.revoke",
                actor=actor,
                obj=token.user,
                summary=f"API token {token.key_id} “{token.name}” of {token.user.username} revoked",
                changes={"token": {"before": token.key_id, "after": None}},
            )
    return token


def note_api_token_used(token: Any) -> None:
    """Keep `last_used_at` to the minute (one write a minute per token, not one per request)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- operators on the server (management commands: no signed-in actor; the audit row names
# the command) ------------------------------------------------------------------------------

ADMIN_STATE_FIELDS = ["is_account_admin", "is_active", "locked_at", "disabled_reason"]


def do_restore_admin(
    username: str, *, email: str = "", password: str | None = None
) -> tuple[Any, bool, str | None]:
    """`vigil create_admin`: create the account as an administrator, or give an existing one
    administrator access back (enabled, unlocked, the flag set). Returns (user, created,
    generated password or None); `password` is validated like any other."""
    from axes.utils import reset

    User = get_user_model()
    with request_context.bind(via="cli"), transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username, email=email)
            before = {}
        else:
            before = snapshot(user, ADMIN_STATE_FIELDS)
        user.is_account_admin = True
        user.is_active = True
        user.locked_at = None
        user.disabled_reason = ""
        generated = None
        if password:
            validate_password(password, user)
        elif created:
            password = generated = generate_password()
            user.must_change_password = True
        if password:
            user.set_password(password)
        user.save()
        if password and not created:
            record("password.reset", obj=user, actor_username="create_admin")
        record(
            "account.create" if created else "account.role_change",
            obj=user,
            actor_username="create_admin",
            changes=diff(before, snapshot(user, ADMIN_STATE_FIELDS)),
            summary=(
                f"administrator access {'created' if created else 'restored'} from the command line"
            ),
        )
    reset(username=username)
    return user, created, generated


def do_create_demo_account(
    username: str, *, role: str, is_account_admin: bool = False
) -> tuple[Any, str] | None:
    """`vigil demo_setup` (a local demo only): the account with a generated password, to be
    shown once; None when the username exists already."""
    User = get_user_model()
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            return None
        user = User(
            username=username,
            role=role,
            is_account_admin=is_account_admin,
            email=f"{username}@demo.invalid",
        )
        password = generate_password()
        user.set_password(password)
        user.save()
        record(
            "account.create",
            obj=user,
            summary=f"demo account ({user.role_label})",
            actor_username="demo_setup",
        )
    return user, password
