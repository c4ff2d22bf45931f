"""Deconfliction: flags between tips that share a data point, human links, common values.

A flag is a stored fact "tip A and tip B share <type> <value>" found by one
index probe per selector (Selector's (type, value) index; PersonKey for names).
There is no table of all pairwise correlations: a value seen on more tips than
COMMON_VALUE_THRESHOLD, or on the warning list, gives one TipNotice per tip.
Nothing is linked automatically: a Link is always a person's decision.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from vigil.accounts import access
from vigil.tips.models import Selector, Tip

# Selector types that raise a flag when two tips share a value. DOMAIN is weak:
# flagged, but free-mail and other common domains sit on the warning list.
FLAGGING_TYPES = frozenset(
    {
        Selector.Type.IP,
        Selector.Type.EMAIL,
        Selector.Type.URL,
        Selector.Type.ONLINE_ID,
        Selector.Type.PHONE,
        Selector.Type.SSN,
        Selector.Type.CARD,
        Selector.Type.ADDRESS,
        Selector.Type.VEHICLE,
        Selector.Type.DOMAIN,
    }
)
WEAK_TYPES = frozenset({Selector.Type.DOMAIN})
NAME = "name"  # the flag type for person-name matches


class FlagQuerySet(access.ScopedQuerySet):
    scope_rule = "tip_pair"

    def open(self):
        return self.filter(status=Flag.Status.OPEN)

    def involving(self, tip_id: int):
        return self.filter(Q(tip_a_id=tip_id) | Q(tip_b_id=tip_id))


class Flag(models.Model):
    """Tips A and B share a value (A has the lower pk). Raised by the system, decided by a person.

    A flag row is one true pair. The analyst decides per *shared value*
    (`queries.shared_value_groups`): every open pair on one value is one decision.
    Pairs the analyst need not decide are closed by the system, never deleted:
    ALREADY_LINKED when both tips already sit in one cluster, COMMON when the
    value crossed the common-value threshold (folded into its notice).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        LINKED = "linked", "Linked"
        DISMISSED = "dismissed", "Dismissed"
        ALREADY_LINKED = "already_linked", "Already linked"
        COMMON = "common", "Folded into a common-value notice"

    # No separate FK indexes: the unique constraint leads with tip_a, flag_tip_b_status with tip_b.
    tip_a = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="+", db_index=False)
    tip_b = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="+", db_index=False)
    # A selector type, or "name" for a person-name match.
    type = models.CharField(max_length=12)
    # Normalised value (keyed hash for SSN/card). For names: tip A's normalised name.
    value = models.CharField(max_length=512)
    # Names only, when the two spellings differ: tip B's normalised name.
    value_b = models.CharField(max_length=512, blank=True, default="")
    # What the screen shows for the value (masked for SSN/card).
    label = models.CharField(max_length=300, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Names only: match score")
    match_reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    # A value extracted from prose and not yet confirmed on either tip: shown apart,
    # weaker than a structured one; confirming the selector makes the flag a full one.
    possible = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The link note or the dismissal reason.
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A dismissed flag never comes back for the same value.
            models.UniqueConstraint(
                fields=["tip_a", "tip_b", "type", "value", "value_b"], name="flag_unique_pair_value"
            ),
            models.CheckConstraint(condition=Q(tip_a__lt=models.F("tip_b")), name="flag_a_lt_b"),
        ]
        indexes = [
            models.Index(fields=["tip_b", "status"], name="flag_tip_b_status"),
        ]

    def __str__(self) -> str:
        return f"Tips {self.tip_a_id} and {self.tip_b_id} share {self.type_label} {self.display}"

    @property
    def type_label(self) -> str:
        if self.type == NAME:
            return "name"
        try:
            return Selector.Type(self.type).label.lower()
        except ValueError:
            return self.type

    @property
    def display(self) -> str:
        if self.label:
            return self.label
        return f"{self.value} ~ {self.value_b}" if self.value_b else self.value

    @property
    def export_value(self) -> str:
        return f"{self.value} ~ {self.value_b}" if self.value_b else self.value

    @property
    def is_weak(self) -> bool:
        return self.type in WEAK_TYPES

    def other_tip(self, tip_id: int) -> Tip:
        return self.tip_b if self.tip_a_id == tip_id else self.tip_a


class CommonValue(models.Model):
    """A value seen on so many tips (or listed) that pairwise flags would be noise."""

    type = models.CharField(max_length=12)
    value = models.CharField(max_length=512)
    tip_count = models.PositiveIntegerField(default=0)
    on_warning_list = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-tip_count"]
        constraints = [models.UniqueConstraint(fields=["type", "value"], name="commonvalue_unique")]

    def __str__(self) -> str:
        return f"{self.type} {self.value} ({self.tip_count} tips)"


class TipNoticeQuerySet(access.ScopedQuerySet):
    scope_owner = "tip__assigned_to"


class TipNotice(models.Model):
    """ "Tip X carries common value V": shown on the tip instead of one flag per other tip."""

    class Reason(models.TextChoices):
        COMMON = "common", "Seen on many tips"
        WARNING_LIST = "warning_list", "On the warning list"

    # No separate tip index: tipnotice_unique leads with tip.
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="+", db_index=False)
    type = models.CharField(max_length=12)
    value = models.CharField(max_length=512)
    label = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=14, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TipNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["type", "value"]
        constraints = [
            models.UniqueConstraint(fields=["tip", "type", "value"], name="tipnotice_unique")
        ]
        indexes = [models.Index(fields=["type", "value"], name="tipnotice_type_value")]

    def __str__(self) -> str:
        return f"Tip {self.tip_id} carries common {self.type} {self.label or self.value}"


class WarningListQuerySet(models.QuerySet):
    def active(self):
        return self.filter(removed_at__isnull=True)


class WarningListEntry(models.Model):
    """A value that never raises pairwise flags: a private range, a resolver, a free-mail domain.

    For IP entries `value` may be a CIDR range ("10.0.0.0/8"): an address inside it matches.
    Removal is soft so the list's history stays readable beside the audit trail.
    """

    type = models.CharField(max_length=12, choices=Selector.Type.choices)
    value = models.CharField(max_length=512)
    note = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = WarningListQuerySet.as_manager()

    class Meta:
        ordering = ["type", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "value"],
                condition=Q(removed_at__isnull=True),
                name="warninglist_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.value}"

    @property
    def is_range(self) -> bool:
        return self.type == Selector.Type.IP and "/" in self.value

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        if self.type != Selector.Type.IP:
            return None
        try:
            return ipaddress.ip_network(self.value, strict=False)
        except ValueError:
            return None

    def clean(self) -> None:
        if self.type == Selector.Type.IP and self.network() is None:
            raise ValidationError({"value": "Not an IP address or CIDR range (e.g. 10.0.0.0/8)."})


class LinkQuerySet(access.ScopedQuerySet):
    scope_rule = "tip_pair"

    def active(self):
        return self.filter(removed_at__isnull=True)


class Link(models.Model):
    """An analyst's decision that two tips concern the same matter. Removal is soft."""

    tip_a = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="+")
    tip_b = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="+")
    flag = models.ForeignKey(
        Flag, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_reason = models.TextField(blank=True)

    objects = LinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tip_a", "tip_b"],
                condition=Q(removed_at__isnull=True),
                name="link_unique_active_pair",
            ),
            models.CheckConstraint(condition=Q(tip_a__lt=models.F("tip_b")), name="link_a_lt_b"),
        ]
        indexes = [models.Index(fields=["tip_b"], name="link_tip_b")]

    def __str__(self) -> str:
        return f"Link {self.tip_a_id}–{self.tip_b_id}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class PersonKey(models.Model):
    """Blocking keys of person selectors (vigil.lib.names.name_keys): a name match is an index probe."""

    # The unique (selector, key) index serves look-ups by selector.
    selector = models.ForeignKey(
        Selector, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=80, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["selector", "key"], name="personkey_unique")]

    def __str__(self) -> str:
        return self.key
