from __future__ import annotations

import itertools

import pytest
from django.test import RequestFactory
from django.urls import reverse

from vigil.deconfliction import actions, views
from vigil.deconfliction.models import Flag, WarningListEntry
from vigil.deconfliction.tests import factories as f
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db

_n = itertools.count(1)


@pytest.fixture
def flagged(personas):
    a = f.tip("A-1", assigned=personas.investigator)
    b = f.tip("B-1")
    f.add(a, "email", "suspect@example.org")
    f.add(b, "email", "suspect@example.org")
    return Flag.objects.get()


def test_it_lets_managers_and_administrators_add_warning_entries(client, personas):
    check_roles(
        client,
        personas,
        "post",
        reverse("deconfliction-warning-add"),
        data=lambda: {"type": "ip", "value": f"81.2.{next(_n)}.0/24", "note": "VPN"},
        audit_action="deconfliction.warning_add",
    )
    assert WarningListEntry.objects.filter(note="VPN").count() == 2


def test_it_lets_managers_and_administrators_remove_warning_entries(client, personas):
    def fresh_entry_url():
        entry = actions.do_add_warning_entry(
            type="domain", value=f"cheap-mail-{next(_n)}.example", actor=personas.manager
        )
        return reverse("deconfliction-warning-remove", args=[entry.pk])

    check_roles(
        client, personas, "post", fresh_entry_url, audit_action="deconfliction.warning_remove"
    )


def test_it_explains_a_bad_warning_entry_and_adds_nothing(client, personas):
    client.force_login(personas.manager)
    before = WarningListEntry.objects.count()
    response = client.post(
        reverse("deconfliction-warning-add"),
        {"type": "ip", "value": "300.1.1.1/8"},
        follow=True,
    )
    assert b"is not an IP address or CIDR range" in response.content
    response = client.post(
        reverse("deconfliction-warning-add"), {"type": "domain", "value": "gmail.com"}, follow=True
    )
    assert b"already on the warning list" in response.content
    assert WarningListEntry.objects.count() == before


def test_it_shows_the_seeded_warning_list(client, personas):
    client.force_login(personas.reader)
    page = client.get(reverse("deconfliction-warning-list"), {"type": "domain"}).content
    assert b"gmail.com" in page and b"proton.me" in page
    assert b'name="value"' not in page  # no add form for readers


def test_it_filters_the_flag_list(client, personas, flagged):
    f.add(f.tip("C-1"), "vehicle", "ABC 123")
    f.add(f.tip("D-1"), "vehicle", "abc-123")
    client.force_login(personas.investigator)
    page = client.get(reverse("deconfliction-flags"), {"mine": "1"}).content.decode()
    assert "suspect@example.org" in page and "ABC123" not in page
    page = client.get(reverse("deconfliction-flags"), {"type": "vehicle"}).content.decode()
    assert "ABC123" in page and "suspect@example.org" not in page
    page = client.get(reverse("deconfliction-flags"), {"status": "dismissed"}).content.decode()
    assert "No flags match." in page


def test_it_serves_the_cluster_as_graph_elements(client, personas, flagged):
    actions.do_link_tips(flagged, note="same", actor=personas.investigator)
    client.force_login(personas.reader)
    data = client.get(reverse("deconfliction-cluster-json", args=[flagged.tip_a_id])).json()
    kinds = sorted(n["data"]["kind"] for n in data["elements"]["nodes"])
    assert kinds == ["tip", "tip", "value"]
    assert len(data["elements"]["edges"]) == 2 and data["size"] == 2
    assert data["focus"] == f"t{flagged.tip_a_id}"
    page = client.get(reverse("deconfliction-cluster", args=[flagged.tip_a_id])).content
    assert page.count(b'data-testid="cluster-row"') == 2
    assert b"<script>" not in page and b"style=" not in page
    assert b"Remove link" not in page  # readers cannot remove links


def test_it_shows_open_flags_on_my_tips_on_the_dashboard(client, personas, flagged):
    request = RequestFactory().get("/")
    request.user = personas.investigator
    panel = views.dashboard_panel(request)
    assert panel.context["count"] == 1
    request.user = personas.admin
    assert views.dashboard_panel(request) is None
    client.force_login(personas.investigator)
    page = client.get(reverse("core-dashboard")).content
    assert b"Open flags on my tips" in page and b"suspect@example.org" in page


def test_it_shows_common_value_notices_in_the_panel(client, personas):
    a, b = f.tip(assigned=personas.investigator), f.tip()
    f.add(a, "ip", "8.8.8.8")
    f.add(b, "ip", "8.8.8.8")
    client.force_login(personas.investigator)
    page = client.get(reverse("deconfliction-tip-panel", args=[b.pk])).content
    assert b"Common values" in page and b"Public resolver" in page
