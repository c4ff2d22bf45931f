"""Every path that sends records to a partner writes its accounting of disclosures: one
disclosure per transfer naming every media (and series) sent by id — runs of consecutive
ids, so a million records are a few rows — each found record by record.

Paths: a VICS export (command line and page), a package, a sync batch served, a push
batch the partner took. The two-instance sync test checks it across real servers too.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.exchange import actions, keys
from vigil.exchange.actions import sending
from vigil.exchange.models import Transfer
from vigil.referrals.models import RUN, Disclosure
from vigil.victimid.models import Media, Series

from .conftest import DATA, make_partner

pytestmark = pytest.mark.django_db


def named(disclosure: Disclosure) -> dict[str, set[int]]:
    """Every id a disclosure names, its runs expanded."""
    out: dict[str, set[int]] = {"media": set(), "series": set()}
    for kind, rid in disclosure.records:
        first, sep, last = str(rid).partition(RUN)
        out[kind].update(range(int(first), int(last) + 1) if sep else [int(rid)])
    return out


def accounted(method: str, *, series: bool = False) -> list[Disclosure]:
    """Each transfer out by `method` is accounted for: its disclosures (one, unless ids
    scatter) name exactly the media its exchange.send audit rows list, and each of those
    media finds the disclosure."""
    transfers = list(Transfer.objects.filter(direction="out", method=method))
    assert transfers, f"no {method} transfer"
    found: list[Disclosure] = []
    every: set[int] = set()
    for t in transfers:
        rows = [
            e
            for e in AuditEvent.objects.filter(action="exchange.send")
            if e.changes.get("transfer") == t.pk
        ]
        sent = {i for e in rows for i in e.changes["records"]}
        disclosures = list(
            Disclosure.objects.filter(source_type="exchange.transfer", source_id=str(t.pk))
        )
        assert disclosures and sent, t
        media = set().union(*(named(d)["media"] for d in disclosures))
        assert media == sent
        assert sum(d.record_count for d in disclosures) == len(sent) + sum(
            len(named(d)["series"]) for d in disclosures
        )
        for d in disclosures:
            assert d.method == method and d.purpose == actions.PURPOSE and d.actor_username
            assert d.recipient == (t.partner.organisation if t.partner else d.recipient)
        for i in sent:
            assert Disclosure.objects.about("media", i).filter(pk__in=[d.pk for d in disclosures])
        found += disclosures
        every |= sent
    if series:  # the series of every media sent are disclosed (a sync serves them first)
        held = set(
            Media.objects.filter(pk__in=every, series__isnull=False).values_list(
                "series_id", flat=True
            )
        )
        assert set().union(*(named(d)["series"] for d in found)) >= held
    return found


@pytest.fixture
def held(partner):
    """NCMEC's records (the quirks file) and one local series of three hash records."""
    with open(DATA / "quirks-1.3.json", "rb") as fh:
        actions.do_import_vics(fh, actor=None, partner=partner, filename="q.json")
    local = Series.objects.create(name="Local series", victim_identified=True)
    for i in range(3):
        Media.objects.create(series=local, kind="unknown", md5=f"{i + 1:032x}")
    return partner


def test_a_vics_export_is_one_disclosure_of_every_record(held, sharer, tmp_path, client):
    interpol = make_partner("INTERPOL")
    call_command(
        "export_vics", "--user", sharer, "--out", str(tmp_path / "i.json"), "--partner", "INTERPOL"
    )
    (one,) = accounted("vics")
    assert one.recipient == interpol.organisation and one.actor_username == sharer
    assert len(named(one)["media"]) == Media.objects.count() == 9
    assert len(one.records) < 9  # runs of ids, not one entry per record

    client.force_login(one.actor)
    page = client.post(reverse("exchange-export"), {"partner": "INTERPOL", "version": "1.3"})
    assert page.status_code == 200
    assert len(accounted("vics")) == 2


def test_scattered_ids_are_still_accounted_for_record_by_record(
    held, sharer, tmp_path, monkeypatch
):
    # Every other media is a match-request submission (no series, no record): never sent.
    local = Series.objects.get(name="Local series")
    for i in range(6):
        Media.objects.create(kind="unknown", md5=f"{100 + i:032x}")
        Media.objects.create(series=local, kind="unknown", md5=f"{200 + i:032x}")
    monkeypatch.setattr(sending, "DISCLOSE_ENTRIES", 2)
    make_partner("INTERPOL")
    call_command(
        "export_vics", "--user", sharer, "--out", str(tmp_path / "i.json"), "--partner", "INTERPOL"
    )
    disclosures = accounted("vics")
    assert len(disclosures) > 1 and all(len(d.records) <= 2 for d in disclosures)


def test_a_package_discloses_its_records_and_series(held, sharer, tmp_path):
    me = keys.identity()
    loop = make_partner("LOOP", may_receive=4, sends=4)
    loop.signing_key, loop.age_recipient = me.signing_public, me.age_recipient
    loop.save()
    call_command("export_partner", "LOOP", "--user", sharer, "--out", str(tmp_path / "p.age"))
    (one,) = accounted("package", series=True)
    assert named(one)["series"] == set(
        Media.objects.filter(series__isnull=False).values_list("series_id", flat=True)
    )


def test_each_sync_batch_served_is_a_disclosure(held, personas, client, settings):
    settings.EXCHANGE_SYNC_SETTLE_SECONDS = 0
    beta = make_partner("BETA")
    secret = actions.do_issue_token(beta, actor=personas.manager)[1]
    url, batches = reverse("exchange-sync-changes") + "?limit=4", 0
    while url:
        answer = client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert answer.status_code == 200, answer.content
        url, batches = answer.json()["next"], batches + 1
    disclosures = accounted("sync", series=True)
    assert batches > 2 and len(disclosures) == Transfer.objects.filter(method="sync").count()
    assert {d.actor_username for d in disclosures} == {personas.manager.username}


def test_a_push_the_partner_took_is_a_disclosure(held, personas):
    beta = make_partner("BETA")
    ids = list(Media.objects.order_by("id").values_list("id", flat=True))
    series_ids = list(Series.objects.values_list("id", flat=True))
    actions.do_record_push_sent(
        beta,
        actor=personas.manager,
        batch="b1",
        cursor="c",
        ids=ids,
        series_ids=series_ids,
        tombstones=0,
        answer={},
    )
    (one,) = accounted("push", series=True)
    assert named(one) == {"media": set(ids), "series": set(series_ids)}
