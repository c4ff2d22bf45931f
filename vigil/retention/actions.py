"""Write path of the records lifecycle: holds, disposition, corrections, certifications.

Every action: one transaction, the permission check, the change, the audit row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.utils import timezone

from vigil.accounts import access
from vigil.accounts.models import Role
from vigil.audit import actions as audit_actions
from vigil.audit.log import record
from vigil.core.holds import HeldError
from vigil.retention import hooks, rules
from vigil.retention.models import (
    DELETABLE,
    AccessCertification,
    DeletionProposal,
    HoldItem,
    InaccuracyReport,
    Kind,
    LegalHold,
)
from vigil.tips import actions as tip_actions
from vigil.tips import search
from vigil.tips.models import ResearchNote, Selector
from vigil.victimid import storage
from vigil.victimid.models import Media


def _require_manager(actor: Any) -> None:
    if not access.is_manager(actor):
        raise PermissionDenied("Only a Manager may do this.")


def _text(value: str, name: str, *, limit: int = 5000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"{name} is required.")
    if len(value) > limit:
        raise ValidationError(f"{name} is too long ({len(value)} characters; at most {limit}).")
    return value


def _exists(kind: str, object_id: Any) -> int:
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise ValidationError(f"{object_id!r} is not a record number.") from None
    if kind == Kind.CLUSTER:
        model = rules.model_for(Kind.TIP)
    elif kind in DELETABLE:
        model = rules.model_for(kind)
    else:
        raise ValidationError(f"Unknown kind {kind!r}: use tip, cluster, series or media.")
    if not model.objects.filter(pk=pk).exists():
        raise ValidationError(f"There is no {Kind(kind).label.lower()} #{pk}.")
    return pk


# --- legal holds ------------------------------------------------------------------------


def do_place_hold(
    *, name: str, reason: str, items: list[tuple[str, Any]] = (), actor: Any
) -> LegalHold:
    _require_manager(actor)
    name = _text(name, "Name", limit=200)
    reason = _text(reason, "Reason")
    with transaction.atomic():
        if LegalHold.objects.filter(name=name).exists():
            raise ValidationError(f"A hold named {name!r} exists already.")
        hold = LegalHold.objects.create(name=name, reason=reason, placed_by=actor)
        record("hold.place", actor=actor, obj=hold, summary=f"legal hold {name} placed")
        for kind, object_id in items:
            do_add_to_hold(hold, kind, object_id, actor=actor)
    return hold


def do_add_to_hold(hold: LegalHold, kind: str, object_id: Any, *, actor: Any) -> HoldItem:
    _require_manager(actor)
    with transaction.atomic():
        if not hold.active:
            raise ValidationError("This hold was released; place a new one.")
        pk = _exists(kind, object_id)
        item, created = HoldItem.objects.get_or_create(
            hold=hold, kind=kind, object_id=pk, defaults={"added_by": actor}
        )
        if created:
            record(
                "hold.add",
                actor=actor,
                obj=hold,
                changes={"kind": kind, "id": pk},
                summary=f"{kind} #{pk} put under hold {hold.name}",
            )
    return item


def do_release_hold(hold: LegalHold, *, reason: str, actor: Any) -> LegalHold:
    _require_manager(actor)
    reason = _text(reason, "Reason for the release")
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not hold.active:
            raise ValidationError("This hold was released already.")
        hold.released_at = timezone.now()
        hold.released_by = actor
        hold.release_reason = reason
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        record(
            "hold.release",
            actor=actor,
            obj=hold,
            changes={"items": hold.items.count()},
            summary=f"legal hold {hold.name} released: {reason}"[:300],
        )
    return hold


# --- disposition ------------------------------------------------------------------------


def _check_disposable(kind: str, pk: int) -> None:
    names = rules.holds_on(kind, pk)
    if names:
        raise HeldError(
            f"{Kind(kind).label} #{pk} is under legal hold ({', '.join(names)}) and cannot be deleted."
        )
    if not rules.is_past_retention(kind, pk):
        raise ValidationError(
            f"{Kind(kind).label} #{pk} is still within its retention period "
            f"({rules.settings.RETENTION_YEARS} years from its last activity).",
            code=WITHIN_RETENTION,
        )


WITHIN_RETENTION = "within_retention"


@contextmanager
def _refusals_audited(actor: Any, action: str, kind: str, object_id: Any) -> Iterator[None]:
    """A deletion refused because the record is held or still within retention is a
    refusal: one `denied` row (written after the rollback: audit.actions.note_denied)."""
    try:
        yield
    except (HeldError, ValidationError) as exc:
        if isinstance(exc, HeldError) or getattr(exc, "code", None) == WITHIN_RETENTION:
            model = rules.model_for(kind) if kind in DELETABLE else None
            reason = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            audit_actions.note_denied(
                actor, action, model=model, object_id=object_id, status=403, reason=reason
            )
        raise


def do_propose_deletion(kind: str, object_id: Any, *, reason: str, actor: Any) -> DeletionProposal:
    _require_manager(actor)
    if kind not in DELETABLE:
        raise ValidationError(f"Unknown kind {kind!r}: use tip, series or media.")
    reason = _text(reason, "Reason")
    with _refusals_audited(actor, "retention.propose", kind, object_id), transaction.atomic():
        pk = _exists(kind, object_id)
        _check_disposable(kind, pk)
        if DeletionProposal.objects.filter(kind=kind, object_id=pk, status="proposed").exists():
            raise ValidationError(f"Deletion of {kind} #{pk} is proposed already.")
        proposal = DeletionProposal.objects.create(
            kind=kind, object_id=pk, reason=reason, proposed_by=actor
        )
        record(
            "retention.propose",
            actor=actor,
            object_type=f"{rules.model_for(kind)._meta.label_lower}",
            object_id=pk,
            changes={"proposal": proposal.pk},
            summary=f"deletion proposed: {reason}"[:300],
        )
    return proposal


def second_manager_exists(actor: Any) -> bool:
    return (
        get_user_model()
        .objects.filter(is_active=True, locked_at__isnull=True, role=Role.MANAGER)
        .exclude(pk=actor.pk)
        .exists()
    )


def _open(proposal: DeletionProposal) -> DeletionProposal:
    try:
        return DeletionProposal.objects.select_for_update().get(pk=proposal.pk, status="proposed")
    except DeletionProposal.DoesNotExist:
        raise ValidationError("This proposal was decided already.") from None


def do_approve_deletion(proposal: DeletionProposal, *, actor: Any, note: str = "") -> dict:
    """Delete the record: a second Manager approves (the proposer may only where there is no other).

    Re-checks the hold and the retention period at this moment: a hold placed
    after the proposal stops the deletion. Answers the tombstone's counts.
    """
    _require_manager(actor)
    refused = _refusals_audited(actor, "retention.delete", proposal.kind, proposal.object_id)
    with refused, transaction.atomic():
        proposal = _open(proposal)
        if proposal.proposed_by_id == actor.pk and second_manager_exists(actor):
            raise PermissionDenied("A second Manager must approve a deletion you proposed.")
        kind, pk = proposal.kind, proposal.object_id
        _check_disposable(kind, pk)
        model = rules.model_for(kind)
        obj = model.objects.get(pk=pk)
        removed, files = _delete(kind, obj)
        record(
            "retention.delete",
            actor=actor,
            object_type=model._meta.label_lower,
            object_id=pk,
            changes={
                "proposal": proposal.pk,
                "proposed_by": proposal.proposed_by.get_username(),
                "proposed_at": proposal.proposed_at,
                "approved_by": actor.get_username(),
                "note": note[:500],
                "removed": removed,
            },
            summary=f"deleted after retention: {proposal.reason}"[:300],
        )
        proposal.delete()
    transaction.on_commit(lambda: _remove_files(files))
    return removed


def do_reject_deletion(proposal: DeletionProposal, *, actor: Any, note: str) -> DeletionProposal:
    _require_manager(actor)
    note = _text(note, "Reason for rejecting")
    with transaction.atomic():
        proposal = _open(proposal)
        proposal.status = DeletionProposal.Status.REJECTED
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.decision_note = note
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(
            "retention.reject",
            actor=actor,
            object_type=rules.model_for(proposal.kind)._meta.label_lower,
            object_id=proposal.object_id,
            changes={"proposal": proposal.pk},
            summary=f"deletion rejected: {note}"[:300],
        )
    return proposal


def _delete(kind: str, obj: Any) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Delete the record and what hangs off it. Answers ({model: rows}, files to remove)."""
    files: list[tuple[str, str]] = []
    if kind == Kind.TIP:
        notes = list(ResearchNote.objects.filter(tip=obj).values_list("pk", "attachment_path"))
        files = [("upload", p) for _, p in notes if p]
        search.forget([obj.pk], [n for n, _ in notes])
    elif kind == Kind.SERIES:
        files = [
            ("media", p)
            for p in Media.objects.filter(series=obj).values_list("stored_path", flat=True)
            if p
        ]
        Media.objects.filter(series=obj).delete()
    elif kind == Kind.MEDIA and obj.stored_path:
        files = [("media", obj.stored_path)]
    collector = Collector(using="default")
    try:
        collector.collect([obj])
    except ProtectedError as exc:
        kinds = sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects})
        raise ValidationError(
            f"{Kind(kind).label} #{obj.pk} is still referred to by {', '.join(kinds)}; "
            "those records must go first."
        ) from None
    counts: Counter[str] = Counter()
    _, per_model = collector.delete()
    counts.update({k: v for k, v in per_model.items() if v})
    return dict(counts), files


def _remove_files(files: list[tuple[str, str]]) -> None:
    """After the commit: the note attachments and sealed media files of what was deleted."""
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.UPLOAD_DIR).resolve()
    for where, rel in files:
        if where == "media":
            storage.delete(rel)
            continue
        path = (root / rel).resolve()
        if path.is_relative_to(root):
            path.unlink(missing_ok=True)


# --- corrections ------------------------------------------------------------------------


def do_report_inaccuracy(tip: Any, *, reported_by: str, what: str, actor: Any) -> InaccuracyReport:
    """A field office says information in the tip is inaccurate: record who and what."""
    with transaction.atomic():
        if not access.can_create(actor) or not access.can(actor, access.WRITE, tip):
            raise PermissionDenied("Only the assigned investigator or a Manager records this.")
        report = InaccuracyReport.objects.create(
            tip=tip,
            reported_by=_text(reported_by, "Who reported it", limit=200),
            what=_text(what, "What is inaccurate"),
            recorded_by=actor,
        )
        record(
            "correction.report",
            actor=actor,
            obj=tip,
            changes={"report": report.pk, "reported_by": report.reported_by, "what": report.what},
            summary=f"inaccuracy reported by {report.reported_by}"[:300],
        )
    return report


def do_review_inaccuracy(
    report: InaccuracyReport,
    *,
    outcome: str,
    note: str,
    actor: Any,
    narrative: str | None = None,
    remove_selectors: list[int] = (),
) -> InaccuracyReport:
    """A Manager's review: correct the tip, remove the inaccurate information, or find it accurate.

    The changes go through the tips actions (each audited with its before and
    after); the referral's receivers are told through `hooks`.
    """
    _require_manager(actor)
    if outcome not in {s.value for s in InaccuracyReport.Status} - {"open"}:
        raise ValidationError("Choose an outcome: corrected, removed or rejected.")
    note = _text(note, "Review note")
    with transaction.atomic():
        report = InaccuracyReport.objects.select_for_update().get(pk=report.pk)
        if report.status != InaccuracyReport.Status.OPEN:
            raise ValidationError("This report was reviewed already.")
        tip = report.tip
        changed: dict[str, Any] = {}
        if outcome == InaccuracyReport.Status.CORRECTED:
            if narrative is None or narrative == tip.narrative:
                raise ValidationError("A correction needs the corrected narrative.")
            tip_actions.do_update_tip(tip, actor=actor, narrative=narrative)
            changed["narrative"] = True
        elif outcome == InaccuracyReport.Status.REMOVED:
            selectors = list(Selector.objects.filter(tip=tip, pk__in=list(remove_selectors)))
            if not selectors:
                raise ValidationError("Choose the inaccurate data points to remove.")
            for s in selectors:
                tip_actions.do_remove_selector(
                    s, actor=actor, reason=f"inaccurate (report #{report.pk})"
                )
            changed["selectors_removed"] = len(selectors)
        report.status = outcome
        report.reviewed_by = actor
        report.reviewed_at = timezone.now()
        report.review_note = note
        report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        told = 0
        if outcome != InaccuracyReport.Status.REJECTED:
            told = hooks.notify_corrected(tip, report, outcome=outcome, actor=actor)
        record(
            "correction.review",
            actor=actor,
            obj=tip,
            changes={"report": report.pk, "outcome": outcome, **changed, "receivers_told": told},
            summary=f"inaccuracy report #{report.pk}: {outcome}. {note}"[:300],
        )
    return report


# --- access review ----------------------------------------------------------------------


def do_certify_access(
    user: Any, *, period, outcome: str, note: str = "", figures: dict, actor: Any
) -> AccessCertification:
    _require_manager(actor)
    if outcome not in AccessCertification.Outcome.values:
        raise ValidationError("Choose: access confirmed, or access to be changed.")
    if user.pk == actor.pk:
        raise PermissionDenied("Another Manager certifies your own access.")
    if outcome == AccessCertification.Outcome.CHANGE and not (note or "").strip():
        raise ValidationError("Say what must change.")
    with transaction.atomic():
        cert = AccessCertification.objects.create(
            user=user,
            period_start=period.start,
            period_end=period.end,
            outcome=outcome,
            note=(note or "").strip()[:5000],
            figures=figures,
            certified_by=actor,
        )
        record(
            "access.certify",
            actor=actor,
            obj=user,
            changes={"certification": cert.pk, "outcome": outcome, "period": str(period)},
            summary=f"access of {user.get_username()} for {period}: {outcome}",
        )
    return cert
