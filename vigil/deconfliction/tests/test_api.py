from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from vigil.deconfliction import actions
from vigil.deconfliction.models import Flag, Link
from vigil.deconfliction.tests import factories as f
from vigil.testing.personas import api_token
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(personas):
    a = f.tip("A-1", assigned=personas.investigator)
    b = f.tip("B-1")
    f.add(a, "ssn", "123-45-6789")
    f.add(b, "ssn", "123 45 6789")
    return Flag.objects.get()


def _client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token = api_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_it_lists_flags_by_tip_and_status_with_masked_values(personas, flagged):
    other = f.tip()
    f.add(other, "email", "x@example.org")
    f.add(f.tip(), "email", "x@example.org")
    response = _client(personas.reader).get(
        reverse("api-deconfliction-flags"), {"tip": flagged.tip_a_id, "status": "open"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["type"] == "ssn" and row["value"] == "***-**-6789"
    assert row["tip_a"]["source_reference"] == "A-1"
    assert flagged.value not in response.content.decode()  # the keyed hash stays inside


def test_it_refuses_unknown_filters_clearly(personas, flagged):
    response = _client(personas.reader).get(reverse("api-deconfliction-flags"), {"status": "x"})
    assert response.status_code == 400 and "status" in response.json()


def _reopen(flag):
    def setup():
        Link.objects.all().delete()
        Flag.objects.filter(pk=flag.pk).update(
            status=Flag.Status.OPEN, decided_by=None, decided_at=None, decision_note=""
        )

    return setup


def _matrix(personas, method, url, data=None, **kwargs):
    check_roles(APIClient(), personas, method, url, data=data, auth="token", **kwargs)


def test_it_guards_the_read_endpoints_by_role(personas, flagged):
    _matrix(personas, "get", reverse("api-deconfliction-flags"))
    _matrix(personas, "get", reverse("api-deconfliction-flag", args=[flagged.pk]))
    _matrix(personas, "get", reverse("api-deconfliction-links"))
    _matrix(personas, "get", reverse("api-deconfliction-cluster", args=[flagged.tip_a_id]))


def test_it_links_and_dismisses_through_the_api_by_role(personas, flagged):
    for name, data, action in (
        ("api-deconfliction-flag-link", {"note": "same person"}, "deconfliction.link"),
        ("api-deconfliction-flag-dismiss", {"reason": "help desk"}, "deconfliction.dismiss"),
    ):
        _matrix(
            personas,
            "post",
            reverse(name, args=[flagged.pk]),
            data,
            audit_action=action,
            setup=_reopen(flagged),
        )
    _matrix(
        personas,
        "post",
        reverse("api-deconfliction-links"),
        {"tip_a": flagged.tip_a_id, "tip_b": flagged.tip_b_id, "note": "phone call"},
        audit_action="deconfliction.link",
        setup=_reopen(flagged),
    )


def test_it_removes_links_through_the_api_by_role(personas, flagged):
    def relink():
        _reopen(flagged)()
        actions.do_link_tips(flagged, note="same", actor=personas.manager)

    _matrix(
        personas,
        "post",
        lambda: reverse("api-deconfliction-link-remove", args=[Link.objects.get().pk]),
        {"reason": "different people"},
        audit_action="deconfliction.unlink",
        setup=relink,
    )


def test_it_dismisses_and_refuses_without_a_reason(personas, flagged):
    client = _client(personas.investigator)
    url = reverse("api-deconfliction-flag-dismiss", args=[flagged.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "reason" in str(response.json())
    response = client.post(url, {"reason": "two different people"})
    assert response.status_code == 200 and response.json()["status"] == "dismissed"


def test_it_removes_links_for_managers_and_administrators_only(personas, flagged):
    link = actions.do_link_tips(flagged, note="same", actor=personas.investigator).link
    url = reverse("api-deconfliction-link-remove", args=[link.pk])
    assert _client(personas.investigator).post(url, {"reason": "x"}).status_code == 403
    assert _client(personas.reader).post(url, {"reason": "x"}).status_code == 403
    assert _client(personas.admin).post(url, {"reason": ""}).status_code == 400
    response = _client(personas.admin).post(url, {"reason": "different people"})
    assert response.status_code == 200 and response.json()["removed_by"] == "adam"
    links = _client(personas.reader).get(reverse("api-deconfliction-links"), {"active": "false"})
    assert links.json()["count"] == 1


def test_it_links_a_pair_directly_and_shows_the_cluster(personas):
    a = f.tip("A-1", assigned=personas.investigator)
    b, c = f.tip("B-1"), f.tip("C-1")
    client = _client(personas.investigator)
    response = client.post(
        reverse("api-deconfliction-links"), {"tip_a": a.pk, "tip_b": b.pk, "note": "phone call"}
    )
    assert response.status_code == 201
    assert (
        client.post(
            reverse("api-deconfliction-links"), {"tip_a": b.pk, "tip_b": c.pk, "note": "x"}
        ).status_code
        == 403
    )
    cluster = _client(personas.reader).get(reverse("api-deconfliction-cluster", args=[b.pk]))
    assert cluster.status_code == 200
    assert {t["source_reference"] for t in cluster.json()["tips"]} == {"A-1", "B-1"}
    assert _client(personas.admin).get(
        reverse("api-deconfliction-cluster", args=[b.pk])
    ).status_code in (403, 404)


def test_it_decides_shared_values_through_the_api_by_role(personas, flagged):
    _matrix(personas, "get", reverse("api-deconfliction-shared", args=[flagged.pk]))
    for name, data, action in (
        ("api-deconfliction-shared-link", {"note": "same person"}, "deconfliction.link"),
        ("api-deconfliction-shared-dismiss", {"reason": "help desk"}, "deconfliction.dismiss"),
    ):
        _matrix(
            personas,
            "post",
            reverse(name, args=[flagged.pk]),
            data,
            audit_action=action,
            setup=_reopen(flagged),
        )


def test_it_links_every_tip_of_a_shared_value_through_the_api(personas):
    tips = [f.tip(f"S-{i}", assigned=personas.investigator if i == 0 else None) for i in range(4)]
    for t in tips:
        f.add(t, "email", "x@example.org")
    flag = Flag.objects.get(tip_a=tips[0], tip_b=tips[1])
    client = _client(personas.investigator)
    group = client.get(reverse("api-deconfliction-shared", args=[flag.pk]), {"tip": tips[0].pk})
    assert group.status_code == 200
    assert len(group.json()["flags"]) == 6 and len(group.json()["tips"]) == 4
    response = client.post(
        reverse("api-deconfliction-shared-link", args=[flag.pk]),
        {"note": "one mailbox", "tip": tips[0].pk},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["links"]) == 3 and body["left_open"] == 0
    # The investigator decides the pairs of their tip; the rest close as already linked.
    assert len(body["flags"]) + body["already_linked"] == 6
    assert not Flag.objects.open().exists()


def test_it_dismisses_a_shared_value_and_refuses_a_foreign_tip(personas):
    tips = [f.tip(assigned=personas.investigator) for _ in range(3)]
    for t in tips:
        f.add(t, "phone", "+1 202 555 0143")
    flag = Flag.objects.get(tip_a=tips[0], tip_b=tips[1])
    client = _client(personas.investigator)
    url = reverse("api-deconfliction-shared-dismiss", args=[flag.pk])
    assert client.post(url, {"reason": "x", "tip": tips[2].pk}).status_code == 400
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "a call centre"})
    assert response.status_code == 200 and len(response.json()["flags"]) == 3
    assert set(Flag.objects.values_list("status", flat=True)) == {"dismissed"}
