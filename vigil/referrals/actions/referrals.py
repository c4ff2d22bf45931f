"""Referrals to field offices: create, update, send, acknowledge, open a case, decline, delete,
follow-ups, the packet; the correction hook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.actions import do_view, id_ranges
from vigil.audit.log import diff, record, snapshot
from vigil.core.signals import disclosed
from vigil.deconfliction.queries import cluster_tip_ids
from vigil.messaging.actions import do_notify
from vigil.referrals.models import FollowUp, Office, Referral, ReferralTip
from vigil.tips.models import Tip


def _require_tip_write(tip: Tip, actor: Any) -> None:
    access.ensure(
        actor, access.WRITE, tip, "Only the assigned investigator or a manager may refer this tip."
    )


def _require_referral_write(referral: Referral, actor: Any) -> None:
    access.ensure(
        actor,
        access.WRITE,
        referral,
        "Only the tip's investigator or a manager may change this referral.",
    )


def cluster_ids(tip: Tip) -> set[int]:
    return cluster_tip_ids(tip.pk)


def earlier_referrals(tip: Tip, ids: set[int] | None = None) -> list[Referral]:
    """Active referrals holding any tip of `tip`'s cluster (the "same office" rule)."""
    ids = ids if ids is not None else cluster_ids(tip)
    return list(
        Referral.objects.active()
        .filter(members__tip_id__in=ids)
        .select_related("office", "tip__source")
        .distinct()
        .order_by("sent_at", "id")
    )


def proposal_for(tip: Tip) -> Referral | None:
    """The earlier referral a tip should follow: its cluster went there, the tip did not."""
    for referral in earlier_referrals(tip):
        if not referral.members.filter(tip_id=tip.pk).exists():
            return referral
    return None


def _parse_date(value: Any, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({label: "Write the date as YYYY-MM-DD."}) from None


def do_create_referral(
    tip: Tip,
    *,
    actor: Any,
    office: Office,
    scope: str = Referral.Scope.TIP,
    note: str = "",
    receiving_case_number: str = "",
    acknowledge_by: Any = None,
    elsewhere_reason: str = "",
) -> Referral:
    """Draft a referral of a tip (or its cluster). Related tips referred elsewhere need a reason."""
    _require_tip_write(tip, actor)
    if scope not in Referral.Scope.values:
        raise ValidationError({"scope": "Refer this tip or its whole cluster."})
    if office is None or not office.active:
        raise ValidationError({"office": "Choose an active office or agency."})
    ack = _parse_date(acknowledge_by, "acknowledge_by")
    elsewhere_reason = (elsewhere_reason or "").strip()
    with transaction.atomic():
        ids = cluster_ids(tip)
        members = sorted(ids) if scope == Referral.Scope.CLUSTER else [tip.pk]
        elsewhere = [r for r in earlier_referrals(tip, ids) if r.office_id != office.pk]
        if elsewhere and not elsewhere_reason:
            where = ", ".join(sorted({str(r.office) for r in elsewhere}))
            raise ValidationError(
                {
                    "elsewhere_reason": f"Related tips in this cluster went to {where}: "
                    f"say why this referral goes to {office} instead."
                }
            )
        referral = Referral.objects.create(
            tip=tip,
            scope=scope,
            office=office,
            note=(note or "").strip(),
            receiving_case_number=(receiving_case_number or "").strip()[:100],
            acknowledge_by=ack,
            elsewhere_reason=elsewhere_reason if elsewhere else "",
            created_by=actor,
        )
        ReferralTip.objects.bulk_create([ReferralTip(referral=referral, tip_id=t) for t in members])
        record(
            "referral.create",
            actor=actor,
            obj=referral,
            summary=f"{len(members)} tip(s) to {office.name}",
            changes={
                "tips": members,
                "scope": scope,
                "office": office.code,
                "elsewhere_reason": referral.elsewhere_reason,
            },
        )
    return referral


EDITABLE = ["note", "receiving_case_number", "acknowledge_by"]


def do_update_referral(referral: Referral, *, actor: Any, **fields: Any) -> Referral:
    """Note, receiving case number (often added later) and the acknowledgement due date."""
    _require_referral_write(referral, actor)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "acknowledge_by" in fields:
        fields["acknowledge_by"] = _parse_date(fields["acknowledge_by"], "acknowledge_by")
    for name in ("note", "receiving_case_number"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if len(fields.get("receiving_case_number", "")) > 100:
        raise ValidationError({"receiving_case_number": "At most 100 characters."})
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        before = snapshot(referral, EDITABLE)
        for name, value in fields.items():
            setattr(referral, name, value)
        referral.save(update_fields=[*fields, "updated_at"])
        changes = diff(before, snapshot(referral, EDITABLE))
        if changes:
            record("referral.update", actor=actor, obj=referral, changes=changes)
    return referral


_NEXT = {
    "send": ({Referral.Status.DRAFTED}, Referral.Status.SENT),
    "acknowledge": ({Referral.Status.SENT}, Referral.Status.ACKNOWLEDGED),
    "open_case": (
        {Referral.Status.SENT, Referral.Status.ACKNOWLEDGED},
        Referral.Status.CASE_OPENED,
    ),
    "decline": ({Referral.Status.SENT, Referral.Status.ACKNOWLEDGED}, Referral.Status.DECLINED),
}


def _transition(referral: Referral, step: str, *, actor: Any) -> tuple[Referral, str]:
    # The caller checked the permission before its transaction (a refusal's audit row
    # written inside it would roll back with it).
    allowed, target = _NEXT[step]
    referral = Referral.objects.select_for_update().select_related("office").get(pk=referral.pk)
    if referral.status not in allowed:
        raise ValidationError(
            f"A {referral.get_status_display().lower()} referral cannot be "
            f"{Referral.Status(target).label.lower()}."
        )
    before = referral.status
    referral.status = target
    return referral, before


def referral_records(referral: Referral) -> list[tuple[str, int]]:
    tips = list(referral.members.values_list("tip_id", flat=True).order_by("tip_id"))
    return [("referral", referral.pk), *(("tip", t) for t in tips)]


def do_send_referral(referral: Referral, *, actor: Any, method: str = "") -> Referral:
    """Sent: the tips left the unit. One disclosure record; the acknowledgement clock starts."""
    method = (method or "").strip() or "investigative referral"
    _require_referral_write(referral, actor)
    with transaction.atomic():
        referral, before = _transition(referral, "send", actor=actor)
        now = timezone.now()
        referral.sent_at = now
        referral.sent_by = actor
        referral.send_method = method[:100]
        if referral.acknowledge_by is None:
            referral.acknowledge_by = timezone.localdate() + dt.timedelta(
                days=settings.REFERRAL_ACKNOWLEDGE_DAYS
            )
        referral.save()
        record(
            "referral.send",
            actor=actor,
            obj=referral,
            changes={"status": {"before": before, "after": referral.status}},
            summary=f"to {referral.office.name} by {method[:80]}",
        )
        disclosed.send(
            sender=Referral,
            records=referral_records(referral),
            recipient=referral.office.name,
            purpose="Investigative referral"
            + (f": {referral.note[:200]}" if referral.note else ""),
            method=f"Referral ({method})"[:100],
            actor=actor,
            source=referral,
            office=referral.office,
        )
    return referral


def do_acknowledge_referral(referral: Referral, *, actor: Any) -> Referral:
    _require_referral_write(referral, actor)
    with transaction.atomic():
        referral, before = _transition(referral, "acknowledge", actor=actor)
        referral.acknowledged_at = timezone.now()
        referral.save()
        record(
            "referral.acknowledge",
            actor=actor,
            obj=referral,
            changes={"status": {"before": before, "after": referral.status}},
        )
    return referral


def do_open_case(referral: Referral, *, actor: Any, case_number: str) -> Referral:
    """The receiving office opened a case: its number is recorded (required)."""
    case_number = (case_number or "").strip()
    if not case_number:
        raise ValidationError({"case_number": "Record the receiving office's case number."})
    if len(case_number) > 100:
        raise ValidationError({"case_number": "At most 100 characters."})
    _require_referral_write(referral, actor)
    with transaction.atomic():
        referral, before = _transition(referral, "open_case", actor=actor)
        referral.receiving_case_number = case_number
        referral.closed_at = timezone.now()
        referral.acknowledged_at = referral.acknowledged_at or referral.closed_at
        referral.save()
        record(
            "referral.case_opened",
            actor=actor,
            obj=referral,
            changes={
                "status": {"before": before, "after": referral.status},
                "receiving_case_number": case_number,
            },
            summary=f"case {case_number} at {referral.office.name}",
        )
    return referral


def do_decline_referral(referral: Referral, *, actor: Any, reason: str) -> Referral:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Record why the office declined."})
    _require_referral_write(referral, actor)
    with transaction.atomic():
        referral, before = _transition(referral, "decline", actor=actor)
        referral.decline_reason = reason
        referral.closed_at = timezone.now()
        referral.save()
        record(
            "referral.decline",
            actor=actor,
            obj=referral,
            changes={"status": {"before": before, "after": referral.status}, "reason": reason},
        )
    return referral


def do_delete_referral(referral: Referral, *, actor: Any) -> None:
    """A Manager removes a draft that never went out; a sent referral stays on record."""
    access.require(access.can_delete(actor))
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status != Referral.Status.DRAFTED:
            raise ValidationError("Only a drafted referral can be deleted; this one went out.")
        office = referral.office.name
        record("referral.delete", actor=actor, obj=referral, summary=f"draft to {office}")
        referral.delete()
    return None


def do_record_follow_up(
    referral: Referral, *, actor: Any, request: str, received_at: dt.datetime | None = None
) -> FollowUp:
    """The receiving office asked for more: recorded, and the assigned analyst is notified."""
    _require_referral_write(referral, actor)
    request = (request or "").strip()
    if not request:
        raise ValidationError({"request": "Say what the office asked for."})
    if referral.status in (Referral.Status.DRAFTED, Referral.Status.DECLINED):
        raise ValidationError("Follow-ups are recorded on referrals that went out.")
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            referral=referral,
            request=request,
            received_at=received_at or timezone.now(),
            recorded_by=actor,
        )
        record(
            "referral.follow_up",
            actor=actor,
            obj=referral,
            summary=f"follow-up request from {referral.office.name}",
            changes={"follow_up": follow_up.pk},
        )
        analyst = referral.analyst
        if analyst is not None and analyst.is_active:
            do_notify(
                analyst,
                subject=f"{referral.office.name} asks for more on referral #{referral.pk}",
                body=request[:2000],
                link=reverse("referrals-detail", args=[referral.pk]),
                dedupe_key=f"referrals.follow_up:{follow_up.pk}",
            )
    return follow_up


def do_answer_follow_up(follow_up: FollowUp, *, actor: Any, answer: str) -> FollowUp:
    _require_referral_write(follow_up.referral, actor)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "Say what was sent in answer."})
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.answered_at is not None:
            raise ValidationError("This follow-up was answered already.")
        follow_up.answer = answer
        follow_up.answered_at = timezone.now()
        follow_up.answered_by = actor
        follow_up.save()
        record(
            "referral.follow_up_answer",
            actor=actor,
            obj=follow_up.referral,
            changes={"follow_up": follow_up.pk},
        )
    return follow_up


def do_view_packet(referral: Referral, *, actor: Any, fmt: str) -> None:
    """The packet was read (PDF or JSON): one read row naming its tips."""
    access.require(access.can_read_data(actor))
    tips = id_ranges(referral.members.values_list("tip_id", flat=True))
    do_view(referral, actor=actor, action="referral.packet", summary=f"packet ({fmt})", tips=tips)


def referred_tips(tip_ids: Iterable[int]) -> list[tuple[Tip, Any, str]]:
    """The deconfliction hook: referred tips among `tip_ids`, one row per active referral.

    The office label carries the receiving case number so the notification and the
    suggestion name both: the new tip goes to the same office, under the same case.
    """
    ids = list(tip_ids)
    out = []
    rows = (
        Referral.objects.active()
        .filter(members__tip_id__in=ids)
        .select_related("tip__assigned_to", "tip__source", "office")
        .distinct()
    )
    for r in rows:
        label = r.office.name + (
            f" (case {r.receiving_case_number})" if r.receiving_case_number else ""
        )
        out.append((r.tip, r.tip.assigned_to, label))
    return out


def notify_correction(tip: Tip, report: Any, *, outcome: str, actor: Any) -> int:
    """The retention hook: a referred tip was corrected, so its receivers must hear of it.

    Each active referral holding the tip gets an audit row and its analyst a
    notification to pass the correction to the receiving office. Answers how
    many referrals (receivers) there were.
    """
    referrals = list(
        Referral.objects.active()
        .filter(members__tip=tip)
        .select_related("office", "tip__assigned_to", "created_by")
        .distinct()
    )
    for r in referrals:
        record(
            "referral.correction",
            actor=actor,
            obj=r,
            changes={"tip": tip.pk, "report": getattr(report, "pk", None), "outcome": outcome},
            summary=f"tip {tip.pk} {outcome}: {r.office.name} to be told"[:300],
        )
        analyst = r.analyst
        if analyst is not None and analyst.is_active:
            do_notify(
                analyst,
                subject=f"Tip {tip} was {outcome}: tell {r.office.name} (referral #{r.pk})",
                body=(
                    f"An inaccuracy report on tip {tip} was reviewed ({outcome}). The tip went to "
                    f"{r.office.name}"
                    + (f" under case {r.receiving_case_number}" if r.receiving_case_number else "")
                    + ": send them the correction."
                ),
                link=reverse("referrals-detail", args=[r.pk]),
                dedupe_key=f"referrals.correction:{getattr(report, 'pk', '')}:{r.pk}",
            )
    return len(referrals)
