"""The sync API in-process: bounded batches with `next` links, every refusal (401 token,
403 partner not approved, 400 cursor or limit) answered clearly, audited, nothing sent;
a pull to an address outside the allow-list refused with the checkpoint left as it was."""

from __future__ import annotations

import pytest
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.exchange import actions, sync
from vigil.exchange.models import Partner, PartnerToken, Transfer
from vigil.victimid.models import Media, Series

from .conftest import make_partner

pytestmark = pytest.mark.django_db
URL = "/api/exchange/sync/changes"


@pytest.fixture
def beta(personas, settings):
    settings.EXCHANGE_SYNC_SETTLE_SECONDS = 0
    local = Series.objects.create(name="Local series")
    for i in range(7):
        Media.objects.create(series=local, kind="unknown", md5=f"{i + 1:032x}")
    partner = make_partner("BETA")
    return partner, actions.do_issue_token(partner, actor=personas.manager)[1]


def _get(client, url, secret=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.get(url, **headers)


def test_it_serves_bounded_batches_until_caught_up(client, beta):
    partner, secret = beta
    assert reverse("exchange-sync-changes") == URL
    url, sizes = URL + "?limit=3", []
    while url:
        body = _get(client, url, secret).json()
        sizes.append(len(body["series"]) + len(body["records"]) + len(body["tombstones"]))
        url = body["next"]
    assert sizes == [3, 3, 2] and body["more"] is False
    assert Transfer.objects.filter(partner=partner, direction="out", method="sync").count() == 3
    again = _get(client, URL + "?" + f"cursor={body['cursor']}", secret).json()
    assert again["records"] == [] and again["next"] is None


def _refused(client, url, secret, status, message, *, outcome="denied"):
    sent = AuditEvent.objects.filter(action="exchange.send").count()
    answer = _get(client, url, secret)
    assert answer.status_code == status and message in answer.json()["error"], answer.content
    row = AuditEvent.objects.filter(action="exchange.api_refused").latest("id")
    assert row.outcome == outcome and f"({status})" in row.summary
    assert AuditEvent.objects.filter(action="exchange.send").count() == sent
    return row


def test_it_refuses_and_audits_every_bad_call(client, beta, personas):
    partner, secret = beta
    _refused(client, URL, None, 401, "Authorization: Bearer")
    _refused(client, URL, "vgx_nope_nope", 401, "unknown, expired or revoked")
    for bad in ("limit=x", "limit=0", f"limit={sync.MAX_LIMIT + 1}"):
        row = _refused(client, f"{URL}?{bad}", secret, 400, "limit", outcome="failed")
        assert row.object_id == str(partner.pk)
    _refused(client, URL + "?cursor=not-ours", secret, 400, "not one this server", outcome="failed")

    Partner.objects.filter(pk=partner.pk).update(status="suspended")
    row = _refused(client, URL, secret, 403, "BETA is suspended: nothing is sent")
    assert row.actor_username == "partner:BETA" and row.object_type == "exchange.partner"
    Partner.objects.filter(pk=partner.pk).update(status="approved")
    actions.do_revoke_token(PartnerToken.objects.get(partner=partner), actor=personas.manager)
    _refused(client, URL, secret, 401, "unknown, expired or revoked")
    assert not Transfer.objects.filter(direction="out").exists()


def test_a_pull_goes_only_to_an_allowed_host(personas, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    alpha = make_partner("ALPHA")
    actions.do_set_sync_credentials(
        alpha, actor=personas.manager, url="https://alpha.example.invalid", token="vgx_a_b"
    )
    before = Partner.objects.get(pk=alpha.pk).sync_cursor
    with pytest.raises(sync.SyncError, match="could not be reached") as refused:
        sync.pull(Partner.objects.get(pk=alpha.pk), actor=personas.manager)
    assert "alpha.example.invalid" in str(refused.value)
    assert Partner.objects.get(pk=alpha.pk).sync_cursor == before
    assert not Transfer.objects.filter(direction="in").exists()
