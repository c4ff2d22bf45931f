"""Every exchange page, run as every persona."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vigil.exchange import actions
from vigil.exchange.models import Conflict, ImportJob
from vigil.testing.roles import check_roles

from .conftest import DATA, grant_share, make_partner

_n = itertools.count()


@pytest.fixture
def partner(db):
    return make_partner()


def test_it_guards_the_read_pages(client, personas, partner):
    for name, args in [
        ("exchange-partner-list", []),
        ("exchange-partner-detail", [partner.pk]),
        ("exchange-transfer-list", []),
        ("exchange-conflict-list", []),
        ("exchange-partner-create", []),
        ("exchange-partner-edit", [partner.pk]),
        ("exchange-identity", []),
        ("exchange-import", []),
    ]:
        check_roles(client, personas, "get", reverse(name, args=args))


def test_it_lets_only_managers_create_partners(client, personas, partner):
    def data():
        return {
            "name": f"N{next(_n)}",
            "organisation": "Org",
            "country": "DE",
            "may_receive": 1,
            "sends": 1,
        }

    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-partner-create"),
        data=data,
        audit_action="partner.create",
    )


def test_it_lets_only_managers_edit_partners(client, personas, partner):
    data = {
        "name": "NCMEC",
        "organisation": "Changed",
        "country": "US",
        "may_receive": 2,
        "sends": 2,
        "signing_key": partner.signing_key,
        "age_recipient": partner.age_recipient,
    }
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-partner-edit", args=[partner.pk]),
        data=data,
        audit_action="partner.update",
        setup=lambda: type(partner).objects.filter(pk=partner.pk).update(organisation="Before"),
    )


def test_it_lets_only_managers_approve_and_suspend(client, personas, partner):
    for verb, start in (("approve", "proposed"), ("suspend", "approved")):
        check_roles(
            client,
            personas,
            "post",
            reverse("exchange-partner-status", args=[partner.pk]),
            data={"verb": verb},
            audit_action=f"partner.{verb}",
            setup=lambda start=start: (
                type(partner).objects.filter(pk=partner.pk).update(status=start)
            ),
        )


def test_it_lets_only_managers_issue_and_revoke_tokens(client, personas, partner):
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-token-issue", args=[partner.pk]),
        data={"days": 10},
        audit_action="partner.token_issue",
    )

    token, _ = actions.do_issue_token(partner, actor=personas.manager)
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-token-revoke", args=[partner.pk, token.pk]),
        audit_action="partner.token_revoke",
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_it_lets_only_managers_set_sync_credentials(client, personas, partner):
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-partner-sync", args=[partner.pk]),
        data={"sync_url": "https://partner.example.invalid/", "token": "vgx_x_y"},
        audit_action="partner.sync_credentials",
    )


def test_it_lets_investigators_and_managers_import(client, personas, partner):
    content = (DATA / "quirks-1.3.json").read_bytes()
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-import"),
        data=lambda: {"partner": "NCMEC", "file": SimpleUploadedFile("q.json", content)},
        audit_action="exchange.import_upload",
    )


def test_it_shows_an_import_job_only_to_its_uploader(client, personas, partner):
    client.force_login(personas.investigator)
    client.post(
        reverse("exchange-import"),
        {"partner": "NCMEC", "file": SimpleUploadedFile("q.json", b'{"value": []}')},
    )
    job = ImportJob.objects.get()
    for name in ("exchange-import-detail", "exchange-import-progress"):
        check_roles(client, personas, "get", reverse(name, args=[job.pk]))


def test_it_lets_only_the_share_grant_export(client, personas, partner):
    check_roles(client, personas, "get", reverse("exchange-export"))
    grant_share(personas.investigator)
    grant_share(personas.manager)
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-export"),
        data={"partner": "NCMEC", "version": "2.0"},
        audit_action="exchange.export_vics",
    )


def test_it_lets_only_managers_decide_conflicts(client, personas, partner):
    other = make_partner("OTHER")
    doc = (
        b'{"odata.metadata": "x#Media", "value": [{"MD5": "' + b"a" * 32 + b'", "Series": "One"}]}'
    )
    actions.do_import_vics(io.BytesIO(doc), actor=None, partner=partner, filename="a")
    doc2 = doc.replace(b'"One"', b'"Two"')

    def setup():
        Conflict.objects.all().delete()
        actions.do_import_vics(io.BytesIO(doc2), actor=None, partner=other, filename=f"b{next(_n)}")

    setup()
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-conflict-decide", args=[Conflict.objects.get().pk]),
        data={"decision": "ours"},
        audit_action="exchange.conflict_decide",
    )


def test_it_answers_the_sync_api_to_a_partner_token_only(client, personas, partner):
    from rest_framework.test import APIClient

    url = reverse("exchange-sync-changes")
    check_roles(client, personas, "get", url)
    check_roles(APIClient(), personas, "get", url, auth="token")  # an account's API token
    token, secret = actions.do_issue_token(partner, actor=personas.manager)
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content


def test_it_takes_pushes_from_a_partner_token_only(client, personas, partner):
    from rest_framework.test import APIClient

    url = reverse("exchange-sync-push")
    body = {"batch": "roles-batch-1", "records": []}
    check_roles(client, personas, "post", url, data=body, content_type="application/json")
    check_roles(APIClient(), personas, "post", url, data=body, auth="token", format="json")
    token, secret = actions.do_issue_token(partner, actor=personas.manager)
    response = client.post(
        url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200, response.content
