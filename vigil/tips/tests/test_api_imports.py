"""POST /api/tips/imports/: a bulk file through the API, the web upload's job machinery."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from vigil.audit.models import AuditEvent, Outcome
from vigil.testing.personas import api_token
from vigil.testing.roles import check_roles
from vigil.tips.models import ImportJob, Tip

CSV = b"reference,narrative,ip_address\nA-1,hi,203.0.113.1\nA-2,hi,not-ip\nA-3,there,198.51.100.4\n"


def _client(user) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return c


def _post(client, data):
    return client.post(reverse("api-tips-imports"), data, format="multipart")


def _upload(name="t.csv", body=CSV):
    return SimpleUploadedFile(name, body)


def _stored(settings) -> set:
    folder = settings.UPLOAD_DIR / "imports"
    return set(folder.glob("*")) if folder.exists() else set()


def test_it_guards_the_upload_and_the_list_per_role(personas, source):
    for auth in ("token", "session"):
        check_roles(
            APIClient(),
            personas,
            "post",
            reverse("api-tips-imports"),
            data=lambda: {"file": _upload(), "source": source.name},
            audit_action="tip.import_upload",
            auth=auth,
            format="multipart",
        )
    check_roles(APIClient(), personas, "get", reverse("api-tips-imports"), auth="token")


def test_it_shows_a_job_to_its_creator_and_managers_only(personas, source):
    r = _post(_client(personas.investigator), {"file": _upload(), "source": source.name})
    check_roles(APIClient(), personas, "get", r.json()["url"], auth="token")
    # The list keeps to the same rule: the other investigator sees none, a Manager sees it.
    ids = lambda u: [j["id"] for j in _client(u).get(reverse("api-tips-imports")).json()["results"]]  # noqa: E731
    assert ids(personas.other_investigator) == []
    assert ids(personas.investigator) == ids(personas.manager) == [r.json()["id"]]


def test_a_read_only_user_is_refused_and_the_refusal_audited(personas, source, settings):
    r = _post(_client(personas.reader), {"file": _upload(), "source": source.name})
    assert r.status_code == 403 and "detail" in r.json()
    assert not ImportJob.objects.exists() and _stored(settings) == set()
    denied = AuditEvent.objects.get(actor=personas.reader, outcome=Outcome.DENIED)
    assert denied.action == "access.use" and denied.changes["status"] == 403


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda s: {"source": s.name}, "Choose a file to import."),
        (lambda s: {"file": _upload(body=b""), "source": s.name}, "The file is empty."),
        (lambda s: {"file": _upload(), "source": s.name, "format": "pdf"}, "Unknown format."),
        (lambda s: {"file": _upload(), "source": "No such office"}, "unknown source"),
        (lambda s: {"file": _upload("ips.txt", b"203.0.113.5\n")}, "Choose the source"),
        (lambda s: {"file": _upload(), "format": "csv"}, "Choose the source"),
    ],
    ids=["no-file", "empty", "format", "unknown-source", "iplist-no-source", "csv-no-source"],
)
def test_it_refuses_bad_input_with_a_clear_error_and_nothing_made(
    personas, source, settings, data, message
):
    before = _stored(settings)
    r = _post(_client(personas.investigator), data(source))
    assert r.status_code == 400, r.content
    assert any(message in m for m in r.json()["detail"]), r.json()
    assert not ImportJob.objects.exists() and not Tip.objects.exists()
    assert _stored(settings) == before
    assert not AuditEvent.objects.filter(action="tip.import_upload").exists()
    (refused,) = AuditEvent.objects.filter(action="tip.import_refused")
    assert refused.outcome == Outcome.FAILED and refused.actor == personas.investigator
    assert message in refused.summary


def test_it_refuses_an_oversized_file_and_a_json_body(personas, source, settings, monkeypatch):
    from vigil.tips.actions import imports

    monkeypatch.setattr(imports, "MAX_UPLOAD", len(CSV) - 1)
    c = _client(personas.investigator)
    r = _post(c, {"file": _upload(), "source": source.name})
    assert r.status_code == 400 and "larger than" in r.json()["detail"][0]
    # A JSON body carries no file: the same refusal as a form without one.
    r = c.post(
        reverse("api-tips-imports"), {"file": "A-1,hi", "source": source.name}, format="json"
    )
    assert r.status_code == 400 and r.json()["detail"] == ["Choose a file to import."]
    r = c.post(reverse("api-tips-imports"), [1, 2], format="json")
    assert r.status_code == 400
    assert not ImportJob.objects.exists() and _stored(settings) == set()
    assert AuditEvent.objects.filter(action="tip.import_refused").count() == 3


def test_it_queues_a_job_and_answers_its_progress_and_summary(
    personas, source, settings, tmp_path, django_capture_on_commit_callbacks
):
    c = _client(personas.investigator)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        r = _post(c, {"file": _upload(), "source": str(source.pk), "format": "csv"})
    assert r.status_code == 202, r.content
    job = r.json()
    assert r["Location"] == job["url"] == reverse("api-tips-import", args=[job["id"]])
    assert job["status"] == "queued" and job["summary"] is None and job["links"] is None
    assert job["source"] == source.name and job["format"] == "csv" and job["file_name"] == "t.csv"
    assert job["progress"] == {"done": 0, "total": len(CSV), "percent": 0}
    assert len(_stored(settings)) == 1  # sealed until the task reads it
    assert c.get(job["url"]).json()["status"] == "queued"

    for callback in queued:  # the commit: the task is enqueued (and run, ImmediateBackend)
        callback()
    done = c.get(job["url"]).json()
    assert done["status"] == "done" and done["finished_at"] and done["error"] == ""
    assert done["progress"]["percent"] == 100
    assert _stored(settings) == set()  # the file is not kept
    path = tmp_path / "t.csv"
    path.write_bytes(CSV.replace(b"A-", b"B-"))
    out = io.StringIO()
    call_command(
        "import_tips",
        str(path),
        "--user",
        personas.investigator.username,
        "--source",
        source.name,
        "--json",
        stdout=out,
    )
    cli = json.loads(out.getvalue())
    assert {k: v for k, v in done["summary"].items() if k not in ("rejected", "flags")} == {
        k: v for k, v in cli.items() if k not in ("rejected", "flags")
    }
    assert done["summary"]["tips_created"] == 2 and done["summary"]["rejected_count"] == 1
    assert done["links"] == {
        "tips": f"{reverse('api-tips-list')}?batch={job['id']}",
        "page": reverse("tips-import-detail", args=[job["id"]]),
    }
    batch = c.get(done["links"]["tips"]).json()
    assert sorted(t["source_reference"] for t in batch["results"]) == ["A-1", "A-3"]


def test_a_file_the_importer_refuses_ends_failed_with_its_error(
    personas, source, django_capture_on_commit_callbacks
):
    c = _client(personas.manager)
    xml = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><report>&a;</report>'
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(
            c, {"file": _upload("r.xml", xml), "source": source.name, "format": "cybertipline"}
        )
    assert r.status_code == 202, r.content
    failed = c.get(r.json()["url"]).json()
    assert failed["status"] == "failed" and failed["error"]
    assert failed["summary"] is not None and failed["summary"]["tips_created"] == 0


def test_the_index_lists_the_import_endpoint(personas):
    c = _client(personas.reader)
    assert c.get("/api/").json()["sections"]["tip_imports"] == reverse("api-tips-imports")


def test_the_schema_documents_the_upload(personas):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    post = schema["paths"]["/api/tips/imports/"]["post"]
    body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(post["responses"]) >= {"202", "400"} and body["$ref"].endswith("ImportUpload")
    upload = schema["components"]["schemas"]["ImportUpload"]
    assert upload["properties"]["file"]["format"] == "binary" and "file" in upload["required"]
    assert "/api/tips/imports/{id}/" in schema["paths"]
