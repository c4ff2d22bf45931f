"""Administrative subpoenas for subscriber records.

Vigil keeps the record (provider, identifiers, categories, status, dates, who)
and renders the document on demand; the document itself is never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from vigil.accounts import access


class Category(models.TextChoices):
    """The only records 18 U.S.C. § 2703(c)(2) lets an administrative subpoena ask for."""

    NAME = "name", "Name"
    ADDRESS = "address", "Address"
    SESSIONS = (
        "sessions",
        "Local and long distance telephone connection records, or records of session times "
        "and durations",
    )
    SERVICE = (
        "service",
        "Length of service (including start date) and types of service utilized",
    )
    SUBSCRIBER_NUMBER = (
        "subscriber_number",
        "Telephone or instrument number or other subscriber number or identity, including any "
        "temporarily assigned network address",
    )
    PAYMENT = (
        "payment",
        "Means and source of payment for such service (including any credit card or bank "
        "account number)",
    )


class SubpoenaQuerySet(access.ScopedQuerySet):
    scope_owner = "tip__assigned_to"

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status=Subpoena.Status.SERVED, due_date__lt=today)

    def open(self):
        return self.exclude(status=Subpoena.Status.CLOSED)


class Subpoena(models.Model):
    class Status(models.TextChoices):
        DRAFTED = "drafted", "Drafted"
        APPROVED = "approved", "Approved"
        SERVED = "served", "Served"
        RESPONSE_RECEIVED = "response_received", "Response received"
        NO_RECORDS = "no_records", "No records"
        NOT_OUR_CUSTOMER = "not_our_customer", "Not our customer"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        RESPONSE_RECEIVED = "response_received", "Response received"
        NO_RECORDS = "no_records", "No records"
        NOT_OUR_CUSTOMER = "not_our_customer", "Not our customer"

    class Method(models.TextChoices):
        EMAIL = "email", "E-mail"
        FAX = "fax", "Fax"
        MAIL = "mail", "Mail"
        PORTAL = "portal", "Portal"
        HAND = "hand", "By hand"

    tip = models.ForeignKey("tips.Tip", on_delete=models.PROTECT, related_name="subpoenas")
    provider = models.ForeignKey(
        "lookups.Provider", on_delete=models.PROTECT, related_name="subpoenas"
    )
    # The subpoena whose "not our customer" answer named this provider.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    categories = models.JSONField(default=list)
    time_zone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFTED, db_index=True
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    due_date = models.DateField(null=True, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    served_at = models.DateTimeField(null=True, blank=True, db_index=True)
    service_method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    response_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_customer_entity = models.CharField(max_length=200, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contradiction = models.BooleanField(default=False)
    contradiction_note = models.TextField(blank=True)
    # The provider's response document, sealed like media (vigil/victimid/storage.py).
    response_file_name = models.CharField(max_length=255, blank=True)
    response_file_path = models.CharField(max_length=300, blank=True)
    response_file_key = models.BinaryField(null=True, blank=True, editable=False)
    response_file_size = models.PositiveBigIntegerField(default=0)
    response_file_sha256 = models.CharField(max_length=64, blank=True)

    objects = SubpoenaQuerySet.as_manager()

    class Meta:
        ordering = ["-drafted_at", "-id"]
        indexes = [models.Index(fields=["status", "due_date"], name="subpoena_status_due")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        year = (self.drafted_at or timezone.now()).year
        return f"SUB-{year}-{self.pk or 0:06d}"

    @property
    def is_overdue(self) -> bool:
        return bool(
            self.status == self.Status.SERVED
            and self.due_date
            and self.due_date < timezone.localdate()
        )

    def category_labels(self) -> list[str]:
        labels = dict(Category.choices)
        return [labels[c] for c in self.categories if c in labels]

    def chain(self) -> list[Subpoena]:
        """From the first subpoena of the chain to the last, this one included."""
        root = self
        seen = {root.pk}
        while root.parent_id and root.parent_id not in seen:
            root = root.parent
            seen.add(root.pk)
        out, level = [root], [root]
        while level:
            nxt = list(Subpoena.objects.filter(parent__in=level).order_by("id"))
            out.extend(nxt)
            level = nxt
        return out


class IdentifierQuerySet(access.ScopedQuerySet):
    scope_owner = "subpoena__tip__assigned_to"


class SubpoenaIdentifier(models.Model):
    """What the provider is asked about, copied from a selector when drafted."""

    subpoena = models.ForeignKey(Subpoena, on_delete=models.CASCADE, related_name="identifiers")
    selector = models.ForeignKey(
        "tips.Selector", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    type = models.CharField(max_length=12)
    value = models.CharField(max_length=512)
    observed_at = models.DateTimeField(null=True, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)

    objects = IdentifierQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type}: {self.value}"


class ResponseQuerySet(access.ScopedQuerySet):
    scope_owner = "subpoena__tip__assigned_to"


class SubpoenaResponse(models.Model):
    """What the provider answered. Payment numbers are kept masked; the selectors hold them sealed."""

    subpoena = models.ForeignKey(Subpoena, on_delete=models.CASCADE, related_name="responses")
    subscriber_name = models.CharField(max_length=300, blank=True)
    address = models.TextField(blank=True)
    phones = models.JSONField(default=list, blank=True)
    emails = models.JSONField(default=list, blank=True)
    account_ids = models.JSONField(default=list, blank=True)
    payment = models.CharField(max_length=200, blank=True, help_text="Masked")
    sessions = models.JSONField(default=list, blank=True)
    selectors_added = models.PositiveIntegerField(default=0)
    flags_raised = models.PositiveIntegerField(default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"Response to {self.subpoena}"


class SubpoenaTemplate(models.Model):
    """The one document template (a Django template a Manager edits), with the office's details."""

    body = models.TextField()
    issuing_office = models.TextField()
    return_instructions = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Subpoena template (updated {self.updated_at:%Y-%m-%d})"
