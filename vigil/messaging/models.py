from __future__ import annotations

from django.conf import settings
from django.db import models

from vigil.accounts import access


class MessageQuerySet(access.ScopedQuerySet):
    # Messages are private to their recipient (and visible to the sender).
    scope_rule = "private_message"

    def unread(self):
        return self.filter(read_at__isnull=True)


class Message(models.Model):
    """An in-system message between users, or a system notification (no sender)."""

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        NOTIFICATION = "notification", "Notification"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inbox"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sent_messages",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Where the message points (a tip, a flag); a path inside Vigil, never external.
    link = models.CharField(max_length=300, blank=True)
    # Lets a producer avoid sending the same notification twice.
    dedupe_key = models.CharField(max_length=200, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject
