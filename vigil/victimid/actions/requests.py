"""Match requests: staging the submitted files, the request and its items, each item's
hashing and matching (run by the task), the summary, the audited report reads and exports,
and the purge of unclaimed export packages."""

from __future__ import annotations

import io
import json
import secrets
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.audit.log import record
from vigil.audit.models import Outcome
from vigil.core import request_context
from vigil.victimid import matching, report, storage
from vigil.victimid.actions.media import _store_media
from vigil.victimid.hashing import MediaError, query_hasher
from vigil.victimid.models import MatchItem, MatchRequest, Series


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


def process_item(
    mr: MatchRequest,
    item: MatchItem,
    *,
    actor,
    refresh: bool = True,
    ahead: tuple[bytes, Future] | None = None,
) -> None:
    """Hash (if a file), store as unconfirmed media, match. Errors are kept on the item.

    `ahead`: the file's bytes and its query_hasher() result, under way in another process."""
    query: matching.Query
    if item.staged_path:
        try:
            if ahead is None:
                data = storage.read(item.staged_path, item.staged_key)
                hashed = query_hasher(mr.dihedral)(data, item.name)
            else:
                data, future = ahead
                hashed = future.result()
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
        query = matching.query_from_hashed(hashed)
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
    # Deferred: pyzipper is only needed by this one export, kept out of start-up.
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


def purge_expired_exports(*, days: int | None = None, now: float | None = None) -> int:
    """Delete export packages older than EXPORT_PACKAGE_DAYS (unclaimed one-time downloads)."""
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
