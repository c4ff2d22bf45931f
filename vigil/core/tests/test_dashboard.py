import pytest
from django.urls import reverse

from vigil.testing.roles import check_roles


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_it_shows_the_dashboard_to_every_signed_in_user(client, personas):
    {r: 200 for r in ("reader", "other_investigator", "investigator", "manager", "admin")}
    check_roles(client, personas, "get", reverse("core-dashboard"))


def test_it_answers_health_checks_without_signing_in(client, db):
    response = client.get(reverse("core-healthz"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_it_sends_security_headers_and_a_request_id(client, personas):
    client.force_login(personas.reader)
    response = client.get(reverse("core-dashboard"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    assert response["Cache-Control"] == "no-store"
    assert len(response["X-Request-ID"]) == 36


def test_it_keeps_a_well_formed_incoming_request_id(client, db):
    response = client.get(reverse("core-healthz"), HTTP_X_REQUEST_ID="abcdef12-3456")
    assert response["X-Request-ID"] == "abcdef12-3456"
    response = client.get(reverse("core-healthz"), HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"


def test_it_shows_navigation_by_role(client, personas):
    client.force_login(personas.reader)
    content = client.get(reverse("core-dashboard")).content
    assert reverse("accounts-list").encode() not in content
    assert reverse("audit-list").encode() not in content
    client.force_login(personas.admin)
    content = client.get(reverse("core-dashboard")).content
    assert reverse("accounts-list").encode() in content
    assert reverse("audit-list").encode() in content


def test_it_records_the_forwarded_client_address_only_when_trusted(client, personas, settings):
    from vigil.audit.models import AuditEvent

    settings.REQUIRE_MFA = False
    payload = {"username": "reader", "password": "wrong password here"}
    client.post(reverse("accounts-login"), payload, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AuditEvent.objects.latest("id").source_ip == "127.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = True
    client.post(reverse("accounts-login"), payload, HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1")
    assert AuditEvent.objects.latest("id").source_ip == "203.0.113.9"


def test_it_shows_administrators_the_locked_accounts(client, personas):
    from django.utils import timezone

    personas.reader.locked_at = timezone.now()
    personas.reader.save()
    client.force_login(personas.admin)
    content = client.get(reverse("core-dashboard")).content.decode()
    assert "Accounts needing attention" in content
    assert reverse("accounts-detail", args=[personas.reader.pk]) in content
    client.force_login(personas.manager)
    assert (
        "Accounts needing attention" not in client.get(reverse("core-dashboard")).content.decode()
    )


def test_it_shows_unread_messages_on_the_dashboard(client, personas):
    from vigil.messaging.actions import do_notify

    client.force_login(personas.reader)
    assert "Unread messages" not in client.get(reverse("core-dashboard")).content.decode()
    msg = do_notify(personas.reader, subject="New flag on tip 4")
    content = client.get(reverse("core-dashboard")).content.decode()
    assert "Unread messages" in content and "New flag on tip 4" in content
    assert reverse("messaging-detail", args=[msg.pk]) in content


def test_it_offers_a_reader_nothing_they_cannot_do(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.reader)
    page = client.get("/").content.decode()
    assert "new match request" not in page
    assert "My open tips" not in page and "Open tips" in page
    assert "(s)" not in page
    client.force_login(personas.investigator)
    page = client.get("/").content.decode()
    assert "new match request" in page and "My open tips" in page
    assert "No open tips assigned to you" in page
