"""New material: unmatched items of a finished match request become a series (or join one)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.victimid.actions.common import _may, _who
from vigil.victimid.actions.series import do_create_series
from vigil.victimid.actions.variants import store_variants
from vigil.victimid.models import MatchRequest, Media, Series


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
