"""Key rotation for victim identification (`vigil rotate_keys`): every media file's key (and
every staged match-request file's key) is unwrapped and wrapped again under the current master
key. The sealed files are not touched: a file key is 32 bytes, a media file may be gigabytes."""

from __future__ import annotations

from vigil.lib import crypto
from vigil.victimid.models import MatchItem, Media


def rotate(context: dict, *, dry_run: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model, field, label in (
        (Media, "wrapped_key", "media file keys"),
        (MatchItem, "staged_key", "staged file keys"),
    ):
        changed = 0
        rows = model.objects.filter(**{f"{field}__isnull": False}).only("id", field)
        for row in rows.iterator(chunk_size=2000):
            wrapped = bytes(getattr(row, field))
            if not wrapped or crypto.is_current(wrapped):
                continue
            changed += 1
            if not dry_run:
                model.objects.filter(pk=row.pk).update(**{field: crypto.rewrap(wrapped)})
        counts[label] = changed
    return counts
