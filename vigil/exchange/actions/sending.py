"""Sending records: what may go to a partner, the canonical form, the audit of what was sent;
tombstones of deleted media."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.core.signals import disclosed
from vigil.exchange import mapping, rules, vics
from vigil.exchange.actions.common import (
    DISCLOSE_ENTRIES,
    PURPOSE,
    SEND_BATCH,
    _user,
    _who,
    new_transfer,
)
from vigil.exchange.models import Level, Partner, Tombstone, Transfer
from vigil.victimid.models import Media


def check_partner_receives(partner: Partner) -> None:
    if not partner.is_approved:
        raise ValidationError(
            f"{partner.name} is {partner.get_status_display().lower()}: nothing is sent to it."
        )
    if partner.may_receive < Level.HASHES:
        raise ValidationError(f"{partner.name} may receive nothing.")


def check_may_send(partner: Partner | None, actor) -> None:
    """Nothing leaves for a partner that is not approved; only a "may share" user exports
    (from the command line too: `--user NAME`, so the disclosure names who made it)."""
    if actor is None:
        raise ValidationError(
            "Name the account that sends (--user NAME): only a user holding the Manager's "
            "“may share” grant exports records."
        )
    access.require(rules.can_export(actor))
    if partner is not None:
        check_partner_receives(partner)


def exportable(partner: Partner | None, since: dt.datetime | None):
    """The media that may leave: confirmed media and partners' hash records, never
    match-request submissions; for a partner, nothing that came from that partner."""
    from django.db.models import Q

    qs = Media.objects.filter(Q(series__isnull=False) | Q(exchange_record__isnull=False)).exclude(
        md5=""
    )
    if partner is not None:
        qs = qs.exclude(exchange_record__source=partner)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    return qs


def canonical(media: Media, *, with_series: bool) -> dict[str, Any]:
    rec_obj = getattr(media, "exchange_record", None) if hasattr(media, "exchange_record") else None
    series = media.series if with_series and media.series_id else None
    return mapping.record_of(
        media,
        rec_obj,
        series.name if series else None,
        series.victim_identified if series else None,
    )


_ROW = (
    "pk",
    "updated_at",
    "md5",
    "sha1",
    "sha256",
    "pdq",
    "size",
    "series_id",
    "series__name",
    "series__victim_identified",
    "exchange_record__id",
    *(f"exchange_record__{name}" for name in mapping.RECORD_FIELDS),
)


def canonical_query(qs, *, order: tuple[str, ...] = ("id",), limit: int | None = None):
    """The plain-row query `canonical_rows` reads (tests EXPLAIN it)."""
    rows = qs.order_by(*order).values_list(*_ROW)
    return rows[:limit] if limit is not None else rows


def canonical_rows(
    qs,
    *,
    with_series: bool,
    order: tuple[str, ...] = ("id",),
    limit: int | None = None,
) -> Iterator[tuple[int, dt.datetime, dict[str, Any]]]:
    """`(media id, updated_at, canonical record)` for the media of `qs`, in `order`, streamed
    (a server-side cursor on PostgreSQL, fetchmany on SQLite): plain rows, no model instances,
    so a million records cost seconds of CPU, not minutes, and constant memory."""
    rows = canonical_query(qs, order=order, limit=limit)
    n_fields = len(mapping.RECORD_FIELDS)
    defaults = mapping.DEFAULTS
    for row in rows.iterator(chunk_size=2000):
        pk, updated_at, md5, sha1, sha256, pdq, size, series_id, s_name, s_ident, rec_id = row[:11]
        rec = dict(defaults)
        rec.update(
            md5=md5, sha1=sha1, sha256=sha256, pdq=pdq, size=size, media_id=str(pk), series=""
        )
        if rec_id is not None:
            rec.update(zip(mapping.RECORD_FIELDS, row[11 : 11 + n_fields], strict=True))
        if with_series and series_id is not None:
            rec["series"] = s_name or ""
            rec["victim_identified"] = s_ident
        if not rec["date_updated"]:
            rec["date_updated"] = updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if not with_series:
            rec["series"], rec["victim_identified"] = "", None
        yield pk, updated_at, rec


def iter_canonical(qs, *, with_series: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    for pk, _, rec in canonical_rows(qs, with_series=with_series):
        yield pk, rec


class IdRuns:
    """Ids sent, kept as runs of consecutive ids (the accounting's "first..last"): built as
    they come, in ascending order a million ids are a few runs, not a million entries."""

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self.runs: list[list[int]] = []
        self.count = 0
        for i in sorted(set(ids)):
            self.add(i)

    def add(self, i: int) -> None:
        last = self.runs[-1] if self.runs else None
        if last is not None and last[1] + 1 == i:
            last[1] = i
        else:
            self.runs.append([i, i])
        self.count += 1

    def items(self, kind: str) -> list[tuple]:
        return [(kind, a) if a == b else (kind, a, b) for a, b in self.runs]


def audit_sent(
    partner: Partner | None,
    transfer: Transfer,
    ids: list[int],
    *,
    actor,
    method: str,
) -> None:
    """One audit row for a batch sent (the media ids, partner, direction, method)."""
    who = partner.name if partner else "no partner"
    record(
        "exchange.send",
        **_who(actor),
        obj=partner,
        object_type="" if partner else "exchange.transfer",
        object_id="" if partner else transfer.pk,
        summary=f"{len(ids)} record(s) sent to {who} ({method})",
        changes={
            "direction": "out",
            "partner": who,
            "method": method,
            "transfer": transfer.pk,
            "records": ids,
        },
    )


def disclose_sent(
    partner: Partner | None,
    transfer: Transfer,
    media: IdRuns,
    *,
    actor,
    method: str,
    discloser=None,
    series_ids: Iterable[int] = (),
) -> None:
    """The accounting of disclosures for a whole transfer: one disclosure listing every
    media and series sent by id (runs of consecutive ids), made by `discloser`, else the
    actor — for a sync batch, the Manager who issued the partner's token."""
    items = media.items("media") + IdRuns(series_ids).items("series")
    if not items:
        return
    for start in range(0, len(items), DISCLOSE_ENTRIES):  # one, unless ids are scattered
        disclosed.send(
            sender=Transfer,
            records=items[start : start + DISCLOSE_ENTRIES],
            recipient=partner.organisation if partner else "VICS file (no partner named)",
            purpose=PURPOSE,
            method=method,
            actor=discloser or _user(actor),
            source=transfer,
        )


def send_batch(
    partner: Partner | None,
    transfer: Transfer,
    ids: list[int],
    *,
    actor,
    method: str,
    discloser=None,
    series_ids: Iterable[int] = (),
) -> None:
    """A transfer sent in one batch (a sync or push batch): audited and disclosed."""
    audit_sent(partner, transfer, ids, actor=actor, method=method)
    disclose_sent(
        partner,
        transfer,
        IdRuns(ids),
        actor=actor,
        method=method,
        discloser=discloser,
        series_ids=series_ids,
    )


def do_export_vics(
    out: IO[str],
    *,
    actor,
    partner: Partner | None = None,
    version: str = "2.0",
    since: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write a VICS file of what may leave (for `partner`, within what it may receive)."""
    check_may_send(partner, actor)
    if version not in mapping.CONTEXT:
        raise ValidationError(f"VICS version must be one of {', '.join(mapping.CONTEXT)}.")
    with_series = partner is None or partner.may_receive >= Level.SERIES
    with transaction.atomic():
        transfer = new_transfer(
            partner, actor=actor, direction="out", method=Transfer.Method.VICS, version=version
        )
        pending: list[int] = []
        sent = [0]
        runs = IdRuns()

        def records() -> Iterator[dict[str, Any]]:
            for pk, rec in iter_canonical(exportable(partner, since), with_series=with_series):
                pending.append(pk)
                runs.add(pk)
                if len(pending) >= SEND_BATCH:
                    audit_sent(partner, transfer, pending, actor=actor, method="vics")
                    pending.clear()
                sent[0] += 1
                if progress is not None and sent[0] % 1000 == 0:
                    progress(sent[0])
                yield mapping.to_vics(rec, with_series=with_series)

        n = vics.write(out, records(), version=version)
        if pending:
            audit_sent(partner, transfer, pending, actor=actor, method="vics")
        disclose_sent(partner, transfer, runs, actor=actor, method="vics")
        transfer.records = n
        transfer.finished_at = timezone.now()
        transfer.summary = {"records": n, "since": since.isoformat() if since else None}
        transfer.save()
        record(
            "exchange.export_vics",
            **_who(actor),
            obj=partner,
            object_type="" if partner else "exchange.transfer",
            object_id="" if partner else transfer.pk,
            summary=f"VICS {version}: {n} record(s) for {partner.name if partner else 'no partner'}",
            changes={"transfer": transfer.pk, "since": since.isoformat() if since else None},
        )
    return n


# --------------------------------------------------------------------------- deletions


def note_deleted(media_rows: Iterable[tuple[str, str, str]]) -> None:
    """victimid deleted these media (md5, sha1, series): keep tombstones for partners."""
    Tombstone.objects.bulk_create(
        [Tombstone(md5=m, sha1=s, series=n[:200]) for m, s, n in media_rows if m]
    )
