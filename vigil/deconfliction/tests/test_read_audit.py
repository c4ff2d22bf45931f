"""Issue 13, item 6: deconfliction pages show other tips' values (shared
selectors, the cluster) and audited nothing; each now writes one read row
naming the records it showed."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.test import APIClient

from vigil.audit.models import AuditEvent
from vigil.deconfliction import actions
from vigil.deconfliction.models import Flag
from vigil.deconfliction.tests import factories as f
from vigil.testing.personas import api_token


def _pair(personas):
    a = f.tip("A-1", assigned=personas.investigator)
    b = f.tip("B-1")
    f.add(a, "email", "shared@example.com")
    f.add(b, "email", "shared@example.com")
    return a, b, Flag.objects.get()


def test_it_audits_the_cluster_json_with_the_tips_it_returned(client, personas):
    a, b, flag = _pair(personas)
    actions.do_link_tips(flag, note="same person", actor=personas.investigator)
    client.force_login(personas.reader)
    r = client.get(reverse("deconfliction-cluster-json", args=[a.pk]))
    assert r.status_code == 200
    row = AuditEvent.objects.filter(actor=personas.reader, action="cluster.view").get()
    assert row.changes["count"] == 2 and row.changes["filters"] == {"tip": a.pk}
    assert row.changes["ids"] == f"{min(a.pk, b.pk)}-{max(a.pk, b.pk)}"


def test_it_audits_the_tip_flags_panel_that_shows_the_other_tip(client, personas):
    a, b, flag = _pair(personas)
    client.force_login(personas.reader)
    assert client.get(reverse("deconfliction-tip-panel", args=[a.pk])).status_code == 200
    row = AuditEvent.objects.filter(actor=personas.reader, action="flag.list").get()
    assert row.changes["ids"] == str(flag.pk) and row.changes["filters"] == {"tip": a.pk}


def test_it_audits_the_flags_api_list(personas):
    _a, _b, flag = _pair(personas)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.reader)}")
    assert c.get(reverse("api-deconfliction-flags")).status_code == 200
    row = AuditEvent.objects.filter(actor=personas.reader, action="flag.list").get()
    assert row.changes["ids"] == str(flag.pk)
