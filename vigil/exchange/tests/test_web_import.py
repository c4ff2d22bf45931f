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


def test_a_large_upload_streams_to_disk_and_the_progress_bar_moves(
    client, personas, partner, settings, monkeypatch, tmp_path
):
    """A generated 3 MB file (8,000 records) over a 1 MB in-memory limit: Django's upload
    handler writes it to a temporary file in chunks (never one bytes object), it is sealed
    from there in chunks, and the job page's bar moves while the task imports it."""
    import hashlib
    import json
    import re
    import types

    from django.core.files.uploadedfile import TemporaryUploadedFile

    from vigil.exchange import actions, mapping

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    n = 8000
    path = tmp_path / "large.json"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"@odata.context":' + json.dumps(mapping.CONTEXT["2.0"]) + ',"value":[\n')
        for i in range(n):
            s = f"large-{i}".encode()
            rec = {
                "MediaID": 0,
                "Category": i % 4,
                "MD5": hashlib.md5(s).hexdigest(),  # noqa: S324 - VICS keys on MD5
                "SHA1": hashlib.sha1(s).hexdigest(),  # noqa: S324
                "MediaSize": str(1000 + i),
                "IsPrecategorized": "true",
                "Comments": "generated " * 20,
                "AlternativeHashes": [
                    {"HashName": "PDQ", "HashValue": hashlib.sha256(s).hexdigest()}
                ],
            }
            fh.write(("," if i else "") + json.dumps(rec) + "\n")
        fh.write("]}\n")
    size = path.stat().st_size
    assert size > 3 * settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    seen = {}
    queue = actions.do_queue_vics_import

    def spy(upload, **kwargs):
        seen["type"] = type(upload)
        seen["on_disk"] = upload.temporary_file_path()
        return queue(upload, **kwargs)

    monkeypatch.setattr(actions, "do_queue_vics_import", spy)
    client.force_login(personas.investigator)
    with open(path, "rb") as fh:
        r = client.post(reverse("exchange-import"), {"partner": partner.name, "file": fh})
    assert r.status_code == 302, r.content[:500]
    assert seen["type"] is TemporaryUploadedFile and seen["on_disk"]
    job = ImportJob.objects.get()
    assert job.progress_total == size

    # The bar, as the page polls it, while the task runs (its clock ticks a second a call).
    bars: list[int] = []
    write = tasks.write_progress
    ticks = iter(range(10**9))

    def progress(j, records, done):
        write(j, records, done)
        body = client.get(
            reverse("exchange-import-progress", args=[j.pk]), HTTP_X_VIGIL_POLL="1"
        ).content.decode()
        bars.append(int(re.search(r'<progress[^>]*value="(\d+)"', body).group(1)))

    monkeypatch.setattr(tasks, "write_progress", progress)
    monkeypatch.setattr(tasks, "time", types.SimpleNamespace(monotonic=lambda: next(ticks)))
    tasks.run_vics_import.call(job.pk, "")
    job.refresh_from_db()
    assert job.status == "done" and job.summary["created"] == n, job.error
    moving = [b for b in bars if 0 < b < 100]
    assert len(set(moving)) >= 3 and moving == sorted(moving), bars
    assert Media.objects.count() == n
