"""The sources directory (managed reference data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.tips.actions.common import clean_country
from vigil.tips.models import Source

_SOURCE_FIELDS = ["name", "kind", "country", "reliability", "reliability_note", "contact", "active"]


def _validate_source(source: Source) -> None:
    source.name = (source.name or "").strip()
    if not source.name:
        raise ValidationError("A source needs a name.")
    if source.kind not in Source.Kind.values:
        raise ValidationError(f"kind: {source.kind!r} is not one of {Source.Kind.values}")
    if source.reliability not in Source.Reliability.values:
        raise ValidationError(
            f"reliability: {source.reliability!r} is not one of {Source.Reliability.values}"
        )
    if len(source.name) > 200:
        raise ValidationError("name: longer than 200 characters")
    for name in ("reliability_note", "contact"):
        if len(getattr(source, name) or "") > 2000:
            raise ValidationError(f"{name}: longer than 2,000 characters")
    source.country = clean_country(source.country)
    clash = Source.objects.filter(name__iexact=source.name)
    if source.pk:
        clash = clash.exclude(pk=source.pk)
    if clash.exists():
        raise ValidationError(f"A source named {source.name!r} exists already.")
    if source.reliability != Source.Reliability.RELIABLE and not source.reliability_note.strip():
        raise ValidationError("Say why the source is marked unreliable or malicious.")


def do_create_source(*, actor: Any, name: str, **fields: Any) -> Source:
    access.require(access.can_manage_reference_data(actor))
    unknown = set(fields) - set(_SOURCE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(unknown))}")
    source = Source(name=name, **fields)
    _validate_source(source)
    with transaction.atomic():
        source.save()
        record(
            "source.create",
            actor=actor,
            obj=source,
            changes=snapshot(source, _SOURCE_FIELDS),
            summary=source.name,
        )
    return source


def do_update_source(source: Source, *, actor: Any, **fields: Any) -> Source:
    access.require(access.can_manage_reference_data(actor))
    unknown = set(fields) - set(_SOURCE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(unknown))}")
    before = snapshot(source, _SOURCE_FIELDS)
    for k, v in fields.items():
        setattr(source, k, v)
    _validate_source(source)
    changes = diff(before, snapshot(source, _SOURCE_FIELDS))
    if not changes:
        return source
    with transaction.atomic():
        source.save()
        record("source.update", actor=actor, obj=source, changes=changes, summary=source.name)
    return source


def get_or_refuse_source(name: str) -> Source:
    source = Source.objects.filter(name__iexact=(name or "").strip()).first()
    if source is None:
        raise ValidationError(
            f"unknown source {name!r}: add it to the sources directory first (a manager can)."
        )
    return source
