"""The evidence log: items received and their chain of custody."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.audit.log import record, snapshot
from vigil.tips.actions.common import require_write
from vigil.tips.models import EvidenceItem, EvidenceTransfer, Tip


def _required(**values: str) -> None:
    missing = [k.replace("_", " ") for k, v in values.items() if not (v or "").strip()]
    if missing:
        raise ValidationError(f"Required: {', '.join(missing)}.")


def do_add_evidence_item(
    tip: Tip,
    *,
    actor: Any,
    description: str,
    received_from: str,
    received_at: dt.datetime,
    stored_at: str,
) -> EvidenceItem:
    require_write(tip, actor)
    _required(description=description, received_from=received_from, stored_at=stored_at)
    if received_at is None:
        raise ValidationError("Required: received at.")
    item = EvidenceItem(
        tip=tip,
        description=description.strip()[:500],
        received_from=received_from.strip()[:200],
        received_at=received_at,
        stored_at=stored_at.strip()[:300],
        recorded_by=actor,
    )
    with transaction.atomic():
        item.save()
        record(
            "tip.evidence_add",
            actor=actor,
            obj=tip,
            changes=snapshot(
                item, ["id", "description", "received_from", "received_at", "stored_at"]
            ),
            summary=f"evidence #{item.pk}: {item.description[:100]}",
        )
    return item


def do_record_evidence_transfer(
    item: EvidenceItem,
    *,
    actor: Any,
    from_party: str,
    to_party: str,
    transferred_at: dt.datetime,
    stored_at: str,
    note: str = "",
) -> EvidenceTransfer:
    require_write(item.tip, actor)
    _required(from_party=from_party, to_party=to_party, stored_at=stored_at)
    if transferred_at is None:
        raise ValidationError("Required: transferred at.")
    if transferred_at < item.received_at:
        raise ValidationError("A transfer cannot predate the receipt of the item.")
    transfer = EvidenceTransfer(
        item=item,
        from_party=from_party.strip()[:200],
        to_party=to_party.strip()[:200],
        transferred_at=transferred_at,
        stored_at=stored_at.strip()[:300],
        note=(note or "").strip(),
        recorded_by=actor,
    )
    with transaction.atomic():
        transfer.save()
        EvidenceItem.objects.filter(pk=item.pk).update(stored_at=transfer.stored_at)
        item.stored_at = transfer.stored_at
        record(
            "tip.evidence_transfer",
            actor=actor,
            obj=item.tip,
            changes=snapshot(
                transfer, ["item", "from_party", "to_party", "transferred_at", "stored_at", "note"]
            ),
            summary=f"evidence #{item.pk}: {transfer.from_party} → {transfer.to_party}",
        )
    return transfer
