"""Writing audit rows. Actions call `record()` explicitly, inside their transaction.

Fails closed: if the row cannot be written the surrounding transaction fails.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from vigil.audit.models import AuditEvent, Outcome
from vigil.core import request_context

GENESIS = "0" * 64
REDACTED = "[redacted]"
# Fields whose values never enter the audit trail, only the fact they changed.
SENSITIVE_FIELDS = frozenset(
    {
        "password",
        "ssn",
        "card",
        "value_encrypted",
        "secret",
        "token",
        "key",
        "otp",
        "totp",
        "narrative_victim",
    }
)
_LOCK_ID = 0x76696769  # "vigi"


def _clean(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Changed fields as {field: {"before": …, "after": …}}, sensitive values redacted."""
    changes: dict[str, dict[str, Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if any(s in key.lower() for s in SENSITIVE_FIELDS):
            changes[key] = {"before": REDACTED, "after": REDACTED}
        else:
            changes[key] = {"before": _clean(old), "after": _clean(new)}
    return changes


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "pk"):
            value = value.pk
        out[name] = _clean(value)
    return out


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    outcome: str = Outcome.SUCCESS,
    changes: dict | None = None,
    summary: str = "",
    actor_username: str = "",
) -> AuditEvent:
    """Append one event to the chain."""
    if outcome not in Outcome.values:
        raise ValueError(f"audit outcome {outcome!r} is not one of {', '.join(Outcome.values)}")
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or obj.pk
    ctx = request_context.current()
    real_actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Serialise writers so each row chains onto the true previous one.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            at=timezone.now(),
            actor=real_actor,
            actor_username=actor_username or (real_actor.get_username() if real_actor else ""),
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            outcome=outcome,
            source_ip=ctx.ip,
            request_id=ctx.request_id,
            via=ctx.via,
            summary=summary[:300],
            changes=_clean(changes or {}),
            prev_hash=last or GENESIS,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


def verify() -> tuple[int, AuditEvent | None, str]:
    """Walk the chain. Returns (events checked, first broken event or None, reason)."""
    prev = GENESIS
    count = 0
    for event in AuditEvent.objects.chain_order().iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return (
                count,
                event,
                "its previous-hash does not match the event before it (a row was removed or altered)",
            )
        if not event.hash_matches():
            return count, event, "its contents do not match its hash (the row was altered)"
        prev = event.hash
        count += 1
    return count, None, ""
