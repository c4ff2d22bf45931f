"""Deciding flags: link, dismiss, remove a link. Always a person's action, audited.

The analyst decides per shared value (`do_link_shared_value`, `do_dismiss_shared_value`):
every open pair on one value is decided at once. Pair decisions (`do_link_tips`,
`do_dismiss_flag`) stay for the API. After any link, open pairs between tips that
now sit in one cluster close as "already linked"; after a link is removed, pairs
whose tips no longer share a cluster open again.
"""

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
from vigil.deconfliction.actions.matching import ordered_pair
from vigil.deconfliction.models import Flag, Link
from vigil.deconfliction.queries import cluster_map, cluster_tip_ids, shared_value_pairs
from vigil.messaging.actions import do_notify
from vigil.tips.models import Tip


def _require_pair_write(actor, tip_ids: Iterable[int]) -> None:
    if not access.can_create(actor):
        raise PermissionDenied("Only investigators and managers decide flags.")
    if not access.can_ids(actor, access.WRITE, Tip, tip_ids):
        raise PermissionDenied("You can decide a flag only on a tip assigned to you.")


_CHUNK = 500
_REOPEN = {
    "status": Flag.Status.OPEN,
    "decided_by": None,
    "decided_at": None,
    "decision_note": "",
}


def _close_within(tip_ids: set[int]) -> int:
    """Open pairs whose two tips sit in `tip_ids` (one cluster) close as already linked."""
    ids = list(tip_ids)
    closing: list[int] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        rows = Flag.objects.open().filter(Q(tip_a_id__in=chunk) | Q(tip_b_id__in=chunk))
        closing.extend(
            pk
            for pk, a, b in rows.values_list("pk", "tip_a_id", "tip_b_id")
            if a in tip_ids and b in tip_ids
        )
    now = timezone.now()
    for i in range(0, len(closing), _CHUNK):
        Flag.objects.filter(pk__in=closing[i : i + _CHUNK]).update(
            status=Flag.Status.ALREADY_LINKED, decided_at=now
        )
    return len(closing)


def _pairs_between(side_a: set[int], side_b: set[int], statuses) -> list[int]:
    """Flags (of these statuses) with one tip on each side."""
    small, large = (side_a, side_b) if len(side_a) <= len(side_b) else (side_b, side_a)
    ids = list(small)
    out: list[int] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        rows = Flag.objects.filter(status__in=statuses).filter(
            Q(tip_a_id__in=chunk) | Q(tip_b_id__in=chunk)
        )
        for pk, a, b in rows.values_list("pk", "tip_a_id", "tip_b_id"):
            if (a in small and b in large) or (b in small and a in large):
                out.append(pk)
    return out


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
        closed = _close_within(before_a | before_b)
        record(
            "deconfliction.link",
            actor=actor,
            obj=link,
            summary=f"linked tips {a_id} and {b_id}"
            + ("" if created else " (already linked; flags marked)"),
            changes={
                "flags": decided,
                "note": note,
                "cluster_size": len(before_a | before_b),
                "already_linked": closed,
            },
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
                subject=f"New tip(s) linked to referred tip {ref_tip}",
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
        after_a = cluster_tip_ids(link.tip_a_id)
        after_b = after_a if link.tip_b_id in after_a else cluster_tip_ids(link.tip_b_id)
        reopened = 0
        if after_a is after_b:
            # Still one cluster through other links: this pair's decision went with the link.
            Flag.objects.filter(
                tip_a_id=link.tip_a_id, tip_b_id=link.tip_b_id, status=Flag.Status.LINKED
            ).update(status=Flag.Status.ALREADY_LINKED, decided_by=None, decision_note="")
        else:
            # The cluster split: every linked or already-linked pair across the cut opens again.
            across = _pairs_between(
                after_a, after_b, (Flag.Status.LINKED, Flag.Status.ALREADY_LINKED)
            )
            for i in range(0, len(across), _CHUNK):
                reopened += Flag.objects.filter(pk__in=across[i : i + _CHUNK]).update(**_REOPEN)
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


# --- one decision per shared value -----------------------------------------------------------


@dataclass
class SharedOutcome:
    """What one decision on a shared value did."""

    flags: list[int] = field(default_factory=list)  # the pairs decided
    tips: list[int] = field(default_factory=list)  # every tip of the decision
    links: list[Link] = field(default_factory=list)  # links made (one per cluster joined)
    already_linked: int = 0  # other open pairs closed because their tips now share a cluster
    left_open: int = 0  # pairs of the value the actor may not decide (neither tip theirs)
    suggestions: list[tuple[Tip, str, Tip]] = field(default_factory=list)


def _decidable(flag: Flag, tip: Tip | None, actor) -> tuple[list[Flag], list[Flag]]:
    """The shared value's open pairs, split into those the actor may decide and the rest."""
    if not access.can_create(actor):
        raise PermissionDenied("Only investigators and managers decide flags.")
    pairs = shared_value_pairs(flag, tip_id=tip.pk if tip is not None else None)
    if not pairs:
        current = Flag.objects.filter(pk=flag.pk).first()
        label = current.get_status_display().lower() if current else "gone"
        raise ValidationError(f"This flag is already {label}.")
    members = {t for p in pairs for t in (p.tip_a_id, p.tip_b_id)}
    writable = set(
        Tip.objects.for_user(actor, access.WRITE)
        .filter(pk__in=list(members))
        .values_list("pk", flat=True)
    )
    mine = [p for p in pairs if p.tip_a_id in writable or p.tip_b_id in writable]
    if not mine:
        raise PermissionDenied("You can decide a flag only on a tip assigned to you.")
    return mine, [p for p in pairs if p not in mine]


def _lock_open(pairs: list[Flag]) -> list[Flag]:
    ids = [p.pk for p in pairs]
    locked = list(
        Flag.objects.select_for_update().filter(pk__in=ids, status=Flag.Status.OPEN).order_by("pk")
    )
    if not locked:
        raise ValidationError("These flags were decided meanwhile.")
    return locked


def do_link_shared_value(flag: Flag, *, note: str, actor, tip: Tip | None = None) -> SharedOutcome:
    """Link every tip that shares the flag's value (seen from `tip`) into one cluster.

    One decision for the value: a link per cluster joined (not one per pair), the
    value's pairs marked linked, and every other open pair between tips now in
    one cluster closed as already linked.
    """
    note = (note or "").strip()
    mine, others = _decidable(flag, tip, actor)
    if not note:
        raise ValidationError("Say why these tips belong together (a note is required).")
    outcome = SharedOutcome(left_open=len(others))
    with transaction.atomic():
        mine = _lock_open(mine)
        focus = tip.pk if tip is not None else None
        # The focal tip's pairs first: its links go from it to each other cluster.
        mine.sort(key=lambda p: (focus not in (p.tip_a_id, p.tip_b_id), p.tip_a_id, p.tip_b_id))
        members = {t for p in mine for t in (p.tip_a_id, p.tip_b_id)}
        root = cluster_map(members)
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        joined: list[tuple[set[int], set[int], Link]] = []
        for p in mine:
            ra, rb = find(root[p.tip_a_id]), find(root[p.tip_b_id])
            if ra == rb:
                continue
            side_a, side_b = cluster_tip_ids(p.tip_a_id), cluster_tip_ids(p.tip_b_id)
            link = Link.objects.create(
                tip_a_id=p.tip_a_id, tip_b_id=p.tip_b_id, flag=p, note=note, created_by=actor
            )
            parent[rb] = ra
            outcome.links.append(link)
            joined.append((side_a, side_b, link))
        now = timezone.now()
        outcome.flags = [p.pk for p in mine]
        Flag.objects.filter(pk__in=outcome.flags).update(
            status=Flag.Status.LINKED, decided_by=actor, decided_at=now, decision_note=note
        )
        cluster = cluster_tip_ids(next(iter(members)))
        outcome.already_linked = _close_within(cluster)
        if others:  # pairs the actor could not decide may have closed with the cluster
            outcome.left_open = Flag.objects.open().filter(pk__in=[p.pk for p in others]).count()
        outcome.tips = sorted(members)
        record(
            "deconfliction.link",
            actor=actor,
            obj=outcome.links[0] if outcome.links else mine[0],
            summary=(
                f"linked {len(members)} tips sharing {flag.type_label} {flag.display}"
                f" ({len(outcome.links)} link(s), {len(mine)} flag(s))"
            ),
            changes={
                "flags": outcome.flags,
                "tips": outcome.tips,
                "type": flag.type,
                "value": flag.display,
                "note": note,
                "cluster_size": len(cluster),
                "already_linked": outcome.already_linked,
                "left_open": outcome.left_open,
            },
        )
        for side_a, side_b, link in joined:
            outcome.suggestions += _notify_referred(side_a, side_b, link, actor=actor)
    return outcome


def do_dismiss_shared_value(
    flag: Flag, *, reason: str, actor, tip: Tip | None = None
) -> SharedOutcome:
    """Dismiss the flag's value for every tip that shares it (seen from `tip`): one decision."""
    reason = (reason or "").strip()
    mine, others = _decidable(flag, tip, actor)
    if not reason:
        raise ValidationError("Give a reason for dismissing the flag.")
    outcome = SharedOutcome(left_open=len(others))
    with transaction.atomic():
        mine = _lock_open(mine)
        outcome.flags = [p.pk for p in mine]
        outcome.tips = sorted({t for p in mine for t in (p.tip_a_id, p.tip_b_id)})
        Flag.objects.filter(pk__in=outcome.flags).update(
            status=Flag.Status.DISMISSED,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_note=reason,
        )
        record(
            "deconfliction.dismiss",
            actor=actor,
            obj=mine[0],
            summary=(
                f"dismissed {flag.type_label} {flag.display} for {len(outcome.tips)} tips"
                f" ({len(mine)} flag(s))"
            ),
            changes={
                "reason": reason,
                "type": flag.type,
                "value": flag.display,
                "flags": outcome.flags,
                "tips": outcome.tips,
                "left_open": outcome.left_open,
            },
        )
    return outcome
