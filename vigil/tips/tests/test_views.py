import csv
import io

import pytest
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.testing.roles import check_roles
from vigil.tips import actions
from vigil.tips.models import EvidenceItem, ImportJob, ResearchNote, Selector, Tip


def test_it_guards_the_queue(client, personas, tip):
    check_roles(client, personas, "get", reverse("tips-queue"))


def test_it_guards_the_tip_page_and_audits_the_view(client, personas, tip):
    check_roles(
        client,
        personas,
        "get",
        reverse("tips-detail", args=[tip.pk]),
        audit_action="tip.view",
    )
    client.force_login(personas.reader)
    assert client.get(reverse("tips-detail", args=[99999])).status_code == 404


def test_it_guards_the_create_form_and_creates(client, personas, source):
    check_roles(client, personas, "get", reverse("tips-create"))
    counter = iter(range(100))
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-create"),
        data=lambda: {
            "source": source.pk,
            "source_reference": f"WEB-{next(counter)}",
            "narrative": "mail me at x@example.com",
            "sel_type": ["phone", "email"],
            "sel_value": ["+1 202 555 0143", ""],
            "priority": "2",
        },
        audit_action="tip.create",
    )
    t = Tip.objects.filter(created_by=personas.investigator).get()
    assert t.priority == 2 and t.assigned_to == personas.investigator
    assert (
        t.selectors.filter(type="phone").exists()
        and t.selectors.filter(type="email", extracted=True).exists()
    )


def test_it_shows_form_errors_and_keeps_input(client, personas, source):
    client.force_login(personas.investigator)
    r = client.post(
        reverse("tips-create"),
        {
            "source": source.pk,
            "narrative": "keep me",
            "sel_type": ["ip"],
            "sel_value": ["1.2.3.999"],
        },
    )
    assert r.status_code == 400
    assert (
        b"keep me" in r.content
        and b"1.2.3.999" in r.content
        and b"not an IPv4 or IPv6 address" in r.content
    )
    assert not Tip.objects.exists()


def test_it_proposes_selectors_live(client, personas):
    check_roles(client, personas, "post", reverse("tips-extract"), data={"narrative": "x"})
    client.force_login(personas.investigator)
    r = client.post(
        reverse("tips-extract"), {"narrative": "write to bob[@]example.com from 203.0.113[.]4"}
    )
    assert b"bob@example.com" in r.content and b"203.0.113.4" in r.content


def test_it_guards_triage_from_the_queue_with_htmx(client, personas, tip):
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-triage", args=[tip.pk]),
        data={"status": "in_review"},
        audit_action="tip.triage",
    )
    client.force_login(personas.investigator)
    r = client.post(
        reverse("tips-triage", args=[tip.pk]),
        {"status": "unfounded", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and b"A reason is required" in r.content
    r = client.post(
        reverse("tips-triage", args=[tip.pk]),
        {"status": "unfounded", "reason": "hoax"},
        HTTP_HX_REQUEST="true",
    )
    assert b"Unfounded" in r.content and Tip.objects.get(pk=tip.pk).status == "unfounded"


def test_it_guards_assignment(client, personas, tip, source):
    other = actions.do_create_tip(actor=personas.manager, source=source, source_reference="U-1")
    url = reverse("tips-assign", args=[other.pk])
    check_roles(
        client,
        personas,
        "post",
        url,
        data={"assignee": "me"},
        audit_action="tip.assign",
        setup=lambda: Tip.objects.filter(pk=other.pk).update(assigned_to=None),
    )
    Tip.objects.filter(pk=other.pk).update(assigned_to=None)
    client.force_login(personas.other_investigator)
    assert client.post(url, {"assignee": personas.investigator.pk}).status_code == 403
    assert client.post(url, {"assignee": "me"}, HTTP_HX_REQUEST="true").status_code == 200
    assert Tip.objects.get(pk=other.pk).assigned_to == personas.other_investigator
    client.force_login(personas.reader)
    assert client.post(url, {"assignee": "me"}).status_code == 403
    client.force_login(personas.manager)
    r = client.post(url, {"assignee": personas.investigator.pk}, HTTP_HX_REQUEST="true")
    assert (
        r.status_code == 200 and Tip.objects.get(pk=other.pk).assigned_to == personas.investigator
    )
    assert AuditEvent.objects.filter(action="tip.assign", actor=personas.manager).exists()


def test_it_guards_selector_notes_and_evidence_writes(client, personas, tip):
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-selector-add", args=[tip.pk]),
        data={"sel_type": "email", "sel_value": "z@example.com"},
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-note-add", args=[tip.pk]),
        data={"body": "looked it up"},
        audit_action="tip.note_add",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-evidence-add", args=[tip.pk]),
        data={
            "description": "USB",
            "received_from": "PD",
            "received_at": "2025-01-01T10:00",
            "stored_at": "Locker",
        },
        audit_action="tip.evidence_add",
    )
    item = EvidenceItem.objects.filter(tip=tip).first()
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-evidence-transfer", args=[tip.pk, item.pk]),
        data={
            "from_party": "Locker",
            "to_party": "Lab",
            "transferred_at": "2025-01-02T10:00",
            "stored_at": "Lab",
        },
        audit_action="tip.evidence_transfer",
    )
    sel = tip.selectors.get(type="ip")
    check_roles(client, personas, "post", reverse("tips-selector-confirm", args=[tip.pk, sel.pk]))
    check_roles(
        client, personas, "post", reverse("tips-priority", args=[tip.pk]), data={"priority": "1"}
    )
    check_roles(client, personas, "get", reverse("tips-edit", args=[tip.pk]))
    numbers = iter(range(10, 99))

    def fresh_selector_url():
        # Each removal uses its selector up: one per role.
        added = actions.do_add_selectors(
            tip,
            [actions.SelectorInput("phone", f"+44 20 7946 00{next(numbers)}")],
            actor=personas.manager,
        )[0]
        return reverse("tips-selector-remove", args=[tip.pk, added.pk])

    check_roles(client, personas, "post", fresh_selector_url, audit_action="tip.selector_remove")
    client.force_login(personas.investigator)
    client.post(reverse("tips-selector-remove", args=[tip.pk, sel.pk]))
    assert not Selector.objects.filter(pk=sel.pk).exists()


def test_it_serves_note_attachments_to_readers_and_audits(client, personas, tip):
    from django.core.files.uploadedfile import SimpleUploadedFile

    note = actions.do_add_research_note(
        tip, "whois", actor=personas.investigator, attachment=SimpleUploadedFile("w.txt", b"data")
    )
    url = reverse("tips-note-attachment", args=[tip.pk, note.pk])
    check_roles(client, personas, "get", url, audit_action="tip.note_attachment_download")
    assert ResearchNote.objects.count() == 1


def test_it_guards_the_sources_directory(client, personas, source):
    check_roles(client, personas, "get", reverse("tips-sources"))
    check_roles(client, personas, "get", reverse("tips-source-edit", args=[source.pk]))
    client.force_login(personas.manager)
    r = client.post(
        reverse("tips-source-edit", args=[source.pk]),
        {
            "name": source.name,
            "kind": "field_office",
            "reliability": "unreliable",
            "reliability_note": "twice wrong",
            "active": "on",
        },
    )
    assert r.status_code == 302
    source.refresh_from_db()
    assert source.reliability == "unreliable"
    check_roles(client, personas, "get", reverse("tips-source-create"))
    names = iter(range(100))
    check_roles(
        client,
        personas,
        "post",
        reverse("tips-source-create"),
        data=lambda: {
            "name": f"Tip line {next(names)}",
            "kind": "public",
            "reliability": "reliable",
            "active": "on",
        },
        audit_action="source.create",
    )


def test_it_exports_csv_with_formulas_escaped(client, personas, source):
    actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="=HYPERLINK(1)",
        narrative="+cmd|' /C calc'!A0",
    )
    check_roles(client, personas, "get", reverse("tips-export"), audit_action="tip.export")
    client.force_login(personas.reader)
    rows = list(csv.reader(io.StringIO(client.get(reverse("tips-export")).content.decode())))
    assert rows[1][2] == "'=HYPERLINK(1)" and rows[1][7].startswith("'+cmd")
    from openpyxl import load_workbook

    r = client.get(reverse("tips-export") + "?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [c for c in ws.iter_rows(min_row=2, max_row=2)][0]
    assert cells[2].value == "'=HYPERLINK(1)" and cells[2].data_type == "s"


def test_it_exports_each_tips_selectors(client, personas, source):
    actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="SEL-1",
        narrative="kik username x_panda_night",
        selectors=[
            actions.SelectorInput("email", "John.Doe@Example.org"),
            actions.SelectorInput("ssn", "123-45-6789"),
        ],
    )
    client.force_login(personas.reader)
    rows = list(csv.reader(io.StringIO(client.get(reverse("tips-export")).content.decode())))
    assert rows[0][-1] == "selectors"
    cell = rows[1][-1]
    assert "email:john.doe@example.org" in cell
    assert "ssn:***-**-6789" in cell and "123-45-6789" not in cell
    assert "online_id:kik:x_panda_night (unconfirmed)" in cell


def test_it_filters_the_queue(client, personas, tip, source):
    actions.do_create_tip(actor=personas.manager, source=source, source_reference="Q-2")
    client.force_login(personas.reader)
    r = client.get(reverse("tips-queue"), {"assignee": "none"})
    assert b"Q-2" in r.content and b"FOA-1" not in r.content
    r = client.get(
        reverse("tips-queue"), {"assignee": str(personas.investigator.pk), "status": "in_review"}
    )
    assert b"FOA-1" in r.content and b"Q-2" not in r.content


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("t.csv", b"reference,narrative\nW-1,hi\n"),
        ("ips.txt", b"81.2.69.142\n"),
        ("t.json", b'[{"reference": "W-1"}]'),
    ],
)
def test_it_asks_for_the_source_before_taking_a_file_that_names_none(
    client, personas, source, name, body
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas.investigator)
    r = client.post(reverse("tips-import"), {"file": SimpleUploadedFile(name, body)}, follow=True)
    assert b"Choose the source of these tips" in r.content
    assert not ImportJob.objects.exists()
    # A file with a source column needs no choice.
    with_source = b"reference,source,narrative\nW-1," + source.name.encode() + b",hi\n"
    r = client.post(reverse("tips-import"), {"file": SimpleUploadedFile("s.csv", with_source)})
    assert r.status_code == 302 and ImportJob.objects.count() == 1


def test_it_uploads_a_file_and_reports_progress(client, personas, source, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = b"reference,narrative,ip_address\nW-1,hi,203.0.113.1\nW-2,hi,not-ip\n"
    client.force_login(personas.reader)
    assert (
        client.post(reverse("tips-import"), {"file": SimpleUploadedFile("t.csv", body)}).status_code
        == 403
    )
    client.force_login(personas.investigator)
    with pytest.MonkeyPatch.context():
        from django.test import TestCase  # noqa: F401

        r = client.post(
            reverse("tips-import"), {"file": SimpleUploadedFile("t.csv", body), "source": source.pk}
        )
    assert r.status_code == 302
    job = ImportJob.objects.get()
    # ImmediateBackend: on_commit does not fire inside the test transaction; run the task as the worker would.
    from vigil.tips.tasks import run_import_job

    run_import_job.call(job.pk, "")
    job.refresh_from_db()
    assert (
        job.status == "done"
        and job.summary["tips_created"] == 1
        and job.summary["rejected_count"] == 1
    )
    # The tips a web import creates point to its job (the queue filters by it).
    assert Tip.objects.get(source_reference="W-1").import_job == job
    r = client.get(reverse("tips-import-progress", args=[job.pk]), HTTP_X_VIGIL_POLL="1")
    assert b"not a valid IP" in r.content and b"hx-trigger" not in r.content
    client.force_login(personas.other_investigator)
    # Another investigator's import is not theirs to see: 404 (was 403).
    assert client.get(reverse("tips-import-detail", args=[job.pk])).status_code == 404


def test_it_queues_an_upload_through_an_action_that_audits_it(client, personas, source, settings):
    """The import page calls tips.actions.do_queue_import: one tip.import_upload row; a bad
    upload is refused with its reason and leaves no job, no row and no file."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigil.audit.models import AuditEvent

    client.force_login(personas.investigator)
    stored = Path(settings.UPLOAD_DIR) / "imports"
    files_before = set(stored.glob("*")) if stored.exists() else set()
    rows = AuditEvent.objects.filter(action="tip.import_upload")
    r = client.post(
        reverse("tips-import"),
        {"file": SimpleUploadedFile("t.csv", b"reference,narrative\nA,b\n"), "format": "pdf"},
        follow=True,
    )
    assert b"Unknown format." in r.content
    r = client.post(reverse("tips-import"), {"format": "csv"}, follow=True)
    assert b"Choose a file to import." in r.content
    assert not ImportJob.objects.exists() and not rows.exists()
    assert (set(stored.glob("*")) if stored.exists() else set()) == files_before
    r = client.post(
        reverse("tips-import"),
        {"file": SimpleUploadedFile("t.csv", b"reference,narrative\nA,b\n"), "source": source.pk},
    )
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("tips-import-detail", args=[job.pk])
    (event,) = rows
    assert event.actor == personas.investigator and event.object_id == str(job.pk)
    assert event.changes["format"] == "auto"
    assert (Path(settings.UPLOAD_DIR) / job.file_path).exists()


def test_it_deletes_an_uploaded_file_that_held_a_victim_section(client, personas, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigil.tips.models import Source
    from vigil.tips.tasks import run_import_job

    ncmec = Source.objects.create(name="NCMEC", kind="ncmec")
    xml = b"<report><reportId>77</reportId><victim><victimPerson><firstName>A</firstName></victimPerson></victim></report>"
    client.force_login(personas.manager)
    client.post(
        reverse("tips-import"), {"file": SimpleUploadedFile("r.xml", xml), "source": ncmec.pk}
    )
    job = ImportJob.objects.get()
    stored = settings.UPLOAD_DIR / job.file_path
    assert stored.exists()
    run_import_job.call(job.pk, "")
    job.refresh_from_db()
    assert (
        job.summary["victim_sections_dropped"] == 1 and job.file_path == "" and not stored.exists()
    )


def test_the_dashboard_lists_my_open_tips(client, personas, tip):
    client.force_login(personas.investigator)
    r = client.get(reverse("core-dashboard"))
    assert b"My open tips" in r.content and b"FOA-1" in r.content
    client.force_login(personas.admin)
    assert b"My open tips" not in client.get(reverse("core-dashboard")).content


def test_it_guards_the_import_pages_and_reports_a_failed_file(client, personas, source):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigil.tips.tasks import run_import_job

    check_roles(client, personas, "get", reverse("tips-import"))
    check_roles(client, personas, "get", reverse("tips-selector-row"))
    client.force_login(personas.investigator)
    client.post(
        reverse("tips-import"),
        {"file": SimpleUploadedFile("t.csv", b"1,2,3\n4,5,6\n"), "source": source.pk},
    )
    job = ImportJob.objects.get()
    run_import_job.call(job.pk, "")
    job.refresh_from_db()
    assert job.status == "failed" and job.error.startswith("Missing header")
    url = reverse("tips-import-progress", args=[job.pk])
    check_roles(client, personas, "get", url)
    check_roles(client, personas, "get", reverse("tips-import-detail", args=[job.pk]))
    client.force_login(personas.investigator)
    assert b"Missing header" in client.get(url).content
    assert AuditEvent.objects.filter(
        action="tip.import_upload", actor=personas.investigator
    ).exists()
    client.force_login(personas.investigator)
    r = client.post(reverse("tips-import"), {})
    assert r.status_code == 200 and b"Choose a file" in r.content


def test_it_loads_other_apps_panels_on_the_tip_page(client, personas):
    from django.urls import reverse

    from vigil.tips.models import Source, Tip

    source = Source.objects.create(name="Panel source")
    tip = Tip.objects.create(source=source, source_reference="P-1", received_at="2026-01-01T00:00Z")
    client.force_login(personas.reader)
    body = client.get(reverse("tips-detail", args=[tip.pk])).content.decode()
    assert reverse("deconfliction-tip-panel", args=[tip.pk]) in body


def test_an_import_summary_groups_its_thousands(client, personas, source):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigil.tips.tasks import run_import_job

    rows = "".join(f"G-{i},2024-03-01,10.1.{i // 250}.{i % 250}\n" for i in range(1200))
    client.force_login(personas.investigator)
    client.post(
        reverse("tips-import"),
        {
            "file": SimpleUploadedFile(
                "g.csv", ("reference,received_at,ip_address\n" + rows).encode()
            ),
            "source": source.pk,
        },
    )
    job = ImportJob.objects.get()
    run_import_job.call(job.pk, "")
    body = client.get(reverse("tips-import-detail", args=[job.pk])).content.decode()
    assert "<td>1,200</td>" in body and "The 1,200 tips it created" in body
    assert 'data-testid="tips-created">1,200<' in body
