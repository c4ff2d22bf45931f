"""The web tip edit and the source form validate like the API (issue 13, item 12)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from vigil.testing.personas import api_token
from vigil.tips.models import Source

LONG = "x" * 5000


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("received_via", "carrier-pigeon", "received_via"),
        ("source_reference", LONG, "source_reference"),
        ("country", LONG, "country"),
        ("country", "ZZ", "not an ISO 3166 country code"),
    ],
)
def test_it_refuses_an_invalid_received_via_or_5000_characters_on_the_web_edit_as_the_api_does(
    client, personas, tip, field, value, message
):
    before = {f: getattr(tip, f) for f in ("received_via", "source_reference", "country")}
    client.force_login(personas.investigator)
    page = client.post(
        reverse("tips-edit", args=[tip.pk]),
        {
            "source_reference": tip.source_reference,
            "received_via": tip.received_via,
            "country": "US",
            "narrative": tip.narrative,
            field: value,
        },
    )
    assert page.status_code == 400 and message in page.content.decode()
    token = api_token(personas.investigator)
    api = client.patch(
        reverse("api-tips-detail", args=[tip.pk]),
        {field: value},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    # A field's own error (length) or the action's message naming the field.
    assert api.status_code == 400 and field in str(api.json())
    tip.refresh_from_db()
    assert {f: getattr(tip, f) for f in before} == before


def test_it_still_saves_a_valid_web_edit(client, personas, tip):
    client.force_login(personas.investigator)
    r = client.post(
        reverse("tips-edit", args=[tip.pk]),
        {
            "source_reference": "FOA-9",
            "received_via": "phone",
            "received_at": "2024-03-01T10:22",
            "country": "us",
            "narrative": "changed",
        },
    )
    assert r.status_code == 302
    tip.refresh_from_db()
    assert (tip.source_reference, tip.received_via, tip.country, tip.narrative) == (
        "FOA-9",
        "phone",
        "US",
        "changed",
    )
    assert tip.received_at.isoformat() == "2024-03-01T10:22:00+00:00"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", LONG),
        ("contact", LONG),
        ("reliability_note", LONG),
        ("kind", "made-up"),
        ("reliability", "so-so"),
    ],
)
def test_it_refuses_5000_character_values_and_unknown_choices_in_the_source_form(
    client, personas, source, field, value
):
    client.force_login(personas.manager)
    data = {"name": source.name, "kind": "field_office", "reliability": "reliable", field: value}
    r = client.post(reverse("tips-source-edit", args=[source.pk]), data)
    assert r.status_code == 400 and field in r.content.decode()
    r = client.post(reverse("tips-source-create"), {**data, "name": "New one", field: value})
    assert r.status_code == 400
    assert not Source.objects.filter(name="New one").exists()
    source.refresh_from_db()
    assert getattr(source, field) != value
