"""The referral packet: PDF with a table of contents and the same as JSON; sections registry."""

import json
import subprocess

import pytest
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.deconfliction.tests import factories as f
from vigil.referrals import actions, packet
from vigil.referrals.tests.conftest import link
from vigil.testing.roles import check_roles
from vigil.tips.models import ResearchNote

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(tip, directory, personas):
    other = f.tip("B-2")
    f.selector(other, "ssn", "078-05-1120")
    link(tip, other)
    ResearchNote.objects.create(tip=tip, author=personas.investigator, body="Subscriber matches.")
    return actions.do_create_referral(
        tip,
        actor=personas.investigator,
        office=directory["newark"],
        scope="cluster",
        note="Actionable after subpoena",
        receiving_case_number="NK-1",
    )


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "packet.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_it_builds_the_packet_as_json(referral, tip, personas):
    data = packet.build_json(packet.context_for_referral(referral, actor=personas.reader))
    keys = [s["key"] for s in data["sections"]]
    assert keys == ["referral", "tips", "selectors", "research_notes"]
    assert data["contents"] == ["Referral", "Tips", "Selectors", "Research notes"]
    sections = {s["key"]: s for s in data["sections"]}
    assert sections["referral"]["items"][0]["receiving_case_number"] == "NK-1"
    assert {t["source_reference"] for t in sections["tips"]["items"]} == {"T-1", "B-2"}
    values = {s["value"] for s in sections["selectors"]["items"]}
    assert "203.0.113.7" in values and "078-05-1120" not in values  # SSN masked
    assert sections["research_notes"]["items"][0]["note"] == "Subscriber matches."
    assert sections["tips"]["items"][0]["received_at"].endswith("+00:00")
    json.dumps(data)


def test_it_renders_the_pdf_with_a_table_of_contents(referral, personas, tmp_path):
    pdf = packet.render_pdf(packet.context_for_referral(referral, actor=personas.reader))
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    assert "Contents" in text and "1. Referral" in text and "4. Research notes" in text
    assert "HSI Newark" in text and "203.0.113.7" in text and "Subscriber matches." in text
    assert "078-05-1120" not in text
    # Timestamps as a person reads them (the headings say UTC); the JSON keeps ISO 8601.
    received = referral.tip.received_at.strftime("%Y-%m-%d %H:%M:%S")
    assert received in text and "+00:00" not in text


def test_it_takes_sections_from_other_apps(referral, personas):
    def subpoenas(ctx):
        return packet.Section(
            key="subpoenas",
            title="Subpoenas and responses",
            columns=[("number", "Number"), ("document", "Response document")],
            items=[{"number": "S-1", "document": "response.pdf"}],
        )

    # Stands in for the subpoenas app's section (conftest puts the real one back).
    packet.register_section("subpoenas", subpoenas, order=40)
    data = packet.build_json(packet.context_for_referral(referral))
    assert [s["key"] for s in data["sections"]][3] == "subpoenas"


def test_it_guards_and_audits_the_packet(client, personas, referral):
    for name in ("referrals-packet-json", "referrals-packet-pdf"):
        check_roles(
            client,
            personas,
            "get",
            reverse(name, args=[referral.pk]),
            audit_action="referral.packet",
        )
    client.force_login(personas.reader)
    response = client.get(reverse("referrals-packet-json", args=[referral.pk]))
    assert response["Cache-Control"] == "no-store"
    assert response.json()["packet"]["referral_id"] == referral.pk
    row = AuditEvent.objects.filter(action="referral.packet").latest("id")
    tips = sorted(referral.members.values_list("tip_id", flat=True))
    assert row.changes["tips"] == f"{tips[0]}-{tips[1]}" and row.actor == personas.reader


def test_the_apps_plug_in_their_evidence_and_sections():
    """Registered at start-up by the referrals, subpoenas and look-ups apps, and still there
    after the tests that stand in for them (a test unregistering them broke later ones)."""
    from vigil.referrals import jurisdiction

    assert set(jurisdiction.providers()) >= {
        "suspect_address",
        "phone_region",
        "subscriber_address",
        "ip_owner_country",
    }
    assert set(packet._sections) >= {"referral", "tips", "selectors", "subpoenas", "research_notes"}
