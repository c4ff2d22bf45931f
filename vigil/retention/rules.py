"""Retention and hold rules, as queries: last activity, past retention, what a hold covers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import DateTimeField, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from vigil.deconfliction.queries import cluster_tip_ids
from vigil.retention.models import HoldItem, InaccuracyReport, Kind
from vigil.tips.models import EvidenceItem, EvidenceTransfer, ResearchNote, Selector, Tip
from vigil.victimid.models import Media, Series


def cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Records whose last activity is before this instant are past retention."""
    now = now or timezone.now()
    years = int(settings.RETENTION_YEARS)
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year - years, day=28)


def _latest(model, fk: str, field: str, base: str):
    sub = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(_x=Max(field))
        .values("_x")
    )
    return Coalesce(Subquery(sub, output_field=DateTimeField()), base)


def with_last_activity(kind: str, qs: QuerySet | None = None) -> QuerySet:
    """Annotate `last_activity`: the latest change to the record or anything hanging off it."""
    if kind == Kind.TIP:
        qs = Tip.objects.all() if qs is None else qs
        return qs.annotate(
            last_activity=Greatest(
                "updated_at",
                _latest(ResearchNote, "tip", "created_at", "updated_at"),
                _latest(Selector, "tip", "created_at", "updated_at"),
                _latest(EvidenceItem, "tip", "created_at", "updated_at"),
                _latest(EvidenceTransfer, "item__tip", "created_at", "updated_at"),
                _latest(InaccuracyReport, "tip", "recorded_at", "updated_at"),
            )
        )
    if kind == Kind.SERIES:
        qs = Series.objects.all() if qs is None else qs
        return qs.annotate(
            last_activity=Greatest(
                "updated_at", _latest(Media, "series", "updated_at", "updated_at")
            )
        )
    if kind == Kind.MEDIA:
        qs = Media.objects.all() if qs is None else qs
        return qs.annotate(last_activity=F("updated_at"))
    raise ValueError(f"no retention for {kind!r}")


def model_for(kind: str):
    if kind == Kind.TIP:
        return Tip
    if kind == Kind.SERIES:
        return Series
    if kind == Kind.MEDIA:
        return Media
    raise ValueError(f"unknown kind {kind!r}")


def past_retention(kind: str, *, now: dt.datetime | None = None) -> QuerySet:
    limit = cutoff(now)
    model = model_for(kind)
    # updated_at is a lower bound of the last activity: filter on it first.
    base = model.objects.filter(updated_at__lt=limit)
    return with_last_activity(kind, base).filter(last_activity__lt=limit)


def is_past_retention(kind: str, pk: int) -> bool:
    return past_retention(kind).filter(pk=pk).exists()


def _active_items():
    return HoldItem.objects.filter(hold__released_at__isnull=True)


def _cluster(tip_id: int) -> set[int]:
    return cluster_tip_ids(tip_id)


def holds_on(kind: str, pk: int) -> list[str]:
    """Names of the active holds covering the record (directly, by its cluster or its series)."""
    items = _active_items()
    if kind == Kind.TIP:
        q = items.filter(kind=Kind.TIP, object_id=pk)
        anchors = items.filter(kind=Kind.CLUSTER).values_list("object_id", flat=True)
        names = set(q.values_list("hold__name", flat=True))
        if anchors.exists():
            cluster = _cluster(pk)
            names |= set(
                items.filter(kind=Kind.CLUSTER, object_id__in=cluster).values_list(
                    "hold__name", flat=True
                )
            )
        return sorted(names)
    if kind == Kind.SERIES:
        media = Media.objects.filter(series_id=pk).values_list("pk", flat=True)
        names = set(
            items.filter(kind=Kind.SERIES, object_id=pk).values_list("hold__name", flat=True)
        )
        names |= set(
            items.filter(kind=Kind.MEDIA, object_id__in=media).values_list("hold__name", flat=True)
        )
        return sorted(names)
    if kind == Kind.MEDIA:
        series_id = Media.objects.filter(pk=pk).values_list("series_id", flat=True).first()
        names = set(
            items.filter(kind=Kind.MEDIA, object_id=pk).values_list("hold__name", flat=True)
        )
        if series_id:
            names |= set(
                items.filter(kind=Kind.SERIES, object_id=series_id).values_list(
                    "hold__name", flat=True
                )
            )
        return sorted(names)
    return []


def held_ids(kind: str, ids: list[int]) -> dict[int, list[str]]:
    """For a page of records: {id: hold names} for those of `ids` that are held.

    Tips in a fixed number of queries (not two per tip): the direct items of the
    page at once, and each cluster hold's component once (a tip is in an
    anchor's component exactly when the anchor is in the tip's), as holds_on.
    """
    if kind != Kind.TIP:
        return {pk: names for pk in ids if (names := holds_on(kind, pk))}
    items = _active_items()
    found: dict[int, set[str]] = {}
    direct = items.filter(kind=Kind.TIP, object_id__in=ids).values_list("object_id", "hold__name")
    for object_id, name in direct:
        found.setdefault(object_id, set()).add(name)
    anchors: dict[int, set[str]] = {}
    for object_id, name in items.filter(kind=Kind.CLUSTER).values_list("object_id", "hold__name"):
        anchors.setdefault(object_id, set()).add(name)
    wanted = set(ids)
    for anchor, names in anchors.items():
        for pk in _cluster(anchor) & wanted:
            found.setdefault(pk, set()).update(names)
    return {pk: sorted(found[pk]) for pk in ids if pk in found}
