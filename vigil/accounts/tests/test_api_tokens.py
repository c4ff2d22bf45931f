"""API tokens: made on the API access page, shown once, stored hashed, expiring, revocable."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from vigil.accounts import actions
from vigil.accounts.models import ApiToken
from vigil.audit.models import AuditEvent
from vigil.testing.personas import api_token


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def _api(token):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return c


def _create(client, user, name="case tool", days=90):
    client.force_login(user)
    return client.post(reverse("accounts-api-tokens"), {"name": name, "days": days})


def test_it_shows_the_token_once_and_keeps_only_its_hash(client, personas):
    response = _create(client, personas.investigator)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("vga_") and secret in response.content.decode()
    token = ApiToken.objects.get()
    assert token.user == personas.investigator and token.name == "case tool"
    assert 89 <= (token.expires_at - timezone.now()).days <= 90
    # Nothing in the database holds the secret or its random part.
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM accounts_apitoken")
        row = " ".join(str(v) for v in cur.fetchone())
    assert secret not in row and secret.rsplit("_", 1)[1] not in row
    # The page shown again lists the token but never the secret.
    again = client.get(reverse("accounts-api-tokens")).content.decode()
    assert token.key_id in again and secret not in again
    assert AuditEvent.objects.filter(
        action="api_token.create", actor=personas.investigator
    ).exists()


def test_the_token_reaches_the_api_with_its_users_role(client, personas):
    secret = api_token(personas.reader)
    assert _api(secret).get(reverse("api-tips-list")).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    # The reader's role holds: a write is refused.
    assert _api(secret).post(reverse("api-tips-list"), {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("name", "days", "error"),
    [("", 90, "Name the token"), ("x" * 101, 90, "at most 100"), ("ok", 7, "Select a valid")],
)
def test_a_bad_request_creates_nothing_and_says_why(client, personas, name, days, error):
    response = _create(client, personas.investigator, name=name, days=days)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_action_refuses_a_lifetime_outside_the_choices(personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="lasts"):
        actions.do_create_api_token(actor=personas.investigator, name="x", days=3650)


def test_revoked_expired_and_disabled_tokens_are_refused_and_audited(personas):
    revoked, expired, disabled = (api_token(personas.investigator) for _ in range(3))
    r, e, d = ApiToken.objects.order_by("id")
    actions.do_revoke_api_token(r, actor=personas.investigator)
    ApiToken.objects.filter(pk=e.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    for secret, reason in ((revoked, "revoked"), (expired, "expired")):
        response = _api(secret).get(reverse("api-tips-list"))
        assert response.status_code == 401, reason
        assert reason in response.json()["detail"]
    personas.investigator.is_active = False
    personas.investigator.save(update_fields=["is_active"])
    assert _api(disabled).get(reverse("api-tips-list")).status_code == 401
    refused = AuditEvent.objects.filter(action="api_token.refused", outcome="denied")
    assert refused.count() == 3
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_a_wrong_secret_for_a_known_key_is_audited_garbage_is_not(personas):
    secret = api_token(personas.investigator)
    key_id = secret.split("_")[1]
    forged = f"vga_{key_id}_{'A' * 43}"
    assert _api(forged).get(reverse("api-tips-list")).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.refused").count() == 1
    for garbage in ("nonsense", "vga_x_y", "vga_" + "0" * 12 + "_zz", "Ünïcode"):
        assert _api(garbage).get(reverse("api-tips-list")).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.refused").count() == 1


def test_users_see_and_revoke_their_own_managers_everyones(client, personas):
    api_token(personas.investigator)
    api_token(personas.reader)
    mine, theirs = ApiToken.objects.order_by("id")
    client.force_login(personas.reader)
    page = client.get(reverse("accounts-api-tokens")).content.decode()
    assert theirs.key_id in page and mine.key_id not in page
    # Another user's token is not there for the reader (404), and stays usable.
    url = reverse("accounts-api-token-revoke", args=[mine.pk])
    assert client.post(url).status_code == 404
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is None
    client.force_login(personas.manager)
    page = client.get(reverse("accounts-api-tokens")).content.decode()
    assert mine.key_id in page and theirs.key_id in page
    assert client.post(url).status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None and mine.revoked_by == personas.manager
    assert client.get(reverse("accounts-api-token-revoke", args=[mine.pk])).status_code == 405


def test_the_api_documentation_is_served_locally_to_signed_in_users(client, personas):
    assert client.get(reverse("api-docs")).status_code in (401, 403)
    client.force_login(personas.reader)
    page = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower() and "https://" not in page
    script = client.get(reverse("api-docs") + "?script=").content.decode()
    assert reverse("api-schema") in script
    sections = client.get(reverse("api-index")).json()["sections"]
    assert sections["docs"] == reverse("api-docs")
    assert sections["exchange"] == {
        "sync": reverse("exchange-sync-changes"),
        "push": reverse("exchange-sync-push"),
    }


def test_the_token_pages_as_every_persona(client, personas):
    from vigil.testing.roles import check_roles

    check_roles(client, personas, "get", reverse("accounts-api-tokens"))
    check_roles(
        client,
        personas,
        "post",
        reverse("accounts-api-tokens"),
        data={"name": "matrix", "days": 30},
        audit_action="api_token.create",
    )
    check_roles(
        client,
        personas,
        "post",
        lambda: reverse("accounts-api-token-revoke", args=[ApiToken.objects.latest("id").pk]),
        setup=lambda: api_token(personas.investigator),
        audit_action="api_token.revoke",
    )
    check_roles(client, personas, "get", reverse("api-docs"))
