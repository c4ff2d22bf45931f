"""The extra PDQ hashes of stored images (vigil/lib/pdq_variants.py): computed from a
confirmed image's stored file, and brought up to date for the whole repository
(`vigil backfill_variants`: media stored before them, or under an older window set)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from vigil.audit.log import record
from vigil.lib import pdq as pdqlib
from vigil.lib import pdq_variants
from vigil.victimid import storage
from vigil.victimid.actions.common import _who
from vigil.victimid.hashing import MediaError
from vigil.victimid.models import Media, MediaVariant


def store_variants(media: Media) -> int | None:
    """Compute and store the extra hashes (trimmed, sub-windows) of a confirmed image
    from its stored file, replacing older ones, and mark the media with
    ``pdq_variants.VERSION``. Returns how many were stored; 0 for hash-only records
    and videos, None when the file cannot be read or decoded (nothing changed).

    ``updated_at`` moves, so running processes add the new hashes to their index."""
    if media.kind != Media.Kind.IMAGE or not media.has_file or media.series_id is None:
        return 0
    try:
        pixels = pdqlib.decode_rgb(io.BytesIO(storage.read(media.stored_path, media.wrapped_key)))
    except (MediaError, OSError, ValueError):
        return None
    rows = [
        MediaVariant(media=media, name=v.name, pdq=v.hash_hex, quality=v.quality)
        for v in pdq_variants.reference_variants(pixels, media.pdq)
    ]
    del pixels
    with transaction.atomic():
        MediaVariant.objects.filter(media=media).delete()
        MediaVariant.objects.bulk_create(rows)
        Media.objects.filter(pk=media.pk).update(
            variants_version=pdq_variants.VERSION, updated_at=timezone.now()
        )
    media.variants_version = pdq_variants.VERSION
    return len(rows)


def pending_variants():
    """Confirmed images with a stored file whose extra hashes are missing or older than
    ``pdq_variants.VERSION``."""
    return (
        Media.objects.confirmed()
        .filter(kind=Media.Kind.IMAGE, variants_version__lt=pdq_variants.VERSION)
        .exclude(stored_path="")
        .exclude(wrapped_key__isnull=True)
    )


@dataclass
class Backfill:
    media: int = 0  # images brought up to date
    hashes: int = 0  # extra hashes stored
    unreadable: list[int] = field(default_factory=list)  # media ids whose file failed

    def as_dict(self) -> dict:
        return {
            "version": pdq_variants.VERSION,
            "media": self.media,
            "hashes": self.hashes,
            "unreadable": self.unreadable,
        }


def do_backfill_variants(
    *, actor, limit: int | None = None, on_item: Callable[[Media], None] | None = None
) -> Backfill:
    """Bring every pending image (:func:`pending_variants`, at most ``limit``) up to the
    current window set, one transaction per image: an interrupted run keeps what it
    did and a second run does only the rest (nothing when all are up to date). One
    audit row ``media.variants`` for the run, with its counts. ``actor`` None: the
    operator at the shell (management command)."""
    ids = list(pending_variants().order_by("id").values_list("id", flat=True)[:limit])
    done = Backfill()
    for start in range(0, len(ids), 500):
        chunk = Media.objects.filter(id__in=ids[start : start + 500]).order_by("id")
        for media in chunk.only(
            "id", "kind", "series_id", "stored_path", "wrapped_key", "pdq", "variants_version"
        ):
            n = store_variants(media)
            if n is None:
                done.unreadable.append(media.pk)
            else:
                done.media += 1
                done.hashes += n
            if on_item is not None:
                on_item(media)
    if ids:
        record(
            "media.variants",
            **_who(actor),
            summary=(
                f"extra hashes (version {pdq_variants.VERSION}) of {done.media} image(s), "
                f"{len(done.unreadable)} unreadable"
            ),
            changes={
                "variants_version": {"before": None, "after": pdq_variants.VERSION},
                "media": {"before": None, "after": done.media},
                "hashes": {"before": None, "after": done.hashes},
                "unreadable": {"before": None, "after": done.unreadable[:100]},
            },
        )
    return done
