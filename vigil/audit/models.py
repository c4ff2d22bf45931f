from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    """The one outcome vocabulary (docs/security.md, "Audit outcomes").

    success: the action was done. denied: the access rules refused it (403/404,
    wrong password, locked account, missing MFA). failed: it was allowed but
    could not be done (bad input, a job that ended in error).
    """

    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


# Spellings once written and since migrated to the vocabulary above
# (audit 0003). A migrated row keeps its original hash, so the chain check
# also accepts the hash under the old spelling.
LEGACY_OUTCOMES = {"failure": Outcome.FAILED}


def mac_message(event_id: int, event_hash: str) -> str:
    return f"vigil-audit-1\n{event_id}\n{event_hash}"


class AuditEventQuerySet(models.QuerySet):
    def chain_order(self):
        return self.order_by("id")


class AuditEvent(models.Model):
    """One append-only, hash-chained audit row.

    `hash` covers every field and the previous row's hash, so altering or
    removing any row breaks the chain at that row (`vigil verify_audit`).
    `mac` is a keyed MAC over the id and the hash: someone who can write to the
    database but has no key cannot rewrite the chain with `compute_hash`.
    The newest id and MAC are also kept outside the database (audit/head.py),
    so removing the newest rows is noticed too. On PostgreSQL a trigger
    refuses UPDATE and DELETE.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    # No FK constraint: users are disabled, never deleted, and a constraint's
    # ON DELETE would need to UPDATE audit rows, which is forbidden.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    via = models.CharField(max_length=8, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Keyed MAC over (id, hash) with a key the database never holds; empty on
    # rows written before MACs existed (the "legacy" rows, docs/security.md).
    mac = models.CharField(max_length=64, blank=True, default="")
    mac_key = models.CharField(max_length=16, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action} {self.outcome}"

    def payload(self) -> dict:
        # The id is left out: it is assigned on insert, and rows are never
        # updated. Order is protected by prev_hash instead.
        return {
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "outcome": self.outcome,
            "source_ip": self.source_ip,
            "request_id": self.request_id,
            "via": self.via,
            "summary": self.summary,
            "changes": self.changes,
        }

    def compute_hash(self, *, outcome: str | None = None) -> str:
        payload = self.payload()
        if outcome is not None:
            payload["outcome"] = outcome
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(f"{self.prev_hash}\n{body}".encode()).hexdigest()

    def mac_message(self) -> str:
        return mac_message(self.id, self.hash)

    def hash_matches(self) -> bool:
        """Does the stored hash cover this row's contents (old outcome spellings included)?"""
        if self.compute_hash() == self.hash:
            return True
        return any(
            new == self.outcome and self.compute_hash(outcome=old) == self.hash
            for old, new in LEGACY_OUTCOMES.items()
        )
