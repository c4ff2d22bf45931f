"""Issue 13, item 6: the series page and the series API returned case data with
no audit row; each read now writes one (a list names the ids it returned)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.test import APIClient

from vigil.audit.models import AuditEvent
from vigil.testing.personas import api_token


def test_it_audits_the_series_detail_page(client, personas, series_factory):
    series, _media = series_factory("Bridge")
    client.force_login(personas.reader)
    assert client.get(reverse("victimid-series-detail", args=[series.pk])).status_code == 200
    row = AuditEvent.objects.filter(actor=personas.reader, action="series.view").get()
    assert row.object_id == str(series.pk)


def test_it_audits_the_series_api_list_with_the_ids(personas, series_factory):
    one, _ = series_factory("Bridge")
    two, _ = series_factory("Harbour")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.reader)}")
    assert c.get(reverse("victimid-api-series")).status_code == 200
    row = AuditEvent.objects.filter(actor=personas.reader, action="series.list").get()
    assert row.changes["count"] == 2
    assert row.changes["ids"] == f"{min(one.pk, two.pk)}-{max(one.pk, two.pk)}"
