"""The accounting of disclosures: one append-only Disclosure per disclosure any app announces,
and who read the accounting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.actions import do_view_list
from vigil.audit.log import record
from vigil.referrals.models import DisclosedItem, Disclosure, Office

MAX_RECORDS = 100_000


def _office_for(recipient: str) -> Office | None:
    name = (recipient or "").strip()
    return (
        Office.objects.filter(name__iexact=name).first()
        or Office.objects.filter(code__iexact=name).first()
    )


def do_record_disclosure(
    *,
    records: Iterable[tuple[str, Any]],
    recipient: str,
    purpose: str,
    method: str,
    actor: Any,
    source: Any = None,
    office: Office | None = None,
    at: dt.datetime | None = None,
) -> Disclosure:
    """One accounting row: what (records by id), to whom, when, why, by whom, how.

    Fails closed: bad input raises, and the sender's transaction (the disclosure
    itself) fails with it.
    """
    pairs: list[list[Any]] = []
    for item in records or ():
        try:
            kind, rid = item
        except (TypeError, ValueError):
            raise ValidationError(
                f"A disclosed record is a (kind, id) pair, not {item!r}."
            ) from None
        kind = str(kind).strip()
        if not kind or rid in (None, ""):
            raise ValidationError(f"A disclosed record needs a kind and an id, not {item!r}.")
        pairs.append([kind[:32], rid if isinstance(rid, int) else str(rid)[:64]])
    if not pairs:
        raise ValidationError("A disclosure must name the records it disclosed.")
    if len(pairs) > MAX_RECORDS:
        raise ValidationError(f"{len(pairs):,} records in one disclosure (limit {MAX_RECORDS:,}).")
    recipient = (recipient or "").strip()
    purpose = (purpose or "").strip()
    method = (method or "").strip()
    for label, value in (("recipient", recipient), ("purpose", purpose), ("method", method)):
        if not value:
            raise ValidationError(f"A disclosure must say its {label}.")
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise ValidationError("A disclosure must say who made it.")
    office = office or _office_for(recipient)
    with transaction.atomic():
        disclosure = Disclosure(
            disclosed_at=at or timezone.now(),
            recipient=recipient[:200],
            office=office,
            purpose=purpose[:500],
            method=method[:100],
            actor=actor,
            actor_username=actor.get_username(),
            records=pairs,
            source_type=(
                f"{source._meta.app_label}.{source._meta.model_name}" if source is not None else ""
            ),
            source_id=str(getattr(source, "pk", "") or ""),
        )
        disclosure.save()
        DisclosedItem.objects.bulk_create(
            [DisclosedItem(disclosure=disclosure, kind=k, record_id=str(r)) for k, r in pairs],
            batch_size=1000,
        )
        record(
            "disclosure.record",
            actor=actor,
            obj=disclosure,
            summary=f"{len(pairs)} record(s) to {recipient[:120]} by {method[:60]}",
            changes={"purpose": purpose[:200], "source": disclosure.source_type},
        )
    return disclosure


def on_disclosed(sender: Any, **kwargs: Any) -> Disclosure:
    """Receiver of `vigil.core.signals.disclosed`: any app's disclosure is accounted for here."""
    return do_record_disclosure(
        records=kwargs.get("records") or [],
        recipient=kwargs.get("recipient", ""),
        purpose=kwargs.get("purpose", ""),
        method=kwargs.get("method", ""),
        actor=kwargs.get("actor"),
        source=kwargs.get("source"),
        office=kwargs.get("office"),
    )


def do_view_disclosures(
    *, actor: Any, ids: Iterable[int], filters: dict[str, Any], export: bool = False
) -> None:
    """Reading the accounting is audited (it says who got which records): one read row
    naming the disclosures shown or exported and the filter that chose them."""
    access.require(access.can_read_data(actor))
    do_view_list(
        Disclosure,
        ids,
        actor=actor,
        action="disclosure.export" if export else "disclosure.view",
        filters=filters,
    )
