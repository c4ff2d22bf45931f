"""The writes of live sync (vigil/exchange/sync.py speaks the protocol and calls these): a
batch served to a partner, recorded and audited as sent; a batch pulled from one, applied with
the partner's cursor moved in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from vigil.audit.log import record
from vigil.exchange.actions.common import _who, new_transfer
from vigil.exchange.actions.importing import audit_received, finish_transfer, take_records
from vigil.exchange.actions.receiving import Counts, apply_series, apply_tombstones
from vigil.exchange.actions.sending import send_batch
from vigil.exchange.models import Level, Partner, Transfer


def do_record_sync_sent(
    partner: Partner,
    *,
    ids: list[int],
    series_ids: list[int],
    tombstones: int,
    discloser=None,
) -> None:
    """A batch served: its transfer row (in the partner's name) and the audited, disclosed
    send, in the name of `discloser` (the Manager who issued the token, or approved the
    partner)."""
    with transaction.atomic():
        transfer = new_transfer(partner, actor=None, direction="out", method=Transfer.Method.SYNC)
        transfer.actor_username = f"partner:{partner.name}"
        transfer.records = len(ids)
        transfer.finished_at = timezone.now()
        transfer.summary = {
            "records": len(ids),
            "series": len(series_ids),
            "tombstones": tombstones,
        }
        transfer.save()
        send_batch(
            partner,
            transfer,
            ids,
            actor=None,
            method="sync",
            discloser=discloser or partner.approved_by,
            series_ids=series_ids,
        )


def do_apply_sync_batch(
    partner: Partner, body: dict[str, Any], records: list[Any], *, actor, totals: Counts
) -> None:
    """One pulled batch (`records` checked to be a list by the caller): series, records and
    tombstones applied and the partner's cursor moved, in one transaction, so an interrupted
    pull resumes from the last committed batch; audited exchange.pull. Adds to `totals`."""
    counts = Counts()
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        transfer = new_transfer(locked, actor=actor, direction="in", method=Transfer.Method.SYNC)
        if locked.sends >= Level.SERIES:
            apply_series(
                body.get("series") or [],
                partner=locked,
                transfer=transfer,
                actor=actor,
                counts=counts,
            )
        take_records(
            ((i, f"$.records[{i}]", r) for i, r in enumerate(records)),
            actor=actor,
            partner=locked,
            transfer=transfer,
            counts=counts,
            what="sync",
        )
        gone = apply_tombstones(body.get("tombstones") or [], partner=locked, counts=counts)
        if gone:
            audit_received(locked, transfer, gone, actor=actor, what="sync deletions")
        finish_transfer(transfer, counts)
        locked.sync_cursor = str(body["cursor"])
        locked.last_pull_at = timezone.now()
        locked.save(update_fields=["sync_cursor", "last_pull_at"])
        if counts.records_read or gone:
            record(
                "exchange.pull",
                **_who(actor),
                obj=locked,
                summary=(
                    f"sync from {locked.name}: {counts.records_read} read, {counts.created} created, "
                    f"{counts.updated} updated, {counts.deleted} deleted"
                ),
                changes={"transfer": transfer.pk},
            )
    for key in ("records_read", "created", "updated", "unchanged", "conflicts", "deleted"):
        setattr(totals, key, getattr(totals, key) + getattr(counts, key))
    totals.rejected.extend(counts.rejected)
