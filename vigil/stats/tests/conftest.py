from __future__ import annotations

import datetime as dt

import pytest

from vigil.deconfliction.models import Flag
from vigil.tips import importing as importers
from vigil.tips.models import Selector, Source, Tip
from vigil.victimid.models import MatchItem, MatchRequest

UTC = dt.UTC


def at(y, m, d, hh=12, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.DATA_DIR = tmp_path


@pytest.fixture
def known(personas, tmp_path):
    """A data set with known figures, 2026-01 … 2026-04 (February and April empty of tips).

    January: tip 1 (Alpha, new, priority 1, two IPs and an e-mail), tip 2 (Alpha,
    unfounded, priority 5) received at 23:59:59 on 31 January UTC.
    March: an IP list of three addresses (three tips from Bravo), tip 6 (Bravo) with no IP.
    Flags: raised 2 in January, 2 in March; decided: in February one linked after 10
    days and one dismissed after 20, in March one dismissed after 3; one open.
    Match requests: one in March (4 items: 1 identified, 2 unidentified, 1 nothing; by
    the origin of the series matched: 2 real, 1 AI-generated).
    """
    alpha = Source.objects.create(name="Alpha", kind=Source.Kind.FIELD_OFFICE)
    bravo = Source.objects.create(name="Bravo", kind=Source.Kind.NCMEC)
    t1 = Tip.objects.create(
        source=alpha, source_reference="A-1", received_at=at(2026, 1, 15), priority=1
    )
    for value in ("203.0.113.7", "198.51.100.4"):
        Selector.objects.create(tip=t1, type="ip", value=value, raw=value)
    Selector.objects.create(tip=t1, type="email", value="x@example.com", raw="x@example.com")
    t2 = Tip.objects.create(
        source=alpha,
        source_reference="A-2",
        received_at=at(2026, 1, 31, 23, 59, 59),
        status=Tip.Status.UNFOUNDED,
        priority=5,
    )
    listing = tmp_path / "list.txt"
    listing.write_text("# IP list\n192.0.2.1\n192.0.2.2,2026-03-01T10:00:00Z\n192.0.2.3\n")
    summary = importers.import_file(listing, actor=personas.manager, fmt="iplist", source=bravo)
    assert summary.tips_created == 3
    Tip.objects.filter(source=bravo).update(received_at=at(2026, 3, 3))
    t6 = Tip.objects.create(source=bravo, source_reference="B-6", received_at=at(2026, 3, 20))
    # Outside the period: must never be counted.
    Tip.objects.create(source=alpha, source_reference="A-old", received_at=at(2025, 12, 31, 23, 59))
    Tip.objects.create(source=alpha, source_reference="A-new", received_at=at(2026, 5, 1, 0, 0))

    flags = [
        # (tips, status, raised, decided)
        ((t1, t2), "linked", at(2026, 1, 22), at(2026, 2, 1)),  # 10 days
        ((t1, t6), "dismissed", at(2026, 1, 25), at(2026, 2, 14)),  # 20 days
        ((t2, t6), "dismissed", at(2026, 3, 1), at(2026, 3, 4)),  # 3 days
        ((t2, t6), "open", at(2026, 3, 2), None),
    ]
    for n, ((a, b), status, raised, decided) in enumerate(flags):
        f = Flag.objects.create(tip_a=a, tip_b=b, type="ip", value=f"v{n}", status=status)
        Flag.objects.filter(pk=f.pk).update(created_at=raised, decided_at=decided)

    mr = MatchRequest.objects.create(
        requesting_agency="Agency",
        case_number="C-1",
        status=MatchRequest.Status.DONE,
        summary={
            "items": 4,
            "errors": 0,
            "low_quality": 0,
            "matched_identified": 1,
            "matched_unidentified_only": 2,
            "no_match": 1,
            "series": [],
            # An item matching a real and an AI-generated series counts under both.
            "by_origin": {"real": 2, "ai_generated": 1},
        },
    )
    for i in range(4):
        MatchItem.objects.create(request=mr, position=i, name=f"item-{i}")
    MatchRequest.objects.filter(pk=mr.pk).update(created_at=at(2026, 3, 9))
    return {"alpha": alpha, "bravo": bravo}
