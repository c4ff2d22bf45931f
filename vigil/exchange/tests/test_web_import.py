"""The web VICS import: upload → sealed file → background task → summary on the job page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.exchange import tasks
from vigil.exchange.models import ImportJob, Transfer
from vigil.victimid.models import Media

from .conftest import DATA


def _upload(client, user, content, name="q.json", partner="NCMEC"):
    client.force_login(user)
    return client.post(
        reverse("exchange-import"), {"partner": partner, "file": SimpleUploadedFile(name, content)}
    )


def test_it_imports_an_upload_in_the_background(client, personas, partner, settings):
    content = (DATA / "quirks-1.3.json").read_bytes()
    r = _upload(client, personas.investigator, content)
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "exchange-import-detail", args=[job.pk]
    )
    stored = settings.UPLOAD_DIR / job.file_path
    # Sealed at rest: the clear file is not on disk, and nothing is imported yet.
    assert stored.exists() and content[:40] not in stored.read_bytes()
    assert job.status == "queued" and not Media.objects.exists()
    assert AuditEvent.objects.filter(action="exchange.import_upload").exists()
    page = client.get(reverse("exchange-import-detail", args=[job.pk])).content
    assert b"hx-get" in page and b"<progress" in page
    # ImmediateBackend: on_commit does not fire inside the test transaction; run it as the worker.
    tasks.run_vics_import.call(job.pk, "")
    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100 and job.error == ""
    assert set(job.summary) == {"records_read", "created", "updated", "unchanged", "rejected"}
    assert job.summary["records_read"] > 0 and job.summary["created"] > 0
    assert (
        Media.objects.exists() and AuditEvent.objects.filter(action="exchange.import_vics").exists()
    )
    assert job.file_path == "" and job.file_key is None and not stored.exists()
    assert not job.progress_path.exists()
    r = client.get(reverse("exchange-import-progress", args=[job.pk]), HTTP_X_VIGIL_POLL="1")
    assert b'data-testid="import-summary"' in r.content and b"hx-trigger" not in r.content
    assert f"{job.summary['created']} created".encode() in r.content
    # Running the task again changes nothing.
    assert tasks.run_vics_import.call(job.pk, "") == job.summary


def test_it_fails_a_bad_file_with_a_clear_error_and_imports_nothing(client, personas, partner):
    _upload(client, personas.manager, b'{"value": [{"MD5": "' + b"a" * 32 + b'"}, ', "bad.json")
    job = ImportJob.objects.get()
    tasks.run_vics_import.call(job.pk, "")
    job.refresh_from_db()
    assert job.status == "failed" and "Invalid JSON" in job.error
    assert "Nothing was imported" in job.error and job.summary == {}
    assert not Media.objects.exists() and not Transfer.objects.exists()
    assert job.file_path == ""
    body = client.get(reverse("exchange-import-detail", args=[job.pk])).content
    assert b"Invalid JSON" in body and b"hx-trigger" not in body


def test_the_page_reads_the_progress_the_task_writes_outside_the_transaction(
    client, personas, partner
):
    _upload(client, personas.investigator, b'{"value": []}', "p.json")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="running", progress_total=1000)
    job.refresh_from_db()
    tasks.write_progress(job, 4000, 250)
    body = client.get(reverse("exchange-import-progress", args=[job.pk])).content
    assert b"4000 records read" in body and b'value="25"' in body
    tasks.vics_import_lost([job.pk, ""], {}, "The worker stopped.")
    job.refresh_from_db()
    assert job.status == "failed" and "Nothing was imported" in job.error
    assert job.file_path == "" and not job.progress_path.exists()
    assert AuditEvent.objects.filter(action="exchange.import_lost").exists()


def test_it_refuses_a_partner_not_approved_and_stores_nothing(client, personas, partner):
    partner.status = "suspended"
    partner.save()
    r = _upload(client, personas.investigator, b'{"value": []}')
    assert r.status_code == 400 and not ImportJob.objects.exists()


@pytest.mark.parametrize("who", ["reader", "admin"])
def test_it_stores_nothing_for_a_role_that_may_not_import(client, personas, partner, who):
    r = _upload(client, getattr(personas, who), b'{"value": []}')
    assert r.status_code == 403 and not ImportJob.objects.exists()
