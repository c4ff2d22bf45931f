from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Role(models.TextChoices):
    """Data roles (what a user may do with case records)."""

    NONE = "none", "No data access"
    READER = "reader", "Read-only"
    INVESTIGATOR = "investigator", "Investigator"
    MANAGER = "manager", "Manager"


class VigilUserManager(UserManager):
    def investigators(self):
        return self.filter(is_active=True, role=Role.INVESTIGATOR)

    def assignable(self):
        """Who a case may be assigned to: active investigators and managers."""
        return self.filter(is_active=True, role__in=[Role.INVESTIGATOR, Role.MANAGER]).order_by(
            "username"
        )


class User(AbstractUser):
    """A Vigil account.

    `role` is the data role. `is_account_admin` is separate: administrators
    manage accounts and read the audit trail, and have no data rights unless
    they also hold a data role.
    """

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.NONE)
    is_account_admin = models.BooleanField(default=False)
    agency = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Set when the lock-out policy locks the account; only an administrator clears it.
    locked_at = models.DateTimeField(null=True, blank=True)
    # Last time the user did anything (login or request); drives the 90-day rule.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # A temporary password (issued by an administrator) must be changed at first use (CJIS IA-5(1)).
    must_change_password = models.BooleanField(default=False)
    # Wellness: thumbnails are blurred and grey by default; a user may relax the blur, never the grey.
    relax_thumbnail_blur = models.BooleanField(default=False)
    # "May share": a Manager validated this user's mission need to send packages to outside
    # agencies (NCVIS PIA: secure file sharing only for investigators with a validated need).
    # Granted and revoked through accounts.actions.do_grant_share / do_revoke_share (audited);
    # checked by access.can_share.
    may_share = models.BooleanField(default=False)
    may_share_reason = models.CharField(max_length=300, blank=True)
    may_share_changed_at = models.DateTimeField(null=True, blank=True)
    may_share_changed_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = VigilUserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        parts = [Role(self.role).label] if self.role != Role.NONE else []
        if self.is_account_admin:
            parts.append("Administrator")
        return " + ".join(parts) or "No role"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        from django.utils import timezone

        return self.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
        )


class ApiToken(models.Model):
    """A user's credential for the API (`Authorization: Token <token>`).

    Created on the API access page (so after the password and, where required, MFA); the
    token is shown once and only its SHA-256 is kept (vigil/lib/tokens.py). It acts with its
    user's role, expires, and is revoked by its user or a Manager.
    """

    PREFIX = "vga"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
