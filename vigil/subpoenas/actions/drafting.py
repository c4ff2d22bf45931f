"""Drafting, approving and serving a subpoena."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.core.signals import disclosed
from vigil.lookups.models import Provider
from vigil.subpoenas.actions.common import (
    IDENTIFIER_TYPES,
    S,
    _require_status,
    _require_write,
    _zone,
    validate_categories,
)
from vigil.subpoenas.models import Subpoena, SubpoenaIdentifier
from vigil.tips.models import Selector, Tip


def do_draft_subpoena(
    tip: Tip,
    *,
    actor: Any,
    provider: Provider,
    selector_ids: Iterable[int],
    categories: Iterable[str],
    time_zone: str = "UTC",
    due_date: dt.date | None = None,
    parent: Subpoena | None = None,
) -> Subpoena:
    _require_write(actor, tip)
    cats = validate_categories(categories)
    zone = _zone(time_zone)
    ids = {int(i) for i in selector_ids}
    if not ids:
        raise ValidationError("Pick at least one identifier (an IP, an e-mail, an online ID…).")
    chosen = list(Selector.objects.filter(tip=tip, pk__in=ids))
    if len(chosen) != len(ids):
        raise ValidationError("An identifier picked is not on this tip.")
    errors = []
    for s in chosen:
        if s.type not in IDENTIFIER_TYPES:
            errors.append(f"{s.get_type_display()} cannot be a subpoena identifier.")
        elif s.type == Selector.Type.IP and s.observed_at is None:
            errors.append(
                f"IP {s.value} has no observation date and time: a provider can name the "
                "subscriber of an address only for a moment in time. Add it to the selector first."
            )
    if errors:
        raise ValidationError(errors)
    if not provider.active:
        raise ValidationError(f"{provider.name} is marked inactive in the provider directory.")
    with transaction.atomic():
        sub = Subpoena.objects.create(
            tip=tip,
            provider=provider,
            parent=parent,
            categories=cats,
            time_zone=zone,
            due_date=due_date,
            drafted_by=actor,
        )
        SubpoenaIdentifier.objects.bulk_create(
            [
                SubpoenaIdentifier(
                    subpoena=sub,
                    selector=s,
                    type=s.type,
                    value=s.value,
                    observed_at=s.observed_at,
                    port=s.port,
                )
                for s in sorted(chosen, key=lambda s: s.pk)
            ]
        )
        record(
            "subpoena.draft",
            actor=actor,
            obj=sub,
            changes={
                "tip": tip.pk,
                "provider": provider.name,
                "categories": cats,
                "identifiers": [f"{s.type}:{s.value}" for s in chosen],
                "parent": parent.pk if parent else None,
            },
            summary=f"{sub.reference} to {provider.name}",
        )
    return sub


def do_approve_subpoena(subpoena: Subpoena, *, actor: Any) -> Subpoena:
    if not access.is_manager(actor):
        raise PermissionDenied("Only a manager approves a subpoena.")
    _require_status(subpoena, S.DRAFTED)
    with transaction.atomic():
        subpoena.status = S.APPROVED
        subpoena.approved_by = actor
        subpoena.approved_at = timezone.now()
        subpoena.save(update_fields=["status", "approved_by", "approved_at"])
        record("subpoena.approve", actor=actor, obj=subpoena, summary=subpoena.reference)
    return subpoena


def do_serve_subpoena(
    subpoena: Subpoena,
    *,
    actor: Any,
    method: str,
    served_on: dt.date | None = None,
    due_date: dt.date | None = None,
) -> Subpoena:
    _require_write(actor, subpoena)
    _require_status(subpoena, S.APPROVED)
    if method not in Subpoena.Method.values:
        raise ValidationError(f"Service method must be one of {', '.join(Subpoena.Method.values)}.")
    now = timezone.now()
    # A date is taken as noon UTC, but never later than now: served "today" before noon and
    # answered at once gave an answer before the service (a negative "median days from service
    # to answer" on the statistics page, found by the journey test of issue 22).
    served_at = (
        min(dt.datetime.combine(served_on, dt.time(12), tzinfo=dt.UTC), now)
        if served_on is not None
        else now
    )
    if served_at > now + dt.timedelta(days=1):
        raise ValidationError("A subpoena cannot be served in the future.")
    due = (
        due_date
        or subpoena.due_date
        or (served_at.date() + dt.timedelta(days=settings.SUBPOENA_RESPONSE_DAYS))
    )
    if due < served_at.date():
        raise ValidationError("The due date is before the service date.")
    with transaction.atomic():
        subpoena.status = S.SERVED
        subpoena.served_by = actor
        subpoena.served_at = served_at
        subpoena.service_method = method
        subpoena.due_date = due
        subpoena.save(
            update_fields=["status", "served_by", "served_at", "service_method", "due_date"]
        )
        record(
            "subpoena.serve",
            actor=actor,
            obj=subpoena,
            changes={"method": method, "served_at": served_at, "due_date": due},
            summary=f"{subpoena.reference} served on {subpoena.provider.name} by {method}",
        )
        disclosed.send(
            sender=Subpoena,
            records=[("tip", subpoena.tip_id)],
            recipient=subpoena.provider.name,
            purpose=f"Administrative subpoena {subpoena.reference} (18 U.S.C. § 2703(c)(2))",
            method=method,
            actor=actor,
            source=subpoena,
        )
    return subpoena
