"""Conflicts: a Manager's decision between our value and a partner's."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.audit.log import record
from vigil.exchange import mapping, rules
from vigil.exchange.actions.common import _require, _user, _who
from vigil.exchange.models import Conflict
from vigil.victimid import actions as victimid_actions
from vigil.victimid.models import Media, Series


def do_decide_conflict(conflict: Conflict, *, actor, decision: str, reason: str = "") -> Conflict:
    """A Manager keeps ours or takes the partner's opinion; both stay on record."""
    _require(actor, rules.can_decide_conflicts)
    if decision not in Conflict.Decision.values:
        raise ValidationError("Decide “ours” or “theirs”.")
    with transaction.atomic():
        conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.decided_at is not None:
            raise ValidationError("This conflict was decided already.")
        if decision == Conflict.Decision.THEIRS:
            _take_theirs(conflict, actor=actor)
        conflict.decision = decision
        conflict.reason = reason.strip()[:300]
        conflict.decided_by = _user(actor)
        conflict.decided_at = timezone.now()
        conflict.save()
        record(
            "exchange.conflict_decide",
            **_who(actor),
            obj=conflict,
            summary=f"{conflict.get_kind_display()} with {conflict.partner.name}: {conflict.get_decision_display()}",
            changes={"ours": conflict.ours, "theirs": conflict.theirs, "decision": decision},
        )
    return conflict


def _take_theirs(conflict: Conflict, *, actor) -> None:
    if conflict.kind == Conflict.Kind.MEDIA_SERIES and conflict.media_id:
        target = Series.objects.filter(pk=conflict.theirs.get("series_id")).first()
        if target is None:
            raise ValidationError("The partner's series no longer exists here.")
        media = Media.objects.select_for_update().get(pk=conflict.media_id)
        before = media.series_id
        media.series = target
        media.save(update_fields=["series", "updated_at"])
        record(
            "media.move",
            **_who(actor),
            obj=media,
            changes={"series": {"before": before, "after": target.pk}},
            summary=f"{media.reference} to series {target.name[:100]} (partner {conflict.partner.name})",
        )
    elif conflict.series_id and conflict.kind == Conflict.Kind.IDENTIFIED:
        victimid_actions.do_update_series(
            conflict.series,
            actor=actor,
            data={"victim_identified": bool(conflict.theirs["victim_identified"])},
        )
    elif conflict.series_id and conflict.kind == Conflict.Kind.AGE_RANGE:
        victimid_actions.do_update_series(
            conflict.series,
            actor=actor,
            data={"victim_age_range": mapping.age_range_in(conflict.theirs["victim_age_range"])},
        )
