"""Actions on many tips at once: the queue's selection, or every tip of an import batch.

Each operation is one transaction and writes ONE audit row naming every tip it
changed (ids as ranges, "3,5-9,12"), the ones it left as they were and the ones
it skipped because they are not the actor's to change. Access is the single-tip
rule applied to each tip through vigil/accounts/access.py: a priority only on
tips the actor may write (an Investigator: their own; a Manager: any), a take
only of unassigned tips they see, an assignment by a Manager. Tips the actor may
not see are dropped without a word (as a 404 would), never named in the answer.
When nothing selected is the actor's to change, the operation is refused (403).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.actions import id_ranges
from vigil.audit.log import record
from vigil.messaging.actions import do_notify
from vigil.tips.models import Tip

CHUNK = 1000
# One operation's reach: a large import's batch, not the whole repository by mistake.
MAX_SELECTION = 100_000


@dataclass
class SelectionOutcome:
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # already so
    skipped: list[int] = field(default_factory=list)  # seen, not the actor's to change

    def message(self, done: str) -> str:
        text = f"{len(self.changed)} tip{'s' if len(self.changed) != 1 else ''} {done}"
        if self.unchanged:
            text += f"; {len(self.unchanged)} already so"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped (not yours to change)"
        return text + "."


def _clean(tip_ids: Iterable[Any]) -> list[int]:
    ids: set[int] = set()
    for raw in tip_ids:
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            raise ValidationError(f"tips: {str(raw)[:40]!r} is not a tip id") from None
    if not ids:
        raise ValidationError("Select at least one tip.")
    if len(ids) > MAX_SELECTION:
        raise ValidationError(f"At most {MAX_SELECTION:,} tips at once; narrow the filter.")
    return sorted(ids)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _rows(actor: Any, ids: list[int], action: str) -> dict[int, tuple[int, int | None, str]]:
    """{id: (priority, assignee id, status)} of the tips among `ids` that `actor` may `action`."""
    out: dict[int, tuple[int, int | None, str]] = {}
    for chunk in _chunks(ids):
        qs = Tip.objects.for_user(actor, action).filter(pk__in=chunk)
        for pk, priority, assignee, status in qs.values_list(
            "pk", "priority", "assigned_to_id", "status"
        ):
            out[pk] = (priority, assignee, status)
    return out


def _update(ids: list[int], **values: Any) -> None:
    now = timezone.now()
    for chunk in _chunks(ids):
        Tip.objects.filter(pk__in=chunk).update(**values, updated_at=now)


def _start_review(ids: list[int]) -> list[int]:
    """Assigned tips that were new go in review, as a single assignment does."""
    moved: list[int] = []
    for chunk in _chunks(ids):
        new = Tip.objects.filter(pk__in=chunk, status=Tip.Status.NEW)
        moved.extend(new.values_list("pk", flat=True))
        new.update(status=Tip.Status.IN_REVIEW)
    return moved


def _audit(action: str, outcome: SelectionOutcome, *, actor: Any, summary: str, **extra) -> None:
    record(
        action,
        actor=actor,
        object_type="tips.tip",
        object_id=outcome.changed[0] if outcome.changed else "",
        changes={
            "tips": id_ranges(outcome.changed),
            "count": len(outcome.changed),
            "unchanged": id_ranges(outcome.unchanged),
            "skipped": id_ranges(outcome.skipped),
            **extra,
        },
        summary=summary[:300],
    )


def do_set_tips_priority(tip_ids: Iterable[Any], priority: Any, *, actor: Any) -> SelectionOutcome:
    """One priority for every selected tip the actor may change (`tip.bulk_priority`)."""
    access.require(access.can_create(actor))
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise ValidationError(f"priority: {str(priority)[:40]!r} is not a number") from None
    if priority not in Tip.Priority.values:
        raise ValidationError(f"priority: {priority} is not one of {Tip.Priority.values}")
    ids = _clean(tip_ids)
    with transaction.atomic():
        seen = _rows(actor, ids, access.READ)
        writable = _rows(actor, list(seen), access.WRITE)
        if not writable:
            raise PermissionDenied("You may change the priority only of tips assigned to you.")
        out = SelectionOutcome(skipped=sorted(set(seen) - set(writable)))
        before: dict[int, list[int]] = {}
        for pk, (old, _, _) in sorted(writable.items()):
            if old == priority:
                out.unchanged.append(pk)
            else:
                out.changed.append(pk)
                before.setdefault(old, []).append(pk)
        _update(out.changed, priority=priority)
        label = Tip.Priority(priority).label
        _audit(
            "tip.bulk_priority",
            out,
            actor=actor,
            summary=f"priority {label} on {len(out.changed)} tip(s)",
            priority=priority,
            before={str(p): id_ranges(pks) for p, pks in sorted(before.items())},
        )
    return out


def do_take_tips(tip_ids: Iterable[Any], *, actor: Any) -> SelectionOutcome:
    """The actor takes every selected tip that is unassigned (`tip.bulk_take`)."""
    access.require(access.can_create(actor))
    ids = _clean(tip_ids)
    with transaction.atomic():
        seen = _rows(actor, ids, access.READ)
        out = SelectionOutcome()
        for pk, (_, assignee, _) in sorted(seen.items()):
            if assignee is None:
                out.changed.append(pk)
            elif assignee == actor.pk:
                out.unchanged.append(pk)
            else:
                out.skipped.append(pk)
        if not out.changed and not out.unchanged:
            raise PermissionDenied("None of these tips is unassigned: only a manager reassigns.")
        _update(out.changed, assigned_to=actor)
        moved = _start_review(out.changed)
        _audit(
            "tip.bulk_take",
            out,
            actor=actor,
            summary=f"{actor.username} took {len(out.changed)} tip(s)",
            assigned_to=actor.username,
            in_review=id_ranges(moved),
        )
    return out


def do_assign_tips(tip_ids: Iterable[Any], assignee: Any, *, actor: Any) -> SelectionOutcome:
    """A Manager assigns (or, with None, unassigns) every selected tip (`tip.bulk_assign`)."""
    access.require(access.is_manager(actor))
    if (
        assignee is not None
        and not get_user_model().objects.assignable().filter(pk=assignee.pk).exists()
    ):
        raise ValidationError(f"{assignee.username} cannot be assigned tips.")
    ids = _clean(tip_ids)
    target = assignee.pk if assignee is not None else None
    with transaction.atomic():
        writable = _rows(actor, ids, access.WRITE)
        out = SelectionOutcome()
        for pk, (_, current, _) in sorted(writable.items()):
            (out.unchanged if current == target else out.changed).append(pk)
        _update(out.changed, assigned_to=assignee)
        moved = _start_review(out.changed) if assignee is not None else []
        name = assignee.username if assignee is not None else None
        _audit(
            "tip.bulk_assign",
            out,
            actor=actor,
            summary=(
                f"{len(out.changed)} tip(s) " + (f"assigned to {name}" if name else "unassigned")
            ),
            assigned_to=name,
            in_review=id_ranges(moved),
        )
        if assignee is not None and assignee.pk != actor.pk and out.changed:
            do_notify(
                assignee,
                subject=f"{len(out.changed)} tip(s) assigned to you",
                body=f"{actor.username} assigned you {len(out.changed)} tip(s) at once.",
                link=reverse("tips-queue") + "?assignee=me",
            )
    return out
