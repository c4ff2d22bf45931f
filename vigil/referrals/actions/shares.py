"""Sharing with outside agencies: encrypted packages, their download (checked by SHA-256) and
expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.audit.models import Outcome
from vigil.core.signals import disclosed
from vigil.referrals import packages, packet
from vigil.referrals.actions.referrals import (
    _require_referral_write,
    _require_tip_write,
    cluster_ids,
    referral_records,
)
from vigil.referrals.models import Office, Referral, SharePackage
from vigil.tips.models import Selector, Tip


def _share_contents(kind: str, *, tip: Tip | None, referral: Referral | None, actor: Any):
    """(files, records disclosed, file stem) for one package."""
    if kind == SharePackage.Kind.PACKET:
        if referral is None:
            raise ValidationError("Choose the referral whose packet to share.")
        ctx = packet.context_for_referral(referral, actor=actor)
        stem = f"referral-{referral.pk}"
        files = {
            f"{stem}.pdf": packet.render_pdf(ctx),
            f"{stem}.json": packages.as_json(packet.build_json(ctx)),
        }
        extra, missing = packet.attachments(ctx)
        files.update(extra)
        if missing:
            files["NOT-INCLUDED.txt"] = (
                "Left out (no right to open them):\n" + "\n".join(missing) + "\n"
            ).encode()
        return files, referral_records(referral), stem
    if tip is None:
        raise ValidationError("Choose the tip to share.")
    if kind == SharePackage.Kind.TIP:
        ctx = packet.context_for_tips([tip.pk], actor=actor)
        stem = f"tip-{tip.pk}"
        return {f"{stem}.json": packages.as_json(packet.build_json(ctx))}, [("tip", tip.pk)], stem
    if kind == SharePackage.Kind.CLUSTER:
        ids = sorted(cluster_ids(tip))
        ctx = packet.context_for_tips(ids, actor=actor)
        stem = f"cluster-of-tip-{tip.pk}"
        return (
            {f"{stem}.json": packages.as_json(packet.build_json(ctx))},
            [("tip", t) for t in ids],
            stem,
        )
    if kind == SharePackage.Kind.IP_LIST:
        ips = list(
            Selector.objects.filter(tip=tip, type=Selector.Type.IP)
            .select_related("tip__source")
            .order_by("value")
        )
        if not ips:
            raise ValidationError("This tip has no IP addresses to share.")
        stem = f"ip-list-tip-{tip.pk}"
        records = [("tip", tip.pk), *(("selector", s.pk) for s in ips)]
        return {f"{stem}.csv": packages.ip_list_csv(ips)}, records, stem
    raise ValidationError({"kind": "Choose what to share."})


def do_create_share(
    *,
    actor: Any,
    office: Office,
    kind: str,
    method: str,
    purpose: str,
    tip: Tip | None = None,
    referral: Referral | None = None,
) -> tuple[Any, str | None]:
    """Make an encrypted package for an outside agency; returns (package, password or None).

    Only users a Manager granted "may share". The password (ZIP) is returned once
    and never stored. The package is one disclosure in the accounting.
    """
    import uuid

    if not access.can_share(actor):
        raise PermissionDenied("Only users a Manager granted “may share” can share.")
    if kind not in SharePackage.Kind.values:
        raise ValidationError({"kind": "Choose what to share."})
    if method not in SharePackage.Method.values:
        raise ValidationError({"method": "Choose how to encrypt the package."})
    if office is None or not office.active:
        raise ValidationError({"office": "Choose an active agency."})
    if not office.is_outside:
        raise ValidationError(
            {"office": f"{office} is one of our offices: refer to it instead of sharing."}
        )
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError({"purpose": "Say why it is shared (the accounting records it)."})
    if method == SharePackage.Method.AGE and not office.age_recipient:
        raise ValidationError(
            {"method": f"{office} has no age public key in the directory: use a ZIP password."}
        )
    if kind == SharePackage.Kind.PACKET:
        if referral is None:
            raise ValidationError("Choose the referral whose packet to share.")
        _require_referral_write(referral, actor)
        tip = referral.tip
    elif tip is not None:
        _require_tip_write(tip, actor)
    files, records, stem = _share_contents(kind, tip=tip, referral=referral, actor=actor)
    password = None
    if method == SharePackage.Method.ZIP:
        password = packages.new_password()
        data = packages.seal_zip(files, password)
        file_name = f"{stem}.zip"
    else:
        data = packages.seal_age(files, office.age_recipient)
        file_name = f"{stem}.zip.age"
    folder = settings.SHARE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.bin"
    path = folder / stored
    path.write_bytes(data)
    try:
        with transaction.atomic():
            package = SharePackage.objects.create(
                office=office,
                kind=kind,
                method=method,
                tip=tip,
                referral=referral,
                records=[list(r) for r in records],
                purpose=purpose[:500],
                file_name=file_name,
                path=stored,
                sha256=packages.sha256(data),
                size=len(data),
                age_recipient=office.age_recipient if method == SharePackage.Method.AGE else "",
                created_by=actor,
                expires_at=timezone.now() + dt.timedelta(hours=settings.SHARE_PACKAGE_HOURS),
            )
            record(
                "share.create",
                actor=actor,
                obj=package,
                summary=f"{package.get_kind_display()} for {office.name} ({method})",
                changes={"records": len(records), "file": file_name, "sha256": package.sha256},
            )
            disclosed.send(
                sender=SharePackage,
                records=records,
                recipient=office.name,
                purpose=purpose,
                method=SharePackage.Method(method).label,
                actor=actor,
                source=package,
                office=office,
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return package, password


class TamperedPackage(ValidationError):
    pass


def do_download_share(package: Any, *, actor: Any) -> bytes:
    """The package bytes, once checked against the SHA-256 taken when it was made."""
    access.ensure(
        actor,
        access.WRITE,
        package,
        "Only the user who made the package (or a Manager) downloads it.",
    )
    if not package.available:
        raise ValidationError("This package expired and was removed; make a new one.")
    path = settings.SHARE_DIR / package.path
    try:
        data = path.read_bytes()
    except OSError:
        raise ValidationError("The package file is missing; make a new one.") from None
    if packages.sha256(data) != package.sha256:
        record(
            "share.download",
            actor=actor,
            obj=package,
            outcome=Outcome.FAILED,
            summary="refused: the file does not match its checksum (tampered)",
        )
        raise TamperedPackage("The package file was altered since it was made; it is refused.")
    with transaction.atomic():
        from django.db.models import F

        SharePackage.objects.filter(pk=package.pk).update(download_count=F("download_count") + 1)
        record("share.download", actor=actor, obj=package, summary=package.file_name)
    return data


def do_remove_expired_shares(*, now: dt.datetime | None = None) -> int:
    """Remove expired package files; the package row (and the disclosure) stays."""
    now = now or timezone.now()
    removed = 0
    for package in SharePackage.objects.expired(now):
        (settings.SHARE_DIR / package.path).unlink(missing_ok=True)
        with transaction.atomic():
            SharePackage.objects.filter(pk=package.pk).update(removed_at=now)
            record(
                "share.expire",
                obj=package,
                actor_username="system",
                summary=f"{package.file_name} removed after expiry",
            )
        removed += 1
    return removed
