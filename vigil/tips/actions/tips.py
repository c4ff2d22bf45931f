"""Tips: create one, change one."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
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
    extracted_selectors,
    save_selectors,
)
from vigil.tips.models import Selector, Source, Tip


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
        assigned_to=actor if actor.role == "investigator" else None,
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
    before = snapshot(tip, TIP_FIELDS)
    for name, value in fields.items():
        setattr(tip, name, value)
    changes = diff(before, snapshot(tip, TIP_FIELDS))
    if not changes:
        return tip
    with transaction.atomic():
        tip.save()
        added: list[Selector] = []
        if "narrative" in changes:
            added, _ = save_selectors(tip, extracted_selectors(tip, tip.narrative), actor=actor)
            search.index_tips([(tip.pk, tip.narrative)])
        if added:
            changes["selectors_proposed"] = [label(s) for s in added]
        record("tip.update", actor=actor, obj=tip, changes=changes, summary=str(tip))
        access.check_in_scope(tip, actor)
    return tip
