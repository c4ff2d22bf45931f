"""Push: a partner's instance sends us its own changes (the other half of live sync).

Receiving (`do_receive_push`, behind POST /api/exchange/sync/push): authenticated by the
partner's token like a pull; refused for a partner not approved or registered as sending
nothing; one batch applied in one transaction exactly like a pulled batch (series, records,
tombstones; conflicts kept for a Manager), audited `exchange.receive` per batch of records and
`exchange.push_received`. Idempotent: the sender names each batch, and a batch id already taken
from that partner is answered from its receipt, nothing applied again.

Sending (`do_record_push_sent`, called by vigil/exchange/push.py once the partner acknowledged
a batch): the transfer, the audit and disclosure of what left, and the push checkpoint, in one
transaction — an interrupted push resends at most the last batch, which the partner then
recognises by its id.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from vigil.audit.log import record
from vigil.exchange.actions.common import _who, new_transfer
from vigil.exchange.actions.importing import audit_received, finish_transfer, take_records
from vigil.exchange.actions.receiving import (
    Counts,
    apply_series,
    apply_tombstones,
    require_receiving,
)
from vigil.exchange.actions.sending import check_partner_receives, send_batch
from vigil.exchange.models import Level, Partner, PushReceipt, Transfer

BATCH_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
MAX_ITEMS = 2000  # per pushed batch, like a pulled one (sync.MAX_LIMIT)


class PushRefused(ValueError):
    """The batch is malformed (400): nothing applied."""


def _summary(counts: Counts) -> dict[str, Any]:
    return {
        "records_read": counts.records_read,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "rejected": counts.rejected,
        "conflicts": counts.conflicts,
        "deleted": counts.deleted,
    }


def _check_body(body: Any) -> tuple[str, list, list, list]:
    if not isinstance(body, dict):
        raise PushRefused("The body is a JSON object: {batch, series, records, tombstones}.")
    batch = body.get("batch")
    if not isinstance(batch, str) or not BATCH_ID.match(batch):
        raise PushRefused("batch must be the batch's id: 8 to 64 letters, digits, _ . : -")
    parts = []
    for key in ("series", "records", "tombstones"):
        value = body.get(key)
        value = [] if value is None else value
        if not isinstance(value, list):
            raise PushRefused(f"{key} must be a list.")
        parts.append(value)
    if sum(len(p) for p in parts) > MAX_ITEMS:
        raise PushRefused(f"At most {MAX_ITEMS} series, records and tombstones a batch.")
    return batch, *parts


def do_receive_push(partner: Partner, body: Any) -> tuple[dict[str, Any], bool]:
    """Apply one pushed batch from `partner` (its token checked by the caller). Returns the
    summary and whether the batch had been taken before (then nothing is applied)."""
    require_receiving(partner)
    batch, series, records, tombstones = _check_body(body)
    who = {"actor": None, "actor_username": f"partner:{partner.name}"}
    counts = Counts()
    try:
        with transaction.atomic():
            locked = Partner.objects.select_for_update().get(pk=partner.pk)
            require_receiving(locked)
            seen = PushReceipt.objects.filter(partner=locked, batch_id=batch).first()
            if seen is not None:
                return seen.summary, True
            transfer = new_transfer(
                locked,
                actor=None,
                direction="in",
                method=Transfer.Method.PUSH,
                filename=f"batch {batch}"[:255],
            )
            transfer.actor_username = who["actor_username"]
            if locked.sends >= Level.SERIES:
                apply_series(series, partner=locked, transfer=transfer, actor=None, counts=counts)
            take_records(
                ((i, f"$.records[{i}]", r) for i, r in enumerate(records)),
                actor=None,
                partner=locked,
                transfer=transfer,
                counts=counts,
                what=f"push {batch}",
            )
            gone = apply_tombstones(tombstones, partner=locked, counts=counts)
            if gone:
                audit_received(locked, transfer, gone, actor=None, what="pushed deletions")
            finish_transfer(transfer, counts)
            summary = _summary(counts)
            PushReceipt.objects.create(
                partner=locked, batch_id=batch, transfer=transfer, summary=summary
            )
            record(
                "exchange.push_received",
                **who,
                obj=locked,
                summary=(
                    f"push from {locked.name} (batch {batch}): {counts.records_read} read, "
                    f"{counts.created} created, {counts.updated} updated, {counts.deleted} deleted"
                ),
                changes={"transfer": transfer.pk, "batch": batch, "conflicts": counts.conflicts},
            )
    except IntegrityError:
        # The same batch committed by a concurrent request in between: answer from its receipt.
        seen = PushReceipt.objects.filter(partner=partner, batch_id=batch).first()
        if seen is None:
            raise
        return seen.summary, True
    return summary, False


def do_record_push_sent(
    partner: Partner,
    *,
    actor,
    batch: str,
    cursor: str,
    ids: list[int],
    series_ids: list[int],
    tombstones: int,
    answer: dict[str, Any],
) -> Transfer:
    """`partner` acknowledged batch `batch`: record what left and move the push checkpoint."""
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        check_partner_receives(locked)
        transfer = new_transfer(
            locked,
            actor=actor,
            direction="out",
            method=Transfer.Method.PUSH,
            filename=f"batch {batch}"[:255],
        )
        transfer.records = len(ids)
        transfer.finished_at = timezone.now()
        transfer.summary = {
            "records": len(ids),
            "series": len(series_ids),
            "tombstones": tombstones,
            "answer": {k: answer.get(k) for k in ("created", "updated", "unchanged", "duplicate")},
        }
        transfer.save()
        send_batch(locked, transfer, ids, actor=actor, method="push", series_ids=series_ids)
        locked.push_cursor = cursor
        locked.last_push_at = timezone.now()
        locked.save(update_fields=["push_cursor", "last_push_at"])
        record(
            "exchange.push",
            **_who(actor),
            obj=locked,
            summary=f"pushed to {locked.name} (batch {batch}): {len(ids)} record(s), "
            f"{len(series_ids)} series, {tombstones} deletion(s)",
            changes={"transfer": transfer.pk, "batch": batch},
        )
    return transfer
