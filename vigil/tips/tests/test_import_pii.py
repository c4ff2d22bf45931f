"""Bulk import keeps no SSN, card number or child information in clear (issue 13, items 1 and 8)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from vigil.lib import crypto
from vigil.testing import leaks
from vigil.tips import columns
from vigil.tips.importing import import_file
from vigil.tips.models import ImportJob, Selector, Tip

SSN_A, SSN_B = "123-45-6789", "078-05-1120"
CARD_A, CARD_B, CARD_C = "4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"


def _selectors(tip, kind):
    return set(tip.selectors.filter(type=kind).values_list("value", flat=True))


def _hash(kind, value):
    import re

    return crypto.keyed_hash(kind, re.sub(r"\D", "", value))


@pytest.mark.parametrize(
    "name",
    [
        "ssn",
        "SSN",
        "social_security_number",
        "Social Security Number",
        "ssn_number",
        "SSN No.",
        "suspect_ssn",
        "SocialSecurityNo",
    ],
)
def test_it_maps_every_spelling_of_an_ssn_column_to_encrypted_selectors(name):
    assert columns.sensitive_kind(name) == "ssn"


@pytest.mark.parametrize(
    "name",
    [
        "card",
        "card_number",
        "Card Number",
        "credit_card",
        "Credit Card #",
        "cc_number",
        "CCNum",
        "debit_card_no",
        "suspect_card_number",
    ],
)
def test_it_maps_every_spelling_of_a_card_column_to_encrypted_selectors(name):
    assert columns.sensitive_kind(name) == "card"


@pytest.mark.parametrize("name", ["case_colour", "scanned_at", "cardinal", "passenger", "email"])
def test_it_leaves_ordinary_columns_alone(name):
    assert columns.sensitive_kind(name) is None and not columns.is_child_column(name)


CSV = (
    "reference,narrative,SSN,Social Security Number,card_number,credit_card,cc_number,misc,notes\n"
    f'P-1,nothing here,{SSN_A},,"{CARD_A}",,,,\n'
    f"P-2,nothing here,,{SSN_B},,{CARD_B},{CARD_C},,\n"
    # An unknown column holding one whole, and a note holding one inside its text.
    f'P-3,nothing here,,,,,,{SSN_A.replace("-", "")},"paid with {CARD_B} on 2024-03-01"\n'
)


def test_it_imports_ssn_and_card_columns_as_encrypted_selectors_in_every_format(
    personas, source, tmp_path
):
    records = [
        {"reference": "J-1", "ssn_number": SSN_A, "credit_card": CARD_A},
        {"reference": "J-2", "misc": SSN_B, "other": [CARD_B, "x"]},
    ]
    wb = Workbook()
    ws = wb.active
    ws.append(["reference", "SSN", "Card Number", "comment"])
    ws.append(["X-1", SSN_A, CARD_C, f"card {CARD_A} seen"])
    xlsx = io.BytesIO()
    wb.save(xlsx)
    xml = (
        "<report><reportId>C-1</reportId><reportedPerson><ssn>"
        + SSN_B
        + "</ssn><creditCardNumber>"
        + CARD_B
        + "</creditCardNumber></reportedPerson></report>"
    )
    files = {
        "p.csv": CSV.encode(),
        "p.json": json.dumps(records).encode(),
        "p.xlsx": xlsx.getvalue(),
        "p.xml": xml.encode(),
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
        s = import_file(tmp_path / name, actor=personas.manager, source=source)
        assert s.rejected_count == 0, (name, s.rejected)
    expect = {
        "P-1": ({SSN_A}, {CARD_A}),
        "P-2": ({SSN_B}, {CARD_B, CARD_C}),
        "P-3": ({SSN_A}, {CARD_B}),
        "J-1": ({SSN_A}, {CARD_A}),
        "J-2": ({SSN_B}, {CARD_B}),
        "X-1": ({SSN_A}, {CARD_C, CARD_A}),
        "C-1": ({SSN_B}, {CARD_B}),
    }
    for ref, (ssns, cards) in expect.items():
        tip = Tip.objects.get(source_reference=ref)
        assert _selectors(tip, "ssn") == {_hash("ssn", v) for v in ssns}, ref
        assert _selectors(tip, "card") == {_hash("card", v) for v in cards}, ref
        for s in tip.selectors.filter(type__in=["ssn", "card"]):
            assert s.raw == "" and s.encrypted and s.masked.startswith("*")
        text = json.dumps(tip.attributes) + json.dumps(
            list(tip.selectors.values_list("raw", "value"))
        )
        for v in ssns | cards:
            for form in leaks.forms(v):
                assert form not in text, (ref, form)
    assert Tip.objects.get(source_reference="P-3").attributes["notes"] == (
        "paid with **** **** **** 4444 on 2024-03-01"
    )


def test_it_rejects_a_bad_value_in_an_ssn_column_without_echoing_it(personas, source, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("reference,ssn\nB-1,123-45-678\n")
    s = import_file(p, actor=personas.manager, source=source)
    assert s.rejected_count == 1 and "123-45-678" not in json.dumps(s.as_dict())
    assert "not a 9-digit SSN" in s.rejected[0]["reason"]


@pytest.mark.django_db(transaction=True)
def test_it_leaves_no_ssn_or_card_number_anywhere_after_a_web_import(
    client, personas, source, settings, tmp_path
):
    from vigil.tips.tasks import run_import_job

    client.force_login(personas.investigator)
    r = client.post(
        reverse("tips-import"),
        {"file": SimpleUploadedFile("pii.csv", CSV.encode()), "source": source.pk},
    )
    assert r.status_code == 302
    job = ImportJob.objects.get()  # the immediate backend ran it on commit
    if not job.finished:
        run_import_job.call(job.pk, "")
    job.refresh_from_db()
    assert job.status == "done" and job.summary["tips_created"] == 3, job.summary
    assert Selector.objects.filter(type="ssn").count() == 3
    assert Selector.objects.filter(type="card").count() == 4
    found = leaks.find([SSN_A, SSN_B, CARD_A, CARD_B, CARD_C], root=settings.DATA_DIR)
    assert found == []
    # The import ended: the (sealed) upload is gone too.
    assert job.file_path == "" and not list((settings.UPLOAD_DIR / "imports").iterdir())


# --- item 8: columns that name a child ----------------------------------------------------

CHILD_COLUMNS = [
    "child_name",
    "minor_first_name",
    "Name of child",
    "child_dob",
    "victim",
    "Victim Name",
    "survivor",
    "complainant",
    "complaintant",
    "childDob",
    "minor",
    "juvenile_age",
    "Survivour",
    "kid_name",
]


@pytest.mark.parametrize("name", CHILD_COLUMNS)
def test_it_knows_every_column_that_names_a_child(name):
    assert columns.is_child_column(name)


def test_it_drops_columns_that_name_a_child_unread_in_every_format(personas, source, tmp_path):
    secret = "Zanzibarina"  # stands for a child's name
    header = ["reference", "narrative", *CHILD_COLUMNS]
    csv_text = (
        ",".join(f'"{h}"' for h in header)
        + "\n"
        + ",".join(["K-1", "n", *[secret] * len(CHILD_COLUMNS)])
        + "\nK-2,n"
        + "," * len(CHILD_COLUMNS)
        + "\n"
    )
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    ws.append(["K-3", "n", *[secret] * len(CHILD_COLUMNS)])
    xlsx = io.BytesIO()
    wb.save(xlsx)
    records = [{"reference": "K-4", **{h: secret for h in CHILD_COLUMNS}}]
    xml = (
        "<report><reportId>K-5</reportId><childVictim><firstName>"
        + secret
        + "</firstName></childVictim><minor><email>m@example.com</email></minor>"
        "<complainant><firstName>" + secret + "</firstName></complainant></report>"
    )
    counts = {}
    for name, body in {
        "k.csv": csv_text.encode(),
        "k.xlsx": xlsx.getvalue(),
        "k.json": json.dumps(records).encode(),
        "k.xml": xml.encode(),
    }.items():
        (tmp_path / name).write_bytes(body)
        s = import_file(tmp_path / name, actor=personas.manager, source=source)
        assert s.rejected_count == 0, s.rejected
        counts[name] = s.victim_sections_dropped
        assert any("dropped unread" in w for w in s.warnings), (name, s.warnings)
    # One per row or report that carried such a section (K-2's are empty).
    assert counts == {"k.csv": 1, "k.xlsx": 1, "k.json": 1, "k.xml": 3}
    assert Tip.objects.count() == 5
    for tip in Tip.objects.all():
        text = json.dumps(tip.attributes) + tip.narrative
        text += json.dumps(list(tip.selectors.values_list("raw", "value")))
        assert secret.lower() not in text.lower(), tip.source_reference
    assert not Selector.objects.filter(value="m@example.com").exists()


def test_it_stores_an_uploaded_import_file_sealed_and_deletes_it_when_the_import_ends(
    client, personas, source, settings
):
    from vigil.tips.tasks import run_import_job

    client.force_login(personas.investigator)
    for name, body in [("pii.csv", CSV.encode()), ("refused.xml", b"<not-closed")]:
        client.post(
            reverse("tips-import"), {"file": SimpleUploadedFile(name, body), "source": source.pk}
        )
    stored = [settings.UPLOAD_DIR / job.file_path for job in ImportJob.objects.all()]
    assert all(p.exists() and p.read_bytes()[:4] == b"VGL1" for p in stored)
    for value in (SSN_A, CARD_A):
        for pattern in leaks.patterns(value):
            assert not any(pattern in p.read_bytes() for p in stored)
    for job in ImportJob.objects.all():
        run_import_job.call(job.pk, "")
    done, refused = ImportJob.objects.order_by("pk")
    assert done.status == "done" and done.summary["tips_created"] == 3
    assert refused.status == "failed" and "not well-formed" in refused.error
    assert not any(p.exists() for p in stored)
    assert done.file_path == refused.file_path == "" and not done.file_key


def test_it_seals_research_note_attachments_at_rest(client, personas, tip, settings):
    from vigil.tips import actions

    secret = f"whois result: subscriber SSN {SSN_A}".encode()
    note = actions.do_add_research_note(
        tip,
        "whois",
        actor=personas.investigator,
        attachment=SimpleUploadedFile("who\r\nis.txt", secret),
    )
    stored = settings.UPLOAD_DIR / note.attachment_path
    assert stored.read_bytes()[:4] == b"VGL1" and note.attachment_key
    files = leaks.files_bytes(settings.DATA_DIR)
    assert not [p for p, data in files for pat in leaks.patterns(SSN_A) if pat in data]
    client.force_login(personas.reader)
    r = client.get(reverse("tips-note-attachment", args=[tip.pk, note.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content) == secret
    assert r["Content-Disposition"] == 'attachment; filename="who_is.txt"'
