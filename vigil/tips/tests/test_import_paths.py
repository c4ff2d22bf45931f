"""The same file through the web upload, the CLI and the REST API gives the same tips."""

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from vigil.testing.personas import api_token
from vigil.tips.importing import import_file
from vigil.tips.models import ImportJob, Source, Tip

CSV = (
    "reference,received_at,narrative,ip_address,email,phone,suspect_name,suspect_dob,"
    "ssn,child_name,case_colour\n"
    'P-1,2024-03-01T10:22:00Z,"Seen at hxxp://evil[.]test/x",203.0.113.5|2024-03-01T10:22:00Z,'
    "John.Doe@GMAIL.com,+1 202 555 0143,Doe John,1980-01-02,123-45-6789,Jane,red\n"
    "P-2,2024-03-02,plain,198.51.100.7;203.0.113.5,,,,,,,blue\n"
    "P-3,not a date,x,,,,,,,,\n"
    "P-4,,card 4111 1111 1111 1111 in text,,b@example.com,,,,,,green\n"
)
IGNORED = {"flags"}  # later paths also flag against the tips the earlier ones made


def _snapshot(source: Source) -> list:
    out = []
    for t in Tip.objects.filter(source=source).order_by("source_reference"):
        sels = sorted(
            (s.type, s.value, s.raw, s.masked, s.extracted, s.confirmed, str(s.observed_at), s.port)
            + (json.dumps(s.details, sort_keys=True),)
            for s in t.selectors.all()
        )
        out.append(
            (
                t.source_reference,
                t.narrative,
                t.country,
                t.received_at.isoformat() if t.source_reference != "P-4" else "",
                t.received_via,
                t.source_warning,
                json.dumps(t.attributes, sort_keys=True),
                sels,
            )
        )
    return out


def test_web_upload_cli_and_api_import_the_same_file_alike(
    client, personas, tmp_path, django_capture_on_commit_callbacks
):
    alpha, bravo, charlie = (
        Source.objects.create(name=name, kind=Source.Kind.OTHER, country="US")
        for name in ("Alpha", "Bravo", "Charlie")
    )
    path = tmp_path / "same.csv"
    path.write_text(CSV)

    # 1. the web upload, run as the worker runs it
    client.force_login(personas.manager)
    r = client.post(
        reverse("tips-import"),
        {"file": SimpleUploadedFile("same.csv", CSV.encode()), "source": alpha.pk, "format": "csv"},
    )
    assert r.status_code == 302
    job = ImportJob.objects.get()
    from vigil.tips.tasks import run_import_job

    run_import_job.call(job.pk, "")
    job.refresh_from_db()
    web = job.summary

    # 2. the command line
    out = io.StringIO()
    call_command(
        "import_tips",
        str(path),
        "--user",
        personas.manager.username,
        "--source",
        bravo.name,
        "--format",
        "csv",
        "--json",
        stdout=out,
    )
    cli = json.loads(out.getvalue())

    # 3. the REST API: POST /api/tips/imports/ with a token, the job run once the upload
    # commits (the ImmediateBackend runs the enqueued task), then polled until it is done.
    rest = APIClient()
    rest.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.manager)}")
    with django_capture_on_commit_callbacks(execute=True):
        r = rest.post(
            reverse("api-tips-imports"),
            {"file": SimpleUploadedFile("same.csv", CSV.encode()), "source": charlie.name},
            format="multipart",
        )
    assert r.status_code == 202, r.content
    polled = rest.get(r.json()["url"]).json()
    assert polled["status"] == "done", polled
    api = polled["summary"]
    assert rest.get(polled["links"]["tips"]).json()["count"] == 3

    assert web["tips_created"] == 3 and web["rejected_count"] == 1, web
    assert web["victim_sections_dropped"] == 1
    strip = lambda s: {k: v for k, v in s.items() if k not in IGNORED | {"checkpoint"}}  # noqa: E731
    assert strip(web) == strip(cli) == strip(api)
    assert _snapshot(alpha) == _snapshot(bravo) == _snapshot(charlie)
    assert len(_snapshot(alpha)) == 3

    # Re-importing through any path changes nothing.
    again = import_file(path, actor=personas.manager, source=alpha, fmt="csv")
    assert (again.tips_created, again.tips_updated, again.tips_unchanged) == (0, 0, 3)
