"""Every change to victim-identification data: permission check, change, audit row."""

from __future__ import annotations

import getpass
import io
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.audit.log import diff, record, snapshot
from vigil.audit.models import Outcome
from vigil.core import holds, request_context
from vigil.lib import pdq as pdqlib
from vigil.lib import pdq_variants
from vigil.victimid import matching, report, signals, storage, vocabulary
from vigil.victimid.hashing import Hashed, MediaError, hash_bytes_media
from vigil.victimid.models import (
    MatchItem,
    MatchRequest,
    Media,
    MediaFrame,
    MediaVariant,
    Series,
)
from vigil.victimid.privacy import reject_victim_names

SERIES_FIELDS = Series.EDITABLE_FIELDS


def _may(actor, allowed) -> bool:
    """`actor` None is the operator at the server's shell (management commands only)."""
    return actor is None or allowed(actor)


def _who(actor) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_username": f"cli:{getpass.getuser()}"}
    return {"actor": actor}


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _clean_series(series: Series) -> None:
    series.name = (series.name or "").strip()
    series.full_clean()


def _vocabulary(data: dict[str, Any], warnings: list | None) -> dict[str, Any]:
    """Partners' terms → Vigil's; a problem is a warning on that field when the
    caller collects warnings (imports, API), a ValidationError otherwise."""
    result = vocabulary.normalise(data, strict=warnings is None)
    if warnings is not None:
        warnings.extend(result.warnings)
    return result.data


def do_create_series(
    *, actor, data: dict[str, Any], warnings: list[dict[str, str]] | None = None
) -> Series:
    """Create a series from validated-or-not `data` (keys in SERIES_FIELDS).

    Pass a list as `warnings` to have vocabulary problems (an unreadable age
    range, say) reported there instead of refusing the series."""
    access.require(_may(actor, access.can_create))
    reject_victim_names(data)
    unknown = set(data) - set(SERIES_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown series field(s): {', '.join(sorted(unknown))}.")
    data = _vocabulary(data, warnings)
    series = Series(created_by=_user(actor), **data)
    _clean_series(series)
    with transaction.atomic():
        series.save()
        record(
            "series.create",
            **_who(actor),
            obj=series,
            changes=diff({}, snapshot(series, SERIES_FIELDS)),
            summary=series.name,
        )
    return series


def do_update_series(
    series: Series, *, actor, data: dict[str, Any], warnings: list[dict[str, str]] | None = None
) -> Series:
    reject_victim_names(data)
    unknown = set(data) - set(SERIES_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown series field(s): {', '.join(sorted(unknown))}.")
    data = _vocabulary(data, warnings)
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        if actor is not None:
            access.ensure(actor, access.WRITE, series)
        before = snapshot(series, SERIES_FIELDS)
        for key, value in data.items():
            setattr(series, key, value)
        _clean_series(series)
        changes = diff(before, snapshot(series, SERIES_FIELDS))
        if changes:
            series.save()
            record("series.update", **_who(actor), obj=series, changes=changes, summary=series.name)
    return series


def do_delete_series(series: Series, *, actor) -> None:
    """Managers only: the series, its media rows and their encrypted files.

    Match reports that named the series keep their hashes; the match lines
    pointing at it are no longer shown.
    """
    with transaction.atomic():
        access.ensure(actor, access.DELETE, series)
        # A series (or one of its media) under legal hold is never deleted.
        holds.ensure_not_held("series", series.pk)
        media = list(Media.objects.filter(series=series).values_list("stored_path", flat=True))
        before = snapshot(series, SERIES_FIELDS)
        signals.media_deleted.send(
            sender=Media,
            rows=[
                (md5, sha1, series.name)
                for md5, sha1 in Media.objects.filter(series=series).values_list("md5", "sha1")
            ],
            actor=actor,
        )
        Media.objects.filter(series=series).delete()
        record(
            "series.delete",
            **_who(actor),
            obj=series,
            changes=diff(before, {}),
            summary=f"{series.name} with {len(media)} media",
        )
        series.delete()
        transaction.on_commit(lambda: [storage.delete(rel) for rel in media if rel])


@dataclass
class AddedMedia:
    media: Media
    created: bool


def _frames(media: Media, hashed: Hashed) -> None:
    MediaFrame.objects.bulk_create(
        [
            MediaFrame(media=media, second=f.second, pdq=f.hash_hex, quality=f.quality)
            for f in hashed.frames
        ]
    )
    if hashed.variants and media.series_id is not None:
        MediaVariant.objects.bulk_create(
            [
                MediaVariant(media=media, name=v.name, pdq=v.hash_hex, quality=v.quality)
                for v in hashed.variants
            ]
        )


def _store_media(
    hashed: Hashed,
    *,
    series: Series | None,
    origin: str,
    sealed: tuple[str, Any],
    filename: str,
    actor,
    created_by,
    summary: str,
    changes: dict[str, Any] | None = None,
) -> Media:
    """The one way a medium is stored (a file already sealed): the row, its frames and its
    media.add audit row, in one transaction. Callers check access and remove the sealed file
    when this raises."""
    with transaction.atomic():
        media = Media.objects.create(
            series=series,
            kind=hashed.kind,
            origin=origin[:200],
            stored_path=sealed[0],
            wrapped_key=sealed[1],
            original_filename=filename[:255],
            size=hashed.size,
            md5=hashed.md5,
            sha1=hashed.sha1,
            sha256=hashed.sha256,
            pdq=hashed.pdq,
            pdq_quality=hashed.quality,
            created_by=created_by,
        )
        _frames(media, hashed)
        record(
            "media.add",
            **_who(actor),
            obj=media,
            summary=summary,
            changes={
                "series": {"before": None, "after": series.pk if series else None},
                **(changes or {}),
            },
        )
    return media


def do_add_media(
    series: Series, *, actor, data: bytes, filename: str, origin: str = "upload"
) -> AddedMedia:
    """Hash, encrypt and add one file to a series. A file already in the series
    (same SHA-256) is not added twice. Raises MediaError for files that cannot be hashed."""
    if actor is not None:
        access.ensure(actor, access.WRITE, series)
    hashed = hash_bytes_media(data, filename, variants="reference")
    existing = Media.objects.filter(series=series, sha256=hashed.sha256).first()
    if existing is not None:
        return AddedMedia(existing, False)
    rel, wrapped = storage.seal(data)
    try:
        media = _store_media(
            hashed,
            series=series,
            origin=origin,
            sealed=(rel, wrapped),
            filename=filename,
            actor=actor,
            created_by=_user(actor),
            summary=f"{filename[:120]} to series {series.name[:100]}",
        )
    except Exception:
        storage.delete(rel)
        raise
    return AddedMedia(media, True)


def store_variants(media: Media) -> int:
    """Compute and store the extra hashes (trimmed, sub-windows) of a confirmed image
    from its stored file: media moved into a series, media stored before them.
    Returns how many were stored; 0 for hash-only records, videos, unreadable files."""
    if media.kind != Media.Kind.IMAGE or not media.has_file or media.series_id is None:
        return 0
    try:
        pixels = pdqlib.decode_rgb(io.BytesIO(storage.read(media.stored_path, media.wrapped_key)))
    except (MediaError, OSError, ValueError):
        return 0
    rows = [
        MediaVariant(media=media, name=v.name, pdq=v.hash_hex, quality=v.quality)
        for v in pdq_variants.reference_variants(pixels, media.pdq)
    ]
    MediaVariant.objects.filter(media=media).delete()
    MediaVariant.objects.bulk_create(rows)
    return len(rows)


# --------------------------------------------------------------------------- match requests


@dataclass
class ItemSpec:
    """One submitted item: a file's bytes, a file already sealed into the store
    (`staged` = (path, wrapped key), see `stage`), or hashes from a list."""

    name: str
    data: bytes | None = None
    staged: tuple[str, bytes] | None = None
    md5: str = ""
    sha1: str = ""
    sha256: str = ""
    pdq: str = ""


def stage(name: str, data: bytes) -> ItemSpec:
    """Seal a submitted file into the store now, so a big upload is never all in memory.

    The caller must `unstage` what it staged if it does not go on to create the request.
    """
    return ItemSpec(name=name, staged=storage.seal(data))


def unstage(items: list[ItemSpec]) -> None:
    for spec in items:
        if spec.staged:
            storage.delete(spec.staged[0])


def do_create_match_request(
    *,
    actor,
    requesting_agency: str,
    case_number: str,
    source: str,
    items: list[ItemSpec],
    threshold: int | None = None,
    dihedral: bool = False,
) -> MatchRequest:
    """Record the request and its items (files sealed into the store), then queue the task."""
    # Deferred: the task module runs these actions (it imports this one); actions enqueue.
    from vigil.victimid import tasks

    access.require(access.can_create(actor))
    if not requesting_agency.strip() or not case_number.strip():
        raise ValidationError("A match request needs the requesting agency and a case number.")
    if not items:
        raise ValidationError("The request holds no file and no hash.")
    threshold = matching.default_threshold() if threshold is None else int(threshold)
    if not 0 <= threshold <= matching.MAX_THRESHOLD:
        raise ValidationError(f"The threshold must be between 0 and {matching.MAX_THRESHOLD}.")
    sealed: list[str] = []
    try:
        with transaction.atomic():
            mr = MatchRequest.objects.create(
                requesting_agency=requesting_agency.strip()[:200],
                case_number=case_number.strip()[:100],
                source=source,
                threshold=threshold,
                dihedral=dihedral,
                total=len(items),
                submitted_by=actor,
                request_id=request_context.current().request_id,
            )
            rows = []
            for pos, spec in enumerate(items):
                row = MatchItem(
                    request=mr,
                    position=pos,
                    name=spec.name[:500],
                    md5=spec.md5,
                    sha1=spec.sha1,
                    sha256=spec.sha256,
                    pdq=spec.pdq,
                )
                if spec.staged is not None:
                    row.staged_path, row.staged_key = spec.staged
                    sealed.append(row.staged_path)
                elif spec.data is not None:
                    row.staged_path, row.staged_key = storage.seal(spec.data)
                    sealed.append(row.staged_path)
                rows.append(row)
            MatchItem.objects.bulk_create(rows)
            record(
                "matchrequest.create",
                actor=actor,
                obj=mr,
                summary=f"{mr.requesting_agency} case {mr.case_number}: {len(items)} item(s) ({source})",
                changes={"threshold": {"before": None, "after": threshold}},
            )
            # Inside the transaction: the database task backend stores the task row
            # with the request, so a worker never sees a task without its items.
            tasks.process_match_request.enqueue(mr.pk, mr.request_id)
    except Exception:
        for rel in sealed:
            storage.delete(rel)
        raise
    return mr


def process_item(mr: MatchRequest, item: MatchItem, *, actor, refresh: bool = True) -> None:
    """Hash (if a file), store as unconfirmed media, match. Errors are kept on the item."""
    query: matching.Query
    if item.staged_path:
        try:
            data = storage.read(item.staged_path, item.staged_key)
            hashed = hash_bytes_media(data, item.name, variants="query")
        except MediaError as exc:
            item.error = exc.message
            storage.delete(item.staged_path)
            item.staged_path, item.staged_key = "", None
            return
        item.kind = hashed.kind
        item.md5, item.sha1, item.sha256 = hashed.md5, hashed.sha1, hashed.sha256
        item.pdq, item.pdq_quality = hashed.pdq, hashed.quality
        item.frames = len(hashed.frames)
        item.low_quality = hashed.low_quality
        media = _store_media(
            hashed,
            series=None,
            origin=f"match request #{mr.pk} ({mr.requesting_agency[:80]}, {mr.case_number[:40]})",
            sealed=(item.staged_path, item.staged_key),
            filename=item.name,
            actor=actor,
            created_by=mr.submitted_by,
            summary=f"{item.name[:120]} (unconfirmed) from match request #{mr.pk}",
            changes={"match_request": mr.pk},
        )
        item.media = media
        item.staged_path, item.staged_key = "", None
        dihedral_src = None
        if mr.dihedral and hashed.kind == "image":
            import io

            dihedral_src = io.BytesIO(data)
        query = matching.query_from_hashed(hashed, dihedral_of=dihedral_src)
        if hashed.kind == "image":
            query.image = data  # for the local verifier (matching.VERIFY_RADIUS)
    else:
        query = matching.Query(md5=item.md5, sha1=item.sha1, sha256=item.sha256, pdq=item.pdq)
    item.matches = matching.match(query, threshold=mr.threshold, refresh=refresh)


def summarise(mr: MatchRequest) -> dict[str, Any]:
    items = list(mr.items.all())
    series_ids = {m["series_id"] for it in items for m in it.matches}
    origins = dict(Series.objects.filter(id__in=series_ids).values_list("id", "origin"))
    identified = set(
        Series.objects.filter(id__in=series_ids, victim_identified=True).values_list(
            "id", flat=True
        )
    )
    s = {
        "items": len(items),
        "errors": 0,
        "low_quality": 0,
        "matched_identified": 0,
        "matched_unidentified_only": 0,
        "no_match": 0,
        "series": sorted(series_ids),
        # Items by the origin of the series they matched (real, generated, …).
        "by_origin": {},
    }
    for it in items:
        if it.error:
            s["errors"] += 1
            continue
        if it.low_quality:
            s["low_quality"] += 1
        ids = {m["series_id"] for m in it.matches}
        for origin in sorted({origins[i] for i in ids if i in origins}):
            s["by_origin"][origin] = s["by_origin"].get(origin, 0) + 1
        if ids & identified:
            s["matched_identified"] += 1
        elif ids:
            s["matched_unidentified_only"] += 1
        else:
            s["no_match"] += 1
    return s


def do_finish_match_request(mr: MatchRequest, *, failed: str = "") -> None:
    with transaction.atomic():
        mr.summary = summarise(mr)
        mr.status = MatchRequest.Status.FAILED if failed else MatchRequest.Status.DONE
        mr.error = failed
        mr.finished_at = timezone.now()
        mr.save(update_fields=["summary", "status", "error", "finished_at"])
        record(
            "matchrequest.finish",
            obj=mr,
            actor=mr.submitted_by,
            outcome=Outcome.FAILED if failed else Outcome.SUCCESS,
            summary=failed[:200]
            or (
                f"{mr.summary['matched_identified']} identified, "
                f"{mr.summary['matched_unidentified_only']} unidentified, {mr.summary['no_match']} no match"
            ),
        )


def do_view_report(mr: MatchRequest, *, actor, fmt: str) -> None:
    """Reading a matching report is audited (it names series and contacts)."""
    access.require(access.can_read_data(actor))
    audit_actions.do_view(mr, actor=actor, action="matchrequest.view", summary=f"report ({fmt})")


def do_export_report(mr: MatchRequest, *, actor) -> tuple[bytes, str]:
    """The shareable package: an AES-encrypted ZIP of report.pdf and report.json.

    Returns (zip bytes, password). The password is shown once and never stored.
    """
    import io
    import json

    import pyzipper

    access.require(access.can_read_data(actor))
    if not mr.finished:
        raise ValidationError("The request is still being processed; export it when it is done.")
    data = report.build(mr)
    pdf = report.render_pdf(data)
    password = "-".join(secrets.token_urlsafe(6) for _ in range(4))
    buf = io.BytesIO()
    with pyzipper.AESZipFile(
        buf, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zf:
        zf.setpassword(password.encode())
        zf.writestr("report.pdf", pdf)
        zf.writestr("report.json", json.dumps(data, indent=2, default=str))
    record(
        "matchrequest.export",
        actor=actor,
        obj=mr,
        summary=f"encrypted package for {mr.requesting_agency[:120]}",
    )
    return buf.getvalue(), password


def do_reveal_media(media: Media, *, actor) -> str:
    """Allow one unblurred view of one media; audited. Returns a one-time token."""
    access.require(access.can_read_data(actor))
    record("media.reveal", actor=actor, obj=media, summary=media.reference)
    return secrets.token_urlsafe(16)


# --------------------------------------------------------------------------- new material


def do_series_from_new_material(
    mr: MatchRequest,
    *,
    actor,
    positions: list[int],
    name: str = "",
    series: Series | None = None,
) -> Series:
    """Turn unmatched items of a finished request into a new series (or add them to
    `series`) in one step, with the requesting agency as the series' contact.

    `positions` are the report's 1-based item positions. Only items that matched
    nothing and were stored as media qualify; anything else is refused whole.
    """
    access.require(_may(actor, access.can_create))
    if not mr.finished:
        raise ValidationError("The request is still being processed.")
    wanted = {int(p) - 1 for p in positions}
    if not wanted:
        raise ValidationError("Choose at least one unmatched item.")
    items = list(mr.items.filter(position__in=wanted).select_related("media"))
    found = {it.position for it in items}
    problems = [f"item {p + 1} does not exist" for p in sorted(wanted - found)]
    for it in items:
        if it.matches:
            problems.append(f"item {it.position + 1} matched a known series")
        elif it.media is None:
            problems.append(f"item {it.position + 1} has no stored file (hash only or unreadable)")
        elif it.media.series_id is not None:
            problems.append(f"item {it.position + 1} is already in series {it.media.series}")
    if problems:
        raise ValidationError("; ".join(problems) + ".")
    with transaction.atomic():
        if series is None:
            series = do_create_series(
                actor=actor,
                data={
                    "name": name.strip()
                    or f"New material, {mr.requesting_agency} {mr.case_number}",
                    "contact_agency": mr.requesting_agency,
                    "notes": f"From match request #{mr.pk} (case {mr.case_number}).",
                },
            )
        elif actor is not None:
            access.ensure(actor, access.WRITE, series)
        media_ids = [it.media_id for it in items]
        Media.objects.filter(pk__in=media_ids, series__isnull=True).update(
            series=series, updated_at=timezone.now()
        )
        for it in items:
            it.media.series = series
            store_variants(it.media)
            record(
                "media.attach",
                **_who(actor),
                obj=it.media,
                summary=f"{it.name[:120]} to series {series.name[:100]} (new material)",
                changes={"series": {"before": None, "after": series.pk}},
            )
        record(
            "matchrequest.new_material",
            **_who(actor),
            obj=mr,
            summary=f"{len(items)} unmatched item(s) to series {series.name[:100]}",
            changes={"series": {"before": None, "after": series.pk}, "media": media_ids},
        )
    return series


def purge_expired_exports(*, days: int | None = None, now: float | None = None) -> int:
    """Delete export packages older than EXPORT_PACKAGE_DAYS (unclaimed one-time downloads)."""
    import time

    from django.conf import settings

    keep = settings.EXPORT_PACKAGE_DAYS if days is None else days
    folder = Path(settings.UPLOAD_DIR) / "exports"
    if not folder.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - keep * 86400
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        record(
            "matchrequest.export_purge",
            changes={"removed": removed, "older_than_days": keep},
            summary=f"{removed} expired export package(s) removed",
        )
    return removed
