import base64
import hashlib
import hmac
import struct
import time

from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.audit.models import AuditEvent
from vigil.testing.personas import PASSWORD, api_token


def totp(secret_b32: str, at: float | None = None) -> str:
    """RFC 6238 with the authenticator-app defaults (SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret_b32)
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def _login(client, username="reader"):
    return client.post(reverse("accounts-login"), {"username": username, "password": PASSWORD})


def test_it_enrols_then_asks_for_a_code_at_each_sign_in(client, personas, settings):
    settings.REQUIRE_MFA = True
    # django-otp slows down retries after a wrong code; the test does not wait.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    response = _login(client)
    assert "/accounts/mfa/enrol/" in response["Location"]
    page = client.get(response["Location"])
    secret = page.context["secret"]
    response = client.post(reverse("accounts-mfa-enrol"), {"token": "000000"})
    assert b"not right" in response.content
    response = client.post(reverse("accounts-mfa-enrol"), {"token": totp(secret)})
    assert response.status_code == 302
    assert client.get(reverse("messaging-inbox")).status_code == 200
    assert AuditEvent.objects.filter(action="mfa.enrol", outcome="success").exists()
    assert AuditEvent.objects.filter(action="mfa.enrol", outcome="failed").exists()
    client.post(reverse("accounts-logout"))
    response = _login(client)
    assert "/accounts/mfa/verify/" in response["Location"]
    assert client.get(reverse("messaging-inbox")).status_code == 302
    # The same code cannot be replayed; the next one works.
    response = client.post(reverse("accounts-mfa-verify"), {"token": totp(secret)})
    assert response.status_code == 200
    response = client.post(
        reverse("accounts-mfa-verify"), {"token": totp(secret, time.time() + 30)}
    )
    assert response.status_code == 302
    assert client.get(reverse("messaging-inbox")).status_code == 200


def test_it_lets_no_one_past_without_mfa_when_required(client, personas, settings):
    settings.REQUIRE_MFA = True
    client.force_login(personas.admin)
    for name in (
        "core-dashboard",
        "messaging-inbox",
        "accounts-list",
        "accounts-password",
        "audit-list",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert "/accounts/mfa/enrol/" in response["Location"], name


def test_it_asks_enrolled_users_for_their_code_even_when_not_required(client, personas, settings):
    settings.REQUIRE_MFA = False
    TOTPDevice.objects.create(user=personas.reader, name="phone", confirmed=True)
    client.force_login(personas.reader)
    response = client.get(reverse("messaging-inbox"))
    assert response.status_code == 302 and "/accounts/mfa/verify/" in response["Location"]


def test_it_lets_users_in_without_mfa_when_not_required(client, personas, settings):
    settings.REQUIRE_MFA = False
    response = _login(client)
    assert response["Location"] == reverse("core-dashboard")
    assert client.get(reverse("messaging-inbox")).status_code == 200


def test_it_enforces_mfa_on_api_session_auth(client, personas, settings):
    settings.REQUIRE_MFA = True
    client.force_login(personas.manager)
    response = client.get("/api/schema/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Multi-factor authentication required."
    device = TOTPDevice.objects.create(user=personas.manager, name="phone", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert client.get("/api/schema/").status_code == 200


def test_it_leaves_token_auth_to_the_api(client, personas, settings):
    settings.REQUIRE_MFA = True
    token = api_token(personas.manager)
    response = client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_it_answers_json_when_an_api_session_goes_idle(client, personas, settings):
    settings.REQUIRE_MFA = False
    client.force_login(personas.manager)
    client.get(reverse("messaging-inbox"))
    session = client.session
    session["vigil_last_activity"] -= settings.SESSION_IDLE_SECONDS + 1
    session.save()
    response = client.get("/api/schema/")
    assert response.status_code == 401
    events = AuditEvent.objects.filter(action="logout", actor=personas.manager)
    assert [e.summary for e in events] == ["session ended after idle time-out"]


def test_it_reads_require_mfa_from_the_environment(monkeypatch):
    import importlib

    import vigil.settings as vs

    for raw, expected in (("1", True), ("0", False), ("yes", True), ("off", False)):
        monkeypatch.setenv("VIGIL_REQUIRE_MFA", raw)
        assert vs._flag("VIGIL_REQUIRE_MFA", True) is expected
    monkeypatch.delenv("VIGIL_REQUIRE_MFA")
    assert vs._flag("VIGIL_REQUIRE_MFA", not vs.RELAXED) is (not vs.RELAXED)
    assert importlib.import_module("vigil.settings") is vs


def test_it_audits_the_authenticator_secret_once_when_it_is_issued(client, personas, settings):
    """The enrol page makes the (unconfirmed) TOTP device on the first visit: audited, once."""
    settings.REQUIRE_MFA = True
    client.force_login(personas.reader)
    assert client.get(reverse("accounts-mfa-enrol")).status_code == 200
    issued = AuditEvent.objects.filter(action="mfa.issue", actor_username="reader")
    assert issued.count() == 1
    assert issued.get().object_id == str(personas.reader.pk)
    first = client.get(reverse("accounts-mfa-enrol")).context["secret"]
    assert issued.count() == 1  # a second visit shows the same secret and writes no row
    assert TOTPDevice.objects.filter(user=personas.reader).count() == 1
    assert client.get(reverse("accounts-mfa-enrol")).context["secret"] == first
