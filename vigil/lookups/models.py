"""Ownership look-ups: the offline range database, cached RDAP answers, the provider directory."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from vigil.accounts import access


class ReferenceQuerySet(access.ScopedQuerySet):
    """Reference data: every data role reads; managers and administrators change."""

    scope_rule = "reference_data"


class RangeSource(models.Model):
    """One loaded range file (e.g. "iptoasn"); a new load replaces the previous one."""

    name = models.CharField(max_length=100, unique=True)
    as_of = models.DateTimeField(null=True, blank=True, help_text="Date of the data (the file's)")
    loaded_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    ipv4_count = models.PositiveIntegerField(default=0)
    ipv6_count = models.PositiveIntegerField(default=0)
    # Bumped on every load: in-memory indexes rebuild when it changes.
    generation = models.PositiveIntegerField(default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IPRange(models.Model):
    """start/end: 32 hex digits, zero-padded, so text order is numeric order."""

    source = models.ForeignKey(RangeSource, on_delete=models.CASCADE, related_name="ranges")
    family = models.PositiveSmallIntegerField()
    start = models.CharField(max_length=32)
    end = models.CharField(max_length=32)
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    country = models.CharField(max_length=8, blank=True)
    owner = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "family", "start"], name="iprange_src_fam_start")]

    def __str__(self) -> str:
        return f"{self.source_id}: {self.start}-{self.end} AS{self.asn}"


class LookupSettings(models.Model):
    """A single row: RDAP is off until an administrator turns it on (air-gapped default)."""

    rdap_enabled = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"RDAP {'on' if self.rdap_enabled else 'off'}"

    @classmethod
    def current(cls) -> LookupSettings:
        obj = cls.objects.filter(pk=1).first()
        return obj if obj is not None else cls(pk=1)


class RdapResultQuerySet(access.ScopedQuerySet):
    scope_owner = None


class RdapResult(models.Model):
    """The latest RDAP answer for one query (kind + normalised value), with date and source."""

    class Kind(models.TextChoices):
        IP = "ip", "IP"
        ASN = "asn", "AS number"
        DOMAIN = "domain", "Domain"

    class Status(models.TextChoices):
        OK = "ok", "Found"
        NOT_FOUND = "not_found", "Not found"
        RATE_LIMITED = "rate_limited", "Rate limited"
        ERROR = "error", "Error"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    query = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices)
    source_url = models.CharField(max_length=500, blank=True, help_text="The URL that answered")
    registry = models.CharField(max_length=100, blank=True)
    handle = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=300, blank=True)
    org_name = models.CharField(max_length=300, blank=True)
    org_handle = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=8, blank=True)
    range_start = models.CharField(max_length=64, blank=True)
    range_end = models.CharField(max_length=64, blank=True)
    abuse_email = models.CharField(max_length=254, blank=True)
    abuse_phone = models.CharField(max_length=64, blank=True)
    # Everything parsed (contacts by role, events, nameservers…) for the detail view.
    data = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    retry_after = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField()

    objects = RdapResultQuerySet.as_manager()

    class Meta:
        ordering = ["-fetched_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "query"], name="rdap_unique_query")]

    def __str__(self) -> str:
        return f"RDAP {self.kind} {self.query}"


class Provider(models.Model):
    """A service provider that answers legal process (ISP, hosting, e-mail, platform)."""

    class Kind(models.TextChoices):
        ISP = "isp", "Internet service provider"
        HOSTING = "hosting", "Hosting company"
        EMAIL = "email", "E-mail provider"
        PLATFORM = "platform", "Platform operator"
        OTHER = "other", "Other"

    class Method(models.TextChoices):
        EMAIL = "email", "E-mail"
        FAX = "fax", "Fax"
        MAIL = "mail", "Mail"
        PORTAL = "portal", "Portal"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ISP)
    legal_contact = models.CharField(max_length=200, blank=True, help_text="Legal-process desk")
    legal_email = models.CharField(max_length=254, blank=True)
    legal_phone = models.CharField(max_length=64, blank=True)
    legal_fax = models.CharField(max_length=64, blank=True)
    portal_url = models.CharField(max_length=500, blank=True)
    service_method = models.CharField(max_length=8, choices=Method.choices, default=Method.EMAIL)
    address = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    EDITABLE = [
        "name",
        "kind",
        "legal_contact",
        "legal_email",
        "legal_phone",
        "legal_fax",
        "portal_url",
        "service_method",
        "address",
        "notes",
        "active",
    ]


class ProviderMapping(models.Model):
    """What points at a provider: an AS number, an RDAP org handle, an e-mail domain, a platform."""

    class Kind(models.TextChoices):
        ASN = "asn", "AS number"
        RDAP_HANDLE = "rdap_handle", "RDAP organisation handle"
        EMAIL_DOMAIN = "email_domain", "E-mail domain"
        PLATFORM = "platform", "Platform"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="mappings")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(max_length=255)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="provider_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value} → {self.provider}"
