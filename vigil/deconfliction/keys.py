"""Key rotation for deconfliction (`vigil rotate_keys`): the keyed hashes of SSNs and card
numbers that flags, common values, tip notices and the warning list copied from selectors.
Uses the old → new map that vigil.tips.keys built (tips runs first: INSTALLED_APPS order)."""

from __future__ import annotations

from vigil.deconfliction.models import CommonValue, Flag, TipNotice, WarningListEntry
from vigil.lib.selectors import HASHED_TYPES


def rotate(context: dict, *, dry_run: bool) -> dict[str, int]:
    mapping: dict[tuple[str, str], str] = context.get("keyed_hashes", {})
    counts: dict[str, int] = {}
    for model, fields in (
        (Flag, ("value", "value_b")),
        (CommonValue, ("value",)),
        (TipNotice, ("value",)),
        (WarningListEntry, ("value",)),
    ):
        changed = 0
        for row in model.objects.filter(type__in=list(HASHED_TYPES)).iterator(chunk_size=2000):
            update = {
                f: mapping[(row.type, getattr(row, f))]
                for f in fields
                if (row.type, getattr(row, f)) in mapping
            }
            if update:
                changed += 1
                if not dry_run:
                    model.objects.filter(pk=row.pk).update(**update)
        counts[f"{model._meta.verbose_name_plural} keyed hashes"] = changed
    return counts
