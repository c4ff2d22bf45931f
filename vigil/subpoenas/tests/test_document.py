"""The subpoena document: minimisation proven with canaries, rendered on demand, audited."""

import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from vigil.audit.models import AuditEvent
from vigil.subpoenas import actions, document
from vigil.subpoenas.tests.conftest import selector_ids
from vigil.tips import actions as tip_actions


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def canaried(personas, tip, source):
    """Canaries in every field that must never reach the document."""
    tip_actions.do_update_tip(
        tip, actor=personas.manager, narrative="CANARYNARRATIVE the suspect said things"
    )
    tip.attributes = {"offence": "CANARYOFFENCE 18 USC 2252", "incidentType": "CANARYINCIDENT"}
    tip.priority = tip.Priority.CONTACT  # its label names the alleged offence
    tip.status_reason = "CANARYREASON"
    tip.save(update_fields=["attributes", "priority", "status_reason"])
    tip_actions.do_add_selectors(
        tip,
        [
            tip_actions.SelectorInput("person", "Canaryperson Smith"),
            tip_actions.SelectorInput("address", "CANARYADDRESS 1 Secret Lane"),
            tip_actions.SelectorInput("phone", "+1 202 555 0142"),  # on the tip, not picked
        ],
        actor=personas.manager,
    )
    tip_actions.do_add_research_note(tip, "CANARYNOTE research", actor=personas.manager)
    tip_actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="CANARYOTHERTIP",
        narrative="CANARYOTHERNARRATIVE",
        selectors=[tip_actions.SelectorInput("ip", "203.0.113.7")],
    )
    tip.refresh_from_db()
    return tip


CANARIES = [
    "CANARYNARRATIVE",
    "CANARYOFFENCE",
    "Canaryperson",
    "CANARYADDRESS",
    "CANARYNOTE",
    "CANARYOTHERTIP",
    "CANARYOTHERNARRATIVE",
    "CANARYINCIDENT",
    "CANARYREASON",
    "Contact offence",
    "FOA-17",
    "Field Office Alpha",
    "handle17",  # the tip's online ID, not picked for this subpoena
    "555 0142",
    "5550142",
]


def test_it_keeps_everything_but_what_the_provider_needs_out_of_the_pdf(
    personas, canaried, provider, tmp_path
):
    s = actions.do_draft_subpoena(
        canaried,
        actor=personas.investigator,
        provider=provider,
        selector_ids=selector_ids(canaried, "ip", "email"),
        categories=["name", "address", "sessions"],
        time_zone="America/New_York",
    )
    actions.do_approve_subpoena(s, actor=personas.manager)
    text = pdf_text(actions.render_subpoena(s, actor=personas.investigator), tmp_path)
    for canary in CANARIES:
        assert canary.lower() not in text.lower(), canary
    flat = " ".join(text.split())
    for needed in [
        "ADMINISTRATIVE SUBPOENA",
        s.reference,
        "Example Cable",
        "203.0.113.7",
        "51234",
        "user17@cable.example",
        "2026-11-03 14:22:05 UTC",
        "2026-11-03 09:22:05 EST",
        "America/New_York",
        "Name",
        "Address",
        "records of session times",
        "Child Exploitation Investigations Unit",
        "quoting the reference",
        "Approved by maria",
    ]:
        assert needed in flat, needed


def test_it_keeps_canaries_out_whatever_the_manager_writes_in_the_template(
    personas, canaried, provider, tmp_path
):
    body = "<p>{{ tip.narrative }} {{ subpoena.tip.narrative }} {{ narrative }} {% for i in identifiers %}{{ i.value }} {{ i.selector.tip.narrative }}{% endfor %} {{ provider.subpoenas.all }}</p>"
    actions.do_update_template(
        actor=personas.manager, body=body, issuing_office="Office", return_instructions="Return"
    )
    s = actions.do_draft_subpoena(
        canaried,
        actor=personas.investigator,
        provider=provider,
        selector_ids=selector_ids(canaried, "ip"),
        categories=["name"],
    )
    text = pdf_text(actions.render_subpoena(s, actor=personas.investigator), tmp_path)
    assert "203.0.113.7" in text
    for canary in CANARIES:
        assert canary.lower() not in text.lower(), canary


def test_it_renders_on_demand_audits_every_render_and_stores_nothing(
    personas, tip, provider, settings, tmp_path
):
    s = actions.do_draft_subpoena(
        tip,
        actor=personas.investigator,
        provider=provider,
        selector_ids=selector_ids(tip, "ip"),
        categories=["name"],
    )
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    actions.render_subpoena(s, actor=personas.investigator)
    pdf = actions.render_subpoena(s, actor=personas.manager)
    assert pdf.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="subpoena.render", object_id=str(s.pk)).count() == 2
    assert {p for p in tmp_path.rglob("*") if p.is_file()} == before
    assert "DRAFT" in pdf_text(pdf, tmp_path / "x") if (tmp_path / "x").mkdir() is None else True
    for role in ("reader", "other_investigator", "admin"):
        with pytest.raises(PermissionDenied):
            actions.render_subpoena(s, actor=getattr(personas, role))


def test_it_lets_a_manager_edit_and_preview_the_template(personas, tmp_path):
    with pytest.raises(PermissionDenied):
        actions.do_update_template(
            actor=personas.investigator, body="x", issuing_office="o", return_instructions="r"
        )
    with pytest.raises(ValidationError, match="template has an error"):
        actions.do_update_template(
            actor=personas.manager, body="{% for %}", issuing_office="o", return_instructions="r"
        )
    with pytest.raises(ValidationError, match="template has an error"):
        actions.do_update_template(
            actor=personas.manager,
            body="{% include '/etc/passwd' %}",
            issuing_office="o",
            return_instructions="r",
        )
    actions.do_update_template(
        actor=personas.manager,
        body=document.DEFAULT_BODY,
        issuing_office="Unit Nine\nLegal desk",
        return_instructions="Mail it back.",
    )
    text = pdf_text(actions.preview_template(actor=personas.manager), tmp_path)
    assert "Unit Nine" in text and "Mail it back." in text and "192.0.2.10" in text
    assert AuditEvent.objects.filter(action="subpoena.template_update").exists()
    assert AuditEvent.objects.filter(action="subpoena.template_preview").exists()
