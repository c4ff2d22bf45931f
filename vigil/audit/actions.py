"""The audit trail's own actions: refusals and reads of case data.

Refusals (issue 13, item 4). The access module calls `note_denied()` every
time it refuses (a 404 for a record out of reach, a 403 for a record or page
the user may see but not use). During a web or API request the refusal is
kept until the response is ready (`DeniedAuditMiddleware`), because the
refusal usually rolls back the transaction it happened in; outside a request
it is written at once. Each refusal becomes one `denied` row, rate-limited so
a loop cannot flood the trail:

- one row per (user, action, object) per window (`AUDIT_DENIED_WINDOW_SECONDS`,
  60 s): a repeat inside the window is counted, not written;
- at most `AUDIT_DENIED_MAX_PER_WINDOW` (30) rows per user per window, so
  walking ids one by one is cut off too.

What was not written is not lost: every denied row carries `suppressed`, the
number of this user's refusals this process counted and did not write since
its previous denied row for that user (the sum over the rows is the total).

Reads (issue 13, item 6). Every read of case data writes one row through
`do_view` (one record) or `do_view_list` (a page, an export, search results,
an API list: the ids returned, or their count, and the filter).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from vigil.audit.log import record
from vigil.audit.models import AuditEvent, Outcome

# A list read names every id it returned, as ranges ("3,5-9,12"); past this
# length the row keeps the start of the list, says so, and gives the count.
MAX_IDS_TEXT = 20_000


@dataclass
class Denial:
    actor: Any
    action: str  # access.read | access.write | access.delete | access.use
    object_type: str = ""
    object_id: str = ""
    status: int = 403
    reason: str = ""
    extra: dict = field(default_factory=dict)


_pending: ContextVar[list[Denial] | None] = ContextVar("vigil_pending_denials", default=None)
_suppressed: dict[int, int] = {}
_suppressed_lock = threading.Lock()


def _label(model: Any) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def note_denied(
    actor: Any,
    action: str,
    *,
    obj: Any = None,
    model: Any = None,
    object_id: Any = "",
    status: int = 403,
    reason: str = "",
    **extra: Any,
) -> None:
    """The access module refused `actor`: record it (now, or when the request ends)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return  # anonymous callers are sent to sign in, not refused
    if obj is not None:
        model, object_id = type(obj), obj.pk
    denial = Denial(
        actor=actor,
        action=action,
        object_type=_label(model) if model is not None else "",
        object_id=str(object_id if object_id is not None else "")[:64],
        status=status,
        reason=reason,
        extra=extra,
    )
    pending = _pending.get()
    if pending is None:
        do_record_denied(denial)
    else:
        pending.append(denial)


@contextlib.contextmanager
def collecting_denials() -> Iterator[list[Denial]]:
    """Hold this request's refusals; the caller writes them with `do_record_denied`."""
    pending: list[Denial] = []
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def _count_suppressed(actor_id: int) -> None:
    with _suppressed_lock:
        _suppressed[actor_id] = _suppressed.get(actor_id, 0) + 1


def _take_suppressed(actor_id: int) -> int:
    with _suppressed_lock:
        return _suppressed.pop(actor_id, 0)


def reset_suppressed() -> None:
    """Forget the per-process counters (tests)."""
    with _suppressed_lock:
        _suppressed.clear()


def do_record_denied(denial: Denial, *, method: str = "", path: str = "") -> AuditEvent | None:
    """Write one `denied` row for `denial`, unless the rate limit folds it into a count."""
    actor = denial.actor
    since = timezone.now() - dt.timedelta(seconds=settings.AUDIT_DENIED_WINDOW_SECONDS)
    recent = AuditEvent.objects.filter(actor_id=actor.pk, outcome=Outcome.DENIED, at__gte=since)
    repeated = recent.filter(
        action=denial.action, object_type=denial.object_type, object_id=denial.object_id
    ).exists()
    if repeated or recent.count() >= settings.AUDIT_DENIED_MAX_PER_WINDOW:
        _count_suppressed(actor.pk)
        return None
    what = f"{denial.object_type} {denial.object_id}".strip() or "this page"
    changes = {"status": denial.status, "suppressed": _take_suppressed(actor.pk), **denial.extra}
    if method:
        changes["method"] = method
    if path:
        changes["path"] = path[:200]
    return record(
        denial.action,
        actor=actor,
        object_type=denial.object_type,
        object_id=denial.object_id,
        outcome=Outcome.DENIED,
        changes=changes,
        summary=f"{denial.status}: {denial.reason or 'refused'} ({what})",
    )


# --- reads ----------------------------------------------------------------------------------


def do_view(obj: Any, *, actor: Any, action: str, summary: str = "", **changes: Any) -> AuditEvent:
    """One record of case data was shown (a page, an API answer, a download)."""
    return record(
        action, actor=actor, obj=obj, summary=summary or str(obj)[:300], changes=changes or None
    )


def id_ranges(ids: Iterable[Any]) -> str:
    """Integer ids as sorted ranges: [12, 3, 5, 6, 7] -> "3,5-7,12" (others kept as given)."""
    ints, other = [], []
    for i in ids:
        (ints if isinstance(i, int) else other).append(i)
    parts: list[str] = []
    ints = sorted(set(ints))
    start = prev = None
    for i in ints:
        if prev is not None and i == prev + 1:
            prev = i
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = i
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts + [str(o) for o in other])


def do_view_list(
    model: Any,
    ids: Iterable[Any],
    *,
    actor: Any,
    action: str,
    filters: dict | None = None,
    summary: str = "",
    **changes: Any,
) -> AuditEvent:
    """A list of case records was shown or exported: one row naming the ids it
    returned (`id_ranges`), how many, and the filter that chose them."""
    ids = list(ids)
    text = id_ranges(ids)
    body: dict[str, Any] = {"count": len(ids), "ids": text[:MAX_IDS_TEXT]}
    if len(text) > MAX_IDS_TEXT:
        body["ids_truncated"] = True
    if filters:
        body["filters"] = {k: v for k, v in filters.items() if v not in ("", None)}
    body.update(changes)
    return record(
        action,
        actor=actor,
        object_type=_label(model),
        changes=body,
        summary=summary or f"{len(ids)} {model._meta.verbose_name_plural}",
    )
