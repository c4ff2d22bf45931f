"""The tip repository. No field here, or anywhere in Vigil, identifies a victim."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from vigil.accounts import access
from vigil.core.models import UploadJob
from vigil.lib import selectors as sel


class SourceQuerySet(access.ScopedQuerySet):
    scope_rule = "reference_data"

    def with_tip_counts(self):
        """Annotate `tip_count` and `unfounded_count`: false tips count against a source."""
        return self.annotate(
            tip_count=models.Count("tips"),
            unfounded_count=models.Count("tips", filter=models.Q(tips__status="unfounded")),
        )


class Source(models.Model):
    """A managed directory entry: who tips come from."""

    class Kind(models.TextChoices):
        FIELD_OFFICE = "field_office", "Field office"
        ATTACHE = "attache", "Attaché office"
        FOREIGN_POLICE = "foreign_police", "Foreign police"
        INTERPOL = "interpol", "INTERPOL / EUROPOL"
        STATE_LOCAL = "state_local", "State or local police"
        NGO = "ngo", "NGO"
        NCMEC = "ncmec", "NCMEC CyberTipline"
        PUBLIC = "public", "Public tip line"
        OTHER = "other", "Other"

    class Reliability(models.TextChoices):
        RELIABLE = "reliable", "Reliable"
        UNRELIABLE = "unreliable", "Unreliable"
        MALICIOUS = "malicious", "Malicious"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 code; default region for phone numbers"
    )
    reliability = models.CharField(
        max_length=12, choices=Reliability.choices, default=Reliability.RELIABLE
    )
    reliability_note = models.TextField(blank=True)
    contact = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_flagged(self) -> bool:
        return self.reliability != self.Reliability.RELIABLE

    @property
    def unfounded_ratio(self) -> float | None:
        """Share of this source's tips found false (needs `with_tip_counts()`)."""
        total = getattr(self, "tip_count", None)
        return None if not total else self.unfounded_count / total


class TipQuerySet(access.ScopedQuerySet):
    scope_owner = "assigned_to"

    def open(self):
        return self.exclude(status__in=[Tip.Status.NOT_ACTIONABLE, Tip.Status.UNFOUNDED])

    def queue(self):
        """The priority queue: most dangerous first, then oldest."""
        return self.order_by("priority", "received_at", "id")


class Tip(models.Model):
    class Via(models.TextChoices):
        EMAIL = "email", "E-mail"
        DIGITAL_MEDIA = "digital_media", "Digital media"
        PHONE = "phone", "Phone"
        WEB = "web", "Web form"
        PARTNER_FEED = "partner_feed", "Partner feed"
        API = "api", "API"
        BULK = "bulk", "Bulk file"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_REVIEW = "in_review", "In review"
        ACTIONABLE = "actionable", "Actionable"
        NOT_ACTIONABLE = "not_actionable", "Not actionable"
        UNFOUNDED = "unfounded", "Unfounded"

    class Priority(models.IntegerChoices):
        """Severity of danger to children; lower is more urgent."""

        ONGOING = 1, "Ongoing abuse or production"
        CONTACT = 2, "Contact offence"
        DISTRIBUTION = 3, "Distribution"
        POSSESSION = 4, "Possession"
        OTHER = 5, "Other"

    # Every index is paid on every imported row (issue 16): none on a column a
    # composite index or unique constraint leads with (vigil/tips/tests/test_indexes.py).
    # source: tip_unique_source_reference (source, source_reference) serves it.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="tips", db_index=False
    )
    source_reference = models.CharField(
        max_length=200, help_text="The source's own reference, unique per source"
    )
    received_at = models.DateTimeField(db_index=True)
    received_via = models.CharField(max_length=16, choices=Via.choices, default=Via.WEB)
    narrative = models.TextField(blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 code; default region for phones"
    )
    # The (status, priority, received_at) index serves it; no query does LIKE on status,
    # so PostgreSQL needs no varchar_pattern_ops twin either.
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.NEW, db_index=False
    )
    status_reason = models.TextField(blank=True)
    # tip_queue_order (priority, received_at, id) serves it.
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.OTHER, db_index=False
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tips",
        db_index=False,  # tip_assigned_to: assigned tips only
    )
    # Set at intake when the source is marked unreliable or malicious.
    source_warning = models.CharField(max_length=200, blank=True)
    # Free attributes (unknown import columns and the like).
    attributes = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_tips",
    )
    # The web import (batch) that created it: the queue filters by it, bulk actions use it.
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tips",
        db_index=False,  # tip_import_job: a web import's tips only
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TipQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_reference"], name="tip_unique_source_reference"
            )
        ]
        indexes = [
            models.Index(fields=["status", "priority", "received_at"]),
            # The queue's order: its first page (and the dashboard's bounded counts per
            # priority) read the index in order and stop, at 1,000,000 tips too.
            models.Index(fields=["priority", "received_at", "id"], name="tip_queue_order"),
            # Foreign keys most tips leave empty (an import's tips are unassigned; only a
            # web import names its job): the empty ones are not indexed, so an imported
            # row pays for neither; `= id`, what every query asks, implies NOT NULL.
            models.Index(
                fields=["assigned_to"],
                name="tip_assigned_to",
                condition=models.Q(assigned_to__isnull=False),
            ),
            models.Index(
                fields=["import_job"],
                name="tip_import_job",
                condition=models.Q(import_job__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} {self.source_reference}"


class SelectorQuerySet(access.ScopedQuerySet):
    scope_owner = "tip__assigned_to"


class Selector(models.Model):
    """A typed data point on a tip: one row per (tip, type, normalised value).

    For SSNs and card numbers `value` holds a keyed hash (HMAC) used for
    matching, `raw` is empty and the number itself is in `encrypted`.
    """

    # The types are lib's (vigil.lib.selectors.SelectorType, LABELS): one vocabulary.
    Type = models.TextChoices(
        "Type",
        [(t.name, (t.value, sel.LABELS[t])) for t in sel.SelectorType],
        module=__name__,
        qualname="Selector.Type",
    )

    # No separate tip index: selector_unique_per_tip leads with tip.
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="selectors", db_index=False)
    type = models.CharField(max_length=12, choices=Type.choices)
    value = models.CharField(max_length=512, help_text="Normalised value (keyed hash for SSN/card)")
    raw = models.CharField(max_length=1024, blank=True)
    encrypted = models.BinaryField(null=True, blank=True, editable=False)
    masked = models.CharField(
        max_length=40, blank=True, help_text="What the screen shows for SSN/card"
    )
    # Extracted from free text: shown to the analyst to confirm or remove.
    extracted = models.BooleanField(default=False)
    confirmed = models.BooleanField(default=True)
    observed_at = models.DateTimeField(null=True, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    # Type-specific structured parts: person (name, dob, place_of_birth, gender),
    # vehicle (make, model, plate, state), attribute (key).
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SelectorQuerySet.as_manager()

    class Meta:
        ordering = ["type", "value"]
        constraints = [
            models.UniqueConstraint(fields=["tip", "type", "value"], name="selector_unique_per_tip")
        ]
        indexes = [models.Index(fields=["type", "value"], name="selector_type_value")]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.display}"

    @property
    def display(self) -> str:
        return self.masked or self.raw or self.value


class ResearchNoteQuerySet(access.ScopedQuerySet):
    scope_owner = "tip__assigned_to"


class ResearchNote(models.Model):
    """Append-only research on a tip. An attachment holds research results, never evidence."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    attachment_name = models.CharField(max_length=255, blank=True)
    # Relative to settings.UPLOAD_DIR.
    attachment_path = models.CharField(max_length=500, blank=True)
    attachment_size = models.PositiveBigIntegerField(default=0)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    # Sealed like media (vigil/lib/crypto.py); empty for attachments stored before.
    attachment_key = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResearchNoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note #{self.pk} on tip {self.tip_id}"


class EvidenceItemQuerySet(access.ScopedQuerySet):
    scope_owner = "tip__assigned_to"


class EvidenceItem(models.Model):
    """A chain-of-custody record for media received with a tip. The media itself is never stored."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="evidence")
    description = models.CharField(max_length=500, help_text="What it is (e.g. 1 USB stick, 16 GB)")
    received_from = models.CharField(max_length=200)
    received_at = models.DateTimeField()
    stored_at = models.CharField(max_length=300, help_text="Where it is stored now")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceItemQuerySet.as_manager()

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return self.description


class EvidenceTransferQuerySet(access.ScopedQuerySet):
    scope_owner = "item__tip__assigned_to"


class EvidenceTransfer(models.Model):
    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="transfers")
    from_party = models.CharField(max_length=200)
    to_party = models.CharField(max_length=200)
    transferred_at = models.DateTimeField()
    stored_at = models.CharField(max_length=300, help_text="Where it is stored after the transfer")
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceTransferQuerySet.as_manager()

    class Meta:
        ordering = ["transferred_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_party} → {self.to_party}"


class ImportJobQuerySet(access.ScopedQuerySet):
    scope_rule = "creator_private"
    scope_owner = "created_by"


class ImportJob(UploadJob):
    """A bulk file uploaded through the web, imported by a background task."""

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)
    format = models.CharField(max_length=16, default="auto")
    note = models.TextField(blank=True)

    objects = ImportJobQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.original_name}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))
