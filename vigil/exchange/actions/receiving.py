"""Receiving records: one batch of partner records applied to media and series (provenance,
conflicts, tombstones)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from vigil.core import bulk
from vigil.exchange import mapping
from vigil.exchange.models import Conflict, Level, Partner, Provenance, Record, Transfer
from vigil.victimid import actions as victimid_actions
from vigil.victimid.models import Media, Series


@dataclass
class Counts:
    records_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    conflicts: int = 0
    deleted: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "records_read": self.records_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def require_receiving(partner: Partner) -> None:
    if not partner.is_approved:
        raise ValidationError(
            f"{partner.name} is {partner.get_status_display().lower()}: only an approved partner's "
            "records are taken."
        )
    if partner.sends < Level.HASHES:
        raise ValidationError(f"{partner.name} is registered as sending nothing.")


def _open_conflict(
    counts: Counts, *, kind, partner, transfer, media=None, series=None, ours, theirs
) -> None:
    exists = Conflict.objects.open().filter(
        kind=kind, partner=partner, media=media, series=series, theirs=theirs
    )
    if exists.exists():
        return
    Conflict.objects.create(
        kind=kind,
        partner=partner,
        media=media,
        series=series,
        ours=ours,
        theirs=theirs,
        transfer=transfer,
    )
    counts.conflicts += 1


def _series_for(
    names: dict[str, bool | None], *, actor, partner: Partner, created: set[str]
) -> dict[str, Series]:
    """The local series for each name, created (through victimid) when there is none."""
    found = {s.name: s for s in Series.objects.filter(name__in=list(names))}
    for name, identified in names.items():
        if name in found:
            continue
        created.add(name)
        found[name] = victimid_actions.do_create_series(
            actor=actor,
            data={
                "name": name,
                "victim_identified": bool(identified),
                "contact_agency": partner.organisation[:200],
                "notes": f"Created from records received from partner {partner.name}.",
            },
        )
    return found


def _fill_media(media: Media, rec: dict[str, Any]) -> bool:
    changed = False
    for attr, key in (("sha1", "sha1"), ("sha256", "sha256"), ("pdq", "pdq"), ("size", "size")):
        if rec.get(key) not in (None, "") and getattr(media, attr) in (None, ""):
            setattr(media, attr, rec[key])
            changed = True
    return changed


def _record_values(rec: dict[str, Any]) -> dict[str, Any]:
    return {name: rec[name] for name in mapping.RECORD_FIELDS}


def apply_batch(
    items: list[tuple[int, dict[str, Any]]],
    *,
    partner: Partner,
    transfer: Transfer,
    actor,
    counts: Counts,
    with_series: bool,
) -> list[int]:
    """Apply canonical records from `partner`; caller holds the transaction. Returns media ids.

    Idempotent: a record whose digest equals what this partner sent last time
    changes nothing. Local values are never overwritten by another source: a
    disagreement on the series or on whether the victim is identified becomes a
    Conflict for a Manager.

    Set-based: three queries sort the batch into records this partner sent
    unchanged (nothing to do), records new here (inserted by `_insert_new`, a
    few multi-row INSERTs) and the rest (records or media we hold already,
    merged object by object by `_merge`, where conflicts arise).
    """
    if not items:
        return []
    now = timezone.now()
    md5s = [rec["md5"] for _, rec in items]
    known = dict(Record.objects.filter(md5__in=md5s).values_list("md5", "media_id"))
    digests = dict(
        Provenance.objects.filter(partner=partner, media_id__in=list(known.values())).values_list(
            "media_id", "digest"
        )
    )
    missing = [m for m in md5s if m not in known]
    loose = (
        set(
            Media.objects.filter(md5__in=missing, series__isnull=False).values_list(
                "md5", flat=True
            )
        )
        if missing
        else set()
    )
    ids: list[int] = []
    fresh: list[tuple[dict[str, Any], str]] = []
    rest: list[tuple[int, dict[str, Any]]] = []
    for index, rec in items:
        media_id = known.get(rec["md5"])
        if media_id is not None:
            if digests.get(media_id) == mapping.digest(rec):
                counts.unchanged += 1
                ids.append(media_id)
            else:
                rest.append((index, rec))
        elif rec["md5"] in loose:
            rest.append((index, rec))
        else:
            fresh.append((rec, mapping.digest(rec)))
    series_names: dict[str, bool | None] = {}
    if with_series:
        for rec in [r for r, _ in fresh] + [r for _, r in rest]:
            if rec["series"]:
                prev = series_names.get(rec["series"])
                series_names[rec["series"]] = bool(prev) or bool(rec["victim_identified"])
    created_series: set[str] = set()
    series = (
        _series_for(series_names, actor=actor, partner=partner, created=created_series)
        if series_names
        else {}
    )
    if fresh:
        ids += _insert_new(
            fresh,
            series=series,
            created_series=created_series,
            partner=partner,
            transfer=transfer,
            counts=counts,
            with_series=with_series,
            now=now,
        )
    if rest:
        ids += _merge(
            rest,
            series=series,
            partner=partner,
            transfer=transfer,
            counts=counts,
            with_series=with_series,
            now=now,
        )
    return ids


def _opinion(rec: dict[str, Any], with_series: bool) -> dict[str, Any]:
    return rec if with_series else {**rec, "series": "", "victim_identified": None}


_MEDIA_COLUMNS = (
    "series",
    "kind",
    "origin",
    "md5",
    "sha1",
    "sha256",
    "pdq",
    "size",
    "stored_path",
    "original_filename",
    "created_at",
    "updated_at",
)
_RECORD_COLUMNS = ("media", "md5", "source", *mapping.RECORD_FIELDS)
_PROVENANCE_COLUMNS = (
    "partner",
    "media",
    "transfer",
    "partner_media_id",
    "partner_series",
    "digest",
    "opinion",
    "first_received_at",
    "last_received_at",
)


def _insert_new(
    fresh: list[tuple[dict[str, Any], str]],
    *,
    series: dict[str, Series],
    created_series: set[str],
    partner: Partner,
    transfer: Transfer,
    counts: Counts,
    with_series: bool,
    now,
) -> list[int]:
    """Records no media here has yet: media, record and provenance rows in multi-row INSERTs
    (core/bulk.py insert_rows). A series that exists here and disagrees on whether its victim is
    identified becomes a Conflict, as in `_merge`."""
    origin = f"partner {partner.name}"[:200]
    flagged: set[int] = set()
    rows = []
    for rec, _ in fresh:
        their = series.get(rec["series"]) if with_series and rec["series"] else None
        if (
            their is not None
            and their.name not in created_series
            and rec["victim_identified"] is not None
            and their.victim_identified != rec["victim_identified"]
            and their.pk not in flagged
        ):
            flagged.add(their.pk)
            _identified_conflict(counts, their, rec["victim_identified"], partner, transfer)
        rows.append(
            (
                their.pk if their is not None else None,
                Media.Kind.UNKNOWN.value,
                origin,
                rec["md5"],
                rec["sha1"],
                rec["sha256"],
                rec["pdq"],
                rec["size"],
                "",
                "",
                now,
                now,
            )
        )
    media_of = {
        md5: pk
        for pk, md5 in bulk.insert_rows(Media, _MEDIA_COLUMNS, rows, returning=("id", "md5"))
    }
    bulk.insert_rows(
        Record,
        _RECORD_COLUMNS,
        [
            (media_of[rec["md5"]], rec["md5"], partner.pk, *(rec[k] for k in mapping.RECORD_FIELDS))
            for rec, _ in fresh
        ],
    )
    bulk.insert_rows(
        Provenance,
        _PROVENANCE_COLUMNS,
        [
            (
                partner.pk,
                media_of[rec["md5"]],
                transfer.pk,
                rec["media_id"][:40],
                rec["series"][:200],
                d,
                _opinion(rec, with_series),
                now,
                now,
            )
            for rec, d in fresh
        ],
    )
    counts.created += len(fresh)
    return [media_of[rec["md5"]] for rec, _ in fresh]


def _merge(
    items: list[tuple[int, dict[str, Any]]],
    *,
    series: dict[str, Series],
    partner: Partner,
    transfer: Transfer,
    counts: Counts,
    with_series: bool,
    now,
) -> list[int]:
    """Records of media held here already: fill blanks, update this partner's own values,
    link to a series or open a Conflict."""
    md5s = [rec["md5"] for _, rec in items]
    by_record = {
        r.md5: r
        for r in Record.objects.filter(md5__in=md5s).select_related("media", "media__series")
    }
    loose: dict[str, Media] = {}
    missing = [m for m in md5s if m not in by_record]
    if missing:
        for media in (
            Media.objects.filter(md5__in=missing, series__isnull=False)
            .select_related("series")
            .order_by("id")
        ):
            loose.setdefault(media.md5, media)
    media_ids = [r.media_id for r in by_record.values()] + [m.pk for m in loose.values()]
    provs = {
        p.media_id: p for p in Provenance.objects.filter(partner=partner, media_id__in=media_ids)
    }

    touched_media: list[Media] = []
    new_records: list[Record] = []
    touched_records: list[Record] = []
    new_provs: list[Provenance] = []
    touched_provs: list[Provenance] = []
    ids: list[int] = []
    flagged_series: set[int] = set()

    for _, rec in items:
        d = mapping.digest(rec)
        their_series = series.get(rec["series"]) if with_series and rec["series"] else None
        existing = by_record.get(rec["md5"])
        media = existing.media if existing is not None else loose[rec["md5"]]
        opinion = _opinion(rec, with_series)
        ids.append(media.pk)
        prov = provs.get(media.pk)
        if prov is not None and prov.digest == d:
            counts.unchanged += 1
            continue
        changed = _fill_media(media, rec)
        if existing is None:
            new_records.append(
                Record(media=media, md5=rec["md5"], source=partner, **_record_values(rec))
            )
            changed = True
        else:
            values = _record_values(rec)
            if existing.source_id == partner.pk:
                if any(getattr(existing, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(existing, k, v)
                    changed = True
            else:
                for k, v in values.items():
                    if getattr(existing, k) in (None, "", []) and v not in (None, "", []):
                        setattr(existing, k, v)
                        changed = True
            if changed:
                touched_records.append(existing)
        if their_series is not None:
            if media.series_id is None:
                media.series = their_series
                changed = True
            elif media.series_id != their_series.pk:
                _open_conflict(
                    counts,
                    kind=Conflict.Kind.MEDIA_SERIES,
                    partner=partner,
                    transfer=transfer,
                    media=media,
                    ours={
                        "md5": media.md5,
                        "series": media.series.name,
                        "series_id": media.series_id,
                    },
                    theirs={
                        "md5": media.md5,
                        "series": their_series.name,
                        "series_id": their_series.pk,
                    },
                )
            elif (
                rec["victim_identified"] is not None
                and media.series.victim_identified != rec["victim_identified"]
                and media.series_id not in flagged_series
            ):
                flagged_series.add(media.series_id)
                _identified_conflict(
                    counts, media.series, rec["victim_identified"], partner, transfer
                )
        if changed:
            media.updated_at = now
            touched_media.append(media)
            counts.updated += 1
        else:
            counts.unchanged += 1
        if prov is None:
            new_provs.append(_provenance(partner, media, transfer, rec, d, opinion, now))
        else:
            prov.digest, prov.opinion, prov.transfer = d, opinion, transfer
            prov.partner_media_id, prov.partner_series = rec["media_id"][:40], rec["series"][:200]
            prov.last_received_at = now
            touched_provs.append(prov)

    if touched_media:
        Media.objects.bulk_update(
            touched_media, ["series", "sha1", "sha256", "pdq", "size", "updated_at"], batch_size=500
        )
    if new_records:
        Record.objects.bulk_create(new_records, batch_size=500)
    if touched_records:
        Record.objects.bulk_update(touched_records, list(mapping.RECORD_FIELDS), batch_size=500)
    if new_provs:
        Provenance.objects.bulk_create(new_provs, batch_size=500)
    if touched_provs:
        Provenance.objects.bulk_update(
            touched_provs,
            [
                "digest",
                "opinion",
                "transfer",
                "partner_media_id",
                "partner_series",
                "last_received_at",
            ],
            batch_size=500,
        )
    return ids


def _identified_conflict(counts, series: Series, theirs: bool, partner, transfer) -> None:
    _open_conflict(
        counts,
        kind=Conflict.Kind.IDENTIFIED,
        partner=partner,
        transfer=transfer,
        series=series,
        ours={"name": series.name, "victim_identified": series.victim_identified},
        theirs={"name": series.name, "victim_identified": theirs},
    )


def _provenance(partner, media, transfer, rec, d, opinion, now) -> Provenance:
    return Provenance(
        partner=partner,
        media=media,
        transfer=transfer,
        partner_media_id=rec["media_id"][:40],
        partner_series=rec["series"][:200],
        digest=d,
        opinion=opinion,
        first_received_at=now,
        last_received_at=now,
    )


def apply_series(
    entries: Iterable[Any], *, partner: Partner, transfer: Transfer, actor, counts: Counts
) -> None:
    """A partner's series metadata (sync and packages). New series are created;
    a disagreement on an existing one (identified or not, age range) becomes a Conflict."""
    for i, raw in enumerate(entries):
        try:
            data = mapping.series_in(raw)
        except mapping.RecordError as exc:
            counts.rejected.append({"index": i, "reason": f"series: {exc}"})
            continue
        local = Series.objects.filter(name=data["name"]).first()
        if local is None:
            warnings: list[dict[str, str]] = []
            victimid_actions.do_create_series(
                actor=actor,
                data={**data, "notes": f"Created from partner {partner.name}'s series metadata."},
                warnings=warnings,
            )
            continue
        if local.victim_identified != data["victim_identified"]:
            _identified_conflict(counts, local, data["victim_identified"], partner, transfer)
        unknown = mapping.age_range_unknown()
        theirs_age = mapping.age_range_in(data["victim_age_range"])
        data["victim_age_range"] = theirs_age
        if (
            theirs_age != unknown
            and local.victim_age_range != unknown
            and theirs_age != local.victim_age_range
        ):
            _open_conflict(
                counts,
                kind=Conflict.Kind.AGE_RANGE,
                partner=partner,
                transfer=transfer,
                series=local,
                ours={"name": local.name, "victim_age_range": local.victim_age_range},
                theirs={"name": local.name, "victim_age_range": data["victim_age_range"]},
            )
        elif local.victim_age_range == unknown and data["victim_age_range"] != unknown:
            victimid_actions.do_update_series(
                local, actor=actor, data={"victim_age_range": theirs_age}, warnings=[]
            )


def apply_tombstones(entries: Iterable[Any], *, partner: Partner, counts: Counts) -> list[int]:
    """A partner deleted these: drop its provenance; delete a hash-only record only it vouched for."""
    ids: list[int] = []
    for raw in entries:
        md5 = str((raw or {}).get("md5") or "").lower() if isinstance(raw, dict) else ""
        if not md5:
            continue
        rec = Record.objects.filter(md5=md5).select_related("media").first()
        if rec is None:
            continue
        Provenance.objects.filter(partner=partner, media=rec.media).delete()
        ids.append(rec.media_id)
        if (
            rec.source_id == partner.pk
            and not rec.media.has_file
            and not Provenance.objects.filter(media=rec.media).exists()
        ):
            Conflict.objects.filter(media=rec.media).delete()
            rec.media.delete()
            counts.deleted += 1
    return ids
