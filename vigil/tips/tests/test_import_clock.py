"""When an import's undated rows are received: one instant a batch, read as the batch is built."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from vigil.tips.importing import import_file
from vigil.tips.models import Tip

pytestmark = pytest.mark.django_db


def test_undated_rows_are_received_at_one_instant_a_batch(personas, source, tmp_path):
    path = tmp_path / "ips.txt"
    path.write_text("".join(f"81.2.69.{i}\n" for i in range(1, 9)))
    before = timezone.now()
    s = import_file(path, actor=personas.manager, source=source, batch_size=3)
    after = timezone.now()
    assert s.tips_created == 8
    received = [t.received_at for t in Tip.objects.order_by("id")]
    # Batches of three: one instant each, in the order the batches were built.
    assert [len(set(received[i : i + 3])) for i in (0, 3, 6)] == [1, 1, 1]
    assert before <= received[0] <= received[3] <= received[6] <= after
    # A re-import keeps each tip's date (the rows still give none).
    import_file(path, actor=personas.manager, source=source, batch_size=3)
    assert [t.received_at for t in Tip.objects.order_by("id")] == received


def test_a_dated_row_keeps_its_date_beside_undated_ones(personas, source, tmp_path):
    path = tmp_path / "tips.csv"
    path.write_text(
        "reference,received_at,email\nD-1,2024-03-01T10:22:00Z,a@example.org\nD-2,,b@example.org\n"
    )
    before = timezone.now()
    import_file(path, actor=personas.manager, source=source)
    dated, undated = (Tip.objects.get(source_reference=r).received_at for r in ("D-1", "D-2"))
    assert dated == dt.datetime(2024, 3, 1, 10, 22, tzinfo=dt.UTC)
    assert before <= undated <= timezone.now()
