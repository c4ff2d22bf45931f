"""Tips and selectors for deconfliction tests, built with plain ORM calls."""

from __future__ import annotations

import itertools

from django.utils import timezone

from vigil.deconfliction import actions
from vigil.lib import crypto
from vigil.lib import selectors as sel
from vigil.tips.models import Selector, Source, Tip

_refs = itertools.count(1)


def source(name: str = "NCMEC") -> Source:
    return Source.objects.get_or_create(name=name, defaults={"kind": Source.Kind.NCMEC})[0]


def tip(ref: str | None = None, *, assigned=None, src: Source | None = None, **extra) -> Tip:
    return Tip.objects.create(
        source=src or source(),
        source_reference=ref or f"T-{next(_refs):05d}",
        received_at=timezone.now(),
        assigned_to=assigned,
        **extra,
    )


def selector(
    t: Tip, type_: str, raw: str, *, region: str | None = "US", extracted: bool = False, **details
) -> Selector:
    """A selector as the tips app stores it: normalised value; keyed hash for SSN/card."""
    value = sel.normalise(type_, raw, default_region=region)
    assert value, f"{type_} {raw!r} does not normalise"
    masked = ""
    if type_ in ("ssn", "card"):
        masked = crypto.mask(type_, value)
        value = crypto.keyed_hash(type_, value)
        raw = ""
    if type_ == "person":
        details = {"name": raw, **details}
    return Selector.objects.create(
        tip=t,
        type=type_,
        value=value,
        raw=raw,
        masked=masked,
        details=details,
        extracted=extracted,
        confirmed=not extracted,
    )


def add(t: Tip, type_: str, raw: str, *, actor=None, extracted: bool = False, **details) -> int:
    """Add one selector and raise its flags, as the tips actions do."""
    s = selector(t, type_, raw, extracted=extracted, **details)
    return actions.do_flag_selectors(t, [s], actor=actor)
