"""Issue 13, item 6: bulk reads are audited. `GET /api/tips/?limit=100` returned
full tips with no audit row, and so did the tip edit page; every read of case
data, list or single, now writes one row (a list read names the ids it returned)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.test import APIClient

from vigil.audit.models import AuditEvent
from vigil.testing.personas import api_token
from vigil.tips.tests.conftest import make_tip


def _api(user) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return c


def test_it_audits_a_bulk_read_of_the_tips_api_with_the_ids(personas, source):
    tips = [make_tip(personas.manager, source, f"B-{i}") for i in range(5)]
    r = _api(personas.reader).get(reverse("api-tips-list"), {"limit": 100, "status": "new"})
    assert r.status_code == 200 and r.json()["count"] == 5
    row = AuditEvent.objects.filter(actor=personas.reader, action="tip.list").get()
    ids = sorted(t.pk for t in tips)
    assert row.object_type == "tips.tip" and row.changes["count"] == 5
    assert row.changes["ids"] == f"{ids[0]}-{ids[-1]}"
    assert row.changes["filters"] == {"status": "new", "limit": "100"}


def test_it_audits_the_tip_edit_page(client, personas, tip):
    client.force_login(personas.investigator)
    assert client.get(reverse("tips-edit", args=[tip.pk])).status_code == 200
    row = AuditEvent.objects.filter(actor=personas.investigator, action="tip.view").get()
    assert row.object_id == str(tip.pk) and row.changes == {"page": "edit"}


def test_it_audits_the_queue_page_the_export_and_the_search_with_their_ids(client, personas, tip):
    client.force_login(personas.reader)
    client.get(reverse("tips-queue"), {"status": "open"})
    client.get(reverse("tips-export"))
    client.get(reverse("tips-search"), {"q": "bob.suspect@example.com"})
    rows = {
        e.action: e.changes
        for e in AuditEvent.objects.filter(actor=personas.reader, object_type="tips.tip")
    }
    assert rows["tip.list"]["ids"] == str(tip.pk) and rows["tip.list"]["filters"] == {
        "status": "open"
    }
    assert rows["tip.export"]["ids"] == str(tip.pk) and rows["tip.export"]["rows"] == 1
    assert rows["tip.search"]["ids"] == str(tip.pk)
    # The query is not kept: it may be a selector value.
    assert "bob.suspect" not in str(rows["tip.search"])
