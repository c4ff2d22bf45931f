"""What of an audit row the viewer may see (docs/security.md, "Case values in the audit trail").

An audit row about a case record (a model whose manager has `for_user`, the
access module's per-model rule: tips, selectors, series, media, match
requests, subpoenas, referrals, messages, …) shows its values only to users
who may read that record now. Everyone else with the audit viewer (an
administrator without a data role, a manager looking at someone's private
message) sees the row's who/what/when/outcome and its field names, every value
"redacted". Rows about accounts, settings and the audit trail itself are shown
as they are: reading those is what the audit viewer is for.

A record that no longer exists is readable to whoever may read case data at all
(`access.can_read_data`); a row about a kind of record but no single one
(a search, an export) likewise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db.models import Model

from vigil.accounts import access
from vigil.audit.models import AuditEvent

REDACTED = "redacted"


def _case_model(object_type: str) -> type[Model] | None:
    if not object_type or "." not in object_type:
        return None
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    if model is AuditEvent or not hasattr(model._default_manager, "for_user"):
        return None
    return model


def _hide(value: Any) -> Any:
    """Keep the shape's field names, replace every value."""
    if isinstance(value, dict):
        return {key: _hide(v) for key, v in value.items()}
    return REDACTED


def _readable(user: Any, model: type[Model], ids: set[str]) -> set[str]:
    from django.core.exceptions import ValidationError

    pks = []
    for raw in ids:
        try:
            pks.append(model._meta.pk.to_python(raw))
        except ValidationError:
            pass  # a malformed id names no readable record: its row stays redacted
    if not pks:
        return set()
    readable = {
        str(pk)
        for pk in model._default_manager.for_user(user, access.READ)
        .filter(pk__in=pks)
        .values_list("pk", flat=True)
    }
    if access.can_read_data(user):
        existing = {
            str(pk) for pk in model._default_manager.filter(pk__in=pks).values_list("pk", flat=True)
        }
        readable |= {str(pk) for pk in pks} - existing  # gone since: the role decides
    return readable


def apply(user: Any, events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Set `shown_changes`, `shown_summary` and `redacted` on each event for `user`."""
    events = list(events)
    wanted: dict[type[Model], set[str]] = defaultdict(set)
    for e in events:
        model = _case_model(e.object_type)
        if model is not None and e.object_id:
            wanted[model].add(e.object_id)
    readable = {model: _readable(user, model, ids) for model, ids in wanted.items()}
    reads_data = access.can_read_data(user)
    for e in events:
        model = _case_model(e.object_type)
        if model is None:
            shown = True
        elif e.object_id:
            shown = e.object_id in readable[model]
        else:
            shown = reads_data
        e.redacted = not shown
        e.shown_changes = e.changes if shown else _hide(e.changes)
        e.shown_summary = e.summary if shown or not e.summary else REDACTED
    return events
