import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.accounts.models import Role
from vigil.audit.models import AuditEvent
from vigil.testing.personas import PASSWORD

User = get_user_model()


@pytest.fixture
def admin_client(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.admin)
    return client


def _last(action):
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


def test_it_creates_an_account_and_shows_the_generated_password_once(admin_client, personas):
    response = admin_client.post(
        reverse("accounts-create"),
        {
            "username": "newbie",
            "first_name": "Nora",
            "last_name": "Newbie",
            "email": "nora@unit.example",
            "agency": "Unit 7",
            "role": Role.INVESTIGATOR,
        },
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert password and password.encode() in response.content
    user = User.objects.get(username="newbie")
    assert user.role == Role.INVESTIGATOR and user.agency == "Unit 7"
    assert user.check_password(password)
    event = _last("account.create")
    assert event.actor == personas.admin and event.object_id == str(user.pk)
    assert event.changes["role"] == {"before": None, "after": "investigator"}
    assert password not in str(event.changes)
    # The password is in no other page.
    assert (
        password.encode()
        not in admin_client.get(reverse("accounts-detail", args=[user.pk])).content
    )


def test_it_creates_an_account_with_a_chosen_password_checked_by_the_rules(admin_client):
    response = admin_client.post(
        reverse("accounts-create"),
        {"username": "shorty", "role": Role.READER, "password": "short"},
    )
    assert response.status_code == 200
    assert b"too short" in response.content
    assert not User.objects.filter(username="shorty").exists()
    response = admin_client.post(
        reverse("accounts-create"),
        {"username": "shorty", "role": Role.READER, "password": "a long enough passphrase here"},
    )
    assert response.status_code == 200 and response.context["password"] is None
    assert User.objects.get(username="shorty").check_password("a long enough passphrase here")


def test_it_refuses_a_taken_or_malformed_username(admin_client, personas):
    before = User.objects.count()
    for username, message in (("READER", b"is taken"), ("bad name!", b"letters, digits")):
        response = admin_client.post(
            reverse("accounts-create"), {"username": username, "role": Role.READER}
        )
        assert response.status_code == 200 and message in response.content
    assert User.objects.count() == before


def test_it_changes_a_role_and_audits_before_and_after(admin_client, personas):
    reader = personas.reader
    response = admin_client.post(
        reverse("accounts-detail", args=[reader.pk]),
        {"role": Role.INVESTIGATOR, "is_account_admin": "on", "agency": "HQ"},
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.role == Role.INVESTIGATOR and reader.is_account_admin
    event = _last("account.role_change")
    assert event.actor == personas.admin
    assert event.changes == {
        "is_account_admin": {"before": False, "after": True},
        "role": {"before": "reader", "after": "investigator"},
    }
    assert _last("account.update").changes["agency"] == {"before": "", "after": "HQ"}


def test_it_keeps_the_last_administrator(admin_client, personas):
    response = admin_client.post(
        reverse("accounts-detail", args=[personas.admin.pk]), {"role": Role.NONE}
    )
    assert response.status_code == 200
    assert b"last administrator" in response.content
    personas.admin.refresh_from_db()
    assert personas.admin.is_account_admin
    assert not AuditEvent.objects.filter(action="account.role_change").exists()
    # With a second administrator the first may step down.
    personas.manager.is_account_admin = True
    personas.manager.save()
    response = admin_client.post(
        reverse("accounts-detail", args=[personas.admin.pk]), {"role": Role.NONE}
    )
    assert response.status_code == 302
    personas.admin.refresh_from_db()
    assert not personas.admin.is_account_admin


def test_it_does_not_count_a_locked_administrator_as_another(admin_client, personas):
    personas.manager.is_account_admin = True
    personas.manager.locked_at = timezone.now()
    personas.manager.save()
    response = admin_client.post(
        reverse("accounts-detail", args=[personas.admin.pk]), {"role": Role.NONE}
    )
    assert b"last administrator" in response.content


def test_it_disables_and_enables_an_account(admin_client, personas, client):
    reader = personas.reader
    reader.last_seen_at = timezone.now() - timezone.timedelta(days=400)
    reader.save()
    response = admin_client.post(
        reverse("accounts-disable", args=[reader.pk]), {"reason": "left the unit"}
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert not reader.is_active and reader.disabled_reason == "left the unit"
    event = _last("account.disable")
    assert event.changes["is_active"] == {"before": True, "after": False}
    assert event.summary == "left the unit"
    # Disabling twice says so and changes nothing.
    response = admin_client.post(reverse("accounts-disable", args=[reader.pk]), follow=True)
    assert b"disabled already" in response.content
    admin_client.post(reverse("accounts-enable", args=[reader.pk]))
    reader.refresh_from_db()
    assert reader.is_active and reader.disabled_reason == ""
    # Enabling restarts the inactivity clock, so the next sign-in works.
    assert (timezone.now() - reader.last_seen_at).total_seconds() < 60
    assert _last("account.enable").changes["is_active"] == {"before": False, "after": True}


def test_it_refuses_to_disable_yourself(admin_client, personas):
    response = admin_client.post(reverse("accounts-disable", args=[personas.admin.pk]), follow=True)
    assert b"cannot disable your own account" in response.content
    personas.admin.refresh_from_db()
    assert personas.admin.is_active


def test_it_ends_the_session_of_a_disabled_user(admin_client, personas, client, settings):
    from django.test import Client

    other = Client()
    other.force_login(personas.reader)
    assert other.get(reverse("messaging-inbox")).status_code == 200
    admin_client.post(reverse("accounts-disable", args=[personas.reader.pk]))
    response = other.get(reverse("messaging-inbox"))
    assert response.status_code == 302 and reverse("accounts-login") in response["Location"]


def test_it_unlocks_an_account_and_clears_the_failed_attempts(client, personas, settings):
    settings.REQUIRE_MFA = False
    for _ in range(5):
        client.post(reverse("accounts-login"), {"username": "reader", "password": "wrong guess!"})
    personas.reader.refresh_from_db()
    assert personas.reader.locked_at is not None
    assert AccessAttempt.objects.filter(username="reader").exists()
    client.force_login(personas.admin)
    response = client.post(reverse("accounts-unlock", args=[personas.reader.pk]))
    assert response.status_code == 302
    personas.reader.refresh_from_db()
    assert personas.reader.locked_at is None
    assert not AccessAttempt.objects.filter(username="reader").exists()
    event = _last("account.unlock")
    assert event.actor == personas.admin and event.changes["locked_at"]["after"] is None
    client.logout()
    response = client.post(reverse("accounts-login"), {"username": "reader", "password": PASSWORD})
    assert response.status_code == 302


def test_it_resets_mfa(admin_client, personas):
    TOTPDevice.objects.create(user=personas.reader, name="phone", confirmed=True)
    response = admin_client.post(reverse("accounts-reset-mfa", args=[personas.reader.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.reader).exists()
    event = _last("mfa.reset")
    assert event.actor == personas.admin and event.object_id == str(personas.reader.pk)
    assert event.changes == {"totp_devices": {"before": 1, "after": 0}}


def test_it_issues_a_new_password(admin_client, personas):
    response = admin_client.post(reverse("accounts-reset-password", args=[personas.reader.pk]))
    password = response.context["password"]
    personas.reader.refresh_from_db()
    assert personas.reader.check_password(password)
    assert not personas.reader.check_password(PASSWORD)
    assert _last("password.reset").changes == {
        "password": {"before": "[redacted]", "after": "[redacted]"}
    }


def test_it_lists_and_filters_accounts(admin_client, personas):
    personas.reader.locked_at = timezone.now()
    personas.reader.save()
    response = admin_client.get(reverse("accounts-list"))
    assert b"olga" in response.content and b"reader" in response.content
    response = admin_client.get(reverse("accounts-list") + "?show=locked")
    names = [a.username for a in response.context["accounts"]]
    assert names == ["reader"]


def test_it_answers_404_for_a_missing_account(admin_client):
    assert admin_client.get(reverse("accounts-detail", args=[999999])).status_code == 404
    assert admin_client.post(reverse("accounts-unlock", args=[999999])).status_code == 404
