"""The search box: any identifier, normalised as intake does, finds every record holding it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.search import finder
from vigil.search.tests import factories as sf
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def _kinds(results):
    return {s.kind: s.rows for s in results.sections if s.rows}


def test_it_answers_the_data_roles_and_refuses_the_others(client, personas):
    check_roles(client, personas, "get", reverse("search-results") + "?q=203.0.113.9")


def test_it_finds_an_email_the_way_intake_wrote_it(personas):
    t = sf.tip_with("email", "Bob.Suspect@Example.com")
    found = finder.find(personas.reader, "  BOB.SUSPECT@example.COM ")
    assert _kinds(found)["tips"] == [t]
    assert ("email", "bob.suspect@example.com") in found.searched_as


def test_it_finds_a_defanged_ip_and_its_subpoena(personas):
    t = sf.tip_with("ip", "198.51.100.23")
    s = sf.subpoena_naming(t, "ip", "198.51.100.23")
    found = _kinds(finder.find(personas.reader, "198.51.100[.]23"))
    assert found["tips"] == [t] and found["subpoenas"] == [s]


def test_a_bare_handle_finds_it_on_any_platform(personas):
    t = sf.tip_with("online_id", "https://instagram.com/night_owl_77")
    assert _kinds(finder.find(personas.reader, "@night_owl_77"))["tips"] == [t]


def test_it_finds_a_phone_in_any_writing(personas):
    t = sf.tip_with("phone", "+1 202 555 0147")
    assert _kinds(finder.find(personas.reader, "(202) 555-0147"))["tips"] == [t]


def test_it_finds_a_tip_by_its_source_reference(personas):
    t = sf.tip_with("email", "a@example.net")
    assert _kinds(finder.find(personas.reader, t.source_reference))["tips"] == [t]


def test_it_finds_media_by_any_of_their_hashes(personas):
    series = sf.series("Harbour lights")
    by_sha = sf.media(series, sha256=SHA256)
    by_md5 = sf.media(None, md5="0cc175b9c0f1b6a831c399e269772661")
    assert _kinds(finder.find(personas.reader, SHA256.upper()))["media"] == [by_sha]
    assert _kinds(finder.find(personas.reader, "0CC175B9C0F1B6A831C399E269772661"))["media"] == [
        by_md5
    ]


def test_it_finds_a_series_by_its_name_or_a_part_of_it(personas):
    s = sf.series("Harbour lights")
    sf.series("Meadow")
    assert _kinds(finder.find(personas.reader, "harbour LIGHTS"))["series"] == [s]
    assert _kinds(finder.find(personas.reader, "bour"))["series"] == [s]


def test_it_finds_case_numbers_and_subpoena_references(personas):
    t = sf.tip_with("email", "c@example.net")
    r = sf.referral(t, "NWK-2026-0042")
    mr = sf.match_request("nwk-2026-0042")
    s = sf.subpoena_naming(t, "email", "c@example.net")
    found = _kinds(finder.find(personas.reader, "nwk-2026-0042"))
    assert found["referrals"] == [r] and found["match_requests"] == [mr]
    assert _kinds(finder.find(personas.reader, s.reference))["subpoenas"] == [s]
    assert "subpoenas" not in _kinds(finder.find(personas.reader, f"SUB-1999-{s.pk:06d}"))


def test_the_page_lists_every_kind_and_audits_the_ids_not_the_query(client, personas):
    t = sf.tip_with("ssn", "078-05-1120")
    client.force_login(personas.reader)
    response = client.get(reverse("search-results"), {"q": "078 05 1120"})
    assert response.status_code == 200
    assert t.source_reference.encode() in response.content
    row = AuditEvent.objects.filter(action="search.results").latest("id")
    assert row.changes["ids"] == str(t.pk) and row.actor == personas.reader
    assert "078" not in str(row.changes) and "1120" not in str(row.changes)


def test_a_search_that_finds_nothing_is_audited_too(client, personas):
    client.force_login(personas.reader)
    assert (
        b"Nothing you may see"
        in client.get(reverse("search-results"), {"q": "x@y.example"}).content
    )
    assert AuditEvent.objects.filter(action="search.results", actor=personas.reader).count() == 1


def test_every_page_carries_the_search_box_for_the_data_roles(client, personas):
    client.force_login(personas.reader)
    assert b'data-testid="search-box"' in client.get(reverse("core-dashboard")).content
    client.force_login(personas.admin)
    assert b'data-testid="search-box"' not in client.get(reverse("core-dashboard")).content
