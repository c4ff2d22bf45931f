"""The sync's cursor reads walk victimid's (updated_at, id) indexes — `media_sync_order`,
`series_sync_order` — in the sync's order: an index scan that stops at the batch's end,
never a sort of everything after the cursor (EXPLAIN, on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from vigil.exchange import actions, sync
from vigil.victimid.models import Media, Series

from .conftest import make_partner

pytestmark = pytest.mark.django_db


def _plans(partner, media: Media, series: Series) -> dict[str, str]:
    horizon = timezone.now()
    m_pos = [media.updated_at.isoformat(), media.pk]
    s_pos = [series.updated_at.isoformat(), series.pk]
    media_read = actions.canonical_query(
        sync.media_after(partner, m_pos, horizon), order=sync.ORDER, limit=sync.MAX_LIMIT + 1
    )
    return {
        "media_sync_order": media_read.explain(),
        "series_sync_order": sync.series_after(s_pos, horizon)[: sync.MAX_LIMIT + 1].explain(),
    }


def test_the_cursor_reads_are_index_scans_in_the_sync_order(partner):
    n = 20_000 if connection.vendor == "postgresql" else 3_000
    Series.objects.bulk_create(
        [Series(name=f"Plan series {i}") for i in range(n // 4)], batch_size=2000
    )
    first = Series.objects.order_by("id").first()
    Media.objects.bulk_create(
        [Media(series=first, kind="unknown", md5=f"{i + 1:032x}") for i in range(n)],
        batch_size=2000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    # Media: half the table still to come (a first sync); series, a table a tenth the size,
    # mostly served (PostgreSQL rightly reads a small table whole when most of it is left).
    media = Media.objects.order_by(*sync.ORDER)[n // 2]
    series = Series.objects.order_by(*sync.ORDER)[n // 4 - 200]
    for index, plan in _plans(make_partner("BETA"), media, series).items():
        assert index in plan, plan
        if connection.vendor == "postgresql":
            assert "Index Scan using " + index in plan and "Sort" not in plan, plan
        else:
            assert "TEMP B-TREE" not in plan, plan
