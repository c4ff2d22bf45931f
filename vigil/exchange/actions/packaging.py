"""The writes of a signed package (vigil/exchange/packages.py builds and reads the format and
calls these): the package's number, the end of an export or an import (transfer, receipt,
audit row), a full media file received into the store."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vigil.audit.log import record
from vigil.exchange.actions.common import _who
from vigil.exchange.actions.importing import finish_transfer
from vigil.exchange.actions.receiving import Counts
from vigil.exchange.actions.sending import IdRuns, disclose_sent
from vigil.exchange.models import PackageReceipt, PackageSequence, Partner, Transfer
from vigil.victimid import storage
from vigil.victimid.models import Media


def do_number_package(partner: Partner) -> int:
    """The next package number for `partner`, under a row lock. Called inside the export's
    transaction: its audit row is do_finish_package_export's (a failed export rolls it back)."""
    seq, _ = PackageSequence.objects.select_for_update().get_or_create(partner=partner)
    seq.last += 1
    seq.save()
    return seq.last


def do_finish_package_export(
    partner: Partner,
    transfer: Transfer,
    *,
    actor,
    counts: dict[str, int],
    package_id: str,
    sequence: int,
    sent: IdRuns,
    series_ids: Iterable[int] = (),
) -> None:
    """The export's transfer closed with its figures, its exchange.export_package row, and
    one disclosure for the package: every media (`sent`) and series (series.json) by id."""
    disclose_sent(partner, transfer, sent, actor=actor, method="package", series_ids=series_ids)
    finish_transfer(transfer, Counts(records_read=counts["records"]), file_sha256="")
    transfer.summary = {**counts, "package_id": package_id, "sequence": sequence}
    transfer.save(update_fields=["summary"])
    record(
        "exchange.export_package",
        **_who(actor),
        obj=partner,
        summary=f"package {sequence} for {partner.name}: {counts['records']} record(s)",
        changes={"transfer": transfer.pk, "package_id": package_id, "counts": counts},
    )


def do_finish_package_import(
    partner: Partner,
    transfer: Transfer,
    *,
    actor,
    package_id: str,
    sequence: int,
    counts: Counts,
    got: dict[str, Any],
) -> None:
    """The package's receipt (a replay or an older package is refused by it), the transfer
    closed, and the exchange.import_package row. Inside the import's transaction."""
    PackageReceipt.objects.create(
        partner=partner, package_id=package_id, sequence=sequence, transfer=transfer
    )
    finish_transfer(transfer, counts)
    record(
        "exchange.import_package",
        **_who(actor),
        obj=partner,
        summary=f"package {sequence} from {partner.name}: {counts.records_read} record(s)",
        changes={"transfer": transfer.pk, "package_id": package_id, "counts": got},
    )


def do_attach_media_file(md5: str, data: bytes, *, partner: Partner, actor) -> None:
    """A full media file received (its MD5 checked by the caller), sealed into the store for
    the hash-only record it belongs to; audited media.attach. Nothing when no received record
    has that MD5 or the record has its file already."""
    media = Media.objects.filter(md5=md5, exchange_record__isnull=False).first()
    if media is None or media.has_file:
        return
    rel, wrapped = storage.seal(data)
    media.stored_path, media.wrapped_key = rel, wrapped
    media.save(update_fields=["stored_path", "wrapped_key", "updated_at"])
    record(
        "media.attach",
        **_who(actor),
        obj=media,
        summary=f"{media.reference}: file received from {partner.name}",
    )
