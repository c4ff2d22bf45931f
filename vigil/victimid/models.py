"""Victim identification: series of known media, submitted media, match requests.

There is no victim-name field here, nor anywhere in Vigil. A series carries only
general information about an identified victim (age range, relationship to the
offender, year of production) and the investigator to contact.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from vigil.accounts import access
from vigil.lib import vocab

PDQ_HEX_LEN = 64


def validate_year(value: int) -> None:
    this_year = dt.date.today().year
    if value is not None and not (1950 <= value <= this_year):
        raise ValidationError(f"Year of production must be between 1950 and {this_year}.")


RELATIONSHIP_CHOICES = list(vocab.RELATIONSHIPS.items())


class Origin(models.TextChoices):
    """Whether the media shows a real child: the NCVIS assessment's own question."""

    UNKNOWN = "unknown", "Unknown"
    REAL = "real", "Real child"
    COMPUTER_GENERATED = "computer_generated", "Computer-generated (drawn, rendered)"
    AI_GENERATED = "ai_generated", "AI-generated or AI-altered"


class SeriesQuerySet(access.ScopedQuerySet):
    # Who edits a reference series and its media: its creator (an investigator) or
    # any Manager (the case-record rule, owned by `created_by`); every data role
    # reads; only Managers delete. A series with no creator (imported at the shell
    # without --user, the demo's) is the Managers' to change.
    scope_owner = "created_by"


class Series(models.Model):
    name = models.CharField(max_length=200, unique=True)
    victim_identified = models.BooleanField(default=False)
    # Stored as minimum and maximum years; `victim_age_range` is their canonical
    # text ("8-10", "7", "unknown"), kept in step by the actions (vigil.lib.vocab).
    victim_age_range = models.CharField(max_length=16, default="unknown")
    victim_age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    victim_age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    relationship_to_offender = models.CharField(
        max_length=16, choices=RELATIONSHIP_CHOICES, default="unknown"
    )
    # A partner's label Vigil has no code for, kept as written ("other").
    relationship_other = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.UNKNOWN)
    origin_established_by = models.CharField(
        max_length=200, blank=True, help_text="Who established the origin (agency, examiner)."
    )
    origin_method = models.CharField(
        max_length=500, blank=True, help_text="How: victim identified, forensic analysis, …"
    )
    origin_established_on = models.DateField(null=True, blank=True)
    year_of_production = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[validate_year]
    )
    # The investigator to contact about this series: never the victim.
    contact_agency = models.CharField(max_length=200, blank=True)
    contact_investigator = models.CharField(
        max_length=200, blank=True, help_text="The investigator to contact (never the victim)."
    )
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SeriesQuerySet.as_manager()

    # What a person may edit (form, API, series.json) and what the audit trail records.
    EDITABLE_FIELDS = [
        "name",
        "victim_identified",
        "victim_age_range",
        "relationship_to_offender",
        "relationship_other",
        "origin",
        "origin_established_by",
        "origin_method",
        "origin_established_on",
        "year_of_production",
        "contact_agency",
        "contact_investigator",
        "contact_email",
        "contact_phone",
        "notes",
    ]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "series"
        # The partner sync's order and cursor (vigil/exchange/sync.py): an index scan.
        indexes = [models.Index(fields=["updated_at", "id"], name="series_sync_order")]

    def __str__(self) -> str:
        return self.name

    @property
    def status_label(self) -> str:
        return "Victim identified" if self.victim_identified else "Victim not identified"

    @property
    def origin_label(self) -> str:
        """Shown on every match report: real — identified / not identified, or generated."""
        if self.origin == Origin.REAL:
            return "Real child — " + ("identified" if self.victim_identified else "not identified")
        return self.get_origin_display()

    @property
    def relationship_label(self) -> str:
        if self.relationship_to_offender == "other" and self.relationship_other:
            return f"Other ({self.relationship_other})"
        return self.get_relationship_to_offender_display()

    @property
    def age_range_label(self) -> str:
        return vocab.format_age_range(self.victim_age_min, self.victim_age_max).replace("-", "–")

    def contact_dict(self) -> dict[str, str]:
        return {
            "agency": self.contact_agency,
            "investigator": self.contact_investigator,
            "email": self.contact_email,
            "phone": self.contact_phone,
        }


class MediaQuerySet(access.ScopedQuerySet):
    scope_owner = None

    def confirmed(self):
        return self.filter(series__isnull=False)


class Media(models.Model):
    """One file: confirmed when it belongs to a series, unconfirmed when submitted.

    The file itself is stored encrypted under settings.MEDIA_STORE_DIR
    (`stored_path` relative to it, the per-file key wrapped on the row), or not
    at all for a hash-only record (from a partner or a hash list).
    """

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        UNKNOWN = "unknown", "Unknown (hashes only)"

    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.PROTECT, related_name="media"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.IMAGE)
    origin = models.CharField(
        max_length=200, blank=True, help_text="Where it came from: upload, import, a partner…"
    )
    stored_path = models.CharField(max_length=200, blank=True)
    wrapped_key = models.BinaryField(null=True, blank=True, editable=False)
    original_filename = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    md5 = models.CharField(max_length=32, blank=True, db_index=True)
    sha1 = models.CharField(max_length=40, blank=True, db_index=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    pdq = models.CharField(max_length=PDQ_HEX_LEN, blank=True, db_index=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Which set of extra hashes (vigil/lib/pdq_variants.VERSION) its MediaVariant rows
    # are; 0: none computed yet (`vigil backfill_variants` brings it up to date).
    variants_version = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = MediaQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "media"
        # The partner sync's order and cursor (vigil/exchange/sync.py) and exports --since:
        # an index scan, never a sort of what is left.
        indexes = [models.Index(fields=["updated_at", "id"], name="media_sync_order")]

    def __str__(self) -> str:
        return f"media #{self.pk} ({self.original_filename or self.md5 or self.pdq[:12]})"

    @property
    def is_confirmed(self) -> bool:
        return self.series_id is not None

    @property
    def has_file(self) -> bool:
        return bool(self.stored_path and self.wrapped_key)

    @property
    def low_quality(self) -> bool:
        return self.pdq_quality is not None and self.pdq_quality < 50

    @property
    def reference(self) -> str:
        return f"M-{self.pk}"


class MediaFrame(models.Model):
    """One vPDQ frame hash of a video (one per second)."""

    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="frames")
    second = models.FloatField()
    pdq = models.CharField(max_length=PDQ_HEX_LEN)
    quality = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["media", "second"]

    def __str__(self) -> str:
        return f"{self.media_id}@{self.second:.0f}s"


class MediaVariant(models.Model):
    """An extra PDQ hash of a stored image (vigil/lib/pdq_variants.py): of the picture
    with its uniform borders trimmed, or of a sub-window (centre 90%, left 80%, …),
    so that bordered and cropped copies are found."""

    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=16)
    pdq = models.CharField(max_length=PDQ_HEX_LEN)
    quality = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["media", "id"]
        constraints = [
            models.UniqueConstraint(fields=["media", "name"], name="mediavariant_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.media_id}:{self.name}"


class MatchRequestQuerySet(access.ScopedQuerySet):
    scope_owner = None


class MatchRequest(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        FILES = "files", "Uploaded files"
        ZIP = "zip", "ZIP archive"
        HASHES = "hashes", "Hash list"

    requesting_agency = models.CharField(max_length=200)
    case_number = models.CharField(max_length=100)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FILES)
    threshold = models.PositiveSmallIntegerField(default=31)
    dihedral = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = MatchRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"match request #{self.pk} ({self.requesting_agency}, {self.case_number})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.finished else 0)


class MatchItem(models.Model):
    """One submitted item (a file or a hash-list row) and what it matched.

    `matches` is a list of {"series_id", "series", "media", "method", "distance"}
    (plus "frames" for videos and "transform" for dihedral hits).
    """

    request = models.ForeignKey(MatchRequest, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=500)
    kind = models.CharField(max_length=8, choices=Media.Kind.choices, default=Media.Kind.UNKNOWN)
    # A submitted file waits here, sealed, until the task hashes it.
    staged_path = models.CharField(max_length=200, blank=True)
    staged_key = models.BinaryField(null=True, blank=True, editable=False)
    media = models.ForeignKey(
        Media, null=True, blank=True, on_delete=models.SET_NULL, related_name="match_items"
    )
    md5 = models.CharField(max_length=32, blank=True)
    sha1 = models.CharField(max_length=40, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    pdq = models.CharField(max_length=PDQ_HEX_LEN, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    low_quality = models.BooleanField(default=False)
    frames = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    matches = models.JSONField(default=list, blank=True)
    processed = models.BooleanField(default=False)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="matchitem_unique_pos")
        ]

    def __str__(self) -> str:
        return self.name
