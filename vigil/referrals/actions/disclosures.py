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
from vigil.referrals.models import RUN, DisclosedItem, Disclosure, Office

MAX_RECORDS = 100_000


def _office_for(recipient: str) -> Office | None:
    name = (recipient or "").strip()
    return (
        Office.objects.filter(name__iexact=name).first()
        or Office.objects.filter(code__iexact=name).first()
    )


def _run(first: Any, last: Any) -> tuple[int, int]:
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in (first, last)):
        raise TypeError
    if not 0 <= first <= last:
        raise ValueError
    return first, last


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

    `records` holds (kind, id) pairs, or (kind, first, last) for a run of consecutive
    integer ids disclosed together (a partner export: a million records in a few runs) —
    kept as one [kind, "first..last"] entry and one indexed item row, found record by
    record through `Disclosure.objects.about`.

    Fails closed: bad input raises, and the sender's transaction (the disclosure
    itself) fails with it.
    """
    pairs: list[list[Any]] = []
    items: list[DisclosedItem] = []
    count = 0
    for item in records or ():
        try:
            kind, *ids = item
            rid = ids[0] if len(ids) == 1 else _run(*ids)
        except (TypeError, ValueError):
            raise ValidationError(
                f"A disclosed record is a (kind, id) pair or a (kind, first, last) run of "
                f"integer ids, not {item!r}."
            ) from None
        kind = str(kind).strip()[:32]
        if not kind or rid in (None, ""):
            raise ValidationError(f"A disclosed record needs a kind and an id, not {item!r}.")
        if isinstance(rid, tuple) and rid[0] != rid[1]:
            first, last = rid
            pairs.append([kind, f"{first}{RUN}{last}"])
            items.append(
                DisclosedItem(kind=kind, record_id=pairs[-1][1], first_id=first, last_id=last)
            )
            count += last - first + 1
            continue
        if isinstance(rid, tuple):
            rid = rid[0]
        pairs.append([kind, rid if isinstance(rid, int) else str(rid)[:64]])
        items.append(DisclosedItem(kind=kind, record_id=str(pairs[-1][1])))
        count += 1
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
        for row in items:
            row.disclosure = disclosure
        DisclosedItem.objects.bulk_create(items, batch_size=1000)
        record(
            "disclosure.record",
            actor=actor,
            obj=disclosure,
            summary=f"{count} record(s) to {recipient[:120]} by {method[:60]}",
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
