from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.messaging.models import Message


def do_notify(
    recipient, *, subject: str, body: str = "", link: str = "", dedupe_key: str = ""
) -> Message | None:
    """A system notification. With `dedupe_key`, sends at most once per recipient and key."""
    if dedupe_key and Message.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
        return None
    with transaction.atomic():
        msg = Message.objects.create(
            recipient=recipient,
            kind=Message.Kind.NOTIFICATION,
            subject=subject[:200],
            body=body,
            link=link,
            dedupe_key=dedupe_key,
        )
        record("message.notify", obj=msg, summary=f"to {recipient.username}: {subject[:200]}")
    return msg


def do_send_message(*, actor, recipient, subject: str, body: str) -> Message:
    if not recipient.is_active:
        raise ValidationError("That user's account is disabled.")
    if not subject.strip():
        raise ValidationError("A message needs a subject.")
    access.require(actor.is_authenticated and actor.is_active)
    with transaction.atomic():
        msg = Message.objects.create(
            recipient=recipient, sender=actor, subject=subject.strip()[:200], body=body
        )
        record("message.send", actor=actor, obj=msg, summary=f"to {recipient.username}")
    return msg


def do_mark_read(message: Message, *, actor) -> None:
    """The recipient opened the message: read_at is set once, with a message.read row."""
    if message.recipient_id != actor.pk:
        return
    if message.read_at is None:
        with transaction.atomic():
            now = timezone.now()
            # Only the first opening counts, however many requests race for it.
            if Message.objects.filter(pk=message.pk, read_at=None).update(read_at=now):
                record("message.read", actor=actor, obj=message)
            message.read_at = now
