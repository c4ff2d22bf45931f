"""Deciding flags: link, dismiss, remove a link. Always a person's action, audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.deconfliction import hooks
from vigil.deconfliction.actions.flagging import ordered_pair
from vigil.deconfliction.models import Flag, Link
from vigil.deconfliction.queries import cluster_tip_ids
from vigil.messaging.actions import do_notify
from vigil.tips.models import Tip


def _require_pair_write(actor, tip_ids: Iterable[int]) -> None:
    if not access.can_create(actor):
        raise PermissionDenied("Only investigators and managers decide flags.")
    if not Tip.objects.for_user(actor, access.WRITE).filter(pk__in=list(tip_ids)).exists():
        raise PermissionDenied("You can decide a flag only on a tip assigned to you.")


@dataclass
class LinkOutcome:
    link: Link
    created: bool
    # (newly joined tip, office name, referred tip) for each referral suggestion
    suggestions: list[tuple[Tip, str, Tip]] = field(default_factory=list)


def do_link_tips(
    flag: Flag | None = None,
    *,
    note: str,
    actor,
    tip_a: Tip | None = None,
    tip_b: Tip | None = None,
) -> LinkOutcome:
    """Link two tips (from a flag, or a pair): the analyst's decision that they belong together.

    Allowed to a manager, or an investigator who can write at least one of the two tips.
    Every open flag between the same two tips is marked linked with it.
    """
    note = (note or "").strip()
    if flag is not None:
        a_id, b_id = flag.tip_a_id, flag.tip_b_id
    else:
        if tip_a is None or tip_b is None:
            raise ValidationError("Choose the two tips to link.")
        if tip_a.pk == tip_b.pk:
            raise ValidationError("A tip cannot be linked to itself.")
        a_id, b_id = ordered_pair(tip_a.pk, tip_b.pk)
    _require_pair_write(actor, (a_id, b_id))
    if not note:
        raise ValidationError("Say why these tips belong together (a note is required).")
    with transaction.atomic():
        if flag is not None:
            flag = Flag.objects.select_for_update().get(pk=flag.pk)
            if flag.status == Flag.Status.LINKED:
                raise ValidationError("This flag is already linked.")
        before_a = cluster_tip_ids(a_id)
        joined = b_id not in before_a
        before_b = cluster_tip_ids(b_id) if joined else before_a
        link = Link.objects.active().filter(tip_a_id=a_id, tip_b_id=b_id).first()
        created = link is None
        if created:
            link = Link.objects.create(
                tip_a_id=a_id, tip_b_id=b_id, flag=flag, note=note, created_by=actor
            )
        now = timezone.now()
        decide = Q(status=Flag.Status.OPEN)
        if flag is not None:
            decide |= Q(pk=flag.pk)
        pair_flags = Flag.objects.filter(tip_a_id=a_id, tip_b_id=b_id).filter(decide)
        decided = list(pair_flags.values_list("pk", flat=True))
        pair_flags.update(
            status=Flag.Status.LINKED, decided_by=actor, decided_at=now, decision_note=note
        )
        record(
            "deconfliction.link",
            actor=actor,
            obj=link,
            summary=f"linked tips {a_id} and {b_id}"
            + ("" if created else " (already linked; flags marked)"),
            changes={"flags": decided, "note": note, "cluster_size": len(before_a | before_b)},
        )
        outcome = LinkOutcome(link=link, created=created)
        if joined:
            outcome.suggestions = _notify_referred(before_a, before_b, link, actor=actor)
    return outcome


def _notify_referred(side_a: set[int], side_b: set[int], link: Link, *, actor):
    """A link merged two clusters: tell the investigators of referred tips on either side."""
    if not hooks.referred_tip_finders:
        return []
    suggestions = []
    for referred_side, new_side in ((side_a, side_b), (side_b, side_a)):
        referred = hooks.find_referred(referred_side)
        if not referred:
            continue
        new_tips = list(Tip.objects.filter(pk__in=new_side).select_related("source"))
        refs = ", ".join(str(t) for t in new_tips[:20])
        for ref_tip, assignee, office in referred:
            for t in new_tips:
                suggestions.append((t, office, ref_tip))
            if assignee is None:
                continue
            do_notify(
                assignee,
                subject=f"New tip(s) linked to referred tip {ref_tip.source_reference}",
                body=(
                    f"{actor} linked {refs} into the cluster of tip {ref_tip}, which was "
                    f"referred to {office}. Link note: {link.note}\n"
                    f"Suggestion: refer the new tip(s) to {office} as well."
                ),
                link=reverse("deconfliction-cluster", args=[ref_tip.pk]),
                dedupe_key=f"deconfliction.referred:{ref_tip.pk}:{link.pk}",
            )
        record(
            "deconfliction.referral_suggested",
            actor=actor,
            obj=link,
            summary=f"{len(new_tips)} tip(s) suggested for "
            + ", ".join(sorted({o for _, _, o in referred})),
        )
    return suggestions


def do_dismiss_flag(flag: Flag, *, reason: str, actor) -> Flag:
    """Dismiss a flag (with a reason). It never comes back for the same value."""
    reason = (reason or "").strip()
    _require_pair_write(actor, (flag.tip_a_id, flag.tip_b_id))
    if not reason:
        raise ValidationError("Give a reason for dismissing the flag.")
    with transaction.atomic():
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        if flag.status != Flag.Status.OPEN:
            raise ValidationError(f"This flag is already {flag.get_status_display().lower()}.")
        flag.status = Flag.Status.DISMISSED
        flag.decided_by = actor
        flag.decided_at = timezone.now()
        flag.decision_note = reason
        flag.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(
            "deconfliction.dismiss",
            actor=actor,
            obj=flag,
            summary=f"dismissed flag between tips {flag.tip_a_id} and {flag.tip_b_id}",
            changes={"reason": reason, "type": flag.type, "value": flag.display},
        )
    return flag


def do_remove_link(link: Link, *, reason: str, actor) -> Link:
    """Remove a link (managers and administrators only, with a reason); history stays."""
    access.require(access.can_remove_link(actor))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for removing the link.")
    with transaction.atomic():
        link = Link.objects.select_for_update().get(pk=link.pk)
        if link.removed_at is not None:
            raise ValidationError("This link was already removed.")
        before = len(cluster_tip_ids(link.tip_a_id))
        link.removed_at = timezone.now()
        link.removed_by = actor
        link.removed_reason = reason
        link.save(update_fields=["removed_at", "removed_by", "removed_reason"])
        reopened = Flag.objects.filter(
            tip_a_id=link.tip_a_id, tip_b_id=link.tip_b_id, status=Flag.Status.LINKED
        ).update(status=Flag.Status.OPEN, decided_by=None, decided_at=None, decision_note="")
        after_a = cluster_tip_ids(link.tip_a_id)
        after_b = after_a if link.tip_b_id in after_a else cluster_tip_ids(link.tip_b_id)
        record(
            "deconfliction.unlink",
            actor=actor,
            obj=link,
            summary=f"removed link between tips {link.tip_a_id} and {link.tip_b_id}",
            changes={
                "reason": reason,
                "flags_reopened": reopened,
                "cluster_size_before": before,
                "cluster_sizes_after": sorted({len(after_a), len(after_b)}),
            },
        )
    return link
