"""What other apps plug in: subpoena disclosures, subscriber addresses and packet sections,
the IP owner's country from the offline ranges, and the referral figures in the statistics."""

import datetime as dt

import pyrage
import pytest
from django.utils import timezone

from vigil.accounts.actions import do_grant_share
from vigil.lookups import actions as lookup_actions
from vigil.lookups import ranges
from vigil.referrals import actions, jurisdiction, packages, packet
from vigil.referrals.models import Disclosure
from vigil.subpoenas import actions as subpoenas
from vigil.tips import actions as tip_actions
from vigil.tips.models import Source

pytestmark = pytest.mark.django_db

OBSERVED = dt.datetime(2026, 11, 3, 14, 22, 5, tzinfo=dt.UTC)


@pytest.fixture
def case(personas, directory, settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.MEDIA_STORE_DIR = tmp_path / "media"
    source = Source.objects.create(name="Field Office Alpha", country="US")
    tip = tip_actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="FOA-1",
        selectors=[tip_actions.SelectorInput("ip", "203.0.113.7", observed_at=OBSERVED)],
    )
    tip_actions.do_assign_tip(tip, personas.investigator, actor=personas.manager)
    tip.refresh_from_db()
    provider = lookup_actions.do_create_provider(
        actor=personas.manager,
        name="Example Cable",
        legal_contact="Legal",
        legal_email="subpoenas@cable.example",
        address="1 Main Street",
        service_method="email",
    )
    s = subpoenas.do_draft_subpoena(
        tip,
        actor=personas.investigator,
        provider=provider,
        selector_ids=list(tip.selectors.values_list("pk", flat=True)),
        categories=["name", "address"],
    )
    subpoenas.do_approve_subpoena(s, actor=personas.manager)
    subpoenas.do_serve_subpoena(s, actor=personas.investigator, method="email")
    return tip, s


def test_it_accounts_for_a_served_subpoena(case):
    tip, s = case
    d = Disclosure.objects.get(source_type="subpoenas.subpoena")
    assert d.recipient == "Example Cable" and d.records == [["tip", tip.pk]]
    assert d.source_id == str(s.pk)


def test_it_takes_the_subscriber_address_and_adds_the_subpoena_section(case, personas, directory):
    tip, s = case
    subpoenas.do_record_response(
        s,
        actor=personas.investigator,
        outcome="response_received",
        subscriber_name="Sam Subscriber",
        address="9 River Rd, Trenton, NJ 08601",
    )
    evidence = [e for e in jurisdiction.suggest([tip]).evidence if e.kind == "subscriber_address"]
    assert evidence and evidence[0].place.state == "NJ" and s.reference in evidence[0].source
    assert jurisdiction.suggest([tip]).office == directory["newark"]
    r = actions.do_create_referral(tip, actor=personas.investigator, office=directory["newark"])
    data = packet.build_json(packet.context_for_referral(r, actor=personas.investigator))
    (section,) = [x for x in data["sections"] if x["key"] == "subpoenas"]
    assert section["items"][0]["reference"] == s.reference
    assert section["items"][0]["subscriber"] == "Sam Subscriber"


def test_it_ships_the_subpoena_with_a_shared_packet(case, personas, directory):
    tip, s = case
    key = pyrage.x25519.Identity.generate()
    bka = directory["bka"]
    bka.age_recipient = str(key.to_public())
    bka.save()
    do_grant_share(personas.investigator, actor=personas.manager, reason="liaison")
    personas.investigator.refresh_from_db()
    r = actions.do_create_referral(tip, actor=personas.investigator, office=directory["newark"])
    package, _ = actions.do_create_share(
        actor=personas.investigator, office=bka, kind="packet", method="age", purpose="p",
        referral=r,
    )  # fmt: skip
    from django.conf import settings

    files = packages.open_age((settings.SHARE_DIR / package.path).read_bytes(), str(key))
    assert f"subpoenas/{s.reference}.pdf" in files
    assert files[f"subpoenas/{s.reference}.pdf"].startswith(b"%PDF")


def test_it_takes_the_ip_owners_country_from_the_offline_ranges(personas, directory, tmp_path):
    from vigil.deconfliction.tests import factories as f

    path = tmp_path / "ranges.tsv"
    path.write_text("203.0.113.0\t203.0.113.255\t64500\tDE\tExample Hosting GmbH\n")
    lookup_actions.do_import_ranges(path, actor=personas.manager)
    ranges.invalidate()
    t = f.tip()
    f.selector(t, "ip", "203.0.113.7")
    try:
        s = jurisdiction.suggest([t])
    finally:
        ranges.invalidate()  # the index is cached per process; the rows roll back
    (e,) = [e for e in s.evidence if e.kind == "ip_owner_country"]
    assert e.place.country == "DE" and "Example Hosting" in e.detail
    assert s.office == directory["berlin"] and directory["bka"] in s.other_agencies


def test_it_counts_referrals_in_the_statistics(personas, directory):
    from vigil.deconfliction.tests import factories as f
    from vigil.stats import registry

    t = f.tip(assigned=personas.investigator)
    r = actions.do_create_referral(t, actor=personas.investigator, office=directory["newark"])
    actions.do_send_referral(r, actor=personas.investigator)
    actions.do_open_case(r, actor=personas.investigator, case_number="C-1")
    period = registry.Period.last_months(1)
    report = registry.compute(
        period,
        keys=[
            "referrals_sent",
            "referrals_acknowledged",
            "cases_opened",
            "median_days_receipt_to_referral",
        ],
    )
    month = period.months[0]
    got = {k: report.results[k].by_month[month] for k in report.results}
    assert got["referrals_sent"] == 1 and got["cases_opened"] == 1
    assert got["referrals_acknowledged"] == 1
    assert (
        got["median_days_receipt_to_referral"] is not None
        and got["median_days_receipt_to_referral"] < 1
    )
    assert timezone.now()


def test_it_tells_the_analyst_when_a_referred_tip_is_corrected(personas, directory):
    from vigil.deconfliction.tests import factories as f
    from vigil.messaging.models import Message
    from vigil.retention import actions as retention

    t = f.tip("R-1", assigned=personas.investigator, narrative="old text")
    r = actions.do_create_referral(
        t, actor=personas.investigator, office=directory["newark"], receiving_case_number="NK-3"
    )
    actions.do_send_referral(r, actor=personas.investigator)
    report = retention.do_report_inaccuracy(
        t, reported_by="HSI Newark", what="wrong address", actor=personas.investigator
    )
    retention.do_review_inaccuracy(
        report, outcome="corrected", note="fixed", narrative="new text", actor=personas.manager
    )
    msg = Message.objects.get(recipient=personas.investigator, subject__contains="tell HSI Newark")
    assert "NK-3" in msg.body
    from vigil.audit.models import AuditEvent

    review = AuditEvent.objects.get(action="correction.review")
    assert review.changes["receivers_told"] == 1


def test_it_accounts_for_what_a_partner_pulls_or_is_pushed(personas):
    """The exchange's sync (a partner pulls) and push paths disclose through disclose_sent too."""
    from vigil.exchange.actions import pushing, syncing
    from vigil.exchange.tests.conftest import make_partner

    partner = make_partner("EXP")
    syncing.do_record_sync_sent(
        partner, ids=[11, 12], series_ids=[3], tombstones=0, discloser=personas.manager
    )
    pushing.do_record_push_sent(
        partner, actor=personas.manager, batch="b1", cursor="c1", ids=[13], series_ids=[],
        tombstones=0, answer={"created": 1},
    )  # fmt: skip
    pulled, pushed = Disclosure.objects.order_by("id")
    assert pulled.recipient == pushed.recipient == "EXP (test)"
    assert (pulled.method, pulled.records) == (
        "sync",
        [["media", "11..12"], ["series", 3]],  # a run of consecutive ids: one entry
    )
    assert pulled.record_count == 3 and list(Disclosure.objects.about("media", 12)) == [pulled]
    assert (pushed.method, pushed.records) == ("push", [["media", 13]])
    assert pulled.actor == pushed.actor == personas.manager
    assert pulled.source_type == "exchange.transfer"
