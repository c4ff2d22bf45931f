"""Every change the exchange app makes: permission check, change, audit row, follow-ups.

Records received from a partner are applied in batches (`apply_batch`), each
batch audited with the partner, the records and the direction; what is sent
is audited the same way and announced through `vigil.core.signals.disclosed`.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.core.signals import disclosed
from vigil.exchange import keys, mapping, rules, vics
from vigil.exchange.models import (
    Conflict,
    Level,
    Partner,
    PartnerToken,
    Provenance,
    Record,
    Tombstone,
    Transfer,
    hash_token,
)
from vigil.lib import crypto
from vigil.victimid import actions as victimid_actions
from vigil.victimid.models import Media, Series

BATCH = 1000
SEND_BATCH = 5000
PURPOSE = "victim identification: exchange with an authorised partner"


def _who(actor) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_username": f"cli:{getpass.getuser()}"}
    return {"actor": actor}


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _require(actor, rule: Callable[[Any], bool]) -> None:
    """`actor` None is the operator at the server's shell (commands and tasks only)."""
    if actor is not None and not rule(actor):
        raise PermissionDenied


# --------------------------------------------------------------------------- partners


def _clean_partner(partner: Partner) -> None:
    partner.name = (partner.name or "").strip()
    partner.country = (partner.country or "").strip().upper()
    partner.signing_key = keys.normalise_signing_key(partner.signing_key)
    partner.age_recipient = keys.normalise_age_recipient(partner.age_recipient)
    partner.full_clean()


def do_create_partner(*, actor, data: dict[str, Any]) -> Partner:
    _require(actor, rules.can_manage_partners)
    unknown = set(data) - set(Partner.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown partner field(s): {', '.join(sorted(unknown))}.")
    partner = Partner(created_by=_user(actor), **data)
    _clean_partner(partner)
    with transaction.atomic():
        partner.save()
        record(
            "partner.create",
            **_who(actor),
            obj=partner,
            changes=diff({}, snapshot(partner, Partner.EDITABLE_FIELDS)),
            summary=f"{partner.name} ({partner.organisation}), proposed",
        )
    return partner


def do_update_partner(partner: Partner, *, actor, data: dict[str, Any]) -> Partner:
    _require(actor, rules.can_manage_partners)
    unknown = set(data) - set(Partner.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown partner field(s): {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        before = snapshot(partner, Partner.EDITABLE_FIELDS)
        for key, value in data.items():
            setattr(partner, key, value)
        _clean_partner(partner)
        changes = diff(before, snapshot(partner, Partner.EDITABLE_FIELDS))
        if changes:
            partner.save()
            record(
                "partner.update", **_who(actor), obj=partner, changes=changes, summary=partner.name
            )
    return partner


_TRANSITIONS = {
    "approve": ({Partner.Status.PROPOSED, Partner.Status.SUSPENDED}, Partner.Status.APPROVED),
    "suspend": ({Partner.Status.APPROVED, Partner.Status.PROPOSED}, Partner.Status.SUSPENDED),
}


def do_set_partner_status(partner: Partner, *, actor, verb: str, reason: str = "") -> Partner:
    """Approve (a Manager validated the partner) or suspend (nothing leaves for it)."""
    _require(actor, rules.can_manage_partners)
    if verb not in _TRANSITIONS:
        raise ValidationError(f"Unknown partner action {verb!r}.")
    allowed, target = _TRANSITIONS[verb]
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if partner.status not in allowed:
            raise ValidationError(
                f"A partner that is {partner.get_status_display().lower()} cannot be {verb}d."
            )
        if target == Partner.Status.APPROVED and not (
            partner.signing_key and partner.age_recipient
        ):
            raise ValidationError(
                "Register the partner's signing key and encryption key before approving it."
            )
        before = partner.status
        partner.status = target
        if target == Partner.Status.APPROVED:
            partner.approved_by, partner.approved_at = _user(actor), timezone.now()
        partner.save()
        record(
            f"partner.{verb}",
            **_who(actor),
            obj=partner,
            changes={"status": {"before": before, "after": target}},
            summary=f"{partner.name}: {reason}"[:300] if reason else partner.name,
        )
    return partner


def do_issue_token(
    partner: Partner, *, actor, label: str = "", days: int = 90
) -> tuple[PartnerToken, str]:
    """A new API token for `partner`'s instance. The secret is returned once, never stored.

    Issued by a Manager's account: what the partner pulls with it is disclosed in that name."""
    if _user(actor) is None:
        raise ValidationError("A token is issued by a Manager's account.")
    _require(actor, rules.can_manage_partners)
    if not 1 <= int(days) <= 366:
        raise ValidationError("A token lasts between 1 and 366 days.")
    key_id, secret = PartnerToken.new_secret()
    with transaction.atomic():
        token = PartnerToken.objects.create(
            partner=partner,
            label=label.strip()[:100],
            key_id=key_id,
            token_hash=hash_token(secret),
            expires_at=timezone.now() + dt.timedelta(days=int(days)),
            created_by=_user(actor),
        )
        record(
            "partner.token_issue",
            **_who(actor),
            obj=partner,
            summary=f"token {key_id} for {partner.name}, {days} days",
            changes={"token": {"before": None, "after": key_id}},
        )
    return token, secret


def do_revoke_token(token: PartnerToken, *, actor) -> PartnerToken:
    _require(actor, rules.can_manage_partners)
    with transaction.atomic():
        token = PartnerToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(
                "partner.token_revoke",
                **_who(actor),
                obj=token.partner,
                summary=f"token {token.key_id} of {token.partner.name} revoked",
            )
    return token


def do_set_sync_credentials(partner: Partner, *, actor, url: str, token: str) -> Partner:
    """Where the partner's instance answers and the token it issued us (kept encrypted)."""
    _require(actor, rules.can_manage_partners)
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        before = partner.sync_url
        partner.sync_url = url.strip()
        partner.full_clean()
        partner.sync_token_encrypted = (
            crypto.encrypt_field(token.strip()) if token.strip() else None
        )
        partner.save()
        record(
            "partner.sync_credentials",
            **_who(actor),
            obj=partner,
            changes={
                "sync_url": {"before": before, "after": partner.sync_url},
                "token": {"before": "", "after": "x"},
            },
            summary=partner.name,
        )
    return partner


def authenticate_token(raw: str) -> PartnerToken | None:
    """The usable token a request presents, or None. Constant-time on the secret."""
    import hmac

    parts = (raw or "").split("_")
    if len(parts) < 3 or parts[0] != "vgx":
        return None
    token = PartnerToken.objects.usable().select_related("partner").filter(key_id=parts[1]).first()
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(raw)):
        return None
    PartnerToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


# --------------------------------------------------------------------------- receiving records


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


def new_transfer(
    partner: Partner | None, *, actor, direction: str, method: str, **extra
) -> Transfer:
    return Transfer.objects.create(
        partner=partner,
        direction=direction,
        method=method,
        actor=_user(actor),
        actor_username="" if _user(actor) else _who(actor).get("actor_username", ""),
        **extra,
    )


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
    """
    if not items:
        return []
    now = timezone.now()
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
    series_names: dict[str, bool | None] = {}
    if with_series:
        for _, rec in items:
            if rec["series"]:
                prev = series_names.get(rec["series"])
                series_names[rec["series"]] = bool(prev) or bool(rec["victim_identified"])
    created_series: set[str] = set()
    series = (
        _series_for(series_names, actor=actor, partner=partner, created=created_series)
        if series_names
        else {}
    )

    new_media: list[tuple[Media, dict[str, Any]]] = []
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
        media = existing.media if existing is not None else loose.get(rec["md5"])
        opinion = rec if with_series else {**rec, "series": "", "victim_identified": None}
        if media is None:
            media = Media(
                series=their_series,
                kind=Media.Kind.UNKNOWN,
                origin=f"partner {partner.name}"[:200],
                md5=rec["md5"],
                sha1=rec["sha1"],
                sha256=rec["sha256"],
                pdq=rec["pdq"],
                size=rec["size"],
            )
            new_media.append((media, rec))
            counts.created += 1
            if (
                their_series is not None
                and their_series.name not in created_series
                and rec["victim_identified"] is not None
                and their_series.victim_identified != rec["victim_identified"]
                and their_series.pk not in flagged_series
            ):
                flagged_series.add(their_series.pk)
                _identified_conflict(
                    counts, their_series, rec["victim_identified"], partner, transfer
                )
            continue
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

    if new_media:
        Media.objects.bulk_create([m for m, _ in new_media], batch_size=500)
        for media, rec in new_media:
            ids.append(media.pk)
            new_records.append(
                Record(media=media, md5=rec["md5"], source=partner, **_record_values(rec))
            )
            opinion = rec if with_series else {**rec, "series": "", "victim_identified": None}
            new_provs.append(
                _provenance(partner, media, transfer, rec, mapping.digest(rec), opinion, now)
            )
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


# --------------------------------------------------------------------------- sending records


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


def iter_canonical(qs, *, with_series: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    qs = qs.select_related("series", "exchange_record").order_by("id")
    for media in qs.iterator(chunk_size=2000):
        try:
            rec_obj = media.exchange_record
        except Record.DoesNotExist:
            rec_obj = None
        series = media.series if with_series and media.series_id else None
        rec = mapping.record_of(
            media,
            rec_obj,
            series.name if series else None,
            series.victim_identified if series else None,
        )
        if not with_series:
            rec["series"], rec["victim_identified"] = "", None
        yield media.pk, rec


def audit_sent(
    partner: Partner | None,
    transfer: Transfer,
    ids: list[int],
    *,
    actor,
    method: str,
    discloser=None,
    series_ids: list[int] | None = None,
) -> None:
    """One audit row for a batch sent, and the disclosure (who made it: `discloser`,
    else the actor — for a sync batch, the Manager who issued the partner's token)."""
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
    items = [("media", i) for i in ids] + [("series", i) for i in series_ids or []]
    if not items:
        return
    disclosed.send(
        sender=Transfer,
        records=items,
        recipient=partner.organisation if partner else "VICS file (no partner named)",
        purpose=PURPOSE,
        method=method,
        actor=discloser or _user(actor),
        source=transfer,
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

        def records() -> Iterator[dict[str, Any]]:
            for pk, rec in iter_canonical(exportable(partner, since), with_series=with_series):
                pending.append(pk)
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


# --------------------------------------------------------------------------- conflicts


def do_decide_conflict(conflict: Conflict, *, actor, decision: str, reason: str = "") -> Conflict:
    """A Manager keeps ours or takes the partner's opinion; both stay on record."""
    _require(actor, rules.can_decide_conflicts)
    if decision not in Conflict.Decision.values:
        raise ValidationError("Decide “ours” or “theirs”.")
    with transaction.atomic():
        conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.decided_at is not None:
            raise ValidationError("This conflict was decided already.")
        if decision == Conflict.Decision.THEIRS:
            _take_theirs(conflict, actor=actor)
        conflict.decision = decision
        conflict.reason = reason.strip()[:300]
        conflict.decided_by = _user(actor)
        conflict.decided_at = timezone.now()
        conflict.save()
        record(
            "exchange.conflict_decide",
            **_who(actor),
            obj=conflict,
            summary=f"{conflict.get_kind_display()} with {conflict.partner.name}: {conflict.get_decision_display()}",
            changes={"ours": conflict.ours, "theirs": conflict.theirs, "decision": decision},
        )
    return conflict


def _take_theirs(conflict: Conflict, *, actor) -> None:
    if conflict.kind == Conflict.Kind.MEDIA_SERIES and conflict.media_id:
        target = Series.objects.filter(pk=conflict.theirs.get("series_id")).first()
        if target is None:
            raise ValidationError("The partner's series no longer exists here.")
        media = Media.objects.select_for_update().get(pk=conflict.media_id)
        before = media.series_id
        media.series = target
        media.save(update_fields=["series", "updated_at"])
        record(
            "media.move",
            **_who(actor),
            obj=media,
            changes={"series": {"before": before, "after": target.pk}},
            summary=f"{media.reference} to series {target.name[:100]} (partner {conflict.partner.name})",
        )
    elif conflict.series_id and conflict.kind == Conflict.Kind.IDENTIFIED:
        victimid_actions.do_update_series(
            conflict.series,
            actor=actor,
            data={"victim_identified": bool(conflict.theirs["victim_identified"])},
        )
    elif conflict.series_id and conflict.kind == Conflict.Kind.AGE_RANGE:
        victimid_actions.do_update_series(
            conflict.series,
            actor=actor,
            data={"victim_age_range": mapping.age_range_in(conflict.theirs["victim_age_range"])},
        )


# --------------------------------------------------------------------------- deletions


def note_deleted(media_rows: Iterable[tuple[str, str, str]]) -> None:
    """victimid deleted these media (md5, sha1, series): keep tombstones for partners."""
    Tombstone.objects.bulk_create(
        [Tombstone(md5=m, sha1=s, series=n[:200]) for m, s, n in media_rows if m]
    )


def token_for_view(partner: Partner, pk: Any) -> PartnerToken:
    try:
        return partner.tokens.get(pk=int(pk))
    except (ValueError, TypeError, PartnerToken.DoesNotExist):
        from django.http import Http404

        raise Http404 from None


def partner_by_name(name: str) -> Partner:
    try:
        return Partner.objects.get(name=name)
    except Partner.DoesNotExist:
        known = ", ".join(Partner.objects.values_list("name", flat=True)[:20]) or "none yet"
        raise ValidationError(f"No partner named {name!r} (known: {known}).") from None


def may_read(user) -> None:
    access.require(rules.can_read(user))
