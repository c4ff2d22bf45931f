"""Malformed input answers 400 with a clear message, never a 500 (issue 13, item 13)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from vigil.testing.personas import api_token

HUGE = "9" * 30
NESTED = "[" * 5000

PROBES = [
    ("get", "/api/tips/?limit=100000000000000000000", None, None),
    ("get", f"/api/tips/?offset={HUGE}", None, "offset"),
    ("get", "/api/tips/?limit=abc", None, "limit"),
    ("get", f"/api/deconfliction/links/?tip={HUGE}", None, "tip"),
    ("get", f"/api/deconfliction/flags/?tip={HUGE}", None, "tip"),
    ("get", f"/tips/?source={HUGE}", None, "source"),
    ("get", f"/tips/?assignee={HUGE}", None, "assignee"),
    ("get", "/tips/?source=abc", None, "source"),
    ("get", f"/tips/?priority={HUGE}", None, "priority"),
    ("post", "/api/tips/", NESTED, "nested too deeply"),
    ("post", "/api/victimid/series/", NESTED, "nested too deeply"),
    ("post", "/api/deconfliction/links/", NESTED, "nested too deeply"),
]


@pytest.fixture
def manager_client(client, personas):
    token = api_token(personas.manager)
    client.force_login(personas.manager)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    return client


@pytest.mark.parametrize(("method", "url", "body", "message"), PROBES)
def test_it_answers_400_not_500_to_huge_ids_limits_and_nested_json(
    manager_client, method, url, body, message
):
    from vigil.tips.models import Source, Tip

    source = Source.objects.create(name="S", kind="other")
    from django.utils import timezone

    Tip.objects.create(
        source=source, source_reference="R-1", received_via="web", received_at=timezone.now()
    )
    if body is None:
        r = getattr(manager_client, method)(url)
    else:
        r = getattr(manager_client, method)(url, body, content_type="application/json")
    if message is None:  # an absurd limit is capped, not refused
        assert r.status_code == 200 and len(r.json()["results"]) == 1
        return
    assert r.status_code == 400, (url, r.status_code, r.content[:200])
    assert message in r.content.decode()


def test_it_answers_400_to_a_message_for_recipient_abc(client, personas):
    client.force_login(personas.investigator)
    r = client.post(reverse("messaging-send"), {"recipient": "abc", "subject": "s", "body": "b"})
    assert r.status_code == 400 and "recipient" in r.content.decode()
    r = client.post(reverse("messaging-send"), {"recipient": HUGE, "subject": "s", "body": "b"})
    assert r.status_code == 400 and "out of range" in r.content.decode()


def test_it_answers_400_to_a_hash_list_of_5000_nested_brackets(client, personas):
    client.force_login(personas.investigator)
    f = io.BytesIO(NESTED.encode())
    f.name = "vics.json"
    r = client.post(
        reverse("victimid-request-create"),
        {"requesting_agency": "County Sheriff (demo)", "case_number": "C-1", "hash_list": f},
    )
    assert r.status_code == 400 and "nested too deeply" in r.content.decode()
