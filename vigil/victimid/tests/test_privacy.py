"""No victim-identifying field: not in the models, and an import carrying one is refused."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from vigil.victimid import actions
from vigil.victimid.models import MatchItem, MatchRequest, Media, MediaFrame, Series
from vigil.victimid.privacy import VictimNameError, find_victim_name_keys, reject_victim_names

from .conftest import BRIDGE


@pytest.mark.parametrize(
    "key",
    [
        "victim_name",
        "victimName",
        "VictimName",
        "name_of_victim",
        "Name Of The Victim",
        "victim-first-name",
        "victimname",
    ],
)
def test_it_spots_victim_name_keys_anywhere(key):
    with pytest.raises(VictimNameError):
        reject_victim_names({key: "x"})
    nested = {"series": [{"contact": {"deep": [{key: "x"}]}}]}
    assert find_victim_name_keys(nested) == [f"$.series[0].contact.deep[0].{key}"]


@pytest.mark.parametrize(
    "key",
    ["name", "victim_identified", "VictimIdentified", "victim_age_range", "contact_investigator"],
)
def test_it_lets_ordinary_keys_through(key):
    reject_victim_names({key: "x"})


def test_it_has_no_victim_name_field_in_any_model():
    for model in (Series, Media, MediaFrame, MatchRequest, MatchItem):
        names = [f.name for f in model._meta.get_fields()]
        assert not find_victim_name_keys(dict.fromkeys(names)), model


def test_it_refuses_a_series_with_a_victim_name(personas):
    with pytest.raises(VictimNameError):
        actions.do_create_series(actor=personas.manager, data={"name": "S", "victim_name": "x"})
    assert Series.objects.count() == 0


def test_it_refuses_victim_names_through_the_api(client, personas):
    client.force_login(personas.investigator)
    payload = {"name": "API series", "contact": {"agency": "A", "victimName": "x"}}
    response = client.post(reverse("victimid-api-series"), payload, content_type="application/json")
    assert response.status_code == 400
    assert "victim-name field ($.contact.victimName)" in response.json()["error"]
    assert Series.objects.count() == 0
    ok = client.post(
        reverse("victimid-api-series"),
        {"name": "API series", "victim_identified": True, "contact": {"agency": "A"}},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["contact"]["agency"] == "A"


def test_it_rejects_one_series_on_import_and_goes_on(tmp_path, capsys, db):
    good = tmp_path / "in" / "Good series"
    bad = tmp_path / "in" / "Bad series"
    good.mkdir(parents=True)
    bad.mkdir()
    (good / "a.jpg").write_bytes(BRIDGE.read_bytes())
    (bad / "a.jpg").write_bytes(BRIDGE.read_bytes())
    (bad / "series.json").write_text(json.dumps({"victim_identified": True, "name_of_victim": "x"}))
    with pytest.raises(CommandError):
        call_command("import_series", str(tmp_path / "in"), "--json")
    out = json.loads(capsys.readouterr().out)
    by_folder = {s["folder"]: s for s in out["series"]}
    assert by_folder["Bad series"]["status"] == "rejected"
    assert "victim-name field" in by_folder["Bad series"]["error"]
    assert by_folder["Good series"]["status"] == "created"
    assert list(Series.objects.values_list("name", flat=True)) == ["Good series"]
