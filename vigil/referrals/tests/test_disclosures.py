"""The accounting of disclosures: every disclosing path writes one row; none can be edited."""

import csv
import io

import pytest
from django.db import connection, transaction
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.core.signals import disclosed
from vigil.deconfliction.tests import factories as f
from vigil.referrals import actions
from vigil.referrals.models import DisclosedItem, Disclosure, ImmutableError
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db


class Subpoena:
    """Stands in for another app's sender (subpoenas, partner exports): no referrals import."""

    pk = 77

    class _meta:  # noqa: N801
        app_label = "subpoenas"
        model_name = "subpoena"


def test_it_accounts_for_a_disclosure_sent_by_another_app(personas, directory):
    tip = f.tip()
    responses = disclosed.send(
        sender=Subpoena,
        records=[("tip", tip.pk), ("selector", 5)],
        recipient="Example ISP Inc.",
        purpose="Administrative subpoena for subscriber records",
        method="served by e-mail",
        actor=personas.investigator,
        source=Subpoena(),
    )
    assert len(responses) == 1
    d = Disclosure.objects.get()
    assert d.records == [["tip", tip.pk], ["selector", 5]]
    assert d.source_type == "subpoenas.subpoena" and d.source_id == "77"
    assert d.office is None and d.actor_username == personas.investigator.username
    assert list(Disclosure.objects.about("tip", tip.pk)) == [d]
    assert AuditEvent.objects.filter(action="disclosure.record", object_id=str(d.pk)).exists()


def test_it_matches_the_recipient_to_the_directory(personas, directory):
    disclosed.send(
        sender=None,
        records=[("tip", 1)],
        recipient="bundeskriminalamt",
        purpose="p",
        method="m",
        actor=personas.manager,
    )
    assert Disclosure.objects.get().office == directory["bka"]


@pytest.mark.parametrize(
    "bad",
    [
        {"records": []},
        {"records": [("tip",)]},
        {"recipient": ""},
        {"purpose": " "},
        {"method": ""},
        {"actor": None},
    ],
)
def test_it_fails_closed_on_an_incomplete_disclosure(personas, bad):
    from django.core.exceptions import ValidationError

    kwargs = {
        "records": [("tip", 1)],
        "recipient": "X",
        "purpose": "p",
        "method": "m",
        "actor": personas.manager,
        **bad,
    }
    with pytest.raises(ValidationError):
        disclosed.send(sender=None, **kwargs)
    assert not Disclosure.objects.exists()


def _one(personas):
    return actions.do_record_disclosure(
        records=[("tip", 1)], recipient="X", purpose="p", method="m", actor=personas.manager
    )


def test_it_never_lets_a_disclosure_be_edited_or_deleted(personas):
    d = _one(personas)
    d.purpose = "changed"
    with pytest.raises(ImmutableError):
        d.save()
    with pytest.raises(ImmutableError):
        d.delete()
    with pytest.raises(ImmutableError):
        Disclosure.objects.filter(pk=d.pk).update(purpose="changed")
    with pytest.raises(ImmutableError):
        Disclosure.objects.all().delete()
    item = DisclosedItem.objects.get()
    with pytest.raises(ImmutableError):
        item.save()
    with pytest.raises(ImmutableError):
        DisclosedItem.objects.all().update(record_id="2")
    with pytest.raises(ImmutableError):
        DisclosedItem.objects.all().delete()
    d.refresh_from_db()
    assert d.purpose == "p"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_it_refuses_raw_updates_on_postgresql(personas):
    from django.db import DatabaseError

    d = _one(personas)
    for sql in (
        "UPDATE referrals_disclosure SET purpose = 'x' WHERE id = %s",
        "DELETE FROM referrals_disclosure WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [d.pk])


def test_it_offers_no_edit_path_in_the_urls():
    from vigil.referrals import urls

    names = {p.name for p in urls.urlpatterns if "disclosure" in p.name}
    assert names == {
        "referrals-disclosures",
        "referrals-disclosures-csv",
        "referrals-disclosures-record",
        "referrals-disclosures-agency",
    }


def test_it_guards_and_audits_the_accounting_pages(client, personas, directory):
    d = _one(personas)
    for url in (
        reverse("referrals-disclosures"),
        reverse("referrals-disclosures-record", args=["tip", 1]),
        reverse("referrals-disclosures-agency", args=[directory["bka"].pk]),
    ):
        check_roles(
            client,
            personas,
            "get",
            url,
            audit_action="disclosure.view",
        )
    check_roles(
        client,
        personas,
        "get",
        reverse("referrals-disclosures-csv"),
        audit_action="disclosure.export",
    )
    client.force_login(personas.reader)
    page = client.get(reverse("referrals-disclosures-record", args=["tip", 1])).content.decode()
    assert f"tip {d.records[0][1]}" in page
    # The read row names the disclosures shown and the filter that chose them.
    row = AuditEvent.objects.filter(action="disclosure.view").latest("id")
    assert row.actor == personas.reader and row.object_type == "referrals.disclosure"
    assert row.changes["ids"] == str(d.pk) and row.changes["count"] == 1
    assert row.changes["filters"]["record"] == "tip 1"
    b"".join(client.get(reverse("referrals-disclosures-csv") + "?kind=tip&id=2").streaming_content)
    row = AuditEvent.objects.filter(action="disclosure.export").latest("id")
    assert row.changes["count"] == 0 and row.changes["filters"] == {"record": "tip 2"}


def test_it_exports_csv_with_formulas_escaped(client, personas):
    actions.do_record_disclosure(
        records=[("tip", 3)],
        recipient='=HYPERLINK("http://x")',
        purpose="+1 trick",
        method="@SUM",
        actor=personas.manager,
    )
    client.force_login(personas.reader)
    response = client.get(reverse("referrals-disclosures-csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["disclosure_id", "disclosed_at_utc", "recipient"]
    assert rows[1][2].startswith("'=") and rows[1][4] == "'+1 trick" and rows[1][5] == "'@SUM"
    assert rows[1][7] == "tip 3"


def test_it_refuses_a_bad_date_filter(client, personas):
    client.force_login(personas.reader)
    response = client.get(reverse("referrals-disclosures") + "?since=yesterday")
    assert response.status_code == 400 and b"YYYY-MM-DD" in response.content


def test_it_filters_per_agency_and_per_record(client, personas, directory):
    a = actions.do_record_disclosure(
        records=[("tip", 1)], recipient="Bundeskriminalamt", purpose="p", method="m",
        actor=personas.manager,
    )  # fmt: skip
    b = actions.do_record_disclosure(
        records=[("tip", 2)], recipient="INTERPOL", purpose="p", method="m", actor=personas.manager
    )
    assert list(Disclosure.objects.about("tip", 2)) == [b]
    client.force_login(personas.reader)
    page = client.get(
        reverse("referrals-disclosures-agency", args=[directory["bka"].pk])
    ).content.decode()
    assert page.count('data-testid="disclosure-row"') == 1 and a.purpose in page


# Every place that discloses outside the unit, and the test proving it writes one row.
DISCLOSING = {
    "vigil/referrals/actions/referrals.py": (
        "vigil/referrals/tests/test_referrals.py::test_it_walks_the_status_flow"
    ),
    "vigil/referrals/actions/shares.py": (
        "vigil/referrals/tests/test_shares.py::test_it_writes_one_disclosure_per_share"
    ),
    "vigil/subpoenas/actions/drafting.py": (
        "vigil/referrals/tests/test_integrations.py::test_it_accounts_for_a_served_subpoena"
    ),
    # disclose_sent: every partner export (VICS file, package, push, sync) goes through it.
    "vigil/exchange/actions/sending.py": (
        "vigil/exchange/tests/test_vics.py::test_it_accounts_for_what_it_sends",
        "vigil/exchange/tests/test_disclosures.py::test_each_sync_batch_served_is_a_disclosure",
        "vigil/referrals/tests/test_integrations.py::"
        "test_it_accounts_for_what_a_partner_pulls_or_is_pushed",
    ),
}


def test_every_disclosing_path_is_known_and_tested():
    """A new `disclosed.send` must be added here with the test that proves its row."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    senders = {
        str(p.relative_to(root))
        for p in (root / "vigil").rglob("*.py")
        if "tests" not in p.parts and "disclosed.send(" in p.read_text(encoding="utf-8")
    }
    assert senders == set(DISCLOSING)
    for tests in DISCLOSING.values():
        for test in [tests] if isinstance(tests, str) else tests:
            path, name = test.split("::")
            assert f"def {name}(" in (root / path).read_text(encoding="utf-8"), test


def test_it_keeps_a_run_of_ids_as_one_entry_found_record_by_record(client, personas):
    from django.core.exceptions import ValidationError

    d = actions.do_record_disclosure(
        records=[("media", 10, 5009), ("media", 7, 7), ("series", 3)],
        recipient="NCMEC", purpose="p", method="sync", actor=personas.manager,
    )  # fmt: skip
    assert d.records == [["media", "10..5009"], ["media", 7], ["series", 3]]
    assert d.record_count == 5002 and DisclosedItem.objects.filter(disclosure=d).count() == 3
    for kind, rid in (("media", 10), ("media", 2500), ("media", 5009), ("media", 7), ("series", 3)):
        assert list(Disclosure.objects.about(kind, rid)) == [d], (kind, rid)
    for kind, rid in (("media", 9), ("media", 5010), ("media", 8), ("series", 10), ("tip", 2500)):
        assert not Disclosure.objects.about(kind, rid).exists(), (kind, rid)
    assert AuditEvent.objects.get(action="disclosure.record").summary.startswith("5002 record(s)")
    client.force_login(personas.reader)
    page = client.get(
        reverse("referrals-disclosures-record", args=["media", 2500])
    ).content.decode()
    assert page.count('data-testid="disclosure-row"') == 1 and "media 10..5009" in page
    for bad in [("media", 5, 1), ("media", True, 3), ("media", 1, "9"), ("media", -2, 4)]:
        with pytest.raises(ValidationError):
            actions.do_record_disclosure(
                records=[bad], recipient="X", purpose="p", method="m", actor=personas.manager
            )
