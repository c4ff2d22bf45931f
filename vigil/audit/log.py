"""Writing audit rows. Actions call `record()` explicitly, inside their transaction.

Fails closed: if the row cannot be written the surrounding transaction fails.
"""

from __future__ import annotations

import datetime as dt
import getpass
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from vigil.audit import head
from vigil.audit.models import AuditEvent, Outcome
from vigil.core import request_context
from vigil.lib import crypto

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
_PENDING_MAX = 5000


_PLAIN = frozenset({str, int, bool, float, type(None)})


def _clean(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values: checked first (a batch row names 1,000 tips)
        return value
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


def acting(actor: Any) -> dict[str, Any]:
    """`record`'s actor arguments for an action run by a user, or, `actor` None, by the
    operator at the server's shell (management commands): named `cli:<login>`."""
    if actor is None:
        return {"actor": None, "actor_username": f"cli:{getpass.getuser()}"}
    return {"actor": actor}


def user_or_none(actor: Any) -> Any:
    """The actor when it is a stored user (for a `created_by`), else None."""
    return actor if getattr(actor, "pk", None) else None


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
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Serialise writers so each row chains onto the true previous one.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        # Ids are given here, under the writers' lock, not by the sequence: MACed
        # events are numbered without gaps, so a missing one is counted exactly.
        event = AuditEvent(
            id=last[0] + 1 if last else 1,
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
            prev_hash=last[1] if last else GENESIS,
        )
        event.hash = event.compute_hash()
        event.mac_key, key = crypto.audit_key()
        event.mac = crypto.audit_mac(key, event.mac_message())
        event.save(force_insert=True)
        _move_head_on_commit(event, fresh=outermost)
    return event


def _move_head_on_commit(event: AuditEvent, *, fresh: bool) -> None:
    """Move the chain head once the row is committed, once per transaction.

    A rolled-back event never becomes the head. Every event registers a
    callback (so a savepoint rollback drops only its own), but they share one
    list per connection: the first callback after a commit moves the head to
    the newest listed event that is in the database, the others find nothing
    left to do. A batch of 1,000 events costs one head write, not 1,000.
    """
    pending = getattr(connection, "_vigil_audit_pending", None)
    if pending is None or fresh:
        # A new outermost transaction: nothing listed before it can still commit.
        pending = connection._vigil_audit_pending = []  # type: ignore[attr-defined]
    elif len(pending) >= _PENDING_MAX:
        del pending[: len(pending) - _PENDING_MAX + 1]  # rolled-back leftovers; newest kept
    pending.append((event.id, event.hash, event.mac, event.prev_hash))
    transaction.on_commit(partial(head.advance_to_newest, pending), robust=True)
