"""Importing a VICS stream or file from a partner: read, check, apply in batches, audit, finish
the transfer."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vigil.audit.log import record
from vigil.core import request_context
from vigil.exchange import mapping, rules, vics
from vigil.exchange.actions.common import BATCH, _require, _who, new_transfer
from vigil.exchange.actions.receiving import Counts, apply_batch, require_receiving
from vigil.exchange.models import ImportJob, Level, Partner, Transfer
from vigil.lib import crypto


def audit_received(
    partner: Partner, transfer: Transfer, ids: list[int], *, actor, what: str
) -> None:
    record(
        "exchange.receive",
        **_who(actor),
        obj=partner,
        summary=f"{len(ids)} record(s) received from {partner.name} ({what})",
        changes={
            "direction": "in",
            "partner": partner.name,
            "method": transfer.method,
            "transfer": transfer.pk,
            "records": ids,
        },
    )


def take_records(
    entries: Iterable[tuple[int, str, Any]],
    *,
    actor,
    partner: Partner,
    transfer: Transfer,
    counts: Counts,
    what: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Check and apply VICS Media objects `(index, JSON path, object)` in batches."""
    with_series = partner.sends >= Level.SERIES
    batch: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()

    def flush() -> None:
        ids = apply_batch(
            batch,
            partner=partner,
            transfer=transfer,
            actor=actor,
            counts=counts,
            with_series=with_series,
        )
        audit_received(partner, transfer, ids, actor=actor, what=what)
        batch.clear()
        seen.clear()

    for index, path, raw in entries:
        counts.records_read += 1
        bad = mapping.victim_name_paths(raw, path)
        if bad:
            counts.rejected.append(
                {
                    "index": index,
                    "reason": f"victim-name field ({', '.join(bad[:5])}): Vigil stores no "
                    "victim-identifying information",
                }
            )
            continue
        try:
            rec = mapping.from_vics(raw)
        except mapping.RecordError as exc:
            counts.rejected.append({"index": index, "reason": str(exc)})
            continue
        if rec["md5"] in seen:
            flush()
        seen.add(rec["md5"])
        batch.append((index, rec))
        if len(batch) >= BATCH:
            flush()
        if progress is not None and counts.records_read % 1000 == 0:
            progress(counts.records_read)
    if batch:
        flush()
    if progress is not None:
        progress(counts.records_read)


def import_stream(
    stream: IO[bytes],
    *,
    actor,
    partner: Partner,
    transfer: Transfer,
    counts: Counts,
    what: str,
    progress: Callable[[int], None] | None = None,
) -> vics.Reader:
    """Read a VICS stream and apply it in batches; the caller holds the transaction."""
    reader = vics.Reader(stream)
    take_records(
        reader,
        actor=actor,
        partner=partner,
        transfer=transfer,
        counts=counts,
        what=what,
        progress=progress,
    )
    if reader.case_rejected:
        counts.rejected.append(
            {
                "index": None,
                "reason": f"case: victim-name field ({', '.join(reader.case_rejected[:5])}): "
                "the case fields were not kept",
            }
        )
    return reader


def finish_transfer(transfer: Transfer, counts: Counts, **fields) -> None:
    summary = counts.summary()
    transfer.records = counts.records_read
    transfer.summary = {
        **{k: v for k, v in summary.items() if k != "rejected"},
        "rejected": len(counts.rejected),
        "conflicts": counts.conflicts,
        **({"deleted": counts.deleted} if counts.deleted else {}),
    }
    transfer.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(transfer, key, value)
    transfer.save()


def do_import_vics(
    stream: IO[bytes],
    *,
    actor,
    partner: Partner,
    filename: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Import one VICS file from `partner`, in one transaction: a file that is not
    valid JSON leaves the data as it was; a bad record is rejected and the rest goes on."""
    _require(actor, rules.can_import)
    require_receiving(partner)
    counts = Counts()
    with transaction.atomic():
        transfer = new_transfer(
            partner,
            actor=actor,
            direction="in",
            method=Transfer.Method.VICS,
            filename=filename[:255],
        )
        reader = import_stream(
            stream,
            actor=actor,
            partner=partner,
            transfer=transfer,
            counts=counts,
            what=f"VICS file {filename[:80]}",
            progress=progress,
        )
        finish_transfer(
            transfer,
            counts,
            version=reader.version,
            case={} if reader.case_rejected else reader.case,
        )
        record(
            "exchange.import_vics",
            **_who(actor),
            obj=partner,
            summary=(
                f"{filename[:80]} from {partner.name}: {counts.records_read} read, {counts.created} created, "
                f"{counts.updated} updated, {counts.unchanged} unchanged, {len(counts.rejected)} rejected"
            ),
            changes={
                "transfer": transfer.pk,
                "version": reader.version,
                "conflicts": counts.conflicts,
            },
        )
    return counts.summary()


def do_queue_vics_import(upload: Any, *, actor, partner: Partner) -> Any:
    """Store a web-uploaded VICS file sealed (vigil/lib/crypto.py) and queue its import
    (exchange.tasks.run_vics_import), so a large file does not hold the request."""
    # Deferred: the task module runs these actions (it imports this one); actions enqueue.
    from vigil.exchange import tasks

    _require(actor, rules.can_import)
    require_receiving(partner)
    rel = Path("vics-imports") / f"{uuid.uuid4().hex}.sealed"
    upload.seek(0)
    file_key = crypto.seal_file(upload, Path(settings.UPLOAD_DIR) / rel)
    name = Path(upload.name or "upload.json").name[:255]
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            partner=partner,
            original_name=name,
            file_path=str(rel),
            file_key=file_key,
            progress_total=upload.size or 0,
        )
        record(
            "exchange.import_upload",
            **_who(actor),
            obj=job,
            summary=f"{name[:80]} from {partner.name}",
            changes={"size": upload.size, "partner": partner.name},
        )
        request_id = request_context.current().request_id
        transaction.on_commit(lambda: tasks.run_vics_import.enqueue(job.pk, request_id))
    return job
