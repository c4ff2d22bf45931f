"""Directory (offices, agencies, areas), referrals, follow-ups, shares, and the accounting
of disclosures (Privacy Act 5 U.S.C. 552a(c))."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from vigil.accounts import access
from vigil.referrals.places import Place
from vigil.tips.models import Tip

RUN = ".."  # a run of consecutive ids in the accounting: "first..last"


class OfficeQuerySet(access.ScopedQuerySet):
    # The directory: every data role reads it, only Managers change it.
    scope_rule = "managers_change"

    def active(self):
        return self.filter(active=True)


class Office(models.Model):
    """One entry of the directory: one of our field or attaché offices, or an outside agency."""

    class Kind(models.TextChoices):
        FIELD_OFFICE = "field_office", "Field office"
        ATTACHE = "attache", "Attaché office"
        ICAC = "icac", "ICAC task force"
        STATE_LOCAL = "state_local", "State, local or tribal police"
        FOREIGN_POLICE = "foreign_police", "Foreign police"
        INTERPOL = "interpol", "INTERPOL"
        EUROPOL = "europol", "EUROPOL"
        NCMEC = "ncmec", "NCMEC"
        OTHER = "other", "Other agency"

    INTERNAL_KINDS = frozenset({Kind.FIELD_OFFICE, Kind.ATTACHE})

    code = models.SlugField(max_length=40, unique=True, help_text="Short unique code (CSV key)")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    # The agency's age public key ("age1…"): shares to it can be encrypted to this key.
    age_recipient = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_outside(self) -> bool:
        """An outside agency (not one of the unit's own field or attaché offices)."""
        return self.kind not in self.INTERNAL_KINDS

    @property
    def area_codes(self) -> str:
        return "; ".join(a.code for a in self.areas.all())


class Area(models.Model):
    """An area of responsibility: a country; for the U.S. a state or territory, maybe a county."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="areas")
    country = models.CharField(max_length=2)
    state = models.CharField(max_length=2, blank=True)
    county = models.CharField(max_length=100, blank=True, help_text="Folded, without 'County'")

    class Meta:
        ordering = ["country", "state", "county"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "country", "state", "county"], name="area_unique_per_office"
            )
        ]
        indexes = [models.Index(fields=["country", "state"], name="area_country_state")]

    def __str__(self) -> str:
        return self.code

    @property
    def place(self) -> Place:
        return Place(self.country, self.state, self.county)

    @property
    def code(self) -> str:
        return self.place.code


class ReferralQuerySet(access.ScopedQuerySet):
    scope_owner = "tip__assigned_to"

    def active(self):
        """Referrals that went out and were not declined (they bind related tips)."""
        return self.filter(
            status__in=[
                Referral.Status.SENT,
                Referral.Status.ACKNOWLEDGED,
                Referral.Status.CASE_OPENED,
            ]
        )

    def awaiting_acknowledgement(self):
        return self.filter(status=Referral.Status.SENT)


class Referral(models.Model):
    """A tip, or a tip's whole cluster, referred to an office or outside agency."""

    class Status(models.TextChoices):
        DRAFTED = "drafted", "Drafted"
        SENT = "sent", "Sent"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CASE_OPENED = "case_opened", "Case opened"
        DECLINED = "declined", "Declined"

    class Scope(models.TextChoices):
        TIP = "tip", "This tip"
        CLUSTER = "cluster", "The tip's whole cluster"

    # The tip the referral was made from; its assignee is the analyst for the referral.
    tip = models.ForeignKey(Tip, on_delete=models.PROTECT, related_name="referrals")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.TIP)
    tips = models.ManyToManyField(Tip, through="ReferralTip", related_name="+")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="referrals")
    note = models.TextField(blank=True)
    # The receiving system's case number: for reference, often known only later.
    receiving_case_number = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFTED, db_index=True
    )
    decline_reason = models.TextField(blank=True)
    acknowledge_by = models.DateField(null=True, blank=True)
    # Why this went to another office than the one the tip's cluster was referred to.
    elsewhere_reason = models.TextField(blank=True)
    send_method = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Referral #{self.pk} to {self.office}"

    @property
    def analyst(self):
        return self.tip.assigned_to or self.created_by

    @property
    def overdue(self) -> bool:
        return (
            self.status == self.Status.SENT
            and self.acknowledge_by is not None
            and self.acknowledge_by < timezone.localdate()
        )


class ReferralTip(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="members")
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="referral_memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "tip"], name="referral_tip_unique")
        ]

    def __str__(self) -> str:
        return f"tip {self.tip_id} in referral {self.referral_id}"


class FollowUpQuerySet(access.ScopedQuerySet):
    scope_owner = "referral__tip__assigned_to"


class FollowUp(models.Model):
    """The receiving office asked for more information."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="follow_ups")
    received_at = models.DateTimeField(default=timezone.now)
    request = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"Follow-up #{self.pk} on referral {self.referral_id}"


class SharePackageQuerySet(access.ScopedQuerySet):
    # A package is the sharer's: they (or a Manager) download it; others see it listed.
    scope_rule = "sharer_owned"
    scope_owner = "created_by"

    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now(), removed_at__isnull=True)


class SharePackage(models.Model):
    """An encrypted package made for an outside agency; the file expires and is removed."""

    class Kind(models.TextChoices):
        TIP = "tip", "Tip"
        CLUSTER = "cluster", "Cluster"
        IP_LIST = "ip_list", "IP list (original tip data)"
        PACKET = "packet", "Referral packet"

    class Method(models.TextChoices):
        ZIP = "zip", "AES-256 ZIP, password sent separately"
        AGE = "age", "age, encrypted to the agency's public key"

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="shares")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    method = models.CharField(max_length=4, choices=Method.choices)
    tip = models.ForeignKey(
        Tip, null=True, blank=True, on_delete=models.PROTECT, related_name="share_packages"
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="share_packages"
    )
    records = models.JSONField(default=list)
    purpose = models.CharField(max_length=500)
    file_name = models.CharField(max_length=200)
    path = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    age_recipient = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)

    objects = SharePackageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.office} ({self.file_name})"

    @property
    def available(self) -> bool:
        return self.removed_at is None and self.expires_at > timezone.now()


class ImmutableError(Exception):
    """The accounting of disclosures is append-only."""


class DisclosureQuerySet(access.ScopedQuerySet):
    # Everyone with a data role reads the accounting; nobody writes it but the receiver.
    scope_rule = "read_only"

    def update(self, **kwargs):
        raise ImmutableError("The accounting of disclosures cannot be edited.")

    def delete(self):
        raise ImmutableError("The accounting of disclosures cannot be deleted.")

    def about(self, kind: str, record_id):
        """The disclosures that carried this record: named alone, or inside a run of ids."""
        rid = str(record_id)
        q = Q(items__kind=kind, items__record_id=rid)
        if rid.isdigit():
            q |= Q(items__kind=kind, items__first_id__lte=int(rid), items__last_id__gte=int(rid))
        return self.filter(q).distinct()


class Disclosure(models.Model):
    """One disclosure outside the unit: what, to whom, when, why, by whom, how.

    Written only by `actions.do_record_disclosure` (the `vigil.core.signals.disclosed`
    receiver). Never updated or deleted: save() refuses an existing row, the queryset
    refuses update()/delete(), and on PostgreSQL a trigger refuses UPDATE and DELETE.
    """

    disclosed_at = models.DateTimeField(default=timezone.now, db_index=True)
    recipient = models.CharField(max_length=200, db_index=True)
    office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="disclosures",
    )  # fmt: skip
    purpose = models.CharField(max_length=500)
    method = models.CharField(max_length=100)
    # Users are disabled, never deleted; no constraint so no ON DELETE can touch a row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )  # fmt: skip
    actor_username = models.CharField(max_length=150)
    # [[kind, id], …] as sent; a run of consecutive integer ids is one [kind, "first..last"]
    records = models.JSONField(default=list)
    source_type = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-disclosed_at", "-id"]

    def __str__(self) -> str:
        return f"Disclosure #{self.pk} to {self.recipient}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("The accounting of disclosures cannot be edited.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("The accounting of disclosures cannot be deleted.")

    @property
    def record_labels(self) -> list[str]:
        return [f"{kind} {rid}" for kind, rid in self.records]

    @property
    def record_count(self) -> int:
        """How many records it carried (a run "first..last" counts each of its ids)."""
        n = 0
        for _, rid in self.records:
            first, sep, last = str(rid).partition(RUN)
            n += int(last) - int(first) + 1 if sep and first.isdigit() and last.isdigit() else 1
        return n


class DisclosedItemQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError("The accounting of disclosures cannot be edited.")

    def delete(self):
        raise ImmutableError("The accounting of disclosures cannot be deleted.")


class DisclosedItem(models.Model):
    """One record a disclosure carried (indexed: the accounting per record), or a run of
    consecutive integer ids (`first_id`..`last_id`, `record_id` "first..last"): a partner
    export of a million records is a few rows, and `Disclosure.objects.about` finds each."""

    disclosure = models.ForeignKey(
        Disclosure, on_delete=models.DO_NOTHING, db_constraint=False, related_name="items"
    )
    kind = models.CharField(max_length=32)
    record_id = models.CharField(max_length=64)
    first_id = models.PositiveBigIntegerField(null=True, blank=True)
    last_id = models.PositiveBigIntegerField(null=True, blank=True)

    objects = DisclosedItemQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["kind", "record_id"], name="disclosed_item_record"),
            models.Index(fields=["kind", "last_id", "first_id"], name="disclosed_item_run"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("The accounting of disclosures cannot be edited.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("The accounting of disclosures cannot be deleted.")
