"""Series: create, update, delete (with their media and files)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.audit.log import diff, record, snapshot
from vigil.core import holds
from vigil.victimid import signals, storage, vocabulary
from vigil.victimid.actions.common import _may, _user, _who
from vigil.victimid.models import Media, Series
from vigil.victimid.privacy import reject_victim_names

SERIES_FIELDS = Series.EDITABLE_FIELDS


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
    try:
        _delete_series(series, actor=actor)
    except holds.HeldError as exc:
        # A refusal: one denied row (after the rollback), as the disposition's refusals.
        audit_actions.note_denied(actor, "series.delete", obj=series, reason=str(exc))
        raise


def _delete_series(series: Series, *, actor) -> None:
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
