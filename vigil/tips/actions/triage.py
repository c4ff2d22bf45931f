"""Triage, priority and assignment of a tip."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.messaging.actions import do_notify
from vigil.tips.actions.common import require_write
from vigil.tips.models import Tip

TRIAGE_STATUSES = {
    Tip.Status.IN_REVIEW,
    Tip.Status.ACTIONABLE,
    Tip.Status.NOT_ACTIONABLE,
    Tip.Status.UNFOUNDED,
}


def do_triage_tip(tip: Tip, status: str, *, actor: Any, reason: str = "") -> Tip:
    """Set the triage outcome. Not actionable and unfounded need a reason; the tip stays."""
    require_write(tip, actor)
    if status not in TRIAGE_STATUSES:
        raise ValidationError(f"status: {status!r} is not one of {sorted(TRIAGE_STATUSES)}")
    reason = (reason or "").strip()
    if status in {Tip.Status.NOT_ACTIONABLE, Tip.Status.UNFOUNDED} and not reason:
        raise ValidationError(
            f"A reason is required to mark a tip {Tip.Status(status).label.lower()}."
        )
    before = snapshot(tip, ["status", "status_reason"])
    tip.status, tip.status_reason = status, reason
    with transaction.atomic():
        tip.save(update_fields=["status", "status_reason", "updated_at"])
        record(
            "tip.triage",
            actor=actor,
            obj=tip,
            changes=diff(before, snapshot(tip, ["status", "status_reason"])),
            summary=f"{tip.get_status_display()}" + (f": {reason[:200]}" if reason else ""),
        )
    return tip


def do_set_priority(tip: Tip, priority: int, *, actor: Any) -> Tip:
    require_write(tip, actor)
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise ValidationError(f"priority: {priority!r} is not a number") from None
    if priority not in Tip.Priority.values:
        raise ValidationError(f"priority: {priority} is not one of {Tip.Priority.values}")
    if tip.priority == priority:
        return tip
    before = tip.priority
    tip.priority = priority
    with transaction.atomic():
        tip.save(update_fields=["priority", "updated_at"])
        record(
            "tip.priority",
            actor=actor,
            obj=tip,
            changes={"priority": {"before": before, "after": priority}},
            summary=tip.get_priority_display(),
        )
    return tip


def do_assign_tip(tip: Tip, assignee: Any, *, actor: Any) -> Tip:
    """Managers assign (or unassign) anyone assignable; an investigator may take an unassigned tip."""
    from django.contrib.auth import get_user_model

    if access.is_manager(actor):
        pass
    elif assignee is not None and assignee.pk == actor.pk and access.can_take_tip(actor, tip):
        pass
    else:
        if not access.can(actor, access.READ, tip):
            raise PermissionDenied
        raise PermissionDenied(
            "Only a manager assigns tips; an investigator may take an unassigned one."
        )
    if (
        assignee is not None
        and not get_user_model().objects.assignable().filter(pk=assignee.pk).exists()
    ):
        raise ValidationError(f"{assignee.username} cannot be assigned tips.")
    if tip.assigned_to_id == (assignee.pk if assignee else None):
        return tip
    before = tip.assigned_to.username if tip.assigned_to else None
    tip.assigned_to = assignee
    with transaction.atomic():
        tip.save(update_fields=["assigned_to", "updated_at"])
        if tip.status == Tip.Status.NEW and assignee is not None:
            tip.status = Tip.Status.IN_REVIEW
            tip.save(update_fields=["status"])
        record(
            "tip.assign",
            actor=actor,
            obj=tip,
            changes={
                "assigned_to": {"before": before, "after": assignee.username if assignee else None}
            },
            summary=f"assigned to {assignee.username}" if assignee else "unassigned",
        )
        if assignee is not None and assignee.pk != actor.pk:
            from django.urls import reverse

            do_notify(
                assignee,
                subject=f"Tip assigned to you: {tip}",
                link=reverse("tips-detail", args=[tip.pk]),
            )
    return tip
