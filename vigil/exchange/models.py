"""Partner exchange: authorised partners, what they may receive, their keys and
tokens; the provenance of every record received; conflicts left for a Manager.

No victim name is held here either: a partner's record carrying one is refused
before anything is stored (vigil.victimid.privacy).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from vigil.accounts import access
from vigil.core.models import UploadJob
from vigil.lib import tokens


class Level(models.IntegerChoices):
    """What a partner may receive (and what it sends); each level includes the ones below."""

    NOTHING = 0, "Nothing"
    HASHES = 1, "Hash records only"
    SERIES = 2, "Hash records and series metadata"
    THUMBNAILS = 3, "Hash records, series metadata and thumbnails"
    MEDIA = 4, "Hash records, series metadata, thumbnails and full media"


class PartnerQuerySet(access.ScopedQuerySet):
    # Partners belong to no case; only Managers change them (see exchange.rules).
    scope_rule = "managers_change"

    def approved(self):
        return self.filter(status=Partner.Status.APPROVED)


class Partner(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(
        max_length=60,
        unique=True,
        help_text="Short unique name used on the command line (--partner NAME).",
    )
    organisation = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166 two-letter code.")
    contacts = models.TextField(blank=True, help_text="One contact per line: name, e-mail, phone.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    may_receive = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.HASHES)
    sends = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.HASHES)
    signing_key = models.CharField(
        max_length=80, blank=True, help_text="The partner's Ed25519 public key (base64, 32 bytes)."
    )
    age_recipient = models.CharField(
        max_length=100, blank=True, help_text="The partner's age X25519 recipient (age1…)."
    )
    # Live sync: where its Vigil answers and the token it issued us (encrypted at rest).
    sync_url = models.URLField(blank=True)
    sync_token_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    sync_cursor = models.TextField(blank=True, editable=False)
    last_pull_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Pushing our changes to its Vigil (same address and token): how far it has taken them.
    push_cursor = models.TextField(blank=True, editable=False)
    last_push_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerQuerySet.as_manager()

    EDITABLE_FIELDS = [
        "name",
        "organisation",
        "country",
        "contacts",
        "may_receive",
        "sends",
        "signing_key",
        "age_recipient",
        "sync_url",
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    def receives(self, level: int) -> bool:
        return self.is_approved and self.may_receive >= level


TOKEN_PREFIX = "vgx"


hash_token = tokens.hash_token


class PartnerTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class PartnerToken(models.Model):
    """A credential a partner's instance presents to our sync API.

    The token is shown once when issued; only its SHA-256 is stored (tokens
    are 256-bit random, so a plain hash is enough). `key_id` finds the row.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens")
    label = models.CharField(max_length=100, blank=True)
    key_id = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner.name}:{self.key_id}"

    @staticmethod
    def new_secret() -> tuple[str, str]:
        return tokens.new_token(TOKEN_PREFIX)

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class Identity(models.Model):
    """This instance's own keys (one row): Ed25519 for signing, age X25519 for receiving.

    Private halves are encrypted at rest with the field key (vigil/lib/crypto.py).
    """

    name = models.CharField(max_length=100)
    signing_public = models.CharField(max_length=80)
    signing_private_encrypted = models.BinaryField()
    age_recipient = models.CharField(max_length=100)
    age_identity_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Transfer(models.Model):
    """One exchange with a partner, either way: a VICS file, a package, a sync batch."""

    class Direction(models.TextChoices):
        IN = "in", "Received"
        OUT = "out", "Sent"

    class Method(models.TextChoices):
        VICS = "vics", "VICS file"
        PACKAGE = "package", "Signed package"
        SYNC = "sync", "Live sync"
        PUSH = "push", "Live sync (pushed)"

    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    method = models.CharField(max_length=8, choices=Method.choices)
    filename = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    version = models.CharField(max_length=8, blank=True)
    case = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    records = models.PositiveIntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        who = self.partner.name if self.partner else "no partner"
        return f"{self.get_direction_display()} {self.get_method_display()} ({who})"


class Record(models.Model):
    """The Project VIC attributes of one media that Vigil's own model does not hold.

    Keyed on MD5 like VICS itself. `source` is the partner whose values these
    are (None: ours); a later record from another partner fills blanks only.
    """

    media = models.OneToOneField(
        "victimid.Media", on_delete=models.CASCADE, related_name="exchange_record"
    )
    md5 = models.CharField(max_length=32, unique=True)
    category = models.PositiveSmallIntegerField(null=True, blank=True)
    is_precategorized = models.BooleanField(default=False)
    victim_identified = models.BooleanField(null=True, blank=True)
    offender_identified = models.BooleanField(null=True, blank=True)
    is_distributed = models.BooleanField(null=True, blank=True)
    tags = models.TextField(blank=True)
    comments = models.TextField(blank=True)
    photodna = models.TextField(blank=True, help_text="Kept opaque, exactly as received.")
    exifs = models.JSONField(default=list, blank=True)
    media_files = models.JSONField(default=list, blank=True)
    alternative_hashes = models.JSONField(default=list, blank=True)
    date_updated = models.CharField(max_length=40, blank=True)
    source = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.md5


class Provenance(models.Model):
    """What one partner told us about one media, when and how (its own opinion kept whole)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="provenance")
    media = models.ForeignKey("victimid.Media", on_delete=models.CASCADE, related_name="provenance")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+")
    partner_media_id = models.CharField(max_length=40, blank=True)
    partner_series = models.CharField(max_length=200, blank=True)
    digest = models.CharField(max_length=64)
    opinion = models.JSONField(default=dict)
    first_received_at = models.DateTimeField(default=timezone.now)
    last_received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "media"], name="provenance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner} → media {self.media_id}"


class Tombstone(models.Model):
    """A media deleted here, kept so partners that pull learn of the deletion."""

    md5 = models.CharField(max_length=32, db_index=True)
    sha1 = models.CharField(max_length=40, blank=True)
    series = models.CharField(max_length=200, blank=True)
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"deleted {self.md5}"


class ConflictQuerySet(access.ScopedQuerySet):
    scope_rule = "managers_change"

    def open(self):
        return self.filter(decided_at__isnull=True)


class Conflict(models.Model):
    """Two opinions that disagree. Nothing is overwritten until a Manager decides."""

    class Kind(models.TextChoices):
        MEDIA_SERIES = "media_series", "Same media in two series"
        IDENTIFIED = "identified", "Victim identified on one side only"
        AGE_RANGE = "age_range", "Different age ranges"

    class Decision(models.TextChoices):
        OURS = "ours", "Keep ours"
        THEIRS = "theirs", "Take the partner's"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="conflicts")
    media = models.ForeignKey(
        "victimid.Media", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    series = models.ForeignKey(
        "victimid.Series", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ours = models.JSONField(default=dict)
    theirs = models.JSONField(default=dict)
    transfer = models.ForeignKey(Transfer, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.partner})"

    @property
    def subject(self) -> str:
        if self.media_id:
            return f"M-{self.media_id} ({self.ours.get('md5', '')})"
        if self.series_id:
            return f"series {self.ours.get('name', self.series_id)}"
        return "—"


class PackageReceipt(models.Model):
    """Every package imported, so a replayed or older one is refused."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="receipts")
    package_id = models.CharField(max_length=36, unique=True)
    sequence = models.PositiveBigIntegerField()
    received_at = models.DateTimeField(default=timezone.now)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.package_id


class PushReceipt(models.Model):
    """A batch a partner pushed to us, by the id it gave: the same batch sent again
    (a retry after a lost answer) is answered from here and applied once."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="push_receipts")
    batch_id = models.CharField(max_length=64)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+")
    summary = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "batch_id"], name="push_receipt_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.batch_id}"


class PackageSequence(models.Model):
    """The last package sequence number this instance issued to a partner."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="+")
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.partner}: {self.last}"


class ImportJobQuerySet(access.ScopedQuerySet):
    scope_owner = "created_by"


class ImportJob(UploadJob):
    """A VICS file uploaded through the web, imported by a background task (exchange.tasks).

    The upload is sealed like media (vigil/lib/crypto.py) and deleted when the job ends. The
    import is one transaction, so its progress cannot live in this row while it runs (no other
    connection would see it, and SQLite allows one writer): the task writes it to a small file
    beside the upload (`progress_path`), which the page reads; the row gets the final figures.
    """

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="import_jobs")
    # progress_done / progress_total: bytes of the file read, of its size.

    objects = ImportJobQuerySet.as_manager()

    def __str__(self) -> str:
        return f"VICS import #{self.pk} {self.original_name}"

    @property
    def progress_path(self):
        from pathlib import Path

        return Path(settings.UPLOAD_DIR) / "vics-imports" / f"{self.pk}.progress"

    def live_progress(self) -> tuple[int, int]:
        """(records read, bytes read) while the task runs; the row's figures once it ended."""
        if not self.finished and self.status == self.Status.RUNNING:
            try:
                records, done = self.progress_path.read_text().split()
                return int(records), int(done)
            except (OSError, ValueError):
                return 0, 0
        return int((self.summary or {}).get("records_read", 0)), self.progress_done

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        _, done = self.live_progress()
        if not self.progress_total:
            return 0
        return min(99, int(100 * done / self.progress_total))
