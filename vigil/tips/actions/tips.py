"""Tips: create one, change one, write a batch of import rows (one change function)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.core import bulk
from vigil.lib.text import error_line
from vigil.tips import search
from vigil.tips.actions.common import (
    MAX_NARRATIVE,
    TIP_FIELDS,
    clean_country,
    label,
    require_write,
)
from vigil.tips.actions.selectors import (
    SelectorInput,
    build_selector,
    emit_added_bulk,
    extracted_selectors,
    save_selectors,
)
from vigil.tips.models import Selector, Source, Tip
from vigil.tips.signals import ValuesNote

log = logging.getLogger(__name__)


def source_warning_for(source: Source) -> str:
    if not source.is_flagged:
        return ""
    text = f"Source marked {source.get_reliability_display().lower()}"
    if source.reliability_note:
        text += f": {source.reliability_note}"
    return text[:200]


def do_create_tip(
    *,
    actor: Any,
    source: Source,
    narrative: str = "",
    source_reference: str = "",
    received_at: dt.datetime | None = None,
    received_via: str = Tip.Via.WEB,
    country: str = "",
    priority: int = Tip.Priority.OTHER,
    selectors: Sequence[SelectorInput] = (),
    attributes: dict | None = None,
    extract: bool = True,
) -> Tip:
    """A new tip with its selectors. An investigator who creates a tip is assigned to it."""
    access.require(access.can_create(actor))
    narrative = narrative or ""
    if len(narrative) > MAX_NARRATIVE:
        raise ValidationError(f"narrative: {len(narrative):,} characters (limit {MAX_NARRATIVE:,})")
    if priority not in Tip.Priority.values:
        raise ValidationError(f"priority: {priority!r} is not one of {Tip.Priority.values}")
    if received_via not in Tip.Via.values:
        raise ValidationError(f"received_via: {received_via!r} is not one of {Tip.Via.values}")
    source_reference = (source_reference or "").strip()
    if not source_reference:
        source_reference = f"VIG-{timezone.now():%Y%m%d}-{secrets.token_hex(4).upper()}"
    if len(source_reference) > 200:
        raise ValidationError("source_reference: longer than 200 characters")
    if Tip.objects.filter(source=source, source_reference=source_reference).exists():
        raise ValidationError(
            f"{source.name} already has a tip with reference {source_reference!r}."
        )
    tip = Tip(
        source=source,
        source_reference=source_reference,
        received_at=received_at or timezone.now(),
        received_via=received_via,
        narrative=narrative,
        country=clean_country(country),
        priority=priority,
        source_warning=source_warning_for(source),
        attributes=attributes or {},
        created_by=actor,
        assigned_to=actor if access.is_investigator(actor) else None,
    )
    built, errors = [], []
    for item in selectors:
        try:
            built.append(build_selector(tip, item))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        tip.save()
        for s in built:
            s.tip = tip
        candidates = built + (extracted_selectors(tip, narrative) if extract else [])
        added, _flags = save_selectors(tip, candidates, actor=actor)
        search.index_tips([(tip.pk, tip.narrative)])
        record(
            "tip.create",
            actor=actor,
            obj=tip,
            changes={
                **snapshot(tip, [*TIP_FIELDS, "source", "priority", "assigned_to"]),
                "selectors": [label(s) for s in added],
                **({"source_warning": tip.source_warning} if tip.source_warning else {}),
            },
            summary=f"{source.name} {source_reference}",
        )
    return tip


def do_update_tip(tip: Tip, *, actor: Any, **fields: Any) -> Tip:
    """Change narrative, reference, dates, via or country; new selectors in the narrative are proposed."""
    require_write(tip, actor)
    allowed = set(TIP_FIELDS)
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"cannot change {', '.join(sorted(unknown))} here")
    if "narrative" in fields and len(fields["narrative"] or "") > MAX_NARRATIVE:
        raise ValidationError(f"narrative: longer than {MAX_NARRATIVE:,} characters")
    if "country" in fields:
        fields["country"] = clean_country(fields["country"])
    if "received_via" in fields and fields["received_via"] not in Tip.Via.values:
        raise ValidationError(
            f"received_via: {str(fields['received_via'])[:40]!r} is not one of {', '.join(Tip.Via.values)}"
        )
    if "source_reference" in fields:
        ref = (fields["source_reference"] or "").strip()
        if not ref:
            raise ValidationError("source_reference: required")
        if len(ref) > 200:
            raise ValidationError("source_reference: longer than 200 characters")
        if Tip.objects.filter(source=tip.source, source_reference=ref).exclude(pk=tip.pk).exists():
            raise ValidationError(f"{tip.source.name} already has a tip with reference {ref!r}.")
        fields["source_reference"] = ref
    changes = _apply(tip, fields)
    if not changes:
        return tip
    with transaction.atomic():
        candidates = extracted_selectors(tip, tip.narrative) if "narrative" in changes else []
        _save_change(tip, changes, candidates, actor=actor, summary=str(tip))
    return tip


def _apply(tip: Tip, fields: dict[str, Any]) -> dict[str, Any]:
    """Set `fields` on `tip` (unsaved); the audit diff of what that changed.

    Values compare as values: the same instant in another time zone is no change.
    """
    before = {name: getattr(tip, name) for name in fields}
    for name, value in fields.items():
        setattr(tip, name, value)
    return diff(before, {name: getattr(tip, name) for name in fields})


def _save_change(
    tip: Tip,
    changes: dict[str, Any],
    candidates: Sequence[Selector],
    *,
    actor: Any,
    summary: str,
    selectors_key: str = "selectors_proposed",
    extra: dict[str, Any] | None = None,
) -> tuple[list[Selector], int]:
    """THE change of an existing tip, for do_update_tip and the bulk import alike.

    Saves the tip, adds the candidates that are new on it (selectors_added:
    deconfliction flags them), re-indexes the narrative if it changed, writes the
    `tip.update` row and re-checks that the tip is still in the actor's write
    scope. The caller holds the transaction and has checked the right to write.
    Returns (selectors added, flags raised).
    """
    tip.save()
    added, flags = save_selectors(tip, candidates, actor=actor) if candidates else ([], 0)
    if "narrative" in changes:
        search.index_tips([(tip.pk, tip.narrative)])
    if added:
        changes[selectors_key] = [label(s) for s in added]
    record(
        "tip.update", actor=actor, obj=tip, changes={**changes, **(extra or {})}, summary=summary
    )
    access.check_in_scope(tip, actor)
    return added, flags


# --- bulk import ----------------------------------------------------------------------


@dataclass
class ImportItem:
    """One validated import row, ready to write: an unsaved tip and its built selectors."""

    line: int
    tip: Tip
    selectors: list[Selector]
    # The row gave a date: an existing tip takes it (else it keeps its own).
    dated: bool = False
    warnings: list[str] = field(default_factory=list)

    # (source id, reference): what identifies the tip; asked several times per row, so
    # stored (a cached_property takes a lock on every read in Python 3.11).
    key: tuple[int, str] = field(init=False)

    def __post_init__(self) -> None:
        self.key = (self.tip.source_id, self.tip.source_reference)


@dataclass
class BatchOutcome:
    tips_created: int = 0
    tips_updated: int = 0
    tips_unchanged: int = 0
    selectors: int = 0
    flags: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Listeners' notes for the summary (values on the warning list or too common to flag).
    notes: list[str | ValuesNote] = field(default_factory=list)

    def add(self, other: BatchOutcome) -> None:
        for name in ("tips_created", "tips_updated", "tips_unchanged", "selectors", "flags"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected.extend(other.rejected)
        self.notes.extend(other.notes)

    def count_flags(self, reply: int) -> None:
        self.flags += reply
        self.notes.extend(getattr(reply, "notes", ()))


def build_import_item(
    *,
    actor: Any,
    line: int,
    source: Source,
    reference: str,
    narrative: str = "",
    received_at: dt.datetime | None = None,
    received_via: str = Tip.Via.BULK,
    country: str = "",
    attributes: dict[str, Any] | None = None,
    selectors: Sequence[SelectorInput] = (),
    import_job_id: int | None = None,
    now: dt.datetime | None = None,
) -> ImportItem:
    """Validate one import row (nothing is written): ValidationError naming every problem.

    A row without a date is received `now` (the importer reads the clock once a batch:
    one instant for the batch's undated tips, converted for the database once).
    """
    tip = bulk.new(
        Tip,
        source=source,
        source_reference=reference,
        received_at=received_at or now or timezone.now(),
        received_via=received_via,
        narrative=narrative,
        country=country,
        source_warning=source_warning_for(source),
        attributes=attributes or {},
        created_by=actor,
        import_job_id=import_job_id,
    )
    item = ImportItem(line=line, tip=tip, selectors=[], dated=received_at is not None)
    built: dict[tuple[str, str], Selector] = {}
    errors: list[str] = []
    region = tip.country or (source.country if tip.source_id else "") or None  # build_selector's
    for given in selectors:
        try:
            s = build_selector(tip, given, region=region)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if s.details.get("validated") is False:
            item.warnings.append(
                f"line {line}: {s.type} {s.raw[:60]!r} could not be validated; "
                f"kept as {s.value} (not validated)"
            )
        built.setdefault((s.type, s.value), s)
    if errors:
        raise ValidationError(errors)
    for s in extracted_selectors(tip, narrative):
        built.setdefault((s.type, s.value), s)
    item.selectors = list(built.values())
    return item


def do_import_tip_batch(
    items: Sequence[ImportItem],
    *,
    actor: Any,
    before_commit: Callable[[BatchOutcome], None] | None = None,
) -> BatchOutcome:
    """Write one batch of import rows: new tips created, changed ones updated, the rest unchanged.

    Source + reference identify a tip (a batch holds each key once). The batch is
    one transaction; if the database refuses it, it is replayed row by row in one
    transaction again, each row in its own savepoint, so a bad row never loses the
    others (it comes back in `rejected` with its line). An existing tip that
    differs is changed through the same change function as do_update_tip, so only
    by someone who may write it.

    `before_commit(outcome)` runs inside the batch's transaction, after its rows:
    what it writes (the import job's checkpoint) commits with them or not at all,
    so a worker killed between the two can never leave rows the checkpoint does
    not count.
    """
    access.require(access.can_create(actor))
    if not items:
        return BatchOutcome()
    try:
        with transaction.atomic():
            outcome = _write_batch(items, actor)
            if before_commit:
                before_commit(outcome)
            return outcome
    except Exception as exc:  # replay row by row: one bad row must not sink its batch
        log.info("import batch of %d refused (%s); replaying row by row", len(items), exc)
    outcome = BatchOutcome()
    with transaction.atomic():
        for item in items:
            for s in item.selectors:
                s.pk = None
            item.tip.pk = None
            item.tip._state.adding = True
            try:
                with transaction.atomic():
                    outcome.add(_write_batch([item], actor))
            except (ValidationError, PermissionDenied) as exc:
                msg = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                outcome.rejected.append((item.line, msg or "not allowed"))
            except Exception as exc:  # a database error for this row only
                log.warning("import line %d refused by the database: %r", item.line, exc)
                outcome.rejected.append((item.line, _refusal(exc)))
        if before_commit:
            before_commit(outcome)
    return outcome


def _refusal(exc: Exception) -> str:
    """What the import summary says of a row the database refused: its message's first
    line (lib.text.error_line), without the driver's class names, which differ by the
    path the row took and mean nothing to a reader. The log has the whole error."""
    first = error_line(exc, 200)
    return "could not be saved: the database refused it" + (f" ({first})" if first else "")


def _write_batch(items: Sequence[ImportItem], actor: Any) -> BatchOutcome:
    outcome = BatchOutcome()
    by_source: dict[int, list[str]] = {}
    for item in items:
        by_source.setdefault(item.tip.source_id, []).append(item.tip.source_reference)
    # The stored tips of the batch, as the few columns an import compares (a re-import
    # of unchanged rows builds no model instance); id first. Their ids first, by the
    # unique key's index (bulk.ids_by): none, on a first import, and nothing more to read.
    # Ids and references go as one parameter (1,000 bound one by one cost more than the
    # query), unsorted.
    existing: dict[tuple[int, str], tuple[Any, ...]] = {}
    for source_id, refs in by_source.items():
        found = bulk.ids_by(Tip, {"source_id": source_id}, "source_reference", refs)
        if not found:
            continue
        by_id = bulk.in_filter("id", list(found.values()))
        for row in (
            Tip.objects.filter(by_id).order_by().values_list("id", "source_reference", *_COMPARED)
        ):
            existing[(source_id, row[1])] = row
    new = [item for item in items if item.key not in existing]
    old = [item for item in items if item.key in existing]
    if new:
        _create_tips(new, actor, outcome)
    if old:
        ids = [existing[item.key][0] for item in old]
        have: dict[int, set[tuple[str, str]]] = {}
        of_tips = bulk.in_filter("tip_id", ids)
        for tip_id, kind, value in (
            Selector.objects.filter(of_tips).order_by().values_list("tip_id", "type", "value")
        ):
            have.setdefault(tip_id, set()).add((kind, value))
        differing = [
            (item, tip_id)
            for item, tip_id in zip(old, ids, strict=True)
            if _differs(item, existing[item.key], have.get(tip_id, set()))
        ]
        outcome.tips_unchanged += len(old) - len(differing)
        if differing:
            pks = [tip_id for _item, tip_id in differing]
            tips = Tip.objects.select_related("source").in_bulk(pks)
            writable = set(
                Tip.objects.for_user(actor, access.WRITE)
                .filter(pk__in=pks)
                .values_list("pk", flat=True)
            )
            for item, tip_id in differing:
                _update_from_import(
                    item, tips[tip_id], have.get(tip_id, set()), tip_id in writable, actor, outcome
                )
    return outcome


# The stored columns a row is compared with (_import_fields gives the row's side).
_COMPARED = ("narrative", "country", "attributes", "received_at")


def _import_fields(item: ImportItem, attributes: dict[str, Any]) -> dict[str, Any]:
    """What an import row sets on an existing tip whose attributes are `attributes`."""
    row = item.tip
    fields: dict[str, Any] = {
        "narrative": row.narrative,
        "country": row.country,
        "attributes": {**attributes, **row.attributes},
    }
    if item.dated:
        fields["received_at"] = row.received_at
    return fields


def _differs(item: ImportItem, stored: tuple[Any, ...], have: set[tuple[str, str]]) -> bool:
    """Whether the row would change the stored tip (`existing`'s row): a field or a selector."""
    before = dict(zip(_COMPARED, stored[2:], strict=True))
    fields = _import_fields(item, before["attributes"])
    if any(before[name] != value for name, value in fields.items()):
        return True
    return any((s.type, s.value) not in have for s in item.selectors)


def _create_tips(new: Sequence[ImportItem], actor: Any, outcome: BatchOutcome) -> None:
    # Set-based: one statement (SQLite) or one COPY (PostgreSQL) per table.
    tips = [item.tip for item in new]
    bulk.insert(tips)
    selectors = []
    for item, tip in zip(new, tips, strict=True):
        bulk.attach(item.selectors, "tip", tip)
        selectors.extend(item.selectors)
    bulk.insert(selectors)
    search.index_tips(((t.pk, t.narrative) for t in tips), new=True)
    outcome.count_flags(emit_added_bulk([(item.tip, item.selectors) for item in new], actor))
    # One audit row per batch names every tip it created (id, source, reference, line):
    # a row per tip would cost more than the import itself.
    record(
        "tip.import_create",
        actor=actor,
        object_type="tips.tip",
        object_id=tips[0].pk,
        changes={
            "columns": ["tip", "source", "reference", "line"],
            "tips": [[i.tip.id, i.tip.source_id, i.tip.source_reference, i.line] for i in new],
        },
        summary=f"import: {len(new)} tip(s) created, ids {tips[0].pk}…{tips[-1].pk}",
    )
    outcome.tips_created += len(new)
    outcome.selectors += len(selectors)


def _update_from_import(
    item: ImportItem,
    tip: Tip,
    have: set[tuple[str, str]],
    writable: bool,
    actor: Any,
    outcome: BatchOutcome,
) -> None:
    """An existing tip: new narrative, country, date (when given) and attributes, new selectors."""
    fields = _import_fields(item, tip.attributes)
    fresh = [s for s in item.selectors if (s.type, s.value) not in have]
    changes = _apply(tip, fields)  # on the fetched copy: saved only below
    if not changes and not fresh:
        outcome.tips_unchanged += 1
        return
    if not writable:
        outcome.rejected.append(
            (
                item.line,
                f"tip {tip.source_reference} exists, is assigned to someone else and differs "
                "from this row; only its investigator or a manager may update it",
            )
        )
        return
    for s in fresh:
        s.tip = tip
    added, flags = _save_change(
        tip,
        changes,
        fresh,
        actor=actor,
        summary=f"import: {tip.source.name} {tip.source_reference}"[:300],
        selectors_key="selectors_added",
        extra={"import_line": item.line},
    )
    outcome.tips_updated += 1
    outcome.selectors += len(added)
    outcome.count_flags(flags)
