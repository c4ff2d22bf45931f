"""The records lifecycle: legal holds, disposition (two-step deletion), corrections, access reviews.

Nothing here copies a record's content: a hold names what it covers by kind
and id, a deletion proposal by kind and id, and once a record is deleted the
audit trail's tombstone (type, id, when, who, why) is all that is left of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from vigil.accounts import access


class Kind(models.TextChoices):
    TIP = "tip", "Tip"
    CLUSTER = "cluster", "Cluster (the tips linked to a tip)"
    SERIES = "series", "Series"
    MEDIA = "media", "Media"


# What disposition can delete (a cluster is not a record: it is held, never deleted).
DELETABLE = (Kind.TIP, Kind.SERIES, Kind.MEDIA)


class ManagerOnlyQuerySet(access.ScopedQuerySet):
    scope_rule = "managers_only"


class LegalHoldQuerySet(ManagerOnlyQuerySet):
    def active(self):
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    name = models.CharField(max_length=200, unique=True)
    reason = models.TextField(help_text="The matter the hold is for (case, litigation, request)")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.released_at is None


class HoldItem(models.Model):
    """One record a hold covers. A cluster item is the tip whose linked tips are all held."""

    hold = models.ForeignKey(LegalHold, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ManagerOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "object_id"]
        constraints = [
            models.UniqueConstraint(fields=["hold", "kind", "object_id"], name="holditem_unique")
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="holditem_kind_object")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id}"


class DeletionProposal(models.Model):
    """A Manager's proposal to delete a record past retention; a second Manager approves.

    Approving deletes the record and this proposal with it: the audit trail
    keeps the tombstone and the history of the proposal.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=8, choices=[(k.value, k.label) for k in DELETABLE])
    object_id = models.PositiveBigIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = ManagerOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"],
                condition=Q(status="proposed"),
                name="deletionproposal_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"delete {self.kind} #{self.object_id}"


class InaccuracyReportQuerySet(access.ScopedQuerySet):
    # Read like the tip; only a Manager reviews.
    scope_rule = "managers_change"

    def open(self):
        return self.filter(status=InaccuracyReport.Status.OPEN)


class InaccuracyReport(models.Model):
    """A field office's report that information in a tip (as referred) is inaccurate."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting a Manager's review"
        CORRECTED = "corrected", "Corrected"
        REMOVED = "removed", "Inaccurate information removed"
        REJECTED = "rejected", "Found accurate (no change)"

    tip = models.ForeignKey("tips.Tip", on_delete=models.CASCADE, related_name="+")
    reported_by = models.CharField(
        max_length=200, help_text="Who reported it: the field office and the person there"
    )
    what = models.TextField(help_text="What is inaccurate, as reported")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    objects = InaccuracyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"inaccuracy report #{self.pk} on tip {self.tip_id}"


class AccessCertification(models.Model):
    """A Manager's certification of one user's access for a review period."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Access confirmed (need to know)"
        CHANGE = "change", "Access to be changed or removed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField(blank=True)
    # The report's figures as certified (role, MFA, counts): what the Manager saw.
    figures = models.JSONField(default=dict, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    certified_at = models.DateTimeField(auto_now_add=True)

    objects = ManagerOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-certified_at", "-id"]

    def __str__(self) -> str:
        return f"access of {self.user_id} certified {self.period_start}–{self.period_end}"
