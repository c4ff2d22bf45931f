"""Media: the one way a medium is stored (with its frames, variants and media.add row), adding
a file to a series, and the audited one-time unblurred view. (The extra hashes of media
already stored: variants.py.)"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from vigil.accounts import access
from vigil.audit.log import record
from vigil.lib import pdq_variants
from vigil.victimid import storage
from vigil.victimid.actions.common import _user, _who
from vigil.victimid.hashing import Hashed, hash_bytes_media
from vigil.victimid.models import Media, MediaFrame, MediaVariant, Series


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
            variants_version=(
                pdq_variants.VERSION
                if series is not None and hashed.variants_of == "reference"
                else 0
            ),
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


def do_reveal_media(media: Media, *, actor) -> str:
    """Allow one unblurred view of one media; audited. Returns a one-time token."""
    access.require(access.can_read_data(actor))
    record("media.reveal", actor=actor, obj=media, summary=media.reference)
    return secrets.token_urlsafe(16)
