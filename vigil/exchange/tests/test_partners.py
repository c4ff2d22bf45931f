"""Partners: Managers create, approve, suspend; tokens shown once, stored hashed, revocable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from vigil.audit.models import AuditEvent
from vigil.exchange import actions, demo
from vigil.exchange.models import Partner, PartnerToken, hash_token

from .conftest import make_partner


def _data(**extra):
    other = Partner.objects.filter(name="KEYS").first() or make_partner("KEYS", status="proposed")
    data = {
        "name": "INTERPOL",
        "organisation": "INTERPOL ICSE (test)",
        "country": "fr",
        "contacts": "Desk, desk@example.invalid",
        "may_receive": 2,
        "sends": 2,
        "signing_key": other.signing_key,
        "age_recipient": other.age_recipient,
        "sync_url": "",
    }
    data.update(extra)
    return data


def test_it_lets_a_manager_propose_then_approve_a_partner(personas):
    partner = actions.do_create_partner(actor=personas.manager, data=_data())
    assert partner.status == "proposed" and partner.country == "FR"
    actions.do_set_partner_status(
        partner, actor=personas.manager, verb="approve", reason="MoU signed"
    )
    partner.refresh_from_db()
    assert partner.is_approved and partner.approved_by == personas.manager
    actions.do_set_partner_status(partner, actor=personas.manager, verb="suspend")
    partner.refresh_from_db()
    assert partner.status == "suspended"
    actions_logged = list(
        AuditEvent.objects.filter(object_type="exchange.partner", object_id=str(partner.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions_logged == ["partner.create", "partner.approve", "partner.suspend"]


def test_it_lets_only_managers_manage_partners(personas):
    for user in (personas.reader, personas.investigator, personas.admin):
        with pytest.raises(PermissionDenied):
            actions.do_create_partner(actor=user, data=_data())
    partner = make_partner("P", status="proposed")
    with pytest.raises(PermissionDenied):
        actions.do_set_partner_status(partner, actor=personas.investigator, verb="approve")


def test_it_refuses_bad_keys_and_a_second_partner_of_the_same_name(personas):
    with pytest.raises(ValidationError, match="Ed25519"):
        actions.do_create_partner(actor=personas.manager, data=_data(signing_key="not a key"))
    with pytest.raises(ValidationError, match="age X25519"):
        actions.do_create_partner(actor=personas.manager, data=_data(age_recipient="age1nope"))
    with pytest.raises(ValidationError, match="not an ISO 3166 country code"):
        actions.do_create_partner(actor=personas.manager, data=_data(country="ZZ"))
    actions.do_create_partner(actor=personas.manager, data=_data())
    with pytest.raises(ValidationError, match="already exists"):
        actions.do_create_partner(actor=personas.manager, data=_data())
    assert Partner.objects.filter(name="INTERPOL").count() == 1


def test_it_approves_no_partner_without_its_keys(personas):
    partner = actions.do_create_partner(
        actor=personas.manager, data=_data(signing_key="", age_recipient="")
    )
    with pytest.raises(ValidationError, match="signing key and encryption key"):
        actions.do_set_partner_status(partner, actor=personas.manager, verb="approve")


def test_it_shows_a_token_once_and_keeps_only_its_hash(personas, client):
    partner = make_partner()
    client.force_login(personas.manager)
    response = client.post(
        reverse("exchange-token-issue", args=[partner.pk]), {"label": "sync", "days": 30}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    secret = response.context["secret"]
    assert secret.startswith("vgx_")
    token = PartnerToken.objects.get()
    assert token.token_hash == hash_token(secret) and secret not in str(token.__dict__)
    assert secret not in str(list(AuditEvent.objects.values()))
    page = client.get(reverse("exchange-partner-detail", args=[partner.pk]))
    assert secret not in page.content.decode() and token.key_id in page.content.decode()
    assert actions.authenticate_token(secret) == token
    assert actions.authenticate_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert actions.authenticate_token("garbage") is None


def test_it_refuses_an_expired_or_revoked_token(personas):
    partner = make_partner()
    token, secret = actions.do_issue_token(partner, actor=personas.manager, days=1)
    PartnerToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert actions.authenticate_token(secret) is None
    token2, secret2 = actions.do_issue_token(partner, actor=personas.manager)
    actions.do_revoke_token(token2, actor=personas.manager)
    assert actions.authenticate_token(secret2) is None
    with pytest.raises(ValidationError):
        actions.do_issue_token(partner, actor=personas.manager, days=1000)


def test_it_loads_ncmec_first_in_the_demo(personas):
    assert demo.load(personas.manager) == "2 partners"
    first = Partner.objects.order_by("id").first()
    assert first.name == "NCMEC" and first.is_approved
    assert demo.load(personas.manager) == ""


def test_it_creates_a_partner_from_the_page(personas, client):
    client.force_login(personas.manager)
    response = client.post(reverse("exchange-partner-create"), _data(name="PAGE"))
    partner = Partner.objects.get(name="PAGE")
    assert response.status_code == 302 and partner.status == "proposed"
    response = client.post(reverse("exchange-partner-create"), _data(name="PAGE", signing_key="x"))
    assert response.status_code == 200 and "Ed25519" in response.content.decode()
    response = client.post(reverse("exchange-partner-create"), _data(name="ZZ", country="ZZ"))
    assert (
        response.status_code == 200 and "not an ISO 3166 country code" in response.content.decode()
    )
    assert not Partner.objects.filter(name="ZZ").exists()
    response = client.post(
        reverse("exchange-partner-status", args=[partner.pk]), {"verb": "approve"}
    )
    partner.refresh_from_db()
    assert partner.is_approved


def test_it_names_each_level_in_full_where_it_stands_alone(personas, client):
    """The partner pages show a level on its own: '… and full media' read as a fragment."""
    partner = make_partner("Full", may_receive=4, sends=3)
    client.force_login(personas.manager)
    for url in (
        reverse("exchange-partner-detail", args=[partner.pk]),
        reverse("exchange-partner-list"),
    ):
        page = client.get(url).content.decode()
        assert "Hash records, series metadata, thumbnails and full media" in page
        assert "Hash records, series metadata and thumbnails" in page
        assert "… and" not in page
