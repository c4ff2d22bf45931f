from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.testing.personas import PASSWORD


def _change(client, old, new, again=None):
    return client.post(
        reverse("accounts-password"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_it_changes_the_password_and_keeps_the_session(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.investigator)
    response = _change(client, PASSWORD, "a brand new long passphrase")
    assert response.status_code == 302
    personas.investigator.refresh_from_db()
    assert personas.investigator.check_password("a brand new long passphrase")
    assert client.get(reverse("messaging-inbox")).status_code == 200
    event = AuditEvent.objects.get(action="password.change", outcome="success")
    assert event.actor == personas.investigator
    assert "brand new" not in str(event.changes) + event.summary


def test_it_applies_the_password_rules(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.investigator)
    cases = [
        (
            "wrong old password",
            "another long passphrase",
            None,
            b"old password was entered incorrectly",
        ),
        (PASSWORD, "short", None, b"too short"),
        (PASSWORD, "qwerty123456", None, b"too common"),
        (PASSWORD, "another long passphrase", "does not match at all", b"didn"),
    ]
    for old, new, again, message in cases:
        response = _change(client, old, new, again)
        assert response.status_code == 200
        assert message in response.content, message
    personas.investigator.refresh_from_db()
    assert personas.investigator.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="password.change", outcome="failed").count() == 4
    assert not AuditEvent.objects.filter(action="password.change", outcome="success").exists()


def test_it_shows_the_rules(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.reader)
    response = client.get(reverse("accounts-password"))
    assert b"at least 12 characters" in response.content


def test_it_makes_a_new_user_replace_the_temporary_password(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.admin)
    response = client.post(reverse("accounts-create"), {"username": "newbie", "role": "reader"})
    temporary = response.context["password"]
    client.logout()
    response = client.post(reverse("accounts-login"), {"username": "newbie", "password": temporary})
    assert response.status_code == 302
    for url in (reverse("messaging-inbox"), reverse("core-dashboard")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("accounts-password")
    assert client.get("/api/schema/").status_code == 403
    page = client.get(reverse("accounts-password"))
    assert b"set by an administrator" in page.content
    _change(client, temporary, "my very own passphrase")
    assert client.get(reverse("messaging-inbox")).status_code == 200


def test_it_makes_the_user_replace_a_password_an_administrator_reissued(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.admin)
    client.post(reverse("accounts-reset-password", args=[personas.reader.pk]))
    personas.reader.refresh_from_db()
    assert personas.reader.must_change_password
    client.force_login(personas.reader)
    assert client.get(reverse("messaging-inbox"))["Location"] == reverse("accounts-password")
