"""Partners' vocabulary, the origin of a series, and new material first (issue 21)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.victimid import actions, report
from vigil.victimid.models import MatchRequest, Media, Series

from .conftest import BRIDGE, pattern


def _series_folder(root, name, doc):
    folder = root / name
    folder.mkdir(parents=True)
    shutil.copy(BRIDGE, folder / "orig.jpg")
    (folder / "series.json").write_text(json.dumps(doc))
    return folder


def test_it_imports_the_series_partners_describe_in_their_own_words(capsys, tmp_path, db):
    root = tmp_path / "import"
    _series_folder(
        root,
        "a",
        {
            "victim_identified": True,
            "victim_age_range": "8-10",
            "relationship_to_offender": "family member",
        },
    )
    _series_folder(
        root,
        "b",
        {
            "victim_identified": True,
            "victim_age_range": "12-14",
            "relationship_to_offender": "acquaintance",
        },
    )
    _series_folder(
        root,
        "c",
        {
            "victim_identified": True,
            "victim_age_range": "5-7",
            "relationship_to_offender": "family friend",
        },
    )
    call_command("import_series", str(root), "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["totals"]["series_rejected"] == 0
    got = {
        s.name: (s.victim_age_min, s.victim_age_max, s.relationship_to_offender)
        for s in Series.objects.all()
    }
    assert got == {
        "a": (8, 10, "relative"),
        "b": (12, 14, "acquaintance"),
        "c": (5, 7, "family_friend"),
    }


def test_it_keeps_the_series_when_one_field_cannot_be_read(capsys, tmp_path, db):
    root = tmp_path / "import"
    _series_folder(
        root,
        "odd",
        {
            "victim_identified": True,
            "victim_age_range": "about twenty",
            "relationship_to_offender": "landlord's son",
            "origin": "AI-generated",
        },
    )
    call_command("import_series", str(root), "--json")
    out = json.loads(capsys.readouterr().out)
    (res,) = out["series"]
    assert res["status"] == "created" and res["added"] == 1
    assert [w["field"] for w in res["warnings"]] == ["victim_age_range", "relationship_to_offender"]
    assert "about twenty" in res["warnings"][0]["message"]
    s = Series.objects.get(name="odd")
    assert (s.victim_age_min, s.victim_age_max, s.victim_age_range) == (None, None, "unknown")
    assert (s.relationship_to_offender, s.relationship_other) == ("other", "landlord's son")
    assert s.relationship_label == "Other (landlord's son)"
    assert s.origin == "ai_generated"


def test_it_answers_api_vocabulary_problems_as_warnings(client, personas):
    client.force_login(personas.investigator)
    response = client.post(
        reverse("victimid-api-series"),
        {
            "name": "API series",
            "victim_identified": True,
            "victim_age_range": "12 to 14",
            "relationship_to_offender": "Babysitter",
            "origin": "real",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["victim_age_min"] == 12 and body["victim_age_max"] == 14
    assert body["relationship_to_offender"] == "caregiver"
    assert body["origin_label"] == "Real child — identified"
    assert body["warnings"] == []
    response = client.post(
        reverse("victimid-api-series"),
        {"name": "API series 2", "victim_age_range": "25-30"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["warnings"][0]["field"] == "victim_age_range"


def test_it_asks_a_person_to_correct_an_unreadable_age_on_the_form(client, personas):
    client.force_login(personas.investigator)
    response = client.post(
        reverse("victimid-series-create"),
        {"name": "Form series", "victim_age_range": "12-20", "relationship_to_offender": "unknown"},
    )
    assert response.status_code == 200
    assert "outside 0–17" in response.content.decode()
    assert not Series.objects.filter(name="Form series").exists()
    response = client.post(
        reverse("victimid-series-create"),
        {
            "name": "Form series",
            "victim_age_range": "under 5",
            "relationship_to_offender": "other",
            "relationship_other": "tenant",
            "origin": "computer_generated",
        },
    )
    assert response.status_code == 302
    s = Series.objects.get(name="Form series")
    assert (s.victim_age_min, s.victim_age_max, s.relationship_other) == (0, 4, "tenant")
    assert s.origin_label.startswith("Computer-generated")


def _request_with(client, user, files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files:
            zf.writestr(name, content)
    buf.seek(0)
    buf.name = "seized.zip"
    client.force_login(user)
    client.post(
        reverse("victimid-request-create"),
        {"requesting_agency": "Harbour Police (demo)", "case_number": "HP-7", "archive": buf},
    )
    return MatchRequest.objects.latest("id")


def test_it_states_the_origin_of_every_matched_series(client, personas, series_factory, tmp_path):
    series_factory(
        "Generated",
        files=[("g.jpg", pattern(3))],
        identified=False,
        origin="ai_generated",
        origin_established_by="Lab A",
        origin_method="generator artefacts",
    )
    mr = _request_with(client, personas.investigator, [("copy.jpg", pattern(3))])
    data = report.build(mr)
    (m,) = data["items"][0]["matches"]
    assert m["series"]["origin"] == "ai_generated"
    assert m["series"]["origin_label"] == "AI-generated or AI-altered"
    assert mr.summary["by_origin"] == {"ai_generated": 1}
    page = client.get(reverse("victimid-request-detail", args=[mr.pk])).content.decode()
    assert "AI-generated or AI-altered" in page
    pdf = client.get(reverse("victimid-request-report-pdf", args=[mr.pk])).content
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "AI-generated or AI-altered" in text


def test_it_lists_new_material_first_and_keeps_it_as_a_series_in_one_step(
    client, personas, series_factory
):
    series_factory("Known", files=[("k.jpg", pattern(1))])
    mr = _request_with(
        client,
        personas.investigator,
        [("known.jpg", pattern(1)), ("new-a.jpg", pattern(21)), ("new-b.jpg", pattern(22))],
    )
    data = report.build(mr)
    assert [i["name"] for i in data["new_material"]] == ["new-a.jpg", "new-b.jpg"]
    page = client.get(reverse("victimid-request-detail", args=[mr.pk])).content.decode()
    assert page.index("New material") < page.index("<h2>Items</h2>")
    response = client.post(
        reverse("victimid-request-new-material", args=[mr.pk]),
        {"item": [2, 3], "name": "Harbour new"},
    )
    series = Series.objects.get(name="Harbour new")
    assert response.status_code == 302
    assert series.contact_agency == "Harbour Police (demo)"
    assert sorted(
        Media.objects.filter(series=series).values_list("original_filename", flat=True)
    ) == ["new-a.jpg", "new-b.jpg"]
    assert AuditEvent.objects.filter(action="matchrequest.new_material").count() == 1
    # Each media was added once, when the request stored it, and attached to the series now.
    ids = [str(m) for m in series.media.values_list("id", flat=True)]
    assert AuditEvent.objects.filter(action="media.add", object_id__in=ids).count() == 2
    assert AuditEvent.objects.filter(action="media.attach", object_id__in=ids).count() == 2


def test_it_refuses_to_turn_a_matched_item_into_new_material(client, personas, series_factory):
    series_factory("Known", files=[("k.jpg", pattern(1))])
    mr = _request_with(client, personas.investigator, [("known.jpg", pattern(1))])
    with pytest.raises(Exception) as exc:
        actions.do_series_from_new_material(mr, actor=personas.investigator, positions=[1])
    assert "matched a known series" in str(exc.value)
    assert Series.objects.count() == 1


def test_it_refuses_new_material_to_a_reader(client, personas, series_factory):
    mr = _request_with(client, personas.investigator, [("new.jpg", pattern(5))])
    client.force_login(personas.reader)
    response = client.post(reverse("victimid-request-new-material", args=[mr.pk]), {"item": [1]})
    assert response.status_code == 403
    assert not Series.objects.exists()


def test_it_offers_rotations_and_flips_by_default_on_the_request_form(client, personas):
    client.force_login(personas.investigator)
    page = client.get(reverse("victimid-request-create")).content.decode()
    assert 'name="dihedral" id="id_dihedral" checked' in page or (
        'id="id_dihedral"' in page
        and "checked"
        in page.split('id="id_dihedral"')[0][-200:] + page.split('id="id_dihedral"')[1][:100]
    )
