from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from vigil.stats import registry
from vigil.stats.tests.conftest import at

PERIOD = registry.Period.parse("2026-01", "2026-04")


def _figures() -> dict:
    data = registry.compute(PERIOD).as_json()
    months = {row["month"]: row for row in data["months"]}
    return {"months": months, "totals": data["totals"]}


def test_it_lists_every_month_with_zeros_when_empty(db):
    data = registry.compute(PERIOD).as_json()
    assert [row["month"] for row in data["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    for row in data["months"]:
        assert row["tips_received"] == 0
        assert row["flags_raised"] == 0
        assert row["median_days_to_decision"] is None
        assert set(row["tips_by_status"].values()) == {0}
    assert data["totals"]["tips_received"] == 0


def test_it_counts_tips_by_received_month_in_utc(known, settings):
    # A local time zone must not move the 23:59:59 UTC tip into February.
    settings.TIME_ZONE = "America/New_York"
    f = _figures()
    assert [f["months"][m]["tips_received"] for m in f["months"]] == [2, 0, 4, 0]
    assert f["totals"]["tips_received"] == 6


def test_it_counts_an_ip_list_as_ip_addresses(known):
    f = _figures()
    assert [f["months"][m]["ip_addresses_received"] for m in f["months"]] == [2, 0, 3, 0]
    assert f["totals"]["ip_addresses_received"] == 5


def test_it_breaks_tips_down_by_source_kind_status_and_priority(known):
    f = _figures()
    jan, feb, mar = (f["months"][m] for m in ("2026-01", "2026-02", "2026-03"))
    assert jan["tips_by_source"] == {"Alpha": 2, "Bravo": 0}
    assert feb["tips_by_source"] == {"Alpha": 0, "Bravo": 0}
    assert mar["tips_by_source"] == {"Alpha": 0, "Bravo": 4}
    assert f["totals"]["tips_by_source"] == {"Alpha": 2, "Bravo": 4}
    assert jan["tips_by_source_kind"]["field_office"] == 2
    assert mar["tips_by_source_kind"]["ncmec"] == 4
    assert feb["tips_by_source_kind"]["ngo"] == 0
    assert jan["tips_by_status"] == {
        "new": 1,
        "in_review": 0,
        "actionable": 0,
        "not_actionable": 0,
        "unfounded": 1,
    }
    assert f["totals"]["tips_by_status"]["new"] == 5
    assert jan["tips_by_priority"]["ongoing"] == 1
    assert jan["tips_by_priority"]["other"] == 1
    assert f["totals"]["tips_by_priority"] == {
        "ongoing": 1,
        "contact": 0,
        "distribution": 0,
        "possession": 0,
        "other": 5,
    }


def test_it_counts_flags_raised_and_decided(known):
    f = _figures()
    m = f["months"]
    assert [m[k]["flags_raised"] for k in m] == [2, 0, 2, 0]
    assert [m[k]["flags_decided"] for k in m] == [0, 2, 1, 0]
    assert [m[k]["flags_linked"] for k in m] == [0, 1, 0, 0]
    assert [m[k]["flags_dismissed"] for k in m] == [0, 1, 1, 0]
    assert f["totals"]["flags_decided"] == 3


def test_it_computes_the_median_days_to_decision(known):
    f = _figures()
    m = f["months"]
    assert [m[k]["median_days_to_decision"] for k in m] == [None, 15.0, 3.0, None]
    assert f["totals"]["median_days_to_decision"] == 10.0


def test_it_counts_match_requests_and_their_outcomes(known):
    f = _figures()
    mar = f["months"]["2026-03"]
    assert mar["match_requests"] == 1
    assert mar["match_items"] == 4
    assert (
        mar["items_matched_identified"],
        mar["items_matched_unidentified"],
        mar["items_matched_nothing"],
    ) == (1, 2, 1)
    assert f["months"]["2026-01"]["items_matched_identified"] == 0


def test_it_prints_the_json_shape_from_the_command_line(known):
    out = io.StringIO()
    call_command("stats", "--from", "2026-01", "--to", "2026-04", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"months", "totals"}
    assert data["months"][0]["month"] == "2026-01"
    assert data["months"][0]["tips_received"] == 2
    assert data["months"][0]["tips_by_source"] == {"Alpha": 2, "Bravo": 0}
    assert data["months"][1] == {**data["months"][1], "tips_received": 0, "flags_raised": 0}
    assert data["totals"]["ip_addresses_received"] == 5


def test_it_prints_a_table_without_json(known):
    out = io.StringIO()
    call_command("stats", "--from", "2026-01", "--to", "2026-04", stdout=out)
    assert "Tips received" in out.getvalue()
    assert "2026-03" in out.getvalue()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13", "2026-12", "YYYY-MM"),
        ("2026/01", "2026-02", "YYYY-MM"),
        ("2026-05", "2026-01", "ends"),
    ],
)
def test_it_refuses_a_bad_period(db, start, end, message):
    with pytest.raises(CommandError, match=message):
        call_command("stats", "--from", start, "--to", end, "--json", stdout=io.StringIO())


def test_it_lets_an_app_register_a_figure(known):
    from vigil.tips.models import Tip

    registry.register(
        "test_unfounded",
        "Unfounded",
        section="Test",
        compute=registry.Count(Tip.objects.filter(status="unfounded"), "received_at"),
    )
    try:
        f = _figures()
        assert f["months"]["2026-01"]["test_unfounded"] == 1
        assert f["totals"]["test_unfounded"] == 1
    finally:
        registry.unregister("test_unfounded")


def test_it_counts_referrals_sent_acknowledged_cases_opened_and_days_to_referral(known, personas):
    from vigil.referrals.models import Office, Referral
    from vigil.tips.models import Tip

    office = Office.objects.create(code="DEN", name="Denver", kind=Office.Kind.values[0])
    t1 = Tip.objects.get(source_reference="A-1")  # received 2026-01-15 12:00
    t2 = Tip.objects.get(source_reference="A-2")  # received 2026-01-31 23:59:59
    r1 = Referral.objects.create(
        tip=t1, office=office, status="case_opened", created_by=personas.manager
    )
    r2 = Referral.objects.create(
        tip=t2, office=office, status="acknowledged", created_by=personas.manager
    )
    Referral.objects.create(
        tip=t2, office=office, status="drafted", created_by=personas.manager
    )  # never sent: not counted
    Referral.objects.filter(pk=r1.pk).update(
        sent_at=at(2026, 1, 19), acknowledged_at=at(2026, 2, 2), closed_at=at(2026, 3, 5)
    )
    Referral.objects.filter(pk=r2.pk).update(
        sent_at=at(2026, 2, 10, 23, 59, 59), acknowledged_at=at(2026, 2, 12)
    )
    f = _figures()
    m = f["months"]
    assert [m[k]["referrals_sent"] for k in m] == [1, 1, 0, 0]
    assert [m[k]["referrals_acknowledged"] for k in m] == [0, 2, 0, 0]
    assert [m[k]["cases_opened"] for k in m] == [0, 0, 1, 0]
    assert m["2026-01"]["median_days_receipt_to_referral"] == 4.0
    assert m["2026-02"]["median_days_receipt_to_referral"] == 10.0
    assert f["totals"]["median_days_receipt_to_referral"] == 7.0
    assert f["totals"]["referrals_by_office"] == {"Denver": 2}
    assert f["totals"]["subpoenas_issued"] == 0


def test_it_counts_matched_items_by_the_origin_of_the_series(known):
    from vigil.victimid.models import MatchRequest

    # A request finished before origins were counted, and one not finished: neither counts.
    MatchRequest.objects.create(
        requesting_agency="B", case_number="C-2", status="done", summary={"items": 1}
    )
    MatchRequest.objects.create(
        requesting_agency="C", case_number="C-3", summary={"by_origin": {"real": 5}}
    )
    MatchRequest.objects.exclude(case_number="C-1").update(created_at=at(2026, 3, 31, 23, 59, 59))
    f = _figures()
    assert f["months"]["2026-03"]["items_matched_by_origin"] == {
        "unknown": 0,
        "real": 2,
        "computer_generated": 0,
        "ai_generated": 1,
    }
    assert f["months"]["2026-02"]["items_matched_by_origin"] == dict.fromkeys(
        ["unknown", "real", "computer_generated", "ai_generated"], 0
    )
    assert f["totals"]["items_matched_by_origin"]["real"] == 2


def test_it_counts_subpoenas_issued_by_outcome_and_provider(known, personas):
    from vigil.lookups.models import Provider
    from vigil.subpoenas.models import Subpoena
    from vigil.tips.models import Tip

    cable = Provider.objects.create(name="Example Cable")
    mail = Provider.objects.create(name="Example Mail", kind=Provider.Kind.EMAIL)
    tip = Tip.objects.get(source_reference="A-1")
    rows = [
        # (provider, served, outcome)
        (cable, at(2026, 1, 31, 23, 59, 59), "no_records"),
        (cable, at(2026, 3, 2), "response_received"),
        (mail, at(2026, 3, 9), ""),  # served, no answer yet
        (mail, None, ""),  # drafted, never served: not issued
        (cable, at(2026, 5, 1, 0, 0), "no_records"),  # after the period
    ]
    for provider, served, outcome in rows:
        s = Subpoena.objects.create(
            tip=tip, provider=provider, drafted_by=personas.investigator, outcome=outcome
        )
        Subpoena.objects.filter(pk=s.pk).update(served_at=served)
    f = _figures()
    m = f["months"]
    assert [m[k]["subpoenas_issued"] for k in m] == [1, 0, 2, 0]
    assert m["2026-01"]["subpoenas_by_provider"] == {"Example Cable": 1, "Example Mail": 0}
    assert f["totals"]["subpoenas_by_provider"] == {"Example Cable": 2, "Example Mail": 1}
    assert m["2026-01"]["subpoenas_by_outcome"] == {
        "response_received": 0,
        "no_records": 1,
        "not_our_customer": 0,
    }
    assert f["totals"]["subpoenas_by_outcome"] == {
        "response_received": 1,
        "no_records": 1,
        "not_our_customer": 0,
    }


def test_the_command_prints_the_issues_json_shape_for_ten_months(known):
    out = io.StringIO()
    call_command("stats", "--from", "2026-01", "--to", "2026-10", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"months", "totals"}
    months = data["months"]
    assert [r["month"] for r in months] == [f"2026-{n:02d}" for n in range(1, 11)]
    named = {
        "tips_received",
        "ip_addresses_received",
        "tips_by_source",
        "tips_by_status",
        "flags_raised",
        "subpoenas_issued",
        "referrals_sent",
        "cases_opened",
    }
    for row in months:
        assert named <= set(row) and set(row) - {"month"} == set(data["totals"])
        assert isinstance(row["tips_by_source"], dict) and isinstance(row["tips_received"], int)
    # Months with nothing still appear, with zeros; the tip received 2026-05-01 00:00 UTC is May's.
    assert [r["tips_received"] for r in months] == [2, 0, 4, 0, 1, 0, 0, 0, 0, 0]
    assert months[1]["tips_by_source"] == {"Alpha": 0, "Bravo": 0}
    assert months[9]["flags_raised"] == 0 and months[9]["median_days_to_decision"] is None
    assert data["totals"]["tips_received"] == 7
    assert data["totals"]["ip_addresses_received"] == 5
    assert data["totals"]["tips_by_source"] == {"Alpha": 3, "Bravo": 4}


def test_the_figures_take_as_many_queries_for_many_rows_as_for_few(known):
    """Aggregate queries only: more tips, sources, flags and requests add no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vigil.deconfliction.models import Flag
    from vigil.tips.models import Selector, Source, Tip
    from vigil.victimid.models import MatchRequest

    with CaptureQueriesContext(connection) as few:
        registry.compute(PERIOD)
    sources = [Source.objects.create(name=f"Extra {i}") for i in range(10)]
    tips = [
        Tip.objects.create(
            source=sources[i % 10], source_reference=f"X-{i}", received_at=at(2026, 1 + i % 4, 3)
        )
        for i in range(40)
    ]
    for t in tips:
        Selector.objects.create(tip=t, type="ip", value=f"192.0.2.{t.pk % 250}", raw="x")
    for a, b in zip(tips, tips[1:], strict=False):
        Flag.objects.create(tip_a=a, tip_b=b, type="ip", value=f"x{a.pk}", status="dismissed")
    MatchRequest.objects.create(
        requesting_agency="D", case_number="C-9", status="done", summary={"by_origin": {"real": 1}}
    )
    with CaptureQueriesContext(connection) as many:
        report = registry.compute(PERIOD)
    assert report.as_json()["totals"]["tips_received"] == 46
    assert len(many) == len(few) <= 2 * len(registry.figures())
