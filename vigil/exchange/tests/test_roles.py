"""Every exchange page, run as every persona."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vigil.exchange import actions
from vigil.exchange.models import Conflict
from vigil.testing.roles import check_roles

from .conftest import DATA, grant_share, make_partner

READ = {
    "anonymous": 302,
    "reader": 200,
    "other_investigator": 200,
    "investigator": 200,
    "manager": 200,
    "admin": 403,
}
READ_OBJ = {**READ, "admin": 404}
MANAGER = {**READ, "reader": 403, "other_investigator": 403, "investigator": 403}
MANAGER_OBJ = {**MANAGER, "admin": 404}
_n = itertools.count()


@pytest.fixture
def partner(db):
    return make_partner()


def test_it_guards_the_read_pages(client, personas, partner):
    for name, args, expect in [
        ("exchange-partner-list", [], READ),
        ("exchange-partner-detail", [partner.pk], READ_OBJ),
        ("exchange-transfer-list", [], READ),
        ("exchange-conflict-list", [], READ),
        ("exchange-partner-create", [], MANAGER),
        ("exchange-partner-edit", [partner.pk], MANAGER_OBJ),
        ("exchange-identity", [], MANAGER),
        ("exchange-import", [], {**READ, "reader": 403}),
    ]:
        check_roles(client, personas, "get", reverse(name, args=args), expect=expect)


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
        expect={**MANAGER, "manager": 302},
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
        expect={**MANAGER_OBJ, "manager": 302},
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
            expect={**MANAGER_OBJ, "manager": 302},
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
        expect={**MANAGER_OBJ, "manager": 200},
        audit_action="partner.token_issue",
    )

    token, _ = actions.do_issue_token(partner, actor=personas.manager)
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-token-revoke", args=[partner.pk, token.pk]),
        expect={**MANAGER_OBJ, "manager": 302},
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
        expect={**MANAGER_OBJ, "manager": 302},
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
        expect={**READ, "reader": 403},
        audit_action="exchange.import_vics",
    )


def test_it_lets_only_the_share_grant_export(client, personas, partner):
    expect_without = {
        **READ,
        "reader": 403,
        "other_investigator": 403,
        "investigator": 403,
        "manager": 403,
    }
    check_roles(client, personas, "get", reverse("exchange-export"), expect=expect_without)
    grant_share(personas.investigator)
    grant_share(personas.manager)
    check_roles(
        client,
        personas,
        "post",
        reverse("exchange-export"),
        data={"partner": "NCMEC", "version": "2.0"},
        expect={**expect_without, "investigator": 200, "manager": 200},
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
        expect={
            **READ_OBJ,
            "reader": 403,
            "other_investigator": 403,
            "investigator": 403,
            "manager": 302,
        },
        audit_action="exchange.conflict_decide",
    )
