from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.testing.personas import PASSWORD


def _login(client, username, password):
    return client.post(reverse("accounts-login"), {"username": username, "password": password})


def test_it_signs_in_and_audits(client, personas, settings):
    settings.REQUIRE_MFA = False
    response = _login(client, "reader", PASSWORD)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="login", actor=personas.reader, outcome="success"
    ).exists()


def test_it_says_wrong_password_and_audits_the_failure(client, personas):
    response = _login(client, "reader", "not the password at all")
    assert response.status_code == 200
    assert b"Wrong username or password" in response.content
    assert AuditEvent.objects.filter(
        action="login", actor_username="reader", outcome="failed"
    ).exists()


def test_it_locks_the_account_after_five_failures(client, personas, settings):
    settings.REQUIRE_MFA = False
    for _ in range(5):
        _login(client, "reader", "wrong wrong wrong")
    personas.reader.refresh_from_db()
    assert personas.reader.locked_at is not None
    response = _login(client, "reader", PASSWORD)
    assert response.status_code == 403
    assert b"locked" in response.content
    assert AuditEvent.objects.filter(
        action="account.lockout", object_id=str(personas.reader.pk)
    ).exists()


def test_it_demands_mfa_enrolment_when_required(client, personas, settings):
    settings.REQUIRE_MFA = True
    response = _login(client, "reader", PASSWORD)
    assert response.status_code == 302 and "/accounts/mfa/enrol/" in response["Location"]
    assert client.get(reverse("core-dashboard")).status_code == 302


def test_it_sends_an_idle_session_to_the_login_page(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.reader)
    assert client.get(reverse("core-dashboard")).status_code == 200
    session = client.session
    session["vigil_last_activity"] -= settings.SESSION_IDLE_SECONDS + 1
    session.save()
    response = client.get(reverse("core-dashboard"))
    assert response.status_code == 302 and "idle=1" in response["Location"]


def test_it_lets_a_lock_lapse_when_auto_reset_is_on(client, personas, settings):
    import datetime as dt

    from django.utils import timezone

    settings.REQUIRE_MFA = False
    settings.LOCKOUT_UNTIL_UNLOCK = False
    personas.reader.locked_at = timezone.now() - dt.timedelta(minutes=5)
    personas.reader.save()
    assert _login(client, "reader", PASSWORD).status_code == 403
    personas.reader.locked_at = timezone.now() - dt.timedelta(
        minutes=settings.LOCKOUT_WINDOW_MINUTES + 1
    )
    personas.reader.save()
    assert _login(client, "reader", PASSWORD).status_code == 302
    personas.reader.refresh_from_db()
    assert personas.reader.locked_at is None
    assert AuditEvent.objects.filter(action="account.unlock", actor=None).exists()


def test_it_keeps_a_lock_until_an_administrator_unlocks(client, personas, settings):
    import datetime as dt

    from django.utils import timezone

    settings.REQUIRE_MFA = False
    personas.reader.locked_at = timezone.now() - dt.timedelta(days=3)
    personas.reader.save()
    response = _login(client, "reader", PASSWORD)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="login", outcome="denied").exists()


def test_it_ignores_an_outside_next_url(client, personas, settings):
    settings.REQUIRE_MFA = False
    response = client.post(
        reverse("accounts-login") + "?next=https://evil.example/",
        {"username": "reader", "password": PASSWORD},
    )
    assert response["Location"] == reverse("core-dashboard")


def test_it_counts_only_failures_within_the_window(client, personas, settings):
    import datetime as dt

    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.REQUIRE_MFA = False
    for _ in range(4):
        _login(client, "reader", "wrong wrong wrong")
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_WINDOW_MINUTES + 1)
    )
    _login(client, "reader", "wrong wrong wrong")
    personas.reader.refresh_from_db()
    assert personas.reader.locked_at is None
    assert _login(client, "reader", PASSWORD).status_code == 302


def test_it_tells_htmx_where_to_go_when_the_session_went_idle(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.reader)
    client.get(reverse("messaging-inbox"))
    session = client.session
    session["vigil_last_activity"] -= settings.SESSION_IDLE_SECONDS + 1
    session.save()
    response = client.get(reverse("messaging-inbox"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts-login") + "?idle=1"


def test_it_does_not_let_polling_keep_a_session_alive(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.reader)
    client.get(reverse("messaging-inbox"))
    before = client.session["vigil_last_activity"]
    client.get(reverse("messaging-inbox"), HTTP_X_VIGIL_POLL="1")
    assert client.session["vigil_last_activity"] == before


def test_it_records_last_seen_on_a_real_request(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.reader)
    assert client.get(reverse("core-dashboard")).status_code == 200
    personas.reader.refresh_from_db()
    assert personas.reader.last_seen_at is not None
